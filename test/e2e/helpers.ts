// Shared by the end-to-end tests: the real CLI on a short mixture-of-
// Gaussians config, and readers for what it leaves behind.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa, type Options } from 'execa';
import { readCsv } from '../../ts/report/csv-file.js';

export const cli = join(process.cwd(), 'bin', 'topk-gan.js');

// 600 steps of 10 per epoch, a checkpoint every epoch: long enough to be
// interrupted part way, short enough for CI.
export const resumableRun = [
  '--set', 'train.iterations=600',
  '--set', 'train.batch_size=64',
  '--set', 'data.epoch_samples=640',
  '--set', 'model.hidden=32',
  '--set', 'topk.gamma=0.95',
  '--set', 'eval.every_epochs=15',
  '--set', 'eval.num_samples=1000',
  '--set', 'checkpoint.every_epochs=1',
  '--set', 'checkpoint.keep=3',
  '--device', 'cpu',
];

export function runCli(args: string[], options: Options = {}) {
  return execa('node', [cli, ...args], { reject: false, all: true, ...options });
}

export function readRunJson(runDir: string) {
  return JSON.parse(readFileSync(join(runDir, 'run.json'), 'utf8'));
}

// The numbers of a run folder without its timing columns.
export function readResults(runDir: string) {
  const summary = readCsv(join(runDir, 'summary.csv')).map(({ wall_s: _w, ...rest }) => rest);
  const metrics = readCsv(join(runDir, 'metrics.csv')).map(({ chunk_seconds: _s, ...rest }) => rest);
  const modeCounts = readCsv(join(runDir, 'mode_counts.csv'));
  return { summary, metrics, modeCounts };
}
