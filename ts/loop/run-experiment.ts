// One experiment run: every arm for every seed, into one run folder.
import { join, resolve } from 'node:path';
import { ensurePythonEnvironment } from '../bridge/python-env.js';
import { startPythonBridge, type PythonBridge } from '../bridge/python-session.js';
import type { ExperimentConfig } from '../config/schema.js';
import { CsvAppender, type CsvRow } from '../report/csv-file.js';
import { checkRunFolderIsFree, createRunFolder, runFiles, writeJsonAtomic } from '../run/run-folder.js';
import { packageVersion } from '../version.js';
import type { Logger } from './progress-log.js';
import {
  metricsColumns,
  modeCountColumns,
  trainArm,
  type ArmOutcome,
} from './train-arm.js';

export interface RunRequest {
  configPath: string;
  config: ExperimentConfig;
  runDir: string;
  log: Logger;
  // Called once the bridge is up, so a signal handler can stop it.
  onBridge?: (stop: RunHandle) => void;
}

export interface RunHandle {
  markStopped(status: 'interrupted' | 'failed', reason: string): void;
}

// A Python call can legitimately run for minutes (a long epoch on a CPU);
// a hung one is the watchdog's business, not the bridge's 100 s default.
const bridgeCallTimeoutMs = 6 * 60 * 60 * 1000;

export const summaryColumns = [
  'experiment', 'arm', 'seed', 'topk_mode', 'k_final', 'steps', 'epochs',
  'modes_total', 'modes_recovered', 'high_quality_pct', 'mode_evenness',
  'threshold_std', 'min_samples', 'eval_samples', 'status', 'diverged_step',
  'diverged_loss', 'device', 'wall_s',
] as const;

export async function runExperiment(request: RunRequest): Promise<ArmOutcome[]> {
  const { config, runDir, log } = request;
  checkRunFolderIsFree(runDir);
  const pythonBin = await ensurePythonEnvironment(log);
  createRunFolder(runDir);
  writeJsonAtomic(join(runDir, runFiles.config), config);
  const record = createRunRecord(request);
  writeJsonAtomic(join(runDir, runFiles.run), record);
  log(`Run folder: ${runDir}`);
  log(`Resolved config: ${JSON.stringify(config)}`);

  const bridge = await startPythonBridge(pythonBin, bridgeCallTimeoutMs);
  request.onBridge?.({
    markStopped: (status, reason) => {
      bridge.exit();
      finishRunRecord(runDir, record, status, reason);
    },
  });
  try {
    const outcomes = await trainAllArms(bridge, request, record);
    await writeTrainingPlots(bridge, runDir);
    finishRunRecord(runDir, record, 'completed');
    return outcomes;
  } catch (error) {
    finishRunRecord(runDir, record, 'failed', (error as Error).message);
    throw error;
  } finally {
    bridge.exit();
  }
}

type RunRecord = Record<string, unknown> & { timings: Record<string, number> };

function createRunRecord(request: RunRequest): RunRecord {
  return {
    status: 'running',
    started_at: new Date().toISOString(),
    finished_at: null,
    config_file: resolve(request.configPath),
    command: process.argv.slice(2),
    versions: { 'topk-gan': packageVersion, node: process.version },
    device: null,
    timings: {},
    pid: process.pid,
  };
}

function finishRunRecord(
  runDir: string,
  record: RunRecord,
  status: string,
  reason?: string,
): void {
  if (record.status !== 'running') return;
  record.status = status;
  record.finished_at = new Date().toISOString();
  if (reason) record.reason = reason;
  writeJsonAtomic(join(runDir, runFiles.run), record);
}

async function trainAllArms(
  bridge: PythonBridge,
  request: RunRequest,
  record: RunRecord,
): Promise<ArmOutcome[]> {
  const { config, runDir, log } = request;
  const metrics = new CsvAppender(join(runDir, runFiles.metrics), metricsColumns);
  const modeCounts = new CsvAppender(join(runDir, runFiles.modeCounts), modeCountColumns);
  const summary = new CsvAppender(join(runDir, runFiles.summary), summaryColumns);
  const outcomes: ArmOutcome[] = [];
  for (const seed of config.seeds) {
    for (const arm of config.arms) {
      const outcome = await trainArm({
        bridge, config, arm, seed, log, metrics, modeCounts,
        device: config.device,
        pythonLogPath: resolve(runDir, runFiles.pythonLog),
        plotsDir: resolve(runDir, runFiles.plots),
      });
      outcomes.push(outcome);
      summary.append([buildSummaryRow(config, outcome)]);
      recordOutcome(runDir, record, outcome);
    }
  }
  return outcomes;
}

function recordOutcome(runDir: string, record: RunRecord, outcome: ArmOutcome): void {
  const { description } = outcome;
  record.device = description.device;
  record.versions = {
    ...(record.versions as object),
    python: description.python,
    torch: description.torch,
    numpy: description.numpy,
  };
  record.cuda_available = description.cuda_available;
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
    threshold_std: config.eval.threshold_std,
    min_samples: config.eval.min_samples,
    eval_samples: evaluation?.num_samples,
    status: outcome.status,
    diverged_step: outcome.divergence?.step,
    diverged_loss: outcome.divergence?.loss,
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

function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}
