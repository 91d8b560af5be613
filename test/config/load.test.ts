import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../ts/cli/errors.js';
import { loadConfig, validateConfig } from '../../ts/config/load.js';

function problemsOf(rawConfig: unknown): string[] {
  try {
    validateConfig(rawConfig, 'test.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

function writeConfig(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'topk-config-'));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

describe('validateConfig', () => {
  test('when the config is empty then every default is filled in', () => {
    const config = validateConfig({}, 'empty.yaml');
    expect(config.train).toMatchObject({ iterations: 10000, batch_size: 256, lr_g: 1e-4 });
    expect(config.topk).toEqual({ gamma: 0.99, nu: 0.75, decay: 'epoch' });
    expect(config.data).toMatchObject({ kind: 'mog', layout: 'grid', modes: 25, sigma: 0.05 });
    expect(config.arms.map((a) => a.topk_mode)).toEqual(['none', 'top']);
  });

  test.each([
    ['a misspelt key', { train: { batch_sise: 64 } }, 'train.batch_sise: unknown key (did you mean "batch_size"?); expected one of iterations, batch_size, loss, lr_g, lr_d, beta1, beta2'],
    ['an unknown top-level key', { epochs: 3 }, 'epochs: unknown key; expected one of experiment, data, model, train, topk, arms, seeds, eval, checkpoint, runtime, device'],
    ['gamma above one', { topk: { gamma: 1.5 } }, 'topk.gamma: expected a number in (0, 1], got 1.5'],
    ['gamma of zero', { topk: { gamma: 0 } }, 'topk.gamma: expected a number in (0, 1], got 0'],
    ['nu as text', { topk: { nu: 'half' } }, 'topk.nu: expected number, got "half"'],
    ['a batch of zero', { train: { batch_size: 0 } }, 'train.batch_size: expected a number >= 1, got 0'],
    ['a fractional batch', { train: { batch_size: 2.5 } }, 'train.batch_size: expected integer, got 2.5'],
    ['a negative learning rate', { train: { lr_d: -1 } }, 'train.lr_d: expected a number > 0, got -1'],
    ['an infinite learning rate', { train: { lr_g: Infinity } }, 'train.lr_g: expected a finite number, got Infinity'],
    ['a NaN sigma', { data: { kind: 'mog', sigma: NaN } }, 'data.sigma: expected number, got NaN'],
    ['an unknown loss', { train: { loss: 'wgan' } }, 'train.loss: expected one of "bce", "hinge", got "wgan"'],
    ['an unknown data kind', { data: { kind: 'svhn' } }, 'data.kind: expected one of "mog", "mnist", "cifar10", "image-folder", got "svhn"'],
    ['an unknown top-k mode', { arms: [{ name: 'a', topk_mode: 'best' }] }, 'arms.0.topk_mode: expected one of "none", "top", "bottom", "random", got "best"'],
    ['an arm without a mode', { arms: [{ name: 'a' }] }, 'arms.0.topk_mode: expected one of "none", "top", "bottom", "random", got nothing'],
    ['no arms', { arms: [] }, 'arms: expected a list with length >= 1, got a list []'],
    ['a negative seed', { seeds: [-1] }, 'seeds.0: expected a number >= 0, got -1'],
    ['a bad device', { device: 'tpu' }, 'device: expected auto, cpu, cuda or cuda:N, got "tpu"'],
    ['a grid of 8 modes', { data: { kind: 'mog', modes: 8 } }, 'data.modes: a grid layout needs a square number of modes (4, 9, 16, 25, 36, 49, 64, ...), got 8'],
    ['nu * B below one', { train: { batch_size: 2 }, topk: { nu: 0.25 } }, 'topk.nu: nu * train.batch_size must be at least 1, got 0.25 * 2 = 0.5'],
    ['an epoch shorter than a batch', { data: { kind: 'mog', epoch_samples: 100 } }, 'data.epoch_samples: expected at least train.batch_size (256) so an epoch has a step, got 100'],
    ['two arms with one name', { arms: [{ name: 'a', topk_mode: 'none' }, { name: 'a', topk_mode: 'top' }] }, 'arms: arm name "a" is used more than once'],
    ['a repeated seed', { seeds: [1, 1] }, 'seeds: seed 1 is listed more than once'],
    ['min_samples above num_samples', { eval: { num_samples: 10, min_samples: 11 } }, 'eval.min_samples: expected at most eval.num_samples (10), got 11'],
    ['a section that is not a mapping', { train: 5 }, 'train: expected object, got 5'],
  ])('when the config has %s then the error names it', (_case, rawConfig, expected) => {
    expect(problemsOf(rawConfig)).toContain(expected);
  });

  test('when several things are wrong then all are reported together', () => {
    const problems = problemsOf({ topk: { gamma: 2 }, train: { batch_size: -1 }, seeds: [3, 3] });
    expect(problems).toEqual([
      'train.batch_size: expected a number >= 1, got -1',
      'topk.gamma: expected a number in (0, 1], got 2',
      'seeds: seed 3 is listed more than once',
    ]);
  });
});

describe('loadConfig', () => {
  test('when the file does not exist then the error names the file', () => {
    expect(() => loadConfig('/nonexistent/config.yaml')).toThrow('Invalid config /nonexistent/config.yaml:\n  (file): cannot read the config (ENOENT)');
  });

  test('when the YAML is malformed then the error says so', () => {
    const path = writeConfig('bad.yaml', 'train: [1, 2\n');
    expect(() => loadConfig(path)).toThrow(/\(file\): not valid YAML/);
  });

  test('when a YAML key is repeated then it is an error', () => {
    const path = writeConfig('twice.yaml', 'experiment: a\nexperiment: b\n');
    expect(() => loadConfig(path)).toThrow(/not valid YAML: Map keys must be unique/);
  });

  test('when the JSON is malformed then the error says JSON', () => {
    const path = writeConfig('bad.json', '{"train": }');
    expect(() => loadConfig(path)).toThrow(/\(file\): not valid JSON/);
  });

  test('when the file holds a list then the top level is named', () => {
    const path = writeConfig('list.yaml', '- 1\n- 2\n');
    expect(() => loadConfig(path)).toThrow('(top level): expected a mapping of keys to values, got a list [1,2]');
  });

  test('when --set overrides a value then it is validated like the file', () => {
    const path = writeConfig('ok.yaml', 'experiment: demo\n');
    expect(loadConfig(path, { set: ['train.iterations=50', 'arms.1.topk_mode=bottom'] })).toMatchObject({
      train: { iterations: 50 },
      arms: [{ topk_mode: 'none' }, { topk_mode: 'bottom' }],
    });
    expect(() => loadConfig(path, { set: ['topk.gamma=7'] })).toThrow('topk.gamma: expected a number in (0, 1], got 7');
    expect(() => loadConfig(path, { set: ['topk.gama=0.5'] })).toThrow('topk.gama: unknown key (did you mean "gamma"?)');
  });

  test('when --set has no value then the assignment is named', () => {
    const path = writeConfig('ok.yaml', 'experiment: demo\n');
    expect(() => loadConfig(path, { set: ['train.iterations'] })).toThrow('--set "train.iterations": expected path=value');
  });

  test('when --set descends into a number then the error says so', () => {
    const path = writeConfig('ok.yaml', 'seeds: 3\n');
    expect(() => loadConfig(path, { set: ['seeds.x.y=1'] })).toThrow('--set seeds.x.y: seeds is 3, not a section');
  });

  test('when --seeds and --device are given then they replace the file values', () => {
    const path = writeConfig('ok.yaml', 'seeds: [9]\n');
    expect(loadConfig(path, { seeds: [1, 2], device: 'cpu' })).toMatchObject({ seeds: [1, 2], device: 'cpu' });
  });
});
