// Shared by the benchmark scripts: running a step that must succeed, and
// reading `--name value` options over a table of defaults.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const python = process.env.TOPK_GAN_PYTHON ?? join(root, '.venv', 'bin', 'python');

// Runs in the project root; a failure shows the command's output and stops.
export function run(command, args) {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr);
    throw new Error(`${command} ${args.join(' ')} exited with ${result.status}`);
  }
  return result;
}

// Options named in `defaults` only; values are numbers unless `textKeys` says otherwise.
export function parseOptions(argv, defaults, textKeys = []) {
  const parsed = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i]?.replace(/^--/, '');
    if (!(key in parsed) || argv[i + 1] === undefined) throw new Error(`unknown or incomplete option ${argv[i]}`);
    parsed[key] = textKeys.includes(key) ? argv[i + 1] : Number(argv[i + 1]);
  }
  return parsed;
}
