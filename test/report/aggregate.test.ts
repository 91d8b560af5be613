import { aggregateSummaries, formatMarkdownTable } from '../../ts/report/aggregate.js';
import { mean, sampleStandardDeviation } from '../../ts/report/statistics.js';

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
  test('when an arm has a diverged seed then it is counted and left out of the means', () => {
    const groups = aggregateSummaries([
      row('baseline', 0, '24', '70'),
      row('baseline', 1, '22', '60'),
      row('topk', 0, '25', '80'),
      row('topk', 1, '', '', 'diverged'),
    ]);
    const topk = groups.find((g) => g.arm === 'topk');
    const baseline = groups.find((g) => g.arm === 'baseline');
    expect(baseline?.metrics.modes_recovered).toEqual({ mean: 23, sd: Math.SQRT2, n: 2 });
    expect(topk).toMatchObject({ n_cells: 2, n_completed: 1, n_not_completed: 1 });
    expect(topk?.metrics.high_quality_pct).toEqual({ mean: 80, sd: null, n: 1 });
    expect(formatMarkdownTable(groups)).toContain('| mog-grid25 | topk | top | 25 | 25.00 ± n/a | 80.00 ± n/a | 0.90 ± n/a | 1 | 1 |');
  });
});
