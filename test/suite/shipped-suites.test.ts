// The suite files in configs/suites/ stay valid as configs and schemas move.
import { join } from 'node:path';
import { checkCellConfigs, decideCellAction } from '../../ts/suite/cell-state.js';
import { planSuite, resolveCellConfig } from '../../ts/suite/cells.js';
import { loadSuite } from '../../ts/suite/load.js';

describe('configs/suites', () => {
  test.each([
    ['reproduction.yaml', false, 40],
    ['reproduction.yaml', true, 24],
    ['sensitivity.yaml', false, 30],
    ['sensitivity.yaml', true, 12],
  ])('when %s is planned with quick = %s then it has %i cells whose configs resolve', (file, quick, cells) => {
    const path = join('configs', 'suites', file);
    const plan = planSuite(loadSuite(path), path, { quick, outDir: join('runs', 'never-written') });
    expect(plan.cells).toHaveLength(cells);
    expect(() => checkCellConfigs(plan.cells)).not.toThrow();
    expect(decideCellAction((plan.cells[0] as { dir: string }).dir)).toBe('start');
  });

  test('when --quick is given then the quick settings come after the full ones', () => {
    const path = join('configs', 'suites', 'reproduction.yaml');
    const [cell] = planSuite(loadSuite(path), path, { quick: true }).cells;
    expect(cell?.dir).toBe(join('runs', 'suites', 'reproduction-quick', 'mog-grid25', 'baseline-seed0'));
    expect(resolveCellConfig(cell!)).toMatchObject({ experiment: 'mog-grid25', train: { iterations: 2000 }, model: { hidden: 128 }, arms: [{ name: 'baseline', topk_mode: 'none' }], seeds: [0] });
  });

  test('when the sensitivity suite is planned then nu and gamma reach the cell configs', () => {
    const path = join('configs', 'suites', 'sensitivity.yaml');
    const cell = planSuite(loadSuite(path), path).cells.find((c) => c.experiment.name === 'gamma0.99-nu0.5');
    expect(resolveCellConfig(cell!)).toMatchObject({ experiment: 'gamma0.99-nu0.5', topk: { gamma: 0.99, nu: 0.5 }, train: { iterations: 10000 } });
  });
});
