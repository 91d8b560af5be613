// The oracle-direction analysis (py/topkgan/analysis/oracle_direction.py)
// on a run folder's checkpoints: which checkpoints, the request for each,
// one Python process for all of them, and the rows of oracle.csv.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runPythonModule } from '../bridge/python-module.js';
import { UserError } from '../cli/errors.js';
import { validateConfig } from '../config/load.js';
import type { ArmConfig, ExperimentConfig } from '../config/schema.js';
import { loadRunConfig } from '../loop/run-experiment.js';
import { getStepsPerEpoch } from '../loop/train-arm.js';
import { runFiles } from '../run/run-folder.js';
import { findUsableCheckpoint, getCheckpointDir, listCheckpoints, type UsableCheckpoint } from '../run/checkpoints.js';
import { getKForStep } from '../topk/schedule.js';
import { getEffectiveK } from '../topk/selection.js';

export const oracleSelections = ['top', 'bottom', 'random', 'all'] as const;
export type OracleSelection = (typeof oracleSelections)[number];

export interface OracleSettings {
  // seeds of the fixed latent batch (and of the `random` selection)
  analysisSeeds: number[];
  selections: OracleSelection[];
  // default: the top-k schedule's k at the checkpoint's last step
  k?: number;
  // default: train.batch_size
  batchSize?: number;
  bins: number;
  optimiser: 'adam' | 'sgd';
  // default: train.lr_g
  lr?: number;
}

export const defaultOracleSettings: OracleSettings = {
  analysisSeeds: [0],
  selections: ['top', 'bottom'],
  bins: 20,
  optimiser: 'adam',
};

// Statistics of one group of samples, as summarise_group returns them.
export interface OracleGroup {
  samples: number;
  count: number;
  excluded_on_centre: number;
  excluded_zero_displacement: number;
  mean: number | null;
  median: number | null;
  std: number | null;
  positive_fraction: number | null;
  negative_fraction: number | null;
  mean_displacement_norm: number;
  histogram: number[];
}

export interface OracleSelectionResult {
  kept: number;
  loss_g: number | null;
  // the kept samples only, and every sample of the batch
  used: OracleGroup;
  all: OracleGroup;
}

export interface OracleResult {
  step: number;
  seed: number;
  batch_size: number;
  k: number;
  optimiser: string;
  lr: number;
  betas: number[];
  loss: string;
  modes_total: number;
  histogram_edges: number[];
  arms: Record<string, OracleSelectionResult>;
}

interface PythonFailure {
  error: { type: string; message: string; traceback: string[] };
}

// One checkpoint to analyse: an arm and seed of a run.
export interface OracleTarget {
  runDir: string;
  config: ExperimentConfig;
  arm: ArmConfig;
  seed: number;
  checkpoint: UsableCheckpoint;
}

export interface OracleAnalysis {
  arm: string;
  topk_mode: string;
  seed: number;
  analysis_seed: number;
  checkpoint: string;
  result: OracleResult;
}

// The resolved config of a run folder, if the run is a mixture of Gaussians.
export function readMixtureRunConfig(runDir: string): ExperimentConfig {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) {
    throw new UserError(`${runDir}: no such run folder`);
  }
  const rawConfig = loadRunConfig(runDir) as { data?: { kind?: unknown } };
  const kind = rawConfig?.data?.kind;
  if (kind !== 'mog') {
    throw new UserError(`${runDir}: data.kind is ${JSON.stringify(kind)}; the oracle-direction analysis needs a mixture-of-Gaussians run (data.kind "mog")`);
  }
  return validateConfig(rawConfig, join(runDir, runFiles.config));
}

// The newest intact checkpoint of every arm and seed of the run that the
// filters keep; an arm or seed without one is an error naming it.
export function findOracleTargets(
  runDir: string,
  config: ExperimentConfig,
  filters: { arm?: string; seed?: number } = {},
): OracleTarget[] {
  const arms = selectArms(runDir, config, filters.arm);
  const seeds = selectSeeds(runDir, config, filters.seed);
  return arms.flatMap((arm) =>
    seeds.map((seed) => ({ runDir, config, arm, seed, checkpoint: findCheckpoint(runDir, arm.name, seed) })),
  );
}

