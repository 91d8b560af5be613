// One experiment run, new or resumed: every arm for every seed, into one run
// folder that only this process writes to.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ensurePythonEnvironment } from '../bridge/python-env.js';
import { startPythonBridge, type PythonBridge } from '../bridge/python-session.js';
import { UserError } from '../cli/errors.js';
import { diffConfigs, hashConfig } from '../config/compare.js';
import { prepareConfigForRun } from '../config/environment.js';
import type { ArmConfig, ExperimentConfig } from '../config/schema.js';
import { CsvAppender, readCsv, rewriteCsv, type CsvRow } from '../report/csv-file.js';
import { findUsableCheckpoint, getCheckpointDir, type UsableCheckpoint } from '../run/checkpoints.js';
import { acquireRunLock } from '../run/lock.js';
import { checkRunFolderIsFree, createRunFolder, runFiles, writeJsonAtomic } from '../run/run-folder.js';
import { packageVersion } from '../version.js';
import type { Logger } from './progress-log.js';
import { getSignalExitCode, installStopHandlers } from './signals.js';
import { RunInterrupted, type StopRequest } from './stop-request.js';
import { metricsColumns, modeCountColumns, trainArm, type ArmOutcome } from './train-arm.js';

export interface RunRequest {
  configPath: string;
  config: ExperimentConfig;
  runDir: string;
  log: Logger;
  resume: boolean;
}

// A Python call can legitimately run for minutes (a long epoch on a CPU); a
// hung one is the heartbeat watchdog's business, not the bridge timeout's.
const bridgeCallTimeoutMs = 24 * 60 * 60 * 1000;

export const summaryColumns = [
  'experiment', 'arm', 'seed', 'topk_mode', 'k_final', 'steps', 'epochs',
  'modes_total', 'modes_recovered', 'high_quality_pct', 'mode_evenness',
  'threshold_std', 'min_samples', 'eval_samples', 'status', 'diverged_step',
  'diverged_loss', 'rollbacks', 'fid', 'fid_samples', 'fid_weights',
  'best_fid', 'best_fid_step', 'device', 'wall_s',
] as const;

export async function runExperiment(original: RunRequest): Promise<ArmOutcome[]> {
  const request = original.resume ? original : { ...original, config: prepareConfigForRun(original.config, original.configPath) };
  const { runDir, log } = request;
  if (!request.resume) checkRunFolderIsFree(runDir);
  const pythonBin = await ensurePythonEnvironment(log);
  if (!request.resume) createRunFolder(runDir);
  const releaseLock = acquireRunLock(runDir);
  try {
    return await runLocked(request, pythonBin);
  } finally {
    releaseLock();
  }
}

async function runLocked(request: RunRequest, pythonBin: string): Promise<ArmOutcome[]> {
  const { config, runDir, log } = request;
  if (!request.resume) writeJsonAtomic(join(runDir, runFiles.config), config);
  const record = request.resume ? reopenRunRecord(runDir) : createRunRecord(request);
  writeJsonAtomic(join(runDir, runFiles.run), record);
  log(`Run folder: ${runDir}`);
  log(`Resolved config: ${JSON.stringify(config)}`);

  let bridge: PythonBridge | null = null;
  const stop: StopRequest = { signal: null };
  // Until the Python side is up there is nothing to checkpoint: a signal
  // then only records the run as interrupted, so run.json never says
  // "running" for a process that is gone.
  const stopBeforeTraining = (signal: NodeJS.Signals) => {
    finishRunRecord(runDir, record, 'interrupted', `received ${signal} before training started`);
    process.stderr.write(`Stopped by ${signal} before training started. Continue with: npx topk-gan resume ${runDir}\n`);
    process.exit(getSignalExitCode(signal));
  };
  process.once('SIGINT', stopBeforeTraining);
  process.once('SIGTERM', stopBeforeTraining);
  let removeHandlers = () => {
    process.off('SIGINT', stopBeforeTraining);
    process.off('SIGTERM', stopBeforeTraining);
  };
  try {
    bridge = await startPythonBridge(pythonBin, bridgeCallTimeoutMs);
    removeHandlers();
    const heartbeatPath = resolve(runDir, '.heartbeat');
    bridge.watchHeartbeat(heartbeatPath, config.runtime.stall_timeout_s);
    removeHandlers = installStopHandlers(stop, bridge, (signal) => {
      bridge?.exit();
      finishRunRecord(runDir, record, 'interrupted', `received ${signal}; the Python side did not stop in time and was killed`);
      process.stderr.write(`Stopped by ${signal} without a final checkpoint; resume continues from the last one.\n`);
      process.exit(getSignalExitCode(signal));
    });
    const outcomes = await trainAllArms(bridge, request, record, { stop, heartbeatPath });
    await writeTrainingPlots(bridge, runDir);
    finishRunRecord(runDir, record, 'completed');
    return outcomes;
  } catch (error) {
    const status = error instanceof RunInterrupted ? 'interrupted' : 'failed';
    finishRunRecord(runDir, record, status, (error as Error).message);
    throw error;
  } finally {
    removeHandlers();
    bridge?.exit();
  }
}

