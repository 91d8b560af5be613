// The run folder is the contract other commands and people rely on; every
// JSON file in it is replaced atomically so a reader never sees half of one.
import {
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { UserError } from '../cli/errors.js';

export const runFiles = {
  config: 'config.json',
  run: 'run.json',
  metrics: 'metrics.csv',
  summary: 'summary.csv',
  modeCounts: 'mode_counts.csv',
  pythonLog: 'python.log',
  plots: 'plots',
} as const;

export function checkRunFolderIsFree(runDir: string): void {
  if (existsSync(runDir) && readdirSync(runDir).length > 0) {
    throw new UserError(
      `Run folder ${runDir} already exists and is not empty; choose another --out or remove it.`,
    );
  }
}

export function createRunFolder(runDir: string): void {
  checkRunFolderIsFree(runDir);
  mkdirSync(join(runDir, runFiles.plots), { recursive: true });
}

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, path);
}

export function getDefaultRunDir(experiment: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:]/g, '').replace(/\..*$/, '');
  return join('runs', `${experiment}-${stamp}`);
}
