// A half-finished suite folder, made with the real CLI: one cell completed,
// one interrupted by SIGTERM after its first checkpoint, one missing and one
// left without a config. Re-running the suite must skip, resume, start and
// restart them, in that order of cells.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { jest } from '@jest/globals';
import { readCsv } from '../../ts/report/csv-file.js';
import { getCellArgs, planSuite, type SuiteCell } from '../../ts/suite/cells.js';
import { loadSuite } from '../../ts/suite/load.js';
import { readRunJson, runCli } from '../e2e/helpers.js';

jest.setTimeout(600_000);

const scratch = mkdtempSync(join(tmpdir(), 'topk-suite-resume-'));
const suiteFile = join(scratch, 'resume.yaml');
const outDir = join(scratch, 'out');
const grid25 = relative(scratch, join(process.cwd(), 'configs', 'mog-grid25.yaml'));

// 300 steps of 10 per epoch with a checkpoint every epoch: long enough to be
// stopped part way, short enough for a shared CPU.
const suiteText = (iterations: number) => `
name: resume
experiments:
  - name: g25
    config: ${grid25}
    set:
      - train.iterations=${iterations}
      - train.batch_size=64
      - data.epoch_samples=640
      - model.hidden=32
      - eval.num_samples=500
      - eval.every_epochs=10
      - checkpoint.every_epochs=1
      - device=cpu
arms:
  - {name: baseline, topk_mode: none}
seeds: [0, 1, 2, 3]
`;

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function runCellDirectly(cell: SuiteCell) {
  mkdirSync(join(outDir, 'g25'), { recursive: true });
  return runCli(getCellArgs(cell, 'run'));
}

async function runCellAndStop(cell: SuiteCell) {
  mkdirSync(join(outDir, 'g25'), { recursive: true });
  const child = runCli(getCellArgs(cell, 'run'));
  const checkpoints = join(cell.dir, 'checkpoints');
  for (let waited = 0; waited < 120_000 && !existsSync(checkpoints); waited += 50) await sleep(50);
  child.kill('SIGTERM');
  return child;
}

let cells: SuiteCell[];
let completedBefore: unknown;
let rerun: Awaited<ReturnType<typeof runCli>>;

beforeAll(async () => {
  writeFileSync(suiteFile, suiteText(300));
  cells = planSuite(loadSuite(suiteFile), suiteFile, { outDir }).cells;
  const [completed, interrupted, _missing, broken] = cells as [SuiteCell, SuiteCell, SuiteCell, SuiteCell];

  const first = await runCellDirectly(completed);
  if (first.exitCode !== 0) throw new Error(String(first.all));
  completedBefore = readRunJson(completed.dir);
  const stopped = await runCellAndStop(interrupted);
  if (stopped.exitCode !== 143) throw new Error(`expected the cell to stop with 143:\n${String(stopped.all)}`);
  mkdirSync(broken.dir, { recursive: true });
  writeFileSync(join(broken.dir, 'stray.txt'), 'left by a run that never wrote its config');

  rerun = await runCli(['suite', suiteFile, '--out', outDir]);
});

describe('re-running a half-finished suite', () => {
  test('when the suite runs again then it exits 0 and every cell is completed', () => {
    expect(rerun.exitCode).toBe(0);
    expect(cells.map((cell) => readRunJson(cell.dir).status)).toEqual(['completed', 'completed', 'completed', 'completed']);
  });

  test('when a cell was completed then it is skipped and its run.json is untouched', () => {
    expect(rerun.stderr).toContain('g25/baseline-seed0: completed before, skipped');
    expect(readRunJson((cells[0] as SuiteCell).dir)).toEqual(completedBefore);
  });

  test('when a cell was interrupted then it is resumed in its folder, not started again', () => {
    const record = readRunJson((cells[1] as SuiteCell).dir);
    expect(rerun.stderr).toContain('g25/baseline-seed1: resuming an unfinished run');
    expect(record.resumed_at).toHaveLength(1);
    expect(Date.parse(record.started_at)).toBeLessThan(Date.parse(record.resumed_at[0]));
    expect(readFileSync((cells[1] as SuiteCell).logPath, 'utf8')).toMatch(/resume at step \d+/);
  });

  test('when a cell is missing then it is started; when it has no config then it is removed and started', () => {
    expect(rerun.stderr).toContain('g25/baseline-seed2: starting');
    expect(rerun.stderr).toContain('g25/baseline-seed3: folder has no config.json or run.json; removed and started again');
    expect(readRunJson((cells[2] as SuiteCell).dir).resumed_at).toEqual([]);
    expect(existsSync(join((cells[3] as SuiteCell).dir, 'stray.txt'))).toBe(false);
  });

  test('when the report is written then it counts all four seeds', () => {
    const modes = readCsv(join(outDir, 'suite.csv')).find((row) => row.metric === 'modes_recovered');
    expect(modes).toMatchObject({ experiment: 'g25', arm: 'baseline', n_cells: '4', n: '4', n_failed: '0' });
  });

  test('when everything is completed then a third run starts no cell', async () => {
    const again = await runCli(['suite', suiteFile, '--out', outDir]);
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toContain('suite resume: 4/4 cells done (4 skipped), 0 running, 0 left, 0 failed; finished');
    expect(again.stderr).toContain('Suite resume: 0 cells run in this call, 0 failed.');
  });

  test('when the suite file now gives another config then the run is refused before any cell starts', async () => {
    writeFileSync(suiteFile, suiteText(400));
    const changed = await runCli(['suite', suiteFile, '--out', outDir]);
    expect(changed.exitCode).toBe(1);
    expect(changed.stderr).toContain('Some cell folders were made under a different config; use another --out or remove them:');
    expect(changed.stderr).toContain(`${(cells[0] as SuiteCell).dir}: train.iterations: 300 -> 400 (folder -> suite)`);
  });
});
