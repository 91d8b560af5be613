import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decideCellAction } from '../../ts/suite/cell-state.js';
import { getCellArgs, planSuite } from '../../ts/suite/cells.js';
import { validateSuite } from '../../ts/suite/load.js';

const suite = validateSuite(
  {
    name: 's',
    experiments: [{ name: 'e', config: '../mog.yaml', set: ['train.iterations=10'], quick_set: ['model.hidden=8'] }],
    arms: [{ name: 'base', topk_mode: 'none' }, { name: 'top', topk_mode: 'top' }],
    seeds: [3, 4],
  },
  'inline',
);

describe('planSuite and getCellArgs', () => {
  test('when planned then cells go experiment, arm, seed and each runs one arm and one seed', () => {
    const plan = planSuite(suite, 'suites/s.yaml', { outDir: 'out', quick: true, device: 'cpu' });
    expect(plan.cells.map((c) => c.id)).toEqual(['e/base-seed3', 'e/base-seed4', 'e/top-seed3', 'e/top-seed4']);
    expect(getCellArgs(plan.cells[2]!, 'run')).toEqual([
      'run', resolve('mog.yaml'), '--out', join('out', 'e', 'top-seed3'),
      '--set', 'experiment=e',
      '--set', 'train.iterations=10',
      '--set', 'model.hidden=8',
      '--set', 'arms=[{"name":"top","topk_mode":"top"}]',
      '--seeds', '3', '--device', 'cpu',
    ]);
    expect(getCellArgs(plan.cells[2]!, 'resume')).toEqual(['resume', join('out', 'e', 'top-seed3')]);
  });

  test('when not quick then quick_set is left out and the default folder is runs/suites/<name>', () => {
    const plan = planSuite(suite, 'suites/s.yaml');
    expect(plan.outDir).toBe(join('runs', 'suites', 's'));
    expect(plan.cells[0]?.overrides).not.toContain('model.hidden=8');
  });
});

describe('decideCellAction', () => {
  const root = mkdtempSync(join(tmpdir(), 'topk-suite-cells-'));
  const makeCell = (name: string, files: Record<string, string>) => {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
    return dir;
  };

  test.each([
    ['completed', 'skip', { 'config.json': '{}', 'run.json': '{"status": "completed"}' }],
    ['interrupted', 'resume', { 'config.json': '{}', 'run.json': '{"status": "interrupted"}' }],
    ['killed', 'resume', { 'config.json': '{}', 'run.json': '{"status": "running"}' }],
    ['failed', 'resume', { 'config.json': '{}', 'run.json': '{"status": "failed"}' }],
    ['config-only', 'restart', { 'config.json': '{}' }],
    ['no-config', 'restart', { 'run.json': '{"status": "running"}', 'stray.txt': 'x' }],
  ])('when the cell folder is %s then the action is %s', (name, expected, files) => {
    expect(decideCellAction(makeCell(name, files))).toBe(expected);
  });

  test('when there is no folder then the cell is started', () => {
    expect(decideCellAction(join(root, 'absent'))).toBe('start');
  });
});