type RunRecord = Record<string, unknown> & { timings: Record<string, number> };

function createRunRecord(request: RunRequest): RunRecord {
  return {
    status: 'running',
    started_at: new Date().toISOString(),
    finished_at: null,
    resumed_at: [],
    config_file: resolve(request.configPath),
    command: process.argv.slice(2),
    versions: { 'topk-gan': packageVersion, node: process.version },
    device: null,
    timings: {},
    pid: process.pid,
  };
}

function reopenRunRecord(runDir: string): RunRecord {
  const record = JSON.parse(readFileSync(join(runDir, runFiles.run), 'utf8')) as RunRecord;
  const resumedAt = Array.isArray(record.resumed_at) ? record.resumed_at : [];
  return {
    ...record,
    status: 'running',
    finished_at: null,
    reason: undefined,
    resumed_at: [...resumedAt, new Date().toISOString()],
    timings: record.timings ?? {},
    pid: process.pid,
  };
}

function finishRunRecord(runDir: string, record: RunRecord, status: string, reason?: string): void {
  if (record.status !== 'running') return;
  record.status = status;
  record.finished_at = new Date().toISOString();
  if (reason) record.reason = reason;
  writeJsonAtomic(join(runDir, runFiles.run), record);
}

interface RunControls {
  stop: StopRequest;
  heartbeatPath: string;
}

async function trainAllArms(bridge: PythonBridge, request: RunRequest, record: RunRecord, controls: RunControls): Promise<ArmOutcome[]> {
  const { config, runDir, log } = request;
  const metricsPath = join(runDir, runFiles.metrics);
  const modeCountsPath = join(runDir, runFiles.modeCounts);
  const metrics = new CsvAppender(metricsPath, metricsColumns);
  const modeCounts = new CsvAppender(modeCountsPath, modeCountColumns);
  const summary = new CsvAppender(join(runDir, runFiles.summary), summaryColumns);
  const finished = new Set(readCsv(summary.path).map((row) => `${row.arm}/${row.seed}`));
  const outcomes: ArmOutcome[] = [];
  for (const seed of config.seeds) {
    for (const arm of config.arms) {
      if (finished.has(`${arm.name}/${seed}`)) continue;
      if (controls.stop.signal) throw new RunInterrupted(controls.stop.signal, request.runDir);
      const forgetRowsAfter = (step: number) => {
        const isLater = (row: Record<string, string>) => row.arm === arm.name && row.seed === String(seed) && Number(row.step) > step;
        rewriteCsv(metricsPath, (row) => !isLater(row));
        rewriteCsv(modeCountsPath, (row) => !isLater(row));
      };
      const checkpoint = request.resume ? prepareResume(runDir, config, arm, seed, log) : null;
      forgetRowsAfter(checkpoint?.manifest.step ?? 0);
      const outcome = await trainArm(
        {
          bridge, config, arm, seed, runDir, log, metrics, modeCounts, forgetRowsAfter,
          stop: controls.stop,
          heartbeatPath: controls.heartbeatPath,
          pythonLogPath: resolve(runDir, runFiles.pythonLog),
          plotsDir: resolve(runDir, runFiles.plots),
        },
        checkpoint,
      );
      outcomes.push(outcome);
      summary.append([buildSummaryRow(config, outcome)]);
      recordOutcome(runDir, record, outcome);
    }
  }
  return outcomes;
}

