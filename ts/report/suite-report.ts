// The report of a suite folder: suite.csv (every number), report.md and a
// self-contained report.html, built from the cells' summary.csv, run.json
// and metrics.csv, and oracle.csv from the baseline cells' checkpoints. A
// cell without a summary row counts as failed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { stringify } from 'csv-stringify/sync';
import { toOracleCsvRows } from '../analysis/oracle-direction.js';
import { runFiles } from '../run/run-folder.js';
import {
  aggregateSummaries,
  compareWithBaselines,
  confidenceLevel,
  getReportedMetrics,
  type GroupStatistics,
  type PairedDifference,
  type SummaryRow,
} from './aggregate.js';
import { readCsv } from './csv-file.js';
import { renderHtml, renderMarkdown, type Block } from './document.js';
import { drawSuiteFigures, type FigureFile, type FigureRequest } from './figures.js';
import { formatDuration } from './format.js';
import { analyseSuiteOracle, buildOracleBlocks, toFigureOracle, type SuiteOracle } from './oracle-section.js';
import { buildSweepGrids, buildSweepTable, getSweepMeans, type SweepAxes, type SweepGrid } from './sweep.js';
import { buildGroupTable, buildPairedTable, statisticsNote } from './tables.js';
import { describeArm, describeComparison } from './verdict.js';

export interface SuiteReportCell {
  experiment: string;
  arm: string;
  topk_mode: string;
  seed: number;
  dir: string;
  logPath: string;
  // the CLI's error line, when the cell's process failed in this call
  failure?: string;
}

export interface SuiteReportExperiment {
  name: string;
  config: string;
  overrides: string[];
  baseline_experiment?: string;
  resolvedConfig: unknown;
}

export interface SuiteReportInput {
  name: string;
  description?: string;
  suiteFile: string;
  outDir: string;
  quick: boolean;
  seeds: number[];
  arms: { name: string; topk_mode: string }[];
  experiments: SuiteReportExperiment[];
  cells: SuiteReportCell[];
  sweep?: SweepAxes;
  pythonBin: string;
}

export interface SuiteReport {
  groups: GroupStatistics[];
  comparisons: PairedDifference[];
  files: string[];
  figureError?: string;
  oracle: SuiteOracle;
}

export const suiteFiles = { csv: 'suite.csv', oracleCsv: 'oracle.csv', markdown: 'report.md', html: 'report.html', figures: 'figures' } as const;

export async function writeSuiteReport(input: SuiteReportInput): Promise<SuiteReport> {
  const rows = input.cells.map(readCellRow);
  const metrics = getReportedMetrics(rows);
  const groups = aggregateSummaries(rows, metrics);
  const baselineOf = (experiment: string) => input.experiments.find((e) => e.name === experiment)?.baseline_experiment;
  const comparisons = compareWithBaselines(groups, metrics, baselineOf);
  const sweepGrids = input.sweep ? buildSweepGrids(input.sweep, getConfigsByExperiment(input), groups) : [];
  const oracle = await analyseSuiteOracle({
    outDir: input.outDir,
    experiments: input.experiments,
    cells: input.cells.map((cell, index) => ({ ...cell, status: rows[index]?.status ?? 'missing' })),
    pythonBin: input.pythonBin,
  });

  let figures: FigureFile[] = [];
  let figureError: string | undefined;
  try {
    figures = await drawSuiteFigures(buildFigureRequest(input, groups, sweepGrids, oracle), input.pythonBin);
  } catch (error) {
    figureError = (error as Error).message;
  }

  const blocks = buildReportBlocks({ input, groups, comparisons, sweepGrids, figures, figureError, oracle });
  const paths = {
    csv: join(input.outDir, suiteFiles.csv),
    oracleCsv: join(input.outDir, suiteFiles.oracleCsv),
    markdown: join(input.outDir, suiteFiles.markdown),
    html: join(input.outDir, suiteFiles.html),
  };
  writeFileSync(paths.csv, stringify(buildSuiteCsvRows(groups, comparisons), { header: true }));
  const oracleRows = buildOracleCsvRows(oracle);
  if (oracleRows.length > 0) writeFileSync(paths.oracleCsv, stringify(oracleRows, { header: true }));
  writeFileSync(paths.markdown, renderMarkdown(blocks));
  writeFileSync(paths.html, renderHtml(blocks, `Suite ${input.name}`, input.outDir));
  const files = [paths.csv, ...(oracleRows.length > 0 ? [paths.oracleCsv] : []), paths.markdown, paths.html];
  return { groups, comparisons, files, figureError, oracle };
}

// oracle.csv of the suite: the rows of `topk-gan oracle`, per experiment.
function buildOracleCsvRows(oracle: SuiteOracle) {
  return oracle.seedResults.flatMap((r) => toOracleCsvRows([r], { experiment: r.experiment }));
}

