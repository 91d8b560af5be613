// Short-lived Python processes for work with no training state (figures,
// the oracle-direction analysis): `python -m MODULE REQUEST_FILE`, a JSON
// request file in, one JSON reply on stdout out.
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../cli/errors.js';
import { packageRoot } from '../paths.js';

export interface PythonModuleCall {
  pythonBin: string;
  module: string;
  requestPath: string;
  request: unknown;
  // what the call does, for the error message: "Drawing the figures"
  what: string;
  timeoutMs: number;
}

export async function runPythonModule<Reply>(call: PythonModuleCall): Promise<Reply> {
  mkdirSync(dirname(call.requestPath), { recursive: true });
  writeFileSync(call.requestPath, `${JSON.stringify(call.request, null, 2)}\n`);
  const result = await execa(call.pythonBin, ['-m', call.module, call.requestPath], {
    reject: false,
    timeout: call.timeoutMs,
    env: { PYTHONPATH: joinPythonPath(process.env.PYTHONPATH), MPLBACKEND: 'Agg' },
  });
  if (result.exitCode !== 0) {
    const tail = String(result.stderr ?? '').trim().split('\n').slice(-6).join('\n  ');
    throw new UserError(`${call.what} failed (${call.pythonBin} -m ${call.module} exited with ${result.exitCode ?? result.signal}):\n  ${tail}`);
  }
  return JSON.parse(String(result.stdout)) as Reply;
}

// The venv installs topkgan in editable mode; an interpreter named by
// TOPK_GAN_PYTHON may not, so py/ goes on the path too.
function joinPythonPath(existing: string | undefined): string {
  const own = join(packageRoot, 'py');
  return existing ? `${own}:${existing}` : own;
}
