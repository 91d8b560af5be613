import { aggregateSummaries, compareWithBaselines } from '../../ts/report/aggregate.js';
import { mean, sampleStandardDeviation } from '../../ts/report/statistics.js';
import { formatReportMarkdown } from '../../ts/report/tables.js';

const row = (arm: string, seed: number, modes: string, hq: string, status = 'completed') => ({
  experiment: 'mog-grid25', arm, seed: String(seed), topk_mode: arm === 'topk' ? 'top' : 'none',
  modes_total: '25', modes_recovered: modes, high_quality_pct: hq, mode_evenness: '0.9', status,
});

describe('statistics', () => {
  test('when values are 2, 4, 4, 4, 5, 5, 7, 9 then mean is 5 and sample sd is sqrt(32/7)', () => {
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    expect(mean(values)).toBe(5);
    expect(sampleStandardDeviation(values)).toBeCloseTo(Math.sqrt(32 / 7), 12);
  });

  test('when there is one value then the sd is undefined, not zero', () => {
    expect(sampleStandardDeviation([3])).toBeNull();
    expect(mean([])).toBeNull();
  });
});

describe('aggregateSummaries', () => {
  // The report now carries 95% intervals and splits "not completed" into
  // failed and diverged; the table moved from mean ± sd to mean [95% CI].
  test('when an arm has a diverged seed then it is counted and left out of the means', () => {
    const rows = [
      row('baseline', 0, '24', '70'),
      row('baseline', 1, '22', '60'),
      row('topk', 0, '25', '80'),
      row('topk', 1, '', '', 'diverged'),
    ];
    const groups = aggregateSummaries(rows);
    const topk = groups.find((g) => g.arm === 'topk');
    const baseline = groups.find((g) => g.arm === 'baseline');
    // n = 2: half width t(0.975, 1) * sd / sqrt(2) = 12.7062 * 1
    expect(baseline?.metrics.modes_recovered).toMatchObject({ mean: 23, sd: Math.SQRT2, n: 2 });
    expect(baseline?.metrics.modes_recovered?.ci_low).toBeCloseTo(23 - 12.7062047, 5);
    expect(baseline?.metrics.modes_recovered?.ci_high).toBeCloseTo(23 + 12.7062047, 5);
    expect(topk).toMatchObject({ n_cells: 2, n_completed: 1, n_not_completed: 1, n_failed: 0, n_diverged: 1 });
    expect(topk?.metrics.high_quality_pct).toEqual({ mean: 80, sd: null, n: 1, ci_low: null, ci_high: null });

    const markdown = formatReportMarkdown(groups, compareWithBaselines(groups, ['modes_recovered']));
    expect(markdown).toContain('| mog-grid25 | topk | 1 (top) | 25 | 25.00 [n/a] | 80.00 [n/a] | 1 | 0/1 |');
    expect(markdown).toContain('| mog-grid25 | baseline | 0 (none) | 25 | 23.00 [10.29, 35.71] | 65.00 [1.47, 128.53] | 2 | 0/0 |');
    expect(markdown).toContain('| mog-grid25 | topk | baseline | modes recovered | 1 | +1.00 [n/a] | n/a |');
  });
});