// The cell's summary row, or a row that records why there is none.
export function readCellRow(cell: SuiteReportCell): SummaryRow {
  const summaryPath = join(cell.dir, runFiles.summary);
  const found = existsSync(summaryPath)
    ? readCsv(summaryPath).find((row) => row.arm === cell.arm && row.seed === String(cell.seed))
    : undefined;
  const identity = { experiment: cell.experiment, arm: cell.arm, seed: String(cell.seed), topk_mode: cell.topk_mode };
  if (found) return { ...found, ...identity };
  return { ...identity, status: readRunJson(cell.dir)?.status ?? 'missing' };
}

function readRunJson(dir: string): { status?: string; versions?: Record<string, string>; device?: string; timings?: Record<string, number> } | null {
  try {
    return JSON.parse(readFileSync(join(dir, runFiles.run), 'utf8'));
  } catch {
    return null;
  }
}

function getConfigsByExperiment(input: SuiteReportInput): Map<string, unknown> {
  return new Map(input.experiments.map((e) => [e.name, e.resolvedConfig]));
}

// suite.csv: one row per experiment, arm and metric, with its paired
// difference against the baseline where the arm has one.
export function buildSuiteCsvRows(groups: GroupStatistics[], comparisons: PairedDifference[]) {
  return groups.flatMap((group) =>
    Object.entries(group.metrics).map(([metric, stats]) => {
      const paired = comparisons.find((c) => c.experiment === group.experiment && c.arm === group.arm && c.metric === metric);
      return {
        experiment: group.experiment,
        arm: group.arm,
        topk_mode: group.topk_mode,
        modes_total: group.modes_total,
        metric,
        n_cells: group.n_cells,
        n_completed: group.n_completed,
        n_failed: group.n_failed,
        n_diverged: group.n_diverged,
        n: stats.n,
        mean: stats.mean,
        sd: stats.sd,
        ci_level: confidenceLevel,
        ci_low: stats.ci_low,
        ci_high: stats.ci_high,
        baseline: paired ? `${paired.baseline_experiment}/${paired.baseline_arm}` : '',
        pairs_n: paired?.n ?? '',
        diff_mean: paired?.mean ?? null,
        diff_ci_low: paired?.ci_low ?? null,
        diff_ci_high: paired?.ci_high ?? null,
        p_value: paired?.p_value ?? null,
        test: paired?.test ?? '',
      };
    }),
  );
}

function buildFigureRequest(input: SuiteReportInput, groups: GroupStatistics[], sweepGrids: SweepGrid[], oracle: SuiteOracle): FigureRequest {
  const cellDir = (experiment: string, arm: string, seed: string) =>
    input.cells.find((c) => c.experiment === experiment && c.arm === arm && String(c.seed) === seed)?.dir;
  return {
    out_dir: join(input.outDir, suiteFiles.figures),
    experiments: input.experiments.map((experiment) => {
      const ofExperiment = groups.filter((g) => g.experiment === experiment.name);
      return {
        name: experiment.name,
        modes_total: Number(ofExperiment.find((g) => g.modes_total)?.modes_total) || null,
        arms: ofExperiment.map((group) => ({
          name: group.arm,
          topk_mode: group.topk_mode,
          final_modes: group.completed.map((row) => Number(row.modes_recovered)).filter(Number.isFinite),
          metrics_csv: group.completed
            .map((row) => cellDir(group.experiment, group.arm, row.seed ?? ''))
            .filter((dir): dir is string => dir !== undefined)
            .map((dir) => join(dir, runFiles.metrics)),
        })),
        oracle: toFigureOracle(oracle, experiment.name),
      };
    }),
    heat_maps: sweepGrids.map((grid) => ({
      arm: grid.arm,
      x_label: grid.axes.x,
      y_label: grid.axes.y,
      x_values: grid.xValues,
      y_values: grid.yValues,
      means: getSweepMeans(grid),
    })),
  };
}

interface ReportParts {
  input: SuiteReportInput;
  groups: GroupStatistics[];
  comparisons: PairedDifference[];
  sweepGrids: SweepGrid[];
  figures: FigureFile[];
  figureError?: string;
  oracle: SuiteOracle;
}

function buildReportBlocks(parts: ReportParts): Block[] {
  const { input } = parts;
  return [
    { kind: 'heading', level: 1, text: `Suite ${input.name}${input.quick ? ' (quick)' : ''}` },
    ...(input.description ? [{ kind: 'paragraph', text: input.description } as Block] : []),
    ...buildSettingsBlocks(input, parts.groups),
    ...buildResultBlocks(parts),
    ...buildSweepBlocks(parts),
    ...buildOracleBlocks(parts.oracle, parts.figures, input.outDir),
    ...buildFigureBlocks(parts),
    ...buildFailureBlocks(input, parts.groups),
  ];
}

