// A quick suite through the real CLI: two seeds, three arms, two cells at a
// time, one arm made to fail by an injected Python fault. The report's
// numbers are checked against the cells' own summary.csv.
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { jest } from '@jest/globals';
import { readCsv } from '../../ts/report/csv-file.js';
import { runCli } from '../e2e/helpers.js';

jest.setTimeout(600_000);

const scratch = mkdtempSync(join(tmpdir(), 'topk-suite-e2e-'));
const suiteFile = join(scratch, 'quick.yaml');
const outDir = join(scratch, 'out');
const grid25 = relative(scratch, join(process.cwd(), 'configs', 'mog-grid25.yaml'));

// The full settings would take hours; --quick must replace them.
writeFileSync(
  suiteFile,
  `
name: quick-check
experiments:
  - name: g25
    config: ${grid25}
    set: [train.iterations=20000]
    quick_set: [train.iterations=60, train.batch_size=64, data.epoch_samples=640, model.hidden=32, eval.num_samples=500, eval.min_samples=5, eval.every_epochs=2]
arms:
  - {name: baseline, topk_mode: none}
  - {name: top, topk_mode: top}
  - {name: broken, topk_mode: random}
quick_seeds: [0, 1]
`,
);

type Row = Record<string, string>;
let result: Awaited<ReturnType<typeof runCli>>;
let suiteRows: Row[];

function readCell(arm: string, seed: number): Row {
  return readCsv(join(outDir, 'g25', `${arm}-seed${seed}`, 'summary.csv'))[0] as Row;
}

function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}

beforeAll(async () => {
  const fault = { kind: 'raise', step: 5, arm: 'broken' };
  result = await runCli(['suite', suiteFile, '--quick', '--jobs', '2', '--out', outDir, '--device', 'cpu'], {
    env: { ...process.env, TOPK_GAN_FAULT: JSON.stringify(fault) },
  });
  suiteRows = readCsv(join(outDir, 'suite.csv'));
});

const suiteRow = (arm: string, metric: string) => suiteRows.find((r) => r.arm === arm && r.metric === metric) as Row;

