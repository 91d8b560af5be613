// The project-local Python environment: `.venv` beside package.json, created
// and filled from pyproject.toml on first use. TOPK_GAN_PYTHON points at an
// interpreter that already has the dependencies, and skips all of this.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../cli/errors.js';
import { packageRoot } from '../paths.js';

const venvDir = join(packageRoot, '.venv');
const stampFile = join(venvDir, 'topk-gan-installed.json');
const retryHint = 'npx topk-gan setup';

export function getPythonBin(): string {
  return process.env.TOPK_GAN_PYTHON ?? join(venvDir, 'bin', 'python');
}

export async function ensurePythonEnvironment(
  log: (line: string) => void,
): Promise<string> {
  const pythonBin = getPythonBin();
  if (process.env.TOPK_GAN_PYTHON) return pythonBin;
  if (isInstalled()) return pythonBin;

  log(`Setting up the Python environment in ${venvDir} (torch and its CUDA libraries are several GiB; the first time takes minutes).`);
  if (!existsSync(pythonBin)) await createVenv(log);
  await installProject(pythonBin, log);
  writeFileSync(stampFile, JSON.stringify({ pyproject_sha256: hashPyproject() }));
  log('Python environment ready.');
  return pythonBin;
}

function isInstalled(): boolean {
  if (!existsSync(stampFile)) return false;
  try {
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8'));
    return stamp.pyproject_sha256 === hashPyproject();
  } catch {
    return false;
  }
}

function hashPyproject(): string {
  const text = readFileSync(join(packageRoot, 'pyproject.toml'));
  return createHash('sha256').update(text).digest('hex');
}

async function createVenv(log: (line: string) => void): Promise<void> {
  const basePython = process.env.TOPK_GAN_BASE_PYTHON ?? 'python3';
  log(`Creating a virtual environment with ${basePython}.`);
  await runStep(basePython, ['-m', 'venv', venvDir], 'Creating the virtual environment', log);
}

async function installProject(
  pythonBin: string,
  log: (line: string) => void,
): Promise<void> {
  log('Installing the Python dependencies from pyproject.toml.');
  await runStep(
    pythonBin,
    ['-m', 'pip', 'install', '--progress-bar', 'off', '-e', '.[test]'],
    'Installing the Python dependencies',
    log,
  );
}

async function runStep(
  command: string,
  args: string[],
  what: string,
  log: (line: string) => void,
): Promise<void> {
  const child = execa(command, args, {
    cwd: packageRoot,
    all: true,
    reject: false,
    buffer: false,
  });
  child.all?.setEncoding('utf8');
  let partial = '';
  child.all?.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) log(`  ${line}`);
  });
  const result = await child;
  if (partial.trim()) log(`  ${partial}`);
  if (result.exitCode !== 0 || result.failed) {
    const reason = result.exitCode ?? result.shortMessage;
    throw new UserError(
      `${what} failed (${command} exited with ${reason}). Fix the cause above and retry with: ${retryHint}`,
    );
  }
}