function buildSettingsBlocks(input: SuiteReportInput, groups: GroupStatistics[]): Block[] {
  const records = input.cells.map((cell) => readRunJson(cell.dir)).filter((r) => r !== null);
  const count = (key: 'n_completed' | 'n_failed' | 'n_diverged') => groups.reduce((sum, g) => sum + g[key], 0);
  const trainingSeconds = records.flatMap((r) => Object.values(r.timings ?? {})).reduce((sum, s) => sum + s, 0);
  return [
    { kind: 'heading', level: 2, text: 'Settings' },
    {
      kind: 'list',
      items: [
        `suite file: \`${input.suiteFile}\`${input.quick ? ', run with `--quick` (short settings: a smoke test, not a result)' : ''}`,
        `seeds: ${input.seeds.join(', ')}`,
        `arms: ${input.arms.map((arm) => `${arm.name} (topk_mode ${arm.topk_mode})`).join(', ')}`,
        `cells: ${input.cells.length} (${count('n_completed')} completed, ${count('n_diverged')} diverged, ${count('n_failed')} failed or not run); training time ${formatDuration(trainingSeconds)} in total`,
        `versions: ${describeVersions(records.map((r) => r.versions ?? {}))}`,
        `device: ${[...new Set(records.map((r) => r.device).filter(Boolean))].join(', ') || 'unknown'}`,
      ],
    },
    {
      kind: 'table',
      table: {
        header: ['experiment', 'config', 'overrides', 'compared with'],
        rows: input.experiments.map((e) => [
          e.name,
          `\`${e.config}\``,
          e.overrides.map((o) => `\`${o}\``).join(' ') || '—',
          e.baseline_experiment ? `same arm on ${e.baseline_experiment}` : 'the none arm',
        ]),
      },
    },
  ];
}

// "topk-gan 0.1.0; node v20.20.2; torch 2.9.1", every distinct value kept.
function describeVersions(versions: Record<string, string>[]): string {
  const keys = [...new Set(versions.flatMap((v) => Object.keys(v)))];
  if (keys.length === 0) return 'unknown (no run.json found)';
  return keys.map((key) => `${key} ${[...new Set(versions.map((v) => v[key]).filter(Boolean))].join(' / ')}`).join('; ');
}

const verdictMetrics = ['modes_recovered', 'high_quality_pct', 'fid'];

function buildResultBlocks({ groups, comparisons }: ReportParts): Block[] {
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Results' },
    { kind: 'table', table: buildGroupTable(groups) },
    { kind: 'paragraph', text: statisticsNote },
  ];
  if (comparisons.length > 0) {
    blocks.push(
      { kind: 'heading', level: 2, text: 'Paired differences vs baseline' },
      { kind: 'table', table: buildPairedTable(comparisons) },
    );
  }
  blocks.push({ kind: 'heading', level: 2, text: 'Verdicts' });
  for (const experiment of [...new Set(groups.map((g) => g.experiment))]) {
    const items = groups
      .filter((g) => g.experiment === experiment)
      .flatMap((group) => [
        describeArm(group),
        ...comparisons
          .filter((c) => c.experiment === group.experiment && c.arm === group.arm && verdictMetrics.includes(c.metric))
          .map(describeComparison),
      ]);
    blocks.push({ kind: 'heading', level: 3, text: experiment }, { kind: 'list', items });
  }
  return blocks;
}

function buildSweepBlocks({ sweepGrids, figures, input }: ReportParts): Block[] {
  if (sweepGrids.length === 0) return [];
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Sweep' }];
  for (const grid of sweepGrids) {
    blocks.push(
      { kind: 'paragraph', text: `Arm **${grid.arm}**: modes recovered, mean [95% CI] (n), with ${grid.axes.y} in rows and ${grid.axes.x} in columns.` },
      { kind: 'table', table: buildSweepTable(grid) },
    );
    const heatMap = figures.find((f) => f.kind === 'heat_map' && f.arm === grid.arm);
    if (heatMap) blocks.push({ kind: 'image', alt: heatMap.title, path: relative(input.outDir, heatMap.path) });
  }
  return blocks;
}

function buildFigureBlocks({ figures, figureError, input }: ReportParts): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Figures' }];
  if (figureError) blocks.push({ kind: 'paragraph', text: `The figures could not be drawn: ${figureError}` });
  for (const experiment of input.experiments) {
    // the oracle histograms sit in their own section
    const own = figures.filter((f) => f.experiment === experiment.name && f.kind !== 'oracle_histogram');
    if (own.length === 0) continue;
    blocks.push({ kind: 'heading', level: 3, text: experiment.name });
    blocks.push(...own.map((f): Block => ({ kind: 'image', alt: f.title, path: relative(input.outDir, f.path) })));
  }
  return blocks;
}

function buildFailureBlocks(input: SuiteReportInput, groups: GroupStatistics[]): Block[] {
  if (groups.every((g) => g.n_failed === 0)) return [];
  const items = input.cells.flatMap((cell) => {
    const status = readCellRow(cell).status ?? 'missing';
    if (status === 'completed' || status === 'diverged') return [];
    const why = cell.failure ?? (readRunJson(cell.dir) as { reason?: string } | null)?.reason ?? 'no reason recorded';
    return [`\`${relative(input.outDir, cell.dir)}\`: ${status}: ${why} (log: \`${relative(input.outDir, cell.logPath)}\`)`];
  });
  return [
    { kind: 'heading', level: 2, text: 'Cells that did not complete' },
    { kind: 'paragraph', text: 'These cells are counted as failed in the tables and left out of every mean and pair. Run the suite again to resume them.' },
    { kind: 'list', items },
  ];
}
