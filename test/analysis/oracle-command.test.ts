// `topk-gan oracle` through the real CLI on a tiny mixture-of-Gaussians run
// (60 steps, seconds of training), and the errors of bad inputs.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import type { OracleAnalysis } from '../../ts/analysis/oracle-direction.js';
import { readCsv } from '../../ts/report/csv-file.js';
import { getKForEpoch } from '../../ts/topk/schedule.js';
import { runCli } from '../e2e/helpers.js';

jest.setTimeout(300_000);

const scratch = mkdtempSync(join(tmpdir(), 'topk-oracle-'));
const runDir = join(scratch, 'run');
const tinyRun = [
  '--set', 'train.iterations=60',
  '--set', 'train.batch_size=64',
  '--set', 'data.epoch_samples=640',
  '--set', 'model.hidden=32',
  '--set', 'eval.every_epochs=3',
  '--set', 'eval.num_samples=500',
  '--device', 'cpu',
];

let oracle: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  const run = await runCli(['run', 'configs/mog-grid25.yaml', '--out', runDir, ...tinyRun]);
  if (run.exitCode !== 0) throw new Error(`the tiny run failed:\n${run.all}`);
  oracle = await runCli(['oracle', runDir, '--analysis-seeds', '0,1']);
});

function readAnalyses(dir: string): OracleAnalysis[] {
  return JSON.parse(readFileSync(join(dir, 'oracle.json'), 'utf8')).analyses;
}

describe('topk-gan oracle on a finished run', () => {
  test('when it ends then it prints a row per arm, batch seed and selection', () => {
    expect(oracle.exitCode).toBe(0);
    const lines = String(oracle.stdout).trim().split('\n');
    expect(lines[0]).toBe('| arm | seed | step | batch seed | kept | selection | cosines | mean cos | sd | share < 0 | mean displacement |');
    expect(lines.slice(2).map((line) => line.split(' | ').slice(0, 6).join(' | '))).toEqual([
      '| baseline | 0 | 60 | 0 | 60 | top',
      '| baseline | 0 | 60 | 0 | 60 | bottom',
      '| baseline | 0 | 60 | 1 | 60 | top',
      '| baseline | 0 | 60 | 1 | 60 | bottom',
      '| topk | 0 | 60 | 0 | 60 | top',
      '| topk | 0 | 60 | 0 | 60 | bottom',
      '| topk | 0 | 60 | 1 | 60 | top',
      '| topk | 0 | 60 | 1 | 60 | bottom',
    ]);
  });

  test('when k is not given then it is the schedule\'s k at the last step', () => {
    // step 60 of 10 per epoch: the last step is in epoch index 5
    const expected = getKForEpoch(5, 64, 0.99, 0.75);
    for (const analysis of readAnalyses(runDir)) {
      expect(analysis.result.k).toBe(expected);
      expect(analysis.result.step).toBe(60);
    }
  });

  test('when oracle.json is read then cosines are in [-1, 1] and the counts add up to the batch', () => {
    const analyses = readAnalyses(runDir);
    expect(analyses.map((a) => [a.arm, a.seed, a.analysis_seed])).toEqual([
      ['baseline', 0, 0], ['baseline', 0, 1], ['topk', 0, 0], ['topk', 0, 1],
    ]);
    for (const { result } of analyses) {
      expect(Object.keys(result.arms)).toEqual(['top', 'bottom']);
      for (const outcome of Object.values(result.arms)) {
        expect(outcome.kept).toBe(result.k);
        for (const group of [outcome.all, outcome.used]) {
          const excluded = group.excluded_on_centre + group.excluded_zero_displacement;
          expect(group.count + excluded).toBe(group.samples);
          expect(group.histogram.reduce((sum, n) => sum + n, 0)).toBe(group.count);
          for (const value of [group.mean, group.median]) {
            expect(value).toBeGreaterThanOrEqual(-1);
            expect(value).toBeLessThanOrEqual(1);
          }
          expect((group.negative_fraction as number) + (group.positive_fraction as number)).toBeLessThanOrEqual(1);
          expect(group.mean_displacement_norm).toBeGreaterThan(0);
        }
        expect(outcome.all.samples).toBe(64);
        expect(outcome.used.samples).toBe(result.k);
      }
    }
  });

  test('when oracle.csv is read then each row\'s bins add up to its cosines', () => {
    const rows = readCsv(join(runDir, 'oracle.csv'));
    expect(rows).toHaveLength(4 * 2 * 2);
    expect(rows.filter((r) => r.samples === 'all').every((r) => r.n === '64')).toBe(true);
    for (const row of rows) {
      const bins = Object.entries(row).filter(([column]) => column.startsWith('cos_'));
      expect(bins).toHaveLength(20);
      expect(bins.reduce((sum, [, count]) => sum + Number(count), 0)).toBe(Number(row.n_cosines));
      expect(Math.abs(Number(row.mean_cosine))).toBeLessThanOrEqual(1);
    }
  });

  test('when one arm, seed and --out are given then only that analysis is written there', async () => {
    const out = join(scratch, 'elsewhere');
    const result = await runCli(['oracle', runDir, '--arm', 'topk', '--seed', '0', '--k', '8', '--selections', 'bottom,all', '--optimiser', 'sgd', '--out', out]);
    expect(result.exitCode).toBe(0);
    const [analysis, ...rest] = readAnalyses(out);
    expect(rest).toEqual([]);
    expect(analysis).toMatchObject({ arm: 'topk', seed: 0, analysis_seed: 0 });
    expect(analysis!.result).toMatchObject({ k: 8, optimiser: 'sgd' });
    expect(analysis!.result.arms.bottom!.kept).toBe(8);
    expect(analysis!.result.arms.all!.kept).toBe(64);
  });
});

