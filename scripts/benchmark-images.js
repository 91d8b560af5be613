#!/usr/bin/env node
// `npm run bench:images`: the image side's two figures, each measured side by
// side in one run.
//  (a) FID of N images computed in memory by topk-gan against pytorch-fid's
//      own command on the same images saved as PNG, same Inception weights
//      (target: at least as fast in images per second);
//  (b) DCGAN training throughput on CIFAR-10 (the JPEG copy in
//      ../shared/data), time per step of the `top` arm against `none`
//      (target <= 1.02).
// Options: --images N (1000), --chunks N (10) of --steps N (20).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, python, root, run } from './bench-support.js';

const options = parseOptions(process.argv.slice(2), { images: 1000, chunks: 10, steps: 20 }, []);
const scratch = mkdtempSync(join(tmpdir(), 'topk-bench-images-'));
const tarball = join(root, '..', 'shared', 'data', 'cifar10-jpeg-test.tar.gz');

try {
  console.log(`Image benchmarks, CPU, ${new Date().toISOString()}`);
  const fid = JSON.parse(run(python, ['-m', 'topkgan.bench_fid', '--images', String(options.images)]).stdout);
  console.log(`(a) FID of ${fid.images} images, Inception weights ${fid.weights_id}: topk-gan in memory ${fid.product_images_per_s.toFixed(2)} images/s (${fid.product_seconds.toFixed(1)} s), pytorch-fid command on PNGs ${fid.pytorch_fid_images_per_s.toFixed(2)} images/s (${fid.pytorch_fid_seconds.toFixed(1)} s, start-up included)`);
  console.log(`    speed ratio topk-gan / pytorch-fid = ${fid.speed_ratio_product_over_pytorch_fid.toFixed(3)} (target >= 1) ${fid.speed_ratio_product_over_pytorch_fid >= 1 ? 'MET' : 'NOT MET'}; distances ${fid.distance_in_memory.toFixed(6)} and ${fid.distance_pytorch_fid.toFixed(6)}, agree to 1e-3: ${fid.agree_to_1e_3 ?? fid['agree_to_1e-3']}`);

  if (!existsSync(tarball)) {
    console.log(`(b) skipped: ${tarball} is absent`);
  } else {
    run('tar', ['xzf', tarball, '-C', scratch]);
    const overrides = ['--set', `data.root=${join(scratch, 'test')}`, '--set', 'eval.fid.enabled=false', '--device', 'cpu'];
    const configJson = run('node', ['bin/topk-gan.js', 'validate', 'configs/cifar10-dcgan.yaml', ...overrides]).stdout;
    const configFile = join(scratch, 'config.json');
    writeFileSync(configFile, configJson);
    const batch = JSON.parse(configJson).train.batch_size;
    const steps = JSON.parse(run(python, ['-m', 'topkgan.bench_steps', configFile, 'none', 'top', String(options.chunks), String(options.steps)]).stdout);
    const perSecond = (mode) => (1000 * batch) / steps.ms_per_step[mode];
    console.log(`(b) DCGAN on CIFAR-10 (10,000 JPEG test images), batch ${batch}, ${steps.steps_per_mode} steps each in alternating chunks of ${options.steps}: none ${perSecond('none').toFixed(1)} images/s (${steps.ms_per_step.none.toFixed(1)} ms/step), top ${perSecond('top').toFixed(1)} images/s (${steps.ms_per_step.top.toFixed(1)} ms/step)`);
    console.log(`    ratio top / none time = ${steps.ratio.toFixed(3)} (target <= 1.02) ${steps.ratio <= 1.02 ? 'MET' : 'NOT MET'}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
