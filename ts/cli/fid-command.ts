// `topk-gan fid A B`: the Frechet Inception Distance between two folders of
// images or .npz statistics files, as pytorch-fid's own command computes it.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensurePythonEnvironment } from '../bridge/python-env.js';
import { runPythonModule } from '../bridge/python-module.js';
import { getTorchHubCheckpointsDir, standardFidWeightsFile } from '../config/environment.js';
import { createLogger } from '../loop/progress-log.js';
import { UserError } from './errors.js';

export interface FidFlags {
  weights: string;
  batchSize: number;
  device: string;
  json?: boolean;
}

interface FidReply {
  fid: number | null;
  fid_plumbing: number | null;
  weights_id: string;
  counts: (number | null)[];
  notes: string[];
}

// Computing Inception features of 50,000 images on a CPU takes a while.
const fidTimeoutMs = 6 * 60 * 60 * 1000;

export async function fidCommand(first: string, second: string, flags: FidFlags): Promise<void> {
  for (const side of [first, second]) {
    if (!existsSync(side)) throw new UserError(`fid: ${side} does not exist; expected a folder of images or an .npz statistics file`);
  }
  // two statistics files need no Inception, so no weights file either
  const bothStatistics = [first, second].every((side) => side.toLowerCase().endsWith('.npz'));
  if (!bothStatistics) checkWeights(flags.weights);
  const pythonBin = await ensurePythonEnvironment(createLogger());
  const requestDir = mkdtempSync(join(tmpdir(), 'topk-gan-fid-'));
  try {
    const reply = await runPythonModule<FidReply>({
      pythonBin,
      module: 'topkgan.metrics.fid_command',
      requestPath: join(requestDir, 'request.json'),
      request: { a: resolve(first), b: resolve(second), weights: flags.weights, batch_size: flags.batchSize, device: flags.device },
      what: 'Computing FID',
      timeoutMs: fidTimeoutMs,
    });
    printReply(reply, flags.json ?? false);
  } finally {
    rmSync(requestDir, { recursive: true, force: true });
  }
}

function checkWeights(weights: string): void {
  if (weights === 'random-for-tests') return;
  if (weights === 'pytorch-fid') {
    const expected = join(getTorchHubCheckpointsDir(), standardFidWeightsFile);
    if (!existsSync(expected)) {
      throw new UserError(`fid --weights pytorch-fid: the Inception weights are not at ${expected}; copy them there (or set TORCH_HOME), or pass --weights FILE`);
    }
    return;
  }
  if (!existsSync(weights)) throw new UserError(`fid --weights: file ${weights} does not exist`);
}

function printReply(reply: FidReply, asJson: boolean): void {
  for (const note of reply.notes) process.stderr.write(`warning: ${note}\n`);
  if (asJson) {
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    return;
  }
  // A distance from other weights is plumbing, never printed as a FID.
  const line = reply.fid !== null
    ? `FID: ${reply.fid.toFixed(4)}`
    : `not a FID (Inception weights ${reply.weights_id}): ${reply.fid_plumbing?.toFixed(4)}`;
  process.stdout.write(`${line}\n`);
}
