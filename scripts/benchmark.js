#!/usr/bin/env node
// `npm run bench`: two ratios, each measured side by side in one run.
//  (a) wall time of a mixture-of-Gaussians run driven by the CLI against the
//      same TrainingSession driven by a plain Python loop (target <= 1.03);
//  (b) time per training step of the `top` arm against the `none` arm
//      (target <= 1.02).
// Options: --config FILE (default configs/mog-grid25.yaml), --repeats N (2),
// --iterations N (the config's), --chunks N (40) of --steps N (100).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOptions, python, run } from './bench-support.js';

const options = parseOptions(process.argv.slice(2), { config: 'configs/mog-grid25.yaml', repeats: 2, iterations: null, chunks: 40, steps: 100 }, ['config']);
const scratch = mkdtempSync(join(tmpdir(), 'topk-bench-'));

const overrides = ['--set', 'arms=[{name: topk, topk_mode: top}]', '--device', 'cpu'];
if (options.iterations) overrides.push('--set', `train.iterations=${options.iterations}`);
const configJson = run('node', ['bin/topk-gan.js', 'validate', options.config, ...overrides]).stdout;
const configFile = join(scratch, 'config.json');
writeFileSync(configFile, configJson);
const iterations = JSON.parse(configJson).train.iterations;

// (a) alternate the two drivers so both meet the same machine load
const wall = { cli: [], plain: [] };
for (let repeat = 0; repeat < options.repeats; repeat++) {
  wall.plain.push(timeCommand(python, ['-m', 'topkgan.plain_loop', configFile, 'top', '0', join(scratch, `plain-${repeat}.json`)]));
  wall.cli.push(timeCommand('node', ['bin/topk-gan.js', 'run', options.config, ...overrides, '--out', join(scratch, `cli-${repeat}`)]));
}

// (b) alternating chunks of the two modes inside one Python process
const steps = JSON.parse(
  run(python, ['-m', 'topkgan.bench_steps', configFile, 'none', 'top', String(options.chunks), String(options.steps)]).stdout,
);

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const ratioA = median(wall.cli) / median(wall.plain);
console.log(`Benchmark on ${options.config}, ${iterations} iterations, arm top, CPU, ${new Date().toISOString()}`);
console.log(`(a) wall time, median of ${options.repeats}: CLI ${median(wall.cli).toFixed(2)} s, plain Python loop ${median(wall.plain).toFixed(2)} s`);
console.log(`    runs: CLI [${wall.cli.map((s) => s.toFixed(2)).join(', ')}] s, plain [${wall.plain.map((s) => s.toFixed(2)).join(', ')}] s`);
console.log(`    ratio CLI / plain = ${ratioA.toFixed(3)} (target <= 1.03) ${ratioA <= 1.03 ? 'MET' : 'NOT MET'}`);
console.log(`(b) time per step over ${steps.steps_per_mode} steps each, alternating chunks of ${options.steps}: none ${steps.ms_per_step.none.toFixed(3)} ms, top ${steps.ms_per_step.top.toFixed(3)} ms`);
console.log(`    ratio top / none = ${steps.ratio.toFixed(3)} (target <= 1.02) ${steps.ratio <= 1.02 ? 'MET' : 'NOT MET'}`);
rmSync(scratch, { recursive: true, force: true });

function timeCommand(command, args) {
  const started = process.hrtime.bigint();
  run(command, args);
  return Number(process.hrtime.bigint() - started) / 1e9;
}
