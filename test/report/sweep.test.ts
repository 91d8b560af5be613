import { aggregateSummaries } from '../../ts/report/aggregate.js';
import { buildSweepGrids, buildSweepTable, getSweepMeans } from '../../ts/report/sweep.js';

// Three sweep experiments over gamma x nu; (0.99, 0.5) was not run.
const configs = new Map<string, unknown>([
  ['g95-nu50', { topk: { gamma: 0.95, nu: 0.5 } }],
  ['g95-nu100', { topk: { gamma: 0.95, nu: 1 } }],
  ['g99-nu100', { topk: { gamma: 0.99, nu: 1 } }],
]);

const row = (experiment: string, seed: number, modes: string) => ({
  experiment, arm: 'top', seed: String(seed), topk_mode: 'top', modes_total: '25', modes_recovered: modes, status: 'completed',
});

describe('buildSweepGrids', () => {
  const groups = aggregateSummaries([
    row('g95-nu50', 0, '20'), row('g95-nu50', 1, '22'),
    row('g95-nu100', 0, '15'),
    row('g99-nu100', 0, '16'), row('g99-nu100', 1, '18'),
  ]);
  const [grid] = buildSweepGrids({ x: 'topk.gamma', y: 'topk.nu' }, configs, groups);

  test('when experiments differ in gamma and nu then they are placed by their config values', () => {
    expect(grid?.xValues).toEqual(['0.95', '0.99']);
    expect(grid?.yValues).toEqual(['0.5', '1']);
    expect(getSweepMeans(grid!)).toEqual([[21, null], [15, 17]]);
  });

  test('when the table is built then each cell has mean [95% CI] and n, and a missing pair a dash', () => {
    expect(buildSweepTable(grid!)).toEqual({
      header: ['topk.nu \\ topk.gamma', '0.95', '0.99'],
      rows: [
        ['0.5', '21.00 [8.29, 33.71] (n = 2)', '—'],
        ['1', '15.00 [n/a] (n = 1)', '17.00 [4.29, 29.71] (n = 2)'],
      ],
    });
  });
});
