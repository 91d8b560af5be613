// One cell in its own CLI process, its output appended to the cell's log
// file so a suite of many cells never holds their output in memory.
import { closeSync, createWriteStream, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { packageRoot } from '../paths.js';
import { getCellArgs, type SuiteCell } from './cells.js';
import type { CellAction } from './cell-state.js';

export type CellStatus = 'completed' | 'skipped' | 'failed' | 'interrupted';

export interface CellResult {
  cell: SuiteCell;
  action: CellAction;
  status: CellStatus;
  exitCode: number | null;
  seconds: number;
  error?: string;
}

export interface RunningCell {
  cell: SuiteCell;
  child: ResultPromise;
  logOffset: number;
}

const cliPath = join(packageRoot, 'bin', 'topk-gan.js');

export async function runCell(cell: SuiteCell, action: CellAction, onStart: (running: RunningCell) => void): Promise<CellResult> {
  const started = Date.now();
  if (action === 'restart') rmSync(cell.dir, { recursive: true, force: true });
  mkdirSync(dirname(cell.dir), { recursive: true });
  const args = getCellArgs(cell, action === 'resume' ? 'resume' : 'run');
  const logOffset = existsSync(cell.logPath) ? statSync(cell.logPath).size : 0;
  const log = openSync(cell.logPath, 'a');
  writeSync(log, `== ${new Date().toISOString()} ${action}: topk-gan ${args.join(' ')}\n`);
  try {
    // a stream over an open file descriptor is handed to the child as is
    const output = createWriteStream('', { fd: log, autoClose: false });
    const child = execa(process.execPath, [cliPath, ...args], { stdin: 'ignore', stdout: output, stderr: output, reject: false });
    onStart({ cell, child, logOffset });
    const result = await child;
    const seconds = (Date.now() - started) / 1000;
    const exitCode = result.exitCode ?? null;
    if (exitCode === 0) return { cell, action, status: 'completed', exitCode, seconds };
    const status = exitCode === 130 || exitCode === 143 ? 'interrupted' : 'failed';
    const error = findErrorLine(readLogSince(cell.logPath, logOffset)) ?? `exited with ${exitCode ?? result.signal}`;
    return { cell, action, status, exitCode, seconds, error };
  } finally {
    closeSync(log);
  }
}

export function readLogSince(path: string, offset: number): string {
  if (!existsSync(path)) return '';
  return readFileSync(path).subarray(offset).toString('utf8');
}

// The CLI prints one `topk-gan: ...` line for an error the user can act on.
function findErrorLine(text: string): string | undefined {
  const lines = text.split('\n').filter((line) => line.startsWith('topk-gan: '));
  return lines.at(-1)?.slice('topk-gan: '.length);
}