describe('topk-gan oracle with bad inputs', () => {
  test('when the folder does not exist then one line names it', async () => {
    const missing = join(scratch, 'no-such-run');
    const result = await runCli(['oracle', missing]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(`topk-gan: ${missing}: no such run folder`);
  });

  test('when the run has no checkpoint then one line names the arm, seed and folder', async () => {
    const copy = join(scratch, 'no-checkpoints');
    cpSync(runDir, copy, { recursive: true });
    rmSync(join(copy, 'checkpoints', 'baseline-seed0'), { recursive: true });
    rmSync(join(copy, 'oracle.json'));
    const result = await runCli(['oracle', copy]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `topk-gan: ${copy}: no intact checkpoint of arm baseline seed 0 in ${copy}/checkpoints/baseline-seed0 (none written)`,
    );
    expect(existsSync(join(copy, 'oracle.json'))).toBe(false);
  });

  test('when the only checkpoint is corrupt then it is not used', async () => {
    const copy = join(scratch, 'corrupt');
    cpSync(runDir, copy, { recursive: true });
    const directory = join(copy, 'checkpoints', 'topk-seed0');
    const file = join(directory, 'step-00000060.pt');
    writeFileSync(file, Buffer.alloc(readFileSync(file).length));
    const result = await runCli(['oracle', copy, '--arm', 'topk']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^topk-gan: ${copy}: no intact checkpoint of arm topk seed 0 in ${directory} \\(\\d+ written, none with a manifest whose size and sha256 match\\)$`),
    );
  });

  test('when the run is not a mixture of Gaussians then one line says so', async () => {
    const copy = join(scratch, 'image-run');
    cpSync(runDir, copy, { recursive: true });
    const config = JSON.parse(readFileSync(join(copy, 'config.json'), 'utf8'));
    writeFileSync(join(copy, 'config.json'), JSON.stringify({ ...config, data: { kind: 'mnist' } }));
    const result = await runCli(['oracle', copy]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toBe(
      `topk-gan: ${copy}: data.kind is "mnist"; the oracle-direction analysis needs a mixture-of-Gaussians run (data.kind "mog")`,
    );
  });

  test('when an arm or k does not fit the run then one line names the flag', async () => {
    const arm = await runCli(['oracle', runDir, '--arm', 'worst']);
    expect(arm.stderr).toBe(`topk-gan: --arm worst: not an arm of ${runDir}; expected one of baseline, topk`);
    const k = await runCli(['oracle', runDir, '--k', '65']);
    expect(k.stderr).toBe('topk-gan: --k 65: expected at most the analysis batch size 64');
    expect([arm.exitCode, k.exitCode]).toEqual([1, 1]);
  });
});
