// `topk-gan oracle RUN_DIR`: the oracle-direction analysis of a finished
// mixture-of-Gaussians run, written as oracle.json and oracle.csv and
// printed as a short table.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { ensurePythonEnvironment } from '../bridge/python-env.js';
import { createLogger, type Logger } from '../loop/progress-log.js';
import { formatValue } from '../report/format.js';
import { formatMarkdownTable, type Table } from '../report/tables.js';
import { runFiles } from '../run/run-folder.js';
import {
  analyseTargets,
  checkOracleSettings,
  defaultOracleSettings,
  findOracleTargets,
  readMixtureRunConfig,
  toOracleCsvRows,
  type OracleAnalysis,
  type OracleSettings,
  type OracleTarget,
} from './oracle-direction.js';

export const oracleFiles = { json: 'oracle.json', csv: 'oracle.csv' } as const;

export interface OracleFlags {
  arm?: string;
  seed?: number;
  analysisSeeds?: number[];
  selections?: OracleSettings['selections'];
  k?: number;
  batchSize?: number;
  bins?: number;
  optimiser?: OracleSettings['optimiser'];
  lr?: number;
  out?: string;
}

export async function oracleCommand(runDir: string, flags: OracleFlags): Promise<void> {
  const log = createLogger();
  const config = readMixtureRunConfig(runDir);
  const targets = findOracleTargets(runDir, config, { arm: flags.arm, seed: flags.seed });
  const settings = toSettings(flags);
  checkOracleSettings(config, settings);
  warnIfUnfinished(runDir, log);

  const pythonBin = await ensurePythonEnvironment(log);
  log(`Oracle direction: ${describeTargets(targets)}; ${settings.analysisSeeds.length} latent batch(es) each`);
  const analyses = await analyseTargets(targets, settings, pythonBin);

  const outDir = flags.out ?? runDir;
  writeOracleFiles(outDir, runDir, settings, analyses);
  process.stdout.write(`${formatMarkdownTable(buildOracleTable(analyses))}\n`);
  log(`Cosines over every sample of the batch; kept samples only, and the histograms, in ${join(outDir, oracleFiles.csv)}`);
}

// A run that is still going or was stopped has checkpoints too; say which
// state they come from rather than refuse.
function warnIfUnfinished(runDir: string, log: Logger): void {
  try {
    const { status } = JSON.parse(readFileSync(join(runDir, runFiles.run), 'utf8')) as { status?: string };
    if (status !== 'completed') log(`Note: ${join(runDir, runFiles.run)} says ${status}; analysing the newest intact checkpoint of each arm and seed`);
  } catch {
    log(`Note: ${runDir} has no readable ${runFiles.run}; analysing the newest intact checkpoint of each arm and seed`);
  }
}

function toSettings(flags: OracleFlags): OracleSettings {
  return {
    analysisSeeds: flags.analysisSeeds ?? defaultOracleSettings.analysisSeeds,
    selections: flags.selections ?? defaultOracleSettings.selections,
    k: flags.k,
    batchSize: flags.batchSize,
    bins: flags.bins ?? defaultOracleSettings.bins,
    optimiser: flags.optimiser ?? defaultOracleSettings.optimiser,
    lr: flags.lr,
  };
}

function describeTargets(targets: OracleTarget[]): string {
  return targets.map((t) => `${t.arm.name} seed ${t.seed} at step ${t.checkpoint.manifest.step}`).join(', ');
}

function writeOracleFiles(outDir: string, runDir: string, settings: OracleSettings, analyses: OracleAnalysis[]): void {
  mkdirSync(outDir, { recursive: true });
  const record = { format: 1, run_dir: runDir, settings, analyses };
  writeFileSync(join(outDir, oracleFiles.json), `${JSON.stringify(record, null, 2)}\n`);
  writeFileSync(join(outDir, oracleFiles.csv), stringify(toOracleCsvRows(analyses), { header: true }));
}

// One row per analysis and selection, over every sample of the batch.
export function buildOracleTable(analyses: OracleAnalysis[]): Table {
  const header = ['arm', 'seed', 'step', 'batch seed', 'kept', 'selection', 'cosines', 'mean cos', 'sd', 'share < 0', 'mean displacement'];
  const rows = analyses.flatMap((analysis) =>
    Object.entries(analysis.result.arms).map(([selection, outcome]) => [
      analysis.arm,
      String(analysis.seed),
      String(analysis.result.step),
      String(analysis.analysis_seed),
      String(outcome.kept),
      selection,
      `${outcome.all.count}/${outcome.all.samples}`,
      formatValue(outcome.all.mean, 3),
      formatValue(outcome.all.std, 3),
      formatValue(outcome.all.negative_fraction, 3),
      outcome.all.mean_displacement_norm.toExponential(2),
    ]),
  );
  return { header, rows };
}
