// The suite's statistics from cell folders, against numbers worked out by
// hand: three seeds per arm, one failed cell, an arm with n = 1.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { aggregateSummaries, compareWithBaselines, type GroupStatistics, type PairedDifference } from '../../ts/report/aggregate.js';
import { buildSuiteCsvRows, readCellRow, type SuiteReportCell } from '../../ts/report/suite-report.js';
import { buildGroupTable, buildPairedTable } from '../../ts/report/tables.js';
import { describeArm, describeComparison } from '../../ts/report/verdict.js';

const t975df1 = 12.706204736;
const t975df2 = 4.302652730;

// [arm, topk_mode, seed, status, modes_recovered, high_quality_pct]; a null
// status means the cell's process failed before writing summary.csv.
const cellTable: [string, string, number, string | null, string, string][] = [
  ['baseline', 'none', 0, 'completed', '10', '60'],
  ['baseline', 'none', 1, 'completed', '12', '70'],
  ['baseline', 'none', 2, 'completed', '14', '80'],
  ['top', 'top', 0, 'completed', '12', '65'],
  ['top', 'top', 1, null, '', ''],
  ['top', 'top', 2, 'completed', '17', '90'],
  ['random', 'random', 0, 'completed', '11', '50'],
  ['random', 'random', 1, 'diverged', '', ''],
  ['random', 'random', 2, 'diverged', '', ''],
];

function buildCells(): SuiteReportCell[] {
  const root = mkdtempSync(join(tmpdir(), 'topk-suite-table-'));
  return cellTable.map(([arm, topkMode, seed, status, modes, hq]) => {
    const dir = join(root, 'mog-grid25', `${arm}-seed${seed}`);
    mkdirSync(dir, { recursive: true });
    if (status === null) {
      writeFileSync(join(dir, 'run.json'), JSON.stringify({ status: 'failed', reason: 'Python raised RuntimeError: injected' }));
    } else {
      const summary = { experiment: 'mog-grid25', arm, seed, topk_mode: topkMode, modes_total: 25, modes_recovered: modes, high_quality_pct: hq, mode_evenness: '', status };
      writeFileSync(join(dir, 'summary.csv'), stringify([summary], { header: true }));
      writeFileSync(join(dir, 'run.json'), JSON.stringify({ status: 'completed' }));
    }
    return { experiment: 'mog-grid25', arm, topk_mode: topkMode, seed, dir, logPath: `${dir}.log` };
  });
}

let groups: GroupStatistics[];
let comparisons: PairedDifference[];

beforeAll(() => {
  const rows = buildCells().map(readCellRow);
  groups = aggregateSummaries(rows);
  comparisons = compareWithBaselines(groups, ['modes_recovered', 'high_quality_pct']);
});

const group = (arm: string) => groups.find((g) => g.arm === arm) as GroupStatistics;
const paired = (arm: string, metric: string) => comparisons.find((c) => c.arm === arm && c.metric === metric) as PairedDifference;

describe('suite statistics per arm', () => {
  test('when the baseline has 10, 12, 14 then mean 12, sd 2 and CI 12 +- t(2) * 2 / sqrt 3', () => {
    const stats = group('baseline').metrics.modes_recovered;
    const half = (t975df2 * 2) / Math.sqrt(3);
    expect(stats).toMatchObject({ mean: 12, sd: 2, n: 3 });
    expect(stats?.ci_low).toBeCloseTo(12 - half, 6);
    expect(stats?.ci_high).toBeCloseTo(12 + half, 6);
  });

  test('when a cell failed without a summary then it is counted as failed and left out of the mean', () => {
    expect(group('top')).toMatchObject({ n_cells: 3, n_completed: 2, n_failed: 1, n_diverged: 0 });
    const stats = group('top').metrics.modes_recovered;
    // 12 and 17: mean 14.5, sd 5 / sqrt 2, standard error 2.5
    expect(stats).toMatchObject({ mean: 14.5, n: 2 });
    expect(stats?.sd).toBeCloseTo(5 / Math.SQRT2, 12);
    expect(stats?.ci_low).toBeCloseTo(14.5 - t975df1 * 2.5, 6);
  });

  test('when only one seed completed then there is a mean and no sd or CI', () => {
    expect(group('random')).toMatchObject({ n_completed: 1, n_failed: 0, n_diverged: 2 });
    expect(group('random').metrics.modes_recovered).toEqual({ mean: 11, sd: null, n: 1, ci_low: null, ci_high: null });
  });
});

