// Suite files: each kind of mistake is reported with its path, all of them
// together, before any cell starts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ConfigError } from '../../ts/cli/errors.js';
import { checkCellConfigs } from '../../ts/suite/cell-state.js';
import { planSuite } from '../../ts/suite/cells.js';
import { loadSuite, SuiteFileError } from '../../ts/suite/load.js';

const scratch = mkdtempSync(join(tmpdir(), 'topk-suite-load-'));
const grid25 = relative(scratch, join(process.cwd(), 'configs', 'mog-grid25.yaml'));
let fileCount = 0;

function writeSuite(text: string): string {
  const path = join(scratch, `suite-${fileCount++}.yaml`);
  writeFileSync(path, text);
  return path;
}

const validSuite = `
name: small
experiments:
  - name: grid25
    config: ${grid25}
    set: [train.iterations=60]
arms:
  - {name: baseline, topk_mode: none}
  - {name: top, topk_mode: top}
`;

function getProblems(text: string): string[] {
  try {
    loadSuite(writeSuite(text));
  } catch (error) {
    if (error instanceof SuiteFileError) return error.problems;
    throw error;
  }
  throw new Error('expected the suite file to be refused');
}

describe('loadSuite', () => {
  test('when the suite file is valid then seeds default to 0-4 and lists to empty', () => {
    const suite = loadSuite(writeSuite(validSuite));
    expect(suite.seeds).toEqual([0, 1, 2, 3, 4]);
    expect(suite.experiments[0]).toEqual({ name: 'grid25', config: grid25, set: ['train.iterations=60'], quick_set: [] });
  });

  test.each([
    ['a top-level key is misspelt', validSuite.replace('arms:', 'seed: [1]\narms:'), 'seed: unknown key (did you mean "seeds"?); expected one of name, description, experiments, arms, seeds, quick_seeds, sweep'],
    ['an experiment key is misspelt', validSuite.replace('    config:', '    confg:'), 'experiments.0.confg: unknown key (did you mean "config"?); expected one of name, config, set, quick_set, baseline_experiment'],
    ['an experiment has no config', validSuite.replace(/ {4}config: .*\n/, ''), 'experiments.0.config: expected string, got nothing'],
    ['a top-k mode is unknown', validSuite.replace('topk_mode: top}', 'topk_mode: best}'), 'arms.1.topk_mode: expected one of "none", "top", "bottom", "random", got "best"'],
    ['a seed is negative', `${validSuite}seeds: [0, -1]\n`, 'seeds.1: expected a number >= 0, got -1'],
    ['quick seeds are empty', `${validSuite}quick_seeds: []\n`, 'quick_seeds: expected a list with length >= 1, got a list []'],
    ['an override has no value', validSuite.replace('train.iterations=60', 'train.iterations'), 'experiments.0.set.0: expected path=value, like train.iterations=2000, got "train.iterations"'],
    ['the name has a space', validSuite.replace('name: small', 'name: my suite'), 'name: expected letters, digits, ., - or _, got "my suite"'],
    ['a sweep axis is not a path', `${validSuite}sweep: {x: topk..gamma, y: topk.nu}\n`, 'sweep.x: expected a config path like topk.gamma, got "topk..gamma"'],
    ['an experiment name is used twice', validSuite.replace('arms:', `  - {name: grid25, config: ${grid25}}\narms:`), 'experiments.1.name: expected a unique name, got "grid25" again (first at experiments.0)'],
    ['two arms are baselines', validSuite.replace('topk_mode: top}', 'topk_mode: none}'), 'arms.1.topk_mode: expected at most one arm with topk_mode "none" (the baseline), got a second one (the first is arms.0)'],
    ['a seed repeats', `${validSuite}seeds: [1, 2, 1]\n`, 'seeds.2: expected distinct seeds, got 1 again'],
    ['baseline_experiment names no experiment', validSuite.replace('    set:', '    baseline_experiment: nope\n    set:'), 'experiments.0.baseline_experiment: expected the name of another experiment (one of none), got "nope"'],
    ['an override sets the arms', validSuite.replace('[train.iterations=60]', '[train.iterations=60, "arms=[]"]'), 'experiments.0.set.1: arms is decided by the suite file, expected an override of another key, got "arms=[]"'],
    ['the file is a list', '- 1\n- 2\n', '(top level): expected a mapping of keys to values, got a list [1,2]'],
  ])('when %s then the problem names its path', (_case, text, expected) => {
    expect(getProblems(text)).toContain(expected);
  });

  test('when several things are wrong then all are reported under one heading with exit code 2', () => {
    const path = writeSuite(validSuite.replace('name: small', 'name: ""').replace('topk_mode: top}', 'topk_mode: best}'));
    expect(() => loadSuite(path)).toThrow(SuiteFileError);
    try {
      loadSuite(path);
    } catch (error) {
      expect((error as SuiteFileError).exitCode).toBe(2);
      expect((error as Error).message).toBe(
        [
          `Invalid suite file ${path}:`,
          '  name: expected letters, digits, ., - or _, got ""',
          '  arms.1.topk_mode: expected one of "none", "top", "bottom", "random", got "best"',
        ].join('\n'),
      );
    }
  });

  test('when the file does not exist then the error says so', () => {
    expect(() => loadSuite(join(scratch, 'absent.yaml'))).toThrow(`Invalid suite file ${join(scratch, 'absent.yaml')}:\n  (file): cannot read the suite file (ENOENT)`);
  });

  test('when an override is invalid for the config then the suite stops before any cell, naming the experiment', () => {
    const path = writeSuite(validSuite.replace('train.iterations=60', 'train.iterations=0'));
    const plan = planSuite(loadSuite(path), path, { outDir: join(scratch, 'never') });
    expect(() => checkCellConfigs(plan.cells)).toThrow(ConfigError);
    expect(() => checkCellConfigs(plan.cells)).toThrow(/\(suite experiment grid25\):\n {2}train\.iterations: expected a number >= 1, got 0/);
  });
});
