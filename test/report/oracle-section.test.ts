// The suite's oracle-direction aggregation against numbers worked out by
// hand: per-seed mean cosines of top and bottom, over seeds and paired.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OracleGroup, OracleResult } from '../../ts/analysis/oracle-direction.js';
import { renderMarkdown } from '../../ts/report/document.js';
import {
  aggregateOracle,
  analyseSuiteOracle,
  buildOracleBlocks,
  describeOracleComparison,
  type OracleSeedResult,
} from '../../ts/report/oracle-section.js';

const t975df2 = 4.30265273;

function group(mean: number | null, histogram: number[], negative: number | null = 0.5): OracleGroup {
  const count = histogram.reduce((sum, n) => sum + n, 0);
  return {
    samples: 4,
    count,
    excluded_on_centre: 4 - count,
    excluded_zero_displacement: 0,
    mean,
    median: mean,
    std: mean === null ? null : 0.5,
    positive_fraction: negative === null ? null : 1 - negative,
    negative_fraction: negative,
    mean_displacement_norm: 0.01,
    histogram,
  };
}

// One seed of one experiment: top and bottom mean cosines over all samples.
function seedResult(experiment: string, seed: number, top: number | null, bottom: number | null): OracleSeedResult {
  const result: OracleResult = {
    step: 100,
    seed: 0,
    batch_size: 4,
    k: 3,
    optimiser: 'adam',
    lr: 1e-4,
    betas: [0.5, 0.999],
    loss: 'bce',
    modes_total: 25,
    histogram_edges: [-1, 0, 1],
    arms: {
      top: { kept: 3, loss_g: 0.7, used: group(top, [1, 2]), all: group(top, top === null ? [0, 0] : [1, 3], 0.25) },
      bottom: { kept: 3, loss_g: 0.7, used: group(bottom, [2, 1]), all: group(bottom, bottom === null ? [0, 0] : [3, 1], 0.75) },
    },
  };
  return { experiment, arm: 'baseline', topk_mode: 'none', seed, analysis_seed: 0, checkpoint: `step-${seed}.pt`, result };
}

const seedResults = [
  seedResult('g25', 2, 0.3, 0.0),
  seedResult('g25', 0, 0.2, 0.1),
  seedResult('g25', 1, 0.4, -0.1),
  // no defined cosine for bottom: this seed is out of bottom and the pairs
  seedResult('g25', 3, 0.3, null),
  seedResult('g64', 0, 0.5, 0.25),
];

describe('oracle-direction aggregation over seeds', () => {
  const [g25, g64] = aggregateOracle(seedResults);

  test('when top has 0.2, 0.4, 0.3, 0.3 then mean 0.3 and CI from t(3)', () => {
    const top = g25!.selections[0]!;
    expect(top.selection).toBe('top');
    expect(top.mean_cosine.n).toBe(4);
    expect(top.mean_cosine.mean).toBeCloseTo(0.3, 12);
    // sd of 0.2, 0.4, 0.3, 0.3: sqrt(0.02 / 3)
    expect(top.mean_cosine.sd).toBeCloseTo(Math.sqrt(0.02 / 3), 12);
    expect(top.negative_fraction).toMatchObject({ mean: 0.25, sd: 0, n: 4 });
    expect(top.histogram).toEqual([4, 12]);
  });

  test('when a seed has no defined cosine then it is left out of that selection', () => {
    const bottom = g25!.selections[1]!;
    expect(bottom.mean_cosine.n).toBe(3);
    expect(bottom.mean_cosine.mean).toBeCloseTo(0, 12);
    expect(bottom.mean_cosine.ci_high).toBeCloseTo((t975df2 * 0.1) / Math.sqrt(3), 6);
    expect(bottom.histogram).toEqual([9, 3]);
    expect(g25!.seeds).toEqual([0, 1, 2, 3]);
  });

  test('when top - bottom is 0.1, 0.5, 0.3 then mean 0.3, sd 0.2 and p = 1 - t / sqrt(2 + t^2)', () => {
    const { paired } = g25!;
    const t = 0.3 / (0.2 / Math.sqrt(3));
    expect(paired.n).toBe(3);
    expect(paired.mean).toBeCloseTo(0.3, 12);
    expect(paired.low).toBeCloseTo(0.3 - (t975df2 * 0.2) / Math.sqrt(3), 6);
    expect(paired.high).toBeCloseTo(0.3 + (t975df2 * 0.2) / Math.sqrt(3), 6);
    // two-sided p of Student t with 2 degrees of freedom, in closed form
    expect(paired.p_value).toBeCloseTo(1 - t / Math.sqrt(2 + t * t), 8);
  });

  test('when the verdict is written then it states both means, the difference, its CI and p', () => {
    expect(describeOracleComparison(g25!)).toBe(
      '**g25**: mean cosine 0.300 (95% CI 0.170 to 0.430, n = 4) after a top-k step and 0.000 (95% CI -0.248 to 0.248, n = 3) after a bottom-k step; top - bottom +0.300 (95% CI -0.197 to 0.797, paired t-test p = 0.12, n = 3): not distinguishable from no difference at this sample size.',
    );
  });

  test('when an experiment has one seed then there is a mean and no interval or test', () => {
    expect(g64!.paired).toMatchObject({ n: 1, low: null, high: null, p_value: null });
    expect(g64!.paired.mean).toBeCloseTo(0.25, 12);
    expect(describeOracleComparison(g64!)).toBe(
      '**g64**: mean cosine 0.500 (n = 1) after a top-k step and 0.250 (n = 1) after a bottom-k step; top - bottom +0.250 from a single seed (n = 1): no interval or test is possible.',
    );
  });
});

describe('oracle-direction section of a suite report', () => {
  test('when no baseline cell has a checkpoint then the section says it was skipped and why', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'topk-oracle-section-'));
    const cellDir = (arm: string, seed: number) => join(outDir, 'g25', `${arm}-seed${seed}`);
    for (const seed of [0, 1]) mkdirSync(cellDir('baseline', seed), { recursive: true });
    writeFileSync(join(cellDir('baseline', 0), 'config.json'), '{}');
    const oracle = await analyseSuiteOracle({
      outDir,
      experiments: [
        { name: 'g25', resolvedConfig: { data: { kind: 'mog' } } },
        { name: 'mnist', resolvedConfig: { data: { kind: 'mnist' } } },
      ],
      cells: [
        { experiment: 'g25', arm: 'baseline', topk_mode: 'none', seed: 0, dir: cellDir('baseline', 0), status: 'completed' },
        { experiment: 'g25', arm: 'baseline', topk_mode: 'none', seed: 1, dir: cellDir('baseline', 1), status: 'failed' },
        { experiment: 'g25', arm: 'top', topk_mode: 'top', seed: 0, dir: cellDir('top', 0), status: 'completed' },
      ],
      pythonBin: '/nonexistent/python',
    });
    expect(oracle.summaries).toEqual([]);
    expect(renderMarkdown(buildOracleBlocks(oracle, [], outDir))).toBe(
      [
        '## Oracle direction',
        '',
        'Skipped: no completed baseline cell with an intact checkpoint to analyse.',
        '',
        'Left out of the analysis:',
        '',
        '- `g25/baseline-seed0`: no intact checkpoint; left out.',
        '- `g25/baseline-seed1`: failed, so it has no final checkpoint; left out.',
        '- mnist: not a mixture of Gaussians (data.kind mnist); the analysis needs one.',
        '',
      ].join('\n'),
    );
  });
});
