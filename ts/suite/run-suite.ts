// `topk-gan suite`: load the suite file, check the cell folders already
// there, run the missing and unfinished cells (one at a time or --jobs at
// once, each its own CLI process), then write the report.
import { mkdirSync } from 'node:fs';
import { ensurePythonEnvironment } from '../bridge/python-env.js';
import { UserError } from '../cli/errors.js';
import type { Logger } from '../loop/progress-log.js';
import { writeSuiteReport, type SuiteReport } from '../report/suite-report.js';
import { checkCellConfigs, decideCellAction, type CellAction } from './cell-state.js';
import { planSuite, resolveCellConfig, type SuiteCell, type SuitePlan } from './cells.js';
import { loadSuite } from './load.js';
import { SuiteProgress } from './progress.js';
import { readLogSince, runCell, type CellResult, type RunningCell } from './run-cell.js';

export interface SuiteRequest {
  suiteFile: string;
  outDir?: string;
  jobs: number;
  quick: boolean;
  device?: string;
  log: Logger;
}

export interface SuiteOutcome {
  plan: SuitePlan;
  results: CellResult[];
  report: SuiteReport;
}

export async function runSuite(request: SuiteRequest): Promise<SuiteOutcome> {
  const { log } = request;
  const suite = loadSuite(request.suiteFile);
  const plan = planSuite(suite, request.suiteFile, { outDir: request.outDir, quick: request.quick, device: request.device });
  checkCellConfigs(plan.cells);
  const pythonBin = await ensurePythonEnvironment(log);
  mkdirSync(plan.outDir, { recursive: true });
  log(`Suite ${suite.name}${plan.quick ? ' (quick)' : ''}: ${plan.cells.length} cells in ${plan.outDir}, ${request.jobs} at a time`);

  const stop = watchStopSignals(log);
  let results: CellResult[];
  try {
    results = await runCells(plan, request.jobs, log, stop);
  } finally {
    stop.remove();
  }
  if (stop.signal) {
    const code = stop.signal === 'SIGTERM' ? 143 : 130;
    throw new UserError(`Suite stopped by ${stop.signal}; run the same command again to resume it.`, code);
  }

  log('Writing the report');
  const report = await writeSuiteReport(toReportInput(plan, results, pythonBin));
  if (report.figureError) log(`Figures failed: ${report.figureError}`);
  return { plan, results, report };
}

async function runCells(plan: SuitePlan, jobs: number, log: Logger, stop: StopWatch): Promise<CellResult[]> {
  const progress = new SuiteProgress(plan.suite.name, plan.cells.length, jobs, log);
  const queue: { cell: SuiteCell; action: CellAction }[] = [];
  const results: CellResult[] = [];
  for (const cell of plan.cells) {
    const action = decideCellAction(cell.dir);
    if (action === 'skip') {
      progress.skip(cell);
      results.push({ cell, action, status: 'skipped', exitCode: null, seconds: 0 });
    } else queue.push({ cell, action });
  }
  if (results.length > 0) log(progress.describe());

  let next = 0;
  const worker = async () => {
    while (next < queue.length && !stop.signal) {
      const { cell, action } = queue[next++] as (typeof queue)[number];
      progress.start(cell, action);
      const result = await runCell(cell, action, (running) => stop.track(running));
      stop.untrack(cell);
      progress.finish(result);
      results.push(result);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, queue.length)) }, worker));
  return results;
}

interface StopWatch {
  signal: NodeJS.Signals | null;
  track(running: RunningCell): void;
  untrack(cell: SuiteCell): void;
  remove(): void;
}

// A signal stops new cells from starting and reaches every running cell
// once: a Ctrl-C in a terminal already reached them (same process group),
// so it is forwarded only to cells that do not report it within a second.
// The cells then checkpoint and exit as after any interrupt.
function watchStopSignals(log: Logger): StopWatch {
  const running = new Map<SuiteCell, RunningCell>();
  const forwardIfUnheard = (signal: NodeJS.Signals) => {
    for (const { cell, child, logOffset } of running.values()) {
      if (!readLogSince(cell.logPath, logOffset).includes(`Received ${signal}`)) child.kill(signal);
    }
  };
  const watch: StopWatch = {
    signal: null,
    track: (cell) => void running.set(cell.cell, cell),
    untrack: (cell) => void running.delete(cell),
    remove: () => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onTerminate);
    },
  };
  const handle = (signal: NodeJS.Signals) => {
    if (watch.signal) return;
    watch.signal = signal;
    log(`Received ${signal}: no new cells start; the ${running.size} running ones stop at their next checkpoint.`);
    setTimeout(() => forwardIfUnheard(signal), 1000).unref();
  };
  const onInterrupt = () => handle('SIGINT');
  const onTerminate = () => handle('SIGTERM');
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  return watch;
}

function toReportInput(plan: SuitePlan, results: CellResult[], pythonBin: string) {
  const { suite } = plan;
  const firstCell = (name: string) => plan.cells.find((c) => c.experiment.name === name) as SuiteCell;
  return {
    name: suite.name,
    description: suite.description,
    suiteFile: plan.suiteFile,
    outDir: plan.outDir,
    quick: plan.quick,
    seeds: plan.seeds,
    arms: suite.arms,
    sweep: suite.sweep,
    pythonBin,
    experiments: suite.experiments.map((experiment) => ({
      name: experiment.name,
      config: experiment.config,
      overrides: [...experiment.set, ...(plan.quick ? experiment.quick_set : [])],
      baseline_experiment: experiment.baseline_experiment,
      resolvedConfig: resolveCellConfig(firstCell(experiment.name)),
    })),
    cells: plan.cells.map((cell) => ({
      experiment: cell.experiment.name,
      arm: cell.arm.name,
      topk_mode: cell.arm.topk_mode,
      seed: cell.seed,
      dir: cell.dir,
      logPath: cell.logPath,
      failure: results.find((r) => r.cell === cell)?.error,
    })),
  };
}

export function describeSuiteOutcome(outcome: SuiteOutcome): string {
  const failed = outcome.results.filter((r) => r.status === 'failed' || r.status === 'interrupted');
  const ran = outcome.results.filter((r) => r.status !== 'skipped').length;
  return `Suite ${outcome.plan.suite.name}: ${ran} cells run in this call, ${failed.length} failed. Report: ${outcome.report.files.join(', ')}`;
}
