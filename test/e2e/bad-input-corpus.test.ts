// A corpus of malformed configs and CLI calls through the real CLI: each
// must name the path or value at fault, exit non-zero and create no run
// folder.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { runCli } from './helpers.js';

jest.setTimeout(120_000);

const scratch = mkdtempSync(join(tmpdir(), 'topk-corpus-'));

function writeConfig(name: string, text: string): string {
  const path = join(scratch, name);
  writeFileSync(path, text);
  return path;
}

const good = 'configs/mog-grid25.yaml';
const cases: [string, () => string[], string][] = [
  ['misspelt section key', () => [writeConfig('a.yaml', 'trian: {}\n')], 'trian: unknown key'],
  ['misspelt nested key', () => [writeConfig('b.yaml', 'train: {batch_sise: 3}\n')], 'train.batch_sise: unknown key'],
  ['gamma above 1', () => [good, '--set', 'topk.gamma=1.5'], 'topk.gamma: expected a number in (0, 1], got 1.5'],
  ['gamma zero', () => [good, '--set', 'topk.gamma=0'], 'topk.gamma: expected a number in (0, 1], got 0'],
  ['negative gamma', () => [good, '--set', 'topk.gamma=-0.1'], 'topk.gamma'],
  ['nu zero', () => [good, '--set', 'topk.nu=0'], 'topk.nu'],
  ['nu times B below one', () => [good, '--set', 'topk.nu=0.001'], 'topk.nu: nu * train.batch_size must be at least 1'],
  ['nu as text', () => [good, '--set', 'topk.nu=half'], 'topk.nu: expected number, got "half"'],
  ['unknown decay', () => [good, '--set', 'topk.decay=batch'], 'topk.decay'],
  ['batch zero', () => [good, '--set', 'train.batch_size=0'], 'train.batch_size'],
  ['fractional batch', () => [good, '--set', 'train.batch_size=2.5'], 'train.batch_size'],
  ['negative lr', () => [good, '--set', 'train.lr_g=-1'], 'train.lr_g'],
  ['infinite lr', () => [good, '--set', 'train.lr_d=.inf'], 'train.lr_d: expected a finite number'],
  ['NaN sigma', () => [good, '--set', 'data.sigma=.nan'], 'data.sigma'],
  ['zero iterations', () => [good, '--set', 'train.iterations=0'], 'train.iterations'],
  ['beta1 of one', () => [good, '--set', 'train.beta1=1'], 'train.beta1'],
  ['unknown loss', () => [good, '--set', 'train.loss=wgan'], 'train.loss'],
  ['grid of 8 modes', () => [good, '--set', 'data.modes=8'], 'data.modes: a grid layout needs a square number'],
  ['unknown layout', () => [good, '--set', 'data.layout=spiral'], 'data.layout'],
  ['epoch shorter than a batch', () => [good, '--set', 'data.epoch_samples=10'], 'data.epoch_samples'],
  ['unknown data kind', () => [good, '--set', 'data.kind=svhn'], 'data.kind'],
  ['unknown top-k mode', () => [good, '--set', 'arms.1.topk_mode=best'], 'arms.1.topk_mode'],
  ['duplicate arm names', () => [good, '--set', 'arms.1.name=baseline'], 'arms: arm name "baseline" is used more than once'],
  ['no arms', () => [good, '--set', 'arms=[]'], 'arms: expected a list with length >= 1'],
  ['bad arm name', () => [good, '--set', 'arms.0.name=a b'], 'arms.0.name'],
  ['duplicate seeds', () => [good, '--set', 'seeds=[1, 1]'], 'seeds: seed 1 is listed more than once'],
  ['negative seed', () => [good, '--set', 'seeds=[-1]'], 'seeds.0'],
  ['bad --seeds list', () => [good, '--seeds', '1,x'], '--seeds "1,x"'],
  ['reversed --seeds range', () => [good, '--seeds', '5-1'], '--seeds 5-1'],
  ['bad device', () => [good, '--device', 'tpu'], 'device: expected auto, cpu, cuda or cuda:N, got "tpu"'],
  ['--set without a value', () => [good, '--set', 'train.iterations'], '--set "train.iterations": expected path=value'],
  ['--set into a number', () => [good, '--set', 'train.iterations.x=1'], '--set train.iterations.x'],
  ['min_samples above num_samples', () => [good, '--set', 'eval.num_samples=10', '--set', 'eval.min_samples=11'], 'eval.min_samples'],
  ['zero checkpoint cadence', () => [good, '--set', 'checkpoint.every_epochs=0'], 'checkpoint.every_epochs'],
  ['unknown divergence policy', () => [good, '--set', 'runtime.on_divergence=ignore'], 'runtime.on_divergence'],
  ['negative stall timeout', () => [good, '--set', 'runtime.stall_timeout_s=-5'], 'runtime.stall_timeout_s'],
  ['toy data with an image model', () => [good, '--set', 'model={kind: dcgan}'], 'model.kind: the 2-D mixture of Gaussians needs "mlp"'],
  ['missing file', () => [join(scratch, 'missing.yaml')], 'missing.yaml:\n  (file): cannot read the config (ENOENT)'],
  ['malformed YAML', () => [writeConfig('c.yaml', 'train: [1, 2\n')], '(file): not valid YAML'],
  ['malformed JSON', () => [writeConfig('d.json', '{"train": }')], '(file): not valid JSON'],
  ['a list at the top', () => [writeConfig('e.yaml', '- 1\n')], '(top level): expected a mapping'],
  ['repeated YAML key', () => [writeConfig('f.yaml', 'experiment: a\nexperiment: b\n')], 'Map keys must be unique'],
];

describe('the bad-input corpus', () => {
  test.each(cases)('when given %s then the error names it and no run folder appears', async (_name, makeArgs, expected) => {
    const out = join(scratch, `run-${_name.replace(/\W+/g, '-')}`);
    const result = await runCli(['run', ...makeArgs(), '--out', out]);
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain(expected);
    expect(result.stderr).not.toContain('internal error');
    expect(existsSync(out)).toBe(false);
  });
});