describe('a quick suite end to end', () => {
  test('when one arm fails then the suite finishes the others, writes the report and exits 1', () => {
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('topk-gan: 2 of 6 cells failed: g25/broken-seed0, g25/broken-seed1');
    expect(result.stderr).toMatch(/g25\/broken-seed0: FAILED \(exit 1\): Python raised RuntimeError: injected fault at step 5/);
    expect(result.stderr).toMatch(/suite quick-check: \d\/6 cells done, \d running, \d left, \d failed; ETA /);
    expect(readCell('top', 1)).toMatchObject({ steps: '60', status: 'completed' });
  });

  test.each(['modes_recovered', 'high_quality_pct'])('when %s is aggregated then suite.csv matches the cells\' summary.csv', (metric) => {
    for (const arm of ['baseline', 'top']) {
      const values = [0, 1].map((seed) => Number(readCell(arm, seed)[metric]));
      const row = suiteRow(arm, metric);
      expect(Number(row.n)).toBe(2);
      expect(Number(row.mean)).toBeCloseTo(mean(values), 10);
      if (values[0] !== values[1]) expect(Number(row.sd)).toBeCloseTo(Math.abs(values[0]! - values[1]!) / Math.SQRT2, 10);
    }
    const differences = [0, 1].map((seed) => Number(readCell('top', seed)[metric]) - Number(readCell('baseline', seed)[metric]));
    const top = suiteRow('top', metric);
    expect(top).toMatchObject({ baseline: 'g25/baseline', pairs_n: '2', test: 'paired t-test (two-sided)' });
    expect(Number(top.diff_mean)).toBeCloseTo(mean(differences), 10);
    // two pairs: t has one degree of freedom, two-sided p = 1 - 2 atan(|t|) / pi
    const spread = Math.abs(differences[0]! - differences[1]!) / 2;
    const expectedP = spread === 0 ? (mean(differences) === 0 ? 1 : 0) : 1 - (2 * Math.atan(Math.abs(mean(differences)) / spread)) / Math.PI;
    expect(Number(top.p_value)).toBeCloseTo(expectedP, 8);
  });

  test('when an arm failed everywhere then it is counted as failed, with no mean', () => {
    expect(suiteRow('broken', 'modes_recovered')).toMatchObject({ n_cells: '2', n_failed: '2', n_diverged: '0', n: '0', mean: '' });
  });

  test('when report.md is read then it has the settings, tables, verdicts with CI and p, and the failures', () => {
    const markdown = readFileSync(join(outDir, 'report.md'), 'utf8');
    expect(markdown).toContain('# Suite quick-check (quick)');
    expect(markdown).toContain('`train.iterations=20000` `train.iterations=60`');
    expect(markdown).toContain('| experiment | arm | K | modes | modes recovered mean [95% CI] | high-quality % mean [95% CI] | n | failed/diverged |');
    expect(markdown).toContain('| g25 | broken | 1 (random) | — | — | — | 0 | 2/0 |');
    expect(markdown).toMatch(/top vs baseline on g25: [+-]?\d+\.\d\d modes recovered \(95% CI -?\d+\.\d\d to -?\d+\.\d\d, paired t-test p (=|<) [\d.]+, n = 2\): /);
    expect(markdown).toContain('broken vs baseline on g25: no seed where both completed, so no comparison of modes recovered.');
    expect(markdown).toMatch(/`g25\/broken-seed1`: failed: Python raised RuntimeError: injected fault at step 5/);
    expect(markdown).toContain('![g25: generator and discriminator loss](figures/g25-losses.png)');
    for (const name of ['modes-histogram', 'losses', 'k', 'high-quality', 'oracle']) {
      expect(existsSync(join(outDir, 'figures', `g25-${name}.png`))).toBe(true);
    }
  });

  test('when the baseline cells have checkpoints then report.md has the oracle-direction section', () => {
    const markdown = readFileSync(join(outDir, 'report.md'), 'utf8');
    const section = markdown.slice(markdown.indexOf('## Oracle direction'), markdown.indexOf('## Figures'));
    // 60 steps of 10 per epoch: the schedule's k at the last step is floor(64 * 0.99^5)
    expect(section).toMatch(/\| g25 \| baseline \| top \| 60 of 64 \| 2 \| -?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\] \|/);
    expect(section).toMatch(/\| g25 \| baseline \| bottom \| 60 of 64 \| 2 \| /);
    expect(section).toMatch(/\| g25 \| top - bottom mean cosine \| 2 \| [+-]?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\] \| (< )?[\d.]+ \|/);
    expect(section).toMatch(/\*\*g25\*\*: mean cosine -?\d\.\d{3} \(95% CI .* paired t-test p (=|<) [\d.]+, n = 2\): /);
    expect(section).toContain('![g25: oracle-direction cosines of one generator step](figures/g25-oracle.png)');
    const rows = readCsv(join(outDir, 'oracle.csv'));
    expect(rows.map((r) => [r.experiment, r.arm, r.seed, r.selection, r.samples])).toEqual(
      ['0', '1'].flatMap((seed) => ['top', 'bottom'].flatMap((selection) => [['g25', 'baseline', seed, selection, 'all'], ['g25', 'baseline', seed, selection, 'kept']])),
    );
  });

  test('when report.html is read then every image is inlined and nothing outside the page is referenced', () => {
    const html = readFileSync(join(outDir, 'report.html'), 'utf8');
    const images = html.match(/<img [^>]*>/g) ?? [];
    expect(images).toHaveLength(5);
    for (const image of images) expect(image).toMatch(/src="data:image\/png;base64,[A-Za-z0-9+/]{1000,}={0,2}"/);
    expect(html).not.toMatch(/(src|href)="(?!data:)/);
    expect(html).toContain('paired t-test p');
  });
});