// The newest intact checkpoint of one arm and seed, refused when it was made
// under a different config.
function prepareResume(runDir: string, config: ExperimentConfig, arm: ArmConfig, seed: number, log: Logger): UsableCheckpoint | null {
  const found = findUsableCheckpoint(getCheckpointDir(runDir, arm.name, seed));
  for (const problem of found?.rejected ?? []) log(`Skipping checkpoint ${problem}`);
  if (!found) {
    log(`${config.experiment}/${arm.name} seed=${seed}: no usable checkpoint, starting this arm from step 0`);
    return null;
  }
  if (found.manifest.config_hash !== hashConfig(config)) {
    const differences = diffConfigs(found.manifest.config, config);
    throw new UserError([`Checkpoint ${found.path} was written under a different config; refusing to resume. Fields that differ (checkpoint -> run folder):`, ...differences.map((d) => `  ${d}`)].join('\n'));
  }
  if (found.manifest.k === undefined) log(`${found.path} has no k; recomputing it from the step`);
  return found;
}

function recordOutcome(runDir: string, record: RunRecord, outcome: ArmOutcome): void {
  const { description } = outcome;
  record.device = description.device;
  record.versions = { ...(record.versions as object), python: description.python, torch: description.torch, numpy: description.numpy };
  record.cuda_available = description.cuda_available;
  // what the Python side found in the data: count, shape, resize method
  if (description.data) record.data = description.data;
  record.timings[`${outcome.arm.name}/seed${outcome.seed}`] = round(outcome.wallSeconds, 3);
  writeJsonAtomic(join(runDir, runFiles.run), record);
}

function buildSummaryRow(config: ExperimentConfig, outcome: ArmOutcome): CsvRow {
  // a diverged arm reports no quality numbers, not its last good ones
  const evaluation = outcome.status === 'completed' ? outcome.evaluation : null;
  return {
    experiment: config.experiment,
    arm: outcome.arm.name,
    seed: outcome.seed,
    topk_mode: outcome.arm.topk_mode,
    k_final: outcome.kFinal,
    steps: outcome.steps,
    epochs: outcome.epochs,
    modes_total: outcome.description.modes_total,
    modes_recovered: evaluation?.modes_recovered,
    high_quality_pct: evaluation?.high_quality_pct,
    mode_evenness: evaluation?.mode_evenness,
    // the mode thresholds mean something only where modes were counted
    threshold_std: evaluation?.modes_total ? config.eval.threshold_std : undefined,
    min_samples: evaluation?.modes_total ? config.eval.min_samples : undefined,
    eval_samples: evaluation?.num_samples,
    status: outcome.status,
    diverged_step: outcome.divergence?.step,
    diverged_loss: outcome.divergence?.loss,
    rollbacks: outcome.rollbacks,
    fid: evaluation?.fid,
    fid_samples: evaluation?.fid_samples,
    fid_weights: evaluation?.fid_weights,
    best_fid: outcome.bestFid?.fid,
    best_fid_step: outcome.bestFid?.step,
    device: outcome.description.device,
    wall_s: round(outcome.wallSeconds, 3),
  };
}

async function writeTrainingPlots(bridge: PythonBridge, runDir: string): Promise<void> {
  await bridge.call('write_training_plots', {
    metrics_csv: resolve(runDir, runFiles.metrics),
    out_dir: resolve(runDir, runFiles.plots),
  });
}

export function loadRunConfig(runDir: string): unknown {
  const path = join(runDir, runFiles.config);
  if (!existsSync(path)) throw new UserError(`${runDir}: no ${runFiles.config}; is this a run folder made by topk-gan run?`);
  return JSON.parse(readFileSync(path, 'utf8'));
}

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