function selectArms(runDir: string, config: ExperimentConfig, name: string | undefined): ArmConfig[] {
  if (name === undefined) return config.arms;
  const arm = config.arms.find((a) => a.name === name);
  if (!arm) {
    throw new UserError(`--arm ${name}: not an arm of ${runDir}; expected one of ${config.arms.map((a) => a.name).join(', ')}`);
  }
  return [arm];
}

function selectSeeds(runDir: string, config: ExperimentConfig, seed: number | undefined): number[] {
  if (seed === undefined) return config.seeds;
  if (!config.seeds.includes(seed)) {
    throw new UserError(`--seed ${seed}: not a seed of ${runDir}; expected one of ${config.seeds.join(', ')}`);
  }
  return [seed];
}

function findCheckpoint(runDir: string, arm: string, seed: number): UsableCheckpoint {
  const directory = getCheckpointDir(runDir, arm, seed);
  const found = findUsableCheckpoint(directory);
  if (found) return found;
  const written = listCheckpoints(directory).length;
  const why = written === 0 ? 'none written' : `${written} written, none with a manifest whose size and sha256 match`;
  throw new UserError(`${runDir}: no intact checkpoint of arm ${arm} seed ${seed} in ${directory} (${why})`);
}

// k of the top-k schedule at the checkpoint's last step (what the top-k arm
// used there), scaled to the analysis batch by the short-batch rule.
export function getDefaultK(config: ExperimentConfig, step: number, batchSize: number): number {
  const stepsPerEpoch = getStepsPerEpoch(config) ?? 1;
  const schedule = { batchSize: config.train.batch_size, gamma: config.topk.gamma, nu: config.topk.nu, decay: config.topk.decay, stepsPerEpoch };
  const k = getKForStep(Math.max(0, step - 1), schedule);
  return getEffectiveK(k, config.train.batch_size, batchSize);
}

// Python checks every setting too; this catches the one flag that depends
// on the run before any process starts.
export function checkOracleSettings(config: ExperimentConfig, settings: OracleSettings): void {
  const batchSize = settings.batchSize ?? config.train.batch_size;
  if (settings.k !== undefined && settings.k > batchSize) {
    throw new UserError(`--k ${settings.k}: expected at most the analysis batch size ${batchSize}`);
  }
}

// The request analyse_checkpoint takes, for one checkpoint and batch seed.
export function buildOracleRequest(target: OracleTarget, settings: OracleSettings, analysisSeed: number) {
  const batchSize = settings.batchSize ?? target.config.train.batch_size;
  const k = settings.k ?? getDefaultK(target.config, target.checkpoint.manifest.step, batchSize);
  return {
    config: target.config,
    checkpoint: target.checkpoint.path,
    seed: analysisSeed,
    batch_size: batchSize,
    k,
    modes: settings.selections,
    bins: settings.bins,
    optimiser: settings.optimiser,
    ...(settings.lr === undefined ? {} : { lr: settings.lr }),
  };
}

const analysisTimeoutMs = 10 * 60 * 1000;

export interface OracleFailure {
  target: OracleTarget;
  analysis_seed: number;
  // "Python raised ValueError: ..." with where it happened
  message: string;
  traceback: string[];
}

