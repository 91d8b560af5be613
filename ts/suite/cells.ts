// A suite expanded into cells: one experiment, one arm, one seed each, every
// one an ordinary run folder made by its own `topk-gan run` process.
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../cli/errors.js';
import { loadConfig } from '../config/load.js';
import type { ArmConfig, ExperimentConfig } from '../config/schema.js';
import type { Suite, SuiteExperiment } from './schema.js';

export interface SuiteCell {
  id: string;
  experiment: SuiteExperiment;
  arm: ArmConfig;
  seed: number;
  dir: string;
  logPath: string;
  configPath: string;
  overrides: string[];
  device?: string;
}

export interface SuitePlan {
  suite: Suite;
  suiteFile: string;
  outDir: string;
  quick: boolean;
  seeds: number[];
  cells: SuiteCell[];
}

export interface PlanOptions {
  outDir?: string;
  quick?: boolean;
  device?: string;
}

export function planSuite(suite: Suite, suiteFile: string, options: PlanOptions = {}): SuitePlan {
  const quick = options.quick ?? false;
  const outDir = options.outDir ?? getDefaultSuiteDir(suite.name, quick);
  const seeds = quick && suite.quick_seeds ? suite.quick_seeds : suite.seeds;
  const cells = suite.experiments.flatMap((experiment) =>
    suite.arms.flatMap((arm) =>
      seeds.map((seed) => createCell({ experiment, arm, seed, suiteFile, outDir, quick, device: options.device })),
    ),
  );
  return { suite, suiteFile, outDir, quick, seeds, cells };
}

// Quick runs get their own folder, so they never meet full-size cells.
export function getDefaultSuiteDir(name: string, quick: boolean): string {
  return join('runs', 'suites', quick ? `${name}-quick` : name);
}

interface CellSpec {
  experiment: SuiteExperiment;
  arm: ArmConfig;
  seed: number;
  suiteFile: string;
  outDir: string;
  quick: boolean;
  device?: string;
}

function createCell(spec: CellSpec): SuiteCell {
  const { experiment, arm, seed, outDir } = spec;
  const folder = join(outDir, experiment.name);
  return {
    id: `${experiment.name}/${arm.name}-seed${seed}`,
    experiment,
    arm,
    seed,
    dir: join(folder, `${arm.name}-seed${seed}`),
    logPath: join(folder, `${arm.name}-seed${seed}.log`),
    configPath: resolve(dirname(spec.suiteFile), experiment.config),
    overrides: [
      `experiment=${experiment.name}`,
      ...experiment.set,
      ...(spec.quick ? experiment.quick_set : []),
      `arms=${JSON.stringify([arm])}`,
    ],
    device: spec.device,
  };
}

// The arguments of the CLI process that runs (or resumes) one cell.
export function getCellArgs(cell: SuiteCell, action: 'run' | 'resume'): string[] {
  if (action === 'resume') return ['resume', cell.dir];
  const device = cell.device ? ['--device', cell.device] : [];
  const sets = cell.overrides.flatMap((assignment) => ['--set', assignment]);
  return ['run', cell.configPath, '--out', cell.dir, ...sets, '--seeds', String(cell.seed), ...device];
}

// The config the cell's process will write to config.json; a bad override
// fails here, before any process starts.
export function resolveCellConfig(cell: SuiteCell): ExperimentConfig {
  try {
    return loadConfig(cell.configPath, { set: cell.overrides, seeds: [cell.seed], device: cell.device });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new ConfigError(`${error.source} (suite experiment ${cell.experiment.name})`, error.problems);
  }
}
