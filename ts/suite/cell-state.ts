// What a re-run does with a cell folder it finds: completed cells are kept,
// interrupted ones resumed, folders without a config started again.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../cli/errors.js';
import { diffConfigs, hashConfig } from '../config/compare.js';
import type { ExperimentConfig } from '../config/schema.js';
import { runFiles } from '../run/run-folder.js';
import { resolveCellConfig, type SuiteCell } from './cells.js';

export type CellAction = 'skip' | 'resume' | 'start' | 'restart';

export function decideCellAction(dir: string): CellAction {
  if (!existsSync(dir)) return 'start';
  const runJsonPath = join(dir, runFiles.run);
  // a folder stopped before its run.json holds no training worth keeping
  if (!existsSync(join(dir, runFiles.config)) || !existsSync(runJsonPath)) return 'restart';
  return readRunStatus(dir) === 'completed' ? 'skip' : 'resume';
}

export function readRunStatus(dir: string): string {
  const record = readRunRecord(dir);
  return typeof record?.status === 'string' ? record.status : 'missing';
}

export function readRunRecord(dir: string): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(join(dir, runFiles.run), 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

// Every cell folder that exists must have been made under the config the
// suite would use now; otherwise numbers of two settings would be mixed.
export function checkCellConfigs(cells: SuiteCell[]): void {
  const problems = cells.flatMap((cell) => findConfigChange(cell));
  if (problems.length === 0) return;
  throw new UserError(
    [`Some cell folders were made under a different config; use another --out or remove them:`, ...problems.map((p) => `  ${p}`)].join('\n'),
  );
}

function findConfigChange(cell: SuiteCell): string[] {
  const expected = resolveCellConfig(cell);
  const path = join(cell.dir, runFiles.config);
  if (!existsSync(path)) return [];
  let found: ExperimentConfig;
  try {
    found = JSON.parse(readFileSync(path, 'utf8')) as ExperimentConfig;
  } catch {
    return [`${path}: not valid JSON`];
  }
  if (hashConfig(found) === hashConfig(expected)) return [];
  return [`${cell.dir}: ${diffConfigs(found, expected).join('; ')} (folder -> suite)`];
}
