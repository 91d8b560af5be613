// Runs that survive: faults injected into the real Python side (see
// py/topkgan/train/faults.py), signals, kills, corrupt checkpoints, a full
// disk and a second writer, all through the real CLI.
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { readCsv } from '../../ts/report/csv-file.js';
import { readResults, readRunJson, resumableRun, runCli } from './helpers.js';

jest.setTimeout(600_000);

const scratch = mkdtempSync(join(tmpdir(), 'topk-resilience-'));
const config = 'configs/mog-grid25.yaml';
let reference: ReturnType<typeof readResults>;

function newRunDir(name: string): string {
  return join(scratch, name);
}

function withFault(fault: object) {
  return { env: { ...process.env, TOPK_GAN_FAULT: JSON.stringify(fault) } };
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// Starts a run and sends `signal` to the CLI `delayMs` after the first
// checkpoint appears, so the kill lands while training.
async function startAndKill(runDir: string, signal: NodeJS.Signals, delayMs: number, args: string[] = ['run', config, '--out', runDir, ...resumableRun]) {
  const child = runCli(args);
  const checkpoints = join(runDir, 'checkpoints');
  for (let waited = 0; waited < 60_000 && !existsSync(checkpoints); waited += 50) await sleep(50);
  await sleep(delayMs);
  const killedAt = Date.now();
  child.kill(signal);
  const result = await child;
  return { result, seconds: (Date.now() - killedAt) / 1000 };
}

async function resumeToEnd(runDir: string) {
  const resumed = await runCli(['resume', runDir]);
  if (resumed.exitCode !== 0) throw new Error(`resume failed:\n${String(resumed.all)}`);
  return resumed;
}

beforeAll(async () => {
  const runDir = newRunDir('reference');
  const result = await runCli(['run', config, '--out', runDir, ...resumableRun]);
  if (result.exitCode !== 0) throw new Error(String(result.all));
  reference = readResults(runDir);
});

describe('interrupts and resume', () => {
  test('when SIGINT arrives then the run checkpoints, exits 130 within 10 s and resumes to the same numbers', async () => {
    const runDir = newRunDir('sigint');
    const { result, seconds } = await startAndKill(runDir, 'SIGINT', 300);
    expect(result.exitCode).toBe(130);
    expect(seconds).toBeLessThan(10);
    expect(result.stderr).toContain('Interrupted by SIGINT; a checkpoint was written');
    expect(readRunJson(runDir).status).toBe('interrupted');

    const resumed = await resumeToEnd(runDir);
    expect(resumed.stderr).toMatch(/resume at step \d+/);
    expect(readRunJson(runDir).status).toBe('completed');
    expect(readResults(runDir)).toEqual(reference);
  });

  test('when SIGTERM arrives then the exit code is 143', async () => {
    const runDir = newRunDir('sigterm');
    const { result } = await startAndKill(runDir, 'SIGTERM', 200);
    expect(result.exitCode).toBe(143);
    expect(readRunJson(runDir).status).toBe('interrupted');
  });

  test('when the CLI is killed outright then Python does not train on and resume still finishes', async () => {
    const runDir = newRunDir('sigkill');
    const child = runCli(['run', config, '--out', runDir, ...resumableRun]);
    for (let waited = 0; waited < 60_000 && !existsSync(join(runDir, 'checkpoints')); waited += 50) await sleep(50);
    const pythonPid = Number(/pid=(\d+)/.exec(readFileSync(join(runDir, 'python.log'), 'utf8'))?.[1]);
    expect(pythonPid).toBeGreaterThan(0);
    child.kill('SIGKILL');
    await child;
    for (let waited = 0; waited < 5000 && isProcessAlive(pythonPid); waited += 100) await sleep(100);
    expect(isProcessAlive(pythonPid)).toBe(false);

    expect(readRunJson(runDir).status).toBe('running');
    await resumeToEnd(runDir);
    expect(readResults(runDir)).toEqual(reference);
  });

  test('when a run is killed at random moments many times then every resume ends at the same numbers', async () => {
    // a bounded loop: 4 rounds, each killed 1 to 3 times with SIGTERM or SIGKILL
    let state = 12345;
    const random = () => (state = (state * 16807) % 2147483647) / 2147483647;
    for (let round = 0; round < 4; round++) {
      const runDir = newRunDir(`loop-${round}`);
      await startAndKill(runDir, random() < 0.5 ? 'SIGTERM' : 'SIGKILL', Math.floor(random() * 800));
      const kills = 1 + Math.floor(random() * 2);
      for (let kill = 0; kill < kills; kill++) {
        await startAndKill(runDir, random() < 0.5 ? 'SIGTERM' : 'SIGKILL', Math.floor(random() * 800), ['resume', runDir]);
      }
      if (readRunJson(runDir).status !== 'completed') await resumeToEnd(runDir);
      expect(readRunJson(runDir).status).toBe('completed');
      expect(readResults(runDir)).toEqual(reference);
      for (const file of ['summary.csv', 'metrics.csv', 'mode_counts.csv']) {
        expect(() => readCsv(join(runDir, file))).not.toThrow();
      }
    }
  });

  test('when the newest checkpoint is corrupt then resume says so and uses the one before', async () => {
    const runDir = newRunDir('corrupt');
    await startAndKill(runDir, 'SIGKILL', 400);
    const directory = join(runDir, 'checkpoints', 'baseline-seed0');
    // the kill may land between a checkpoint and its manifest; corrupt the
    // newest one that was complete
    const newest = readdirSync(directory)
      .filter((n) => n.endsWith('.pt') && existsSync(join(directory, n.replace(/\.pt$/, '.json'))))
      .sort()
      .reverse()[0] as string;
    truncateSync(join(directory, newest), Math.floor(statSync(join(directory, newest)).size / 2));
    const resumed = await resumeToEnd(runDir);
    expect(resumed.stderr).toContain(`Skipping checkpoint ${join(directory, newest)}: size`);
    expect(readResults(runDir)).toEqual(reference);
  });

  test('when the config changed since the checkpoint then resume refuses and names the fields', async () => {
    const runDir = newRunDir('changed');
    await startAndKill(runDir, 'SIGKILL', 200);
    const configPath = join(runDir, 'config.json');
    const changed = JSON.parse(readFileSync(configPath, 'utf8'));
    changed.train.lr_g = 0.001;
    changed.topk.nu = 0.5;
    writeFileSync(configPath, JSON.stringify(changed));
    const resumed = await runCli(['resume', runDir]);
    expect(resumed.exitCode).toBe(1);
    expect(resumed.stderr).toContain('was written under a different config; refusing to resume');
    expect(resumed.stderr).toContain('train.lr_g: 0.0001 -> 0.001');
    expect(resumed.stderr).toContain('topk.nu: 0.75 -> 0.5');
  });

  test('when a second process writes to the same run folder then it is refused', async () => {
    const runDir = newRunDir('twice');
    const first = runCli(['run', config, '--out', runDir, ...resumableRun]);
    for (let waited = 0; waited < 60_000 && !existsSync(join(runDir, 'checkpoints')); waited += 50) await sleep(50);
    const second = await runCli(['resume', runDir]);
    expect(second.exitCode).toBe(1);
    expect(second.stderr).toMatch(/is in use by another topk-gan process \(pid \d+\)/);
    expect((await first).exitCode).toBe(0);
    expect(readResults(runDir)).toEqual(reference);
  });
});

describe('faults on the Python side', () => {
  test('when Python raises then the user sees its type, message and traceback, and the run is failed', async () => {
    const runDir = newRunDir('raise');
    const result = await runCli(['run', config, '--out', runDir, ...resumableRun], withFault({ kind: 'raise', step: 25 }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('topk-gan: Python raised RuntimeError: injected fault at step 25');
    expect(result.stderr).toMatch(/faults\.py", line \d+, in inject/);
    expect(readRunJson(runDir)).toMatchObject({ status: 'failed', reason: expect.stringContaining('injected fault at step 25') });
    expect(readCsv(join(runDir, 'metrics.csv')).map((r) => r.step)).toEqual(['10', '20']);
  });

  test('when a loss turns NaN then that arm is diverged with step and loss and the other arm carries on', async () => {
    const runDir = newRunDir('nan');
    const result = await runCli(['run', config, '--out', runDir, ...resumableRun], withFault({ kind: 'nan', step: 57, arm: 'baseline' }));
    expect(result.exitCode).toBe(0);
    const summary = readCsv(join(runDir, 'summary.csv'));
    expect(summary.map((r) => [r.arm, r.status, r.diverged_step, r.diverged_loss, r.modes_recovered])).toEqual([
      ['baseline', 'diverged', '57', 'loss_g', ''],
      ['topk', 'completed', '', '', expect.stringMatching(/^\d+$/)],
    ]);
    expect(result.stderr).toContain('mog-grid25/baseline seed=0 diverged: loss_g not finite at step 57');
  });

  test('when rollback is configured then a NaN rolls back to the last checkpoint and the arm completes', async () => {
    const runDir = newRunDir('rollback');
    const result = await runCli(['run', config, '--out', runDir, ...resumableRun, '--set', 'runtime.on_divergence=rollback'], withFault({ kind: 'nan', step: 57, arm: 'baseline' }));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toContain('rollback 1/2 to step 50 with fresh random streams');
    const summary = readCsv(join(runDir, 'summary.csv'));
    expect(summary.map((r) => [r.arm, r.status, r.rollbacks])).toEqual([['baseline', 'completed', '1'], ['topk', 'completed', '0']]);
    const steps = readCsv(join(runDir, 'metrics.csv')).filter((r) => r.arm === 'baseline').map((r) => Number(r.step));
    expect(steps).toEqual(Array.from({ length: 60 }, (_, i) => 10 * (i + 1)));
  });

  test('when Python hangs then the stall watchdog kills it with a clear message', async () => {
    const runDir = newRunDir('hang');
    const started = Date.now();
    const result = await runCli(['run', config, '--out', runDir, ...resumableRun, '--set', 'runtime.stall_timeout_s=3'], withFault({ kind: 'hang', step: 30 }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/The Python side showed no progress for \d+ s \(runtime.stall_timeout_s = 3\); it was killed/);
    expect((Date.now() - started) / 1000).toBeLessThan(30);
    expect(readRunJson(runDir).status).toBe('failed');
  });

  test('when the Python process dies then it is reported as killed, not as a hang', async () => {
    const runDir = newRunDir('die');
    const result = await runCli(['run', config, '--out', runDir, ...resumableRun], withFault({ kind: 'die', step: 30 }));
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('The Python process was killed (SIGKILL)');
    expect(readRunJson(runDir).status).toBe('failed');
  });

  test('when Python prints 60 MB then it all goes to the log and the CLI output stays small', async () => {
    const runDir = newRunDir('chatty');
    const result = await runCli(['run', config, '--out', runDir, ...resumableRun, '--set', 'train.iterations=40'], withFault({ kind: 'print', step: 5, megabytes: 60 }));
    expect(result.exitCode).toBe(0);
    expect(statSync(join(runDir, 'python.log')).size).toBeGreaterThan(60 * 1024 * 1024);
    expect((result.all ?? '').length).toBeLessThan(20_000);
  });

  test('when the disk is full before a checkpoint then the error is clear and earlier files stay valid', async () => {
    const runDir = newRunDir('full-disk');
    const result = await runCli(['run', config, '--out', runDir, ...resumableRun], { env: { ...process.env, TOPK_GAN_FAKE_FREE_BYTES: '1000' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Not enough free disk space for a checkpoint');
    expect(readRunJson(runDir).status).toBe('failed');
    expect(readCsv(join(runDir, 'metrics.csv'))).toHaveLength(1);
  });
});
