// End to end through the real CLI and real PyTorch: a short mixture-of-
// Gaussians experiment, run twice to check that a seed reproduces exactly.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { execa } from 'execa';
import { readCsv } from '../../ts/report/csv-file.js';
import { getKForEpoch } from '../../ts/topk/schedule.js';

jest.setTimeout(300_000);

const cli = join(process.cwd(), 'bin', 'topk-gan.js');
const shortRun = [
  '--set', 'train.iterations=120',
  '--set', 'train.batch_size=64',
  '--set', 'data.epoch_samples=1280',
  '--set', 'model.hidden=64',
  '--set', 'topk.gamma=0.9',
  '--set', 'topk.nu=0.5',
  '--set', 'eval.every_epochs=2',
  '--set', 'eval.num_samples=2000',
  '--set', 'arms=[{name: baseline, topk_mode: none}, {name: topk, topk_mode: top}, {name: worst, topk_mode: bottom}]',
  '--device', 'cpu',
];

function runCli(args: string[]) {
  return execa('node', [cli, ...args], { reject: false, all: true });
}

function isPng(path: string): boolean {
  const bytes = readFileSync(path);
  return bytes.length > 1000 && bytes.subarray(1, 4).toString('ascii') === 'PNG';
}

describe('topk-gan run on the mixture of Gaussians', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'topk-e2e-'));
  const firstRun = join(scratch, 'first');
  const secondRun = join(scratch, 'second');
  let firstOutput = '';

  beforeAll(async () => {
    const first = await runCli(['run', 'configs/mog-grid25.yaml', '--out', firstRun, ...shortRun]);
    firstOutput = first.all ?? '';
    if (first.exitCode !== 0) throw new Error(`first run failed:\n${firstOutput}`);
  });

  test('when the run ends then run.json says completed with versions and device', () => {
    const run = JSON.parse(readFileSync(join(firstRun, 'run.json'), 'utf8'));
    expect(run.status).toBe('completed');
    expect(run.device).toBe('cpu');
    expect(run.versions.torch).toMatch(/^\d+\.\d+/);
    expect(run.versions.python).toMatch(/^3\.\d+/);
    expect(run.versions.node).toBe(process.version);
    expect(Object.keys(run.timings)).toEqual(['baseline/seed0', 'topk/seed0', 'worst/seed0']);
  });

  test('when the run ends then config.json holds the resolved config', () => {
    const config = JSON.parse(readFileSync(join(firstRun, 'config.json'), 'utf8'));
    expect(config.train).toMatchObject({ iterations: 120, batch_size: 64, lr_g: 1e-4 });
    expect(config.data).toMatchObject({ kind: 'mog', modes: 25, epoch_samples: 1280 });
  });

  test('when metrics are written then there is a row per epoch and arm with k on schedule', () => {
    const rows = readCsv(join(firstRun, 'metrics.csv'));
    expect(rows).toHaveLength(3 * 6);
    for (const row of rows) {
      const epoch = Number(row.epoch);
      const expectedK = row.arm === 'baseline' ? 64 : getKForEpoch(epoch - 1, 64, 0.9, 0.5);
      expect(Number(row.k)).toBe(expectedK);
      expect(Number(row.step)).toBe(epoch * 20);
      for (const column of ['loss_d', 'loss_g']) expect(Number.isFinite(Number(row[column]))).toBe(true);
      for (const column of ['d_real', 'd_fake']) {
        expect(Number(row[column])).toBeGreaterThan(0);
        expect(Number(row[column])).toBeLessThan(1);
      }
      const evaluated = epoch % 2 === 0;
      expect(row.modes_recovered !== '').toBe(evaluated);
    }
    expect(rows.filter((r) => r.arm === 'topk').map((r) => Number(r.k))).toEqual([64, 57, 51, 46, 41, 37]);
  });

  test('when the summary is written then each arm has one row with values in range', () => {
    const rows = readCsv(join(firstRun, 'summary.csv'));
    expect(rows.map((r) => [r.arm, r.topk_mode, r.status])).toEqual([
      ['baseline', 'none', 'completed'],
      ['topk', 'top', 'completed'],
      ['worst', 'bottom', 'completed'],
    ]);
    for (const row of rows) {
      expect(row.experiment).toBe('mog-grid25');
      expect(Number(row.steps)).toBe(120);
      expect(Number(row.modes_total)).toBe(25);
      expect(Number(row.modes_recovered)).toBeGreaterThanOrEqual(0);
      expect(Number(row.modes_recovered)).toBeLessThanOrEqual(25);
      expect(Number(row.high_quality_pct)).toBeGreaterThanOrEqual(0);
      expect(Number(row.high_quality_pct)).toBeLessThanOrEqual(100);
      expect(Number(row.threshold_std)).toBe(4);
      expect(Number(row.wall_s)).toBeGreaterThan(0);
    }
    expect(rows.map((r) => Number(r.k_final))).toEqual([64, 37, 37]);
  });

  test('when the run ends then the mode counts add up to the high-quality share', () => {
    const summary = readCsv(join(firstRun, 'summary.csv'));
    const counts = readCsv(join(firstRun, 'mode_counts.csv')).filter((r) => r.step === '120');
    for (const row of summary) {
      const total = counts.filter((c) => c.arm === row.arm).reduce((sum, c) => sum + Number(c.count), 0);
      expect((100 * total) / 2000).toBeCloseTo(Number(row.high_quality_pct), 6);
    }
  });

  test('when the run ends then the plots are PNG images and the Python log has content', () => {
    for (const name of ['samples-baseline-seed0.png', 'samples-topk-seed0.png', 'losses.png', 'k.png']) {
      expect(isPng(join(firstRun, 'plots', name))).toBe(true);
    }
    expect(readFileSync(join(firstRun, 'python.log'), 'utf8').length).toBeGreaterThan(0);
    expect(firstOutput).toContain('mog-grid25/topk seed=0 step 120/120 epoch 6 k=37');
  });

  test('when the same seed runs again on CPU then summary.csv has the same numbers', async () => {
    const second = await runCli(['run', 'configs/mog-grid25.yaml', '--out', secondRun, ...shortRun]);
    expect(second.exitCode).toBe(0);
    const withoutTiming = (dir: string) =>
      readCsv(join(dir, 'summary.csv')).map(({ wall_s: _wall, ...rest }) => rest);
    expect(withoutTiming(secondRun)).toEqual(withoutTiming(firstRun));
    const metrics = (dir: string) => readCsv(join(dir, 'metrics.csv')).map(({ chunk_seconds: _s, ...rest }) => rest);
    expect(metrics(secondRun)).toEqual(metrics(firstRun));
  });

  test('when report reads the run then it writes a table per arm', async () => {
    const report = await runCli(['report', firstRun]);
    expect(report.exitCode).toBe(0);
    // one seed: a mean with no interval, and pairs with no test
    expect(report.stdout).toMatch(/\| mog-grid25 \| topk \| 1 \(top\) \| 25 \| \d+\.00 \[n\/a\] \|/);
    expect(report.stdout).toMatch(/\| mog-grid25 \| worst \| baseline \| modes recovered \| 1 \| [+-]?\d+\.00 \[n\/a\] \| n\/a \|/);
    const rows = readCsv(join(firstRun, 'report.csv'));
    expect(rows.map((r) => r.arm)).toEqual(['baseline', 'topk', 'worst']);
    expect(rows[0]).toMatchObject({ modes_recovered_n: '1', modes_recovered_ci95_low: '', n_failed: '0', n_diverged: '0' });
  });
});

describe('topk-gan run with a bad config', () => {
  test('when the config is invalid then nothing starts and no run folder is made', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'topk-bad-')), 'run');
    const result = await runCli(['run', 'configs/mog-grid25.yaml', '--out', out, '--set', 'topk.gamma=0']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe(
      'topk-gan: Invalid config configs/mog-grid25.yaml:\n  topk.gamma: expected a number in (0, 1], got 0',
    );
    expect(existsSync(out)).toBe(false);
  });

  test('when the run folder is not empty then the run is refused', async () => {
    const out = mkdtempSync(join(tmpdir(), 'topk-full-'));
    await execa('touch', [join(out, 'keep.txt')]);
    const result = await runCli(['run', 'configs/mog-grid25.yaml', '--out', out]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`Run folder ${out} already exists and is not empty`);
  });

  test('when a command is unknown then the exit code is non-zero', async () => {
    const result = await runCli(['train', 'x']);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain("unknown command 'train'");
  });
});
