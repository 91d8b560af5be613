#!/usr/bin/env node
// `npm test`: build, make sure the Python environment exists, then run the
// TypeScript tests (jest) and the Python tests (pytest). Stops at the first
// failing stage and exits with its code.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const python = process.env.TOPK_GAN_PYTHON ?? join(root, '.venv', 'bin', 'python');
const stages = [
  ['build', 'npx', ['tsc', '-p', 'tsconfig.json']],
  ['python environment', 'node', ['bin/topk-gan.js', 'setup']],
  ['jest', 'node', ['--experimental-vm-modules', 'node_modules/jest/bin/jest.js', '--runInBand', ...process.argv.slice(2)]],
  ['pytest', python, ['-m', 'pytest', '-q', 'py/tests']],
];

for (const [name, command, args] of stages) {
  process.stderr.write(`\n== ${name}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  if (result.status !== 0) {
    process.stderr.write(`\n== ${name} failed (exit ${result.status ?? result.signal})\n`);
    process.exit(result.status ?? 1);
  }
}
