// One writer per run folder. The lock file holds the owner's pid; a lock
// whose owner is gone (killed outright) is taken over.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../cli/errors.js';

const lockName = '.lock';

export function acquireRunLock(runDir: string): () => void {
  const path = join(runDir, lockName);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const descriptor = openSync(path, 'wx');
      writeSync(descriptor, String(process.pid));
      closeSync(descriptor);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = readOwner(path);
      if (owner !== null && isAlive(owner)) {
        throw new UserError(`Run folder ${runDir} is in use by another topk-gan process (pid ${owner}); wait for it or stop it first.`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new UserError(`Could not lock run folder ${runDir}: another process keeps taking the lock.`);
}

function readOwner(path: string): number | null {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