// Every target x analysis seed in one Python process (torch loads once);
// an analysis that Python refuses is a failure of its own.
export async function analyseEach(
  targets: OracleTarget[],
  settings: OracleSettings,
  pythonBin: string,
): Promise<(OracleAnalysis | OracleFailure)[]> {
  const jobs = targets.flatMap((target) => settings.analysisSeeds.map((analysisSeed) => ({ target, analysisSeed })));
  const results = await runOracleModule(
    jobs.map((job) => buildOracleRequest(job.target, settings, job.analysisSeed)),
    pythonBin,
  );
  return jobs.map(({ target, analysisSeed }, index) => {
    const result = results[index] ?? { error: { type: 'BridgeError', message: 'no result for this request', traceback: [] } };
    if ('error' in result) {
      const where = `arm ${target.arm.name} seed ${target.seed} (${target.checkpoint.path})`;
      const message = `Python raised ${result.error.type}: ${result.error.message}; analysing ${where}`;
      return { target, analysis_seed: analysisSeed, message, traceback: result.error.traceback };
    }
    return {
      arm: target.arm.name,
      topk_mode: target.arm.topk_mode,
      seed: target.seed,
      analysis_seed: analysisSeed,
      checkpoint: target.checkpoint.path,
      result,
    };
  });
}

export function isOracleFailure(outcome: OracleAnalysis | OracleFailure): outcome is OracleFailure {
  return 'message' in outcome;
}

// Every analysis, or the first failure as an error.
export async function analyseTargets(targets: OracleTarget[], settings: OracleSettings, pythonBin: string): Promise<OracleAnalysis[]> {
  const outcomes = await analyseEach(targets, settings, pythonBin);
  const failure = outcomes.find(isOracleFailure);
  if (failure) throw new UserError([failure.message, ...failure.traceback.map((line) => `  ${line}`)].join('\n'));
  return outcomes as OracleAnalysis[];
}

export async function runOracleModule(requests: unknown[], pythonBin: string): Promise<(OracleResult | PythonFailure)[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'topk-oracle-'));
  try {
    const reply = await runPythonModule<{ results: (OracleResult | PythonFailure)[] }>({
      pythonBin,
      module: 'topkgan.analysis.oracle_direction',
      requestPath: join(scratch, 'request.json'),
      request: { analyses: requests },
      what: 'The oracle-direction analysis',
      timeoutMs: analysisTimeoutMs,
    });
    return reply.results;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

export const oracleGroups = { all: 'all', used: 'kept' } as const;

// oracle.csv: a row per analysis, selection and group of samples (every
// sample of the batch, or the kept ones), with the histogram in columns.
export function toOracleCsvRows(analyses: OracleAnalysis[], extra: Record<string, string> = {}) {
  return analyses.flatMap((analysis) =>
    Object.entries(analysis.result.arms).flatMap(([selection, outcome]) =>
      (['all', 'used'] as const).map((group) => ({
        ...extra,
        arm: analysis.arm,
        topk_mode: analysis.topk_mode,
        seed: analysis.seed,
        step: analysis.result.step,
        analysis_seed: analysis.analysis_seed,
        batch_size: analysis.result.batch_size,
        k: analysis.result.k,
        optimiser: analysis.result.optimiser,
        lr: analysis.result.lr,
        selection,
        samples: oracleGroups[group],
        ...describeGroup(outcome[group]),
        ...describeHistogram(outcome[group].histogram, analysis.result.histogram_edges),
      })),
    ),
  );
}

function describeGroup(group: OracleGroup) {
  return {
    n: group.samples,
    n_cosines: group.count,
    excluded_on_centre: group.excluded_on_centre,
    excluded_zero_displacement: group.excluded_zero_displacement,
    mean_cosine: group.mean,
    median_cosine: group.median,
    sd_cosine: group.std,
    negative_fraction: group.negative_fraction,
    positive_fraction: group.positive_fraction,
    mean_displacement: group.mean_displacement_norm,
  };
}

// Columns `cos_-1.00_-0.90`, ..., `cos_0.90_1.00`: counts per bin.
function describeHistogram(counts: number[], edges: number[]): Record<string, number> {
  const columns: Record<string, number> = {};
  counts.forEach((count, bin) => {
    columns[`cos_${(edges[bin] as number).toFixed(2)}_${(edges[bin + 1] as number).toFixed(2)}`] = count;
  });
  return columns;
}