describe('paired differences against the baseline', () => {
  test.each([
    // seeds 0 and 2 pair up: differences 2, 3 and 5, 10; t = mean / 0.5 or / 2.5
    ['modes_recovered', 2.5, 0.5, 5],
    ['high_quality_pct', 7.5, 2.5, 3],
  ])('when top vs baseline on %s then mean %f, CI mean +- t(1) * %f, p from t = %f', (metric, expectedMean, standardError, t) => {
    const result = paired('top', metric);
    // df = 1 is the Cauchy distribution: two-sided p = 1 - 2 atan(|t|) / pi
    expect(result).toMatchObject({ n: 2, baseline_arm: 'baseline', test: 'paired t-test (two-sided)' });
    expect(result.mean).toBeCloseTo(expectedMean, 12);
    expect(result.ci_low).toBeCloseTo(expectedMean - t975df1 * standardError, 6);
    expect(result.ci_high).toBeCloseTo(expectedMean + t975df1 * standardError, 6);
    expect(result.p_value).toBeCloseTo(1 - (2 * Math.atan(t)) / Math.PI, 8);
  });

  test('when only one pair exists then the difference has no CI and no p', () => {
    expect(paired('random', 'modes_recovered')).toMatchObject({ n: 1, mean: 1, ci_low: null, ci_high: null, p_value: null });
  });

  test('when the baseline of a seed failed then that seed forms no pair', () => {
    const summary = (arm: string, seed: number, modes: string, status = 'completed') => ({
      experiment: 'e', arm, seed: String(seed), topk_mode: arm === 'top' ? 'top' : 'none', modes_recovered: modes, status,
    });
    const rows = [
      summary('baseline', 0, '10'), summary('baseline', 1, '', 'failed'), summary('baseline', 2, '14'),
      summary('top', 0, '13'), summary('top', 1, '99'), summary('top', 2, '15'),
    ];
    const [result] = compareWithBaselines(aggregateSummaries(rows), ['modes_recovered']);
    // pairs of seeds 0 and 2 only: differences 3 and 1
    expect(result).toMatchObject({ n: 2, mean: 2 });
  });

  test('when the arm is the baseline then it is not compared with itself', () => {
    expect(comparisons.filter((c) => c.arm === 'baseline')).toEqual([]);
  });
});

describe('suite tables and verdicts', () => {
  test('when the table is built then each arm shows K, mean [95% CI], n and failed/diverged', () => {
    expect(buildGroupTable(groups)).toEqual({
      header: ['experiment', 'arm', 'K', 'modes', 'modes recovered mean [95% CI]', 'high-quality % mean [95% CI]', 'n', 'failed/diverged'],
      rows: [
        ['mog-grid25', 'baseline', '0 (none)', '25', '12.00 [7.03, 16.97]', '70.00 [45.16, 94.84]', '3', '0/0'],
        ['mog-grid25', 'top', '1 (top)', '25', '14.50 [-17.27, 46.27]', '77.50 [-81.33, 236.33]', '2', '1/0'],
        ['mog-grid25', 'random', '1 (random)', '25', '11.00 [n/a]', '50.00 [n/a]', '1', '0/2'],
      ],
    });
  });

  test('when differences are tabled then each names the baseline, n pairs, CI and p', () => {
    expect(buildPairedTable(comparisons).rows).toEqual([
      ['mog-grid25', 'top', 'baseline', 'modes recovered', '2', '+2.50 [-3.85, 8.85]', '0.13'],
      ['mog-grid25', 'top', 'baseline', 'high-quality %', '2', '+7.50 [-24.27, 39.27]', '0.20'],
      ['mog-grid25', 'random', 'baseline', 'modes recovered', '1', '+1.00 [n/a]', 'n/a'],
      ['mog-grid25', 'random', 'baseline', 'high-quality %', '1', '-10.00 [n/a]', 'n/a'],
    ]);
  });

  test('when suite.csv rows are built then there is one per arm and metric with the paired numbers', () => {
    const rows = buildSuiteCsvRows(groups, comparisons);
    expect(rows).toHaveLength(9);
    const top = rows.find((r) => r.arm === 'top' && r.metric === 'modes_recovered');
    expect(top).toMatchObject({ n_cells: 3, n_failed: 1, n: 2, mean: 14.5, baseline: 'mog-grid25/baseline', pairs_n: 2, diff_mean: 2.5, test: 'paired t-test (two-sided)' });
    expect(top?.p_value).toBeCloseTo(1 - (2 * Math.atan(5)) / Math.PI, 8);
    expect(rows.find((r) => r.arm === 'baseline' && r.metric === 'modes_recovered')).toMatchObject({ baseline: '', p_value: null });
  });

  test('when a verdict is written then it states the difference, CI, test, p and n', () => {
    expect(describeComparison(paired('top', 'modes_recovered'))).toBe(
      'top vs baseline on mog-grid25: +2.50 modes recovered (95% CI -3.85 to 8.85, paired t-test p = 0.13, n = 2): not distinguishable from no effect at this sample size.',
    );
    expect(describeComparison(paired('random', 'modes_recovered'))).toContain('from a single seed pair (n = 1): no interval or test is possible');
    expect(describeArm(group('top'))).toBe(
      '**top** on mog-grid25: 14.50 of 25 modes recovered (95% CI -17.27 to 46.27, n = 2); 77.50% high-quality samples (95% CI -81.33 to 236.33, n = 2). 1 of 3 cells (1 failed, 0 diverged) are left out.',
    );
  });

  test('when the interval excludes zero then the verdict says higher than the baseline', () => {
    const clear: PairedDifference = { ...paired('top', 'modes_recovered'), mean: 3, ci_low: 1, ci_high: 5, p_value: 0.004 };
    expect(describeComparison(clear)).toMatch(/\+3\.00 modes recovered \(95% CI 1\.00 to 5\.00, paired t-test p = 0\.004, n = 2\): higher than baseline; the 95% CI excludes no effect\.$/);
  });
});
