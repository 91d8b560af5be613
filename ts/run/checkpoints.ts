// Checkpoint files of one arm and seed: `checkpoints/<arm>-seed<seed>/
// step-00001000.pt`, written by Python, each with a manifest `.json` written
// by TypeScript after it. A checkpoint counts only when its manifest exists
// and its size and sha256 match, so a file cut short by a crash or a full
// disk is never read as good.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../cli/errors.js';
import type { ExperimentConfig } from '../config/schema.js';
import type { Evaluation } from '../loop/python-replies.js';
import { writeJsonAtomic } from './run-folder.js';

export interface CheckpointManifest {
  format: 1;
  arm: string;
  seed: number;
  step: number;
  epoch: number;
  k: number;
  config_hash: string;
  config: ExperimentConfig;
  bytes: number;
  sha256: string;
  evaluation: Evaluation | null;
  best_fid: { fid: number; step: number } | null;
  wall_seconds: number;
  written_at: string;
  // steps of an epoch interrupted part way; counted when it is resumed
  carry: Record<string, unknown>[] | null;
}

export function getCheckpointDir(runDir: string, arm: string, seed: number): string {
  return join(runDir, 'checkpoints', `${arm}-seed${seed}`);
}

export function getCheckpointPath(directory: string, step: number): string {
  return join(directory, `step-${String(step).padStart(8, '0')}.pt`);
}

export function writeManifest(checkpointPath: string, manifest: CheckpointManifest): void {
  writeJsonAtomic(checkpointPath.replace(/\.pt$/, '.json'), manifest);
}

export interface UsableCheckpoint {
  path: string;
  manifest: CheckpointManifest;
  rejected: string[];
}

// The newest checkpoint that passes its checks; the ones skipped on the way
// are named in `rejected`.
export function findUsableCheckpoint(directory: string): UsableCheckpoint | null {
  const rejected: string[] = [];
  for (const path of listCheckpoints(directory)) {
    const problem = checkCheckpoint(path);
    if (problem === null) {
      return { path, manifest: readManifest(path), rejected };
    }
    rejected.push(`${path}: ${problem}`);
  }
  return null;
}

export function listCheckpoints(directory: string): string[] {
  if (!existsSync(directory)) return [];
  return readdirSync(directory)
    .filter((name) => /^step-\d{8}\.pt$/.test(name))
    .sort()
    .reverse()
    .map((name) => join(directory, name));
}

function checkCheckpoint(path: string): string | null {
  const manifestPath = path.replace(/\.pt$/, '.json');
  if (!existsSync(manifestPath)) return 'no manifest (the write did not finish)';
  let manifest: CheckpointManifest;
  try {
    manifest = readManifest(path);
  } catch {
    return 'manifest is not valid JSON';
  }
  const size = statSync(path).size;
  if (size !== manifest.bytes) return `size ${size} bytes, manifest says ${manifest.bytes}`;
  if (hashFile(path) !== manifest.sha256) return 'sha256 does not match the manifest (corrupt)';
  return null;
}

export function readManifest(path: string): CheckpointManifest {
  return JSON.parse(readFileSync(path.replace(/\.pt$/, '.json'), 'utf8'));
}

function hashFile(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

export function pruneCheckpoints(directory: string, keep: number): void {
  for (const path of listCheckpoints(directory).slice(keep)) {
    rmSync(path, { force: true });
    rmSync(path.replace(/\.pt$/, '.json'), { force: true });
  }
}

// Refuse to start a checkpoint that cannot fit: twice the last one's size
// plus a margin, so the previous checkpoint is never the one sacrificed.
export function checkFreeSpace(directory: string, lastBytes: number): void {
  mkdirSync(directory, { recursive: true });
  const stats = statfsSync(directory);
  // TOPK_GAN_FAKE_FREE_BYTES lets tests play a full disk
  const fake = process.env.TOPK_GAN_FAKE_FREE_BYTES;
  const free = fake === undefined ? Number(stats.bavail) * Number(stats.bsize) : Number(fake);
  const needed = 2 * lastBytes + 16 * 1024 * 1024;
  if (free < needed) {
    throw new UserError(`Not enough free disk space for a checkpoint in ${directory}: ${formatBytes(free)} free, ${formatBytes(needed)} needed. The previous checkpoint is intact; free space and run \`topk-gan resume\`.`);
  }
}

function formatBytes(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
