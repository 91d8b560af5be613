// The suite report's oracle-direction section. For each mixture-of-Gaussians
// experiment, the analysis runs on the final checkpoint of every completed
// cell of the baseline arm (topk_mode none): a generator trained on every
// sample, so neither selection shaped the weights the two steps start from,
// and one checkpoint per seed keeps top and bottom paired by seed. Each
// seed gives one mean cosine per selection; those are aggregated over seeds.
import { relative } from 'node:path';
import {
  analyseEach,
  defaultOracleSettings,
  isOracleFailure,
  readMixtureRunConfig,
  type OracleAnalysis,
  type OracleTarget,
} from '../analysis/oracle-direction.js';
import { findUsableCheckpoint, getCheckpointDir } from '../run/checkpoints.js';
import { describeValues, type MetricStatistics } from './aggregate.js';
import type { Block } from './document.js';
import type { FigureFile, FigureOracle } from './figures.js';
import { formatMeanCi, formatP, formatSigned, formatValue } from './format.js';
import { comparePaired, mean, type PairedComparison } from './statistics.js';
import type { Table } from './tables.js';

// The two selections the paper contrasts: the samples top-k training keeps
// and the ones it throws away.
export const reportedSelections = ['top', 'bottom'] as const;

export interface OracleCell {
  experiment: string;
  arm: string;
  topk_mode: string;
  seed: number;
  dir: string;
  status: string;
}

// One seed's analysis (its baseline checkpoint, one latent batch).
export interface OracleSeedResult extends OracleAnalysis {
  experiment: string;
}

export interface OracleSelectionSummary {
  selection: string;
  // per-seed means over every sample of the batch, then over seeds
  mean_cosine: MetricStatistics;
  negative_fraction: MetricStatistics;
  // the same over the kept samples only
  kept_mean_cosine: MetricStatistics;
  // mean over seeds of the within-batch SD of the cosines
  within_batch_sd: number | null;
  mean_displacement: number | null;
  // counts per bin, summed over seeds
  histogram: number[];
}

export interface OracleExperimentSummary {
  experiment: string;
  arm: string;
  seeds: number[];
  k: number[];
  batch_size: number[];
  edges: number[];
  selections: OracleSelectionSummary[];
  // top minus bottom mean cosine, paired by seed
  paired: PairedComparison;
}

export interface SuiteOracle {
  summaries: OracleExperimentSummary[];
  seedResults: OracleSeedResult[];
  // experiments or cells left out, and why
  notes: string[];
  // the analysis could not run at all
  error?: string;
}

export interface SuiteOracleInput {
  outDir: string;
  experiments: { name: string; resolvedConfig: unknown }[];
  cells: OracleCell[];
  pythonBin: string;
}

export async function analyseSuiteOracle(input: SuiteOracleInput): Promise<SuiteOracle> {
  const notes: string[] = [];
  const targets = input.experiments.flatMap((experiment) => selectTargets(experiment, input, notes));
  if (targets.length === 0) return { summaries: [], seedResults: [], notes };

  let outcomes;
  try {
    outcomes = await analyseEach(targets.map((t) => t.target), defaultOracleSettings, input.pythonBin);
  } catch (error) {
    return { summaries: [], seedResults: [], notes, error: (error as Error).message };
  }
  const seedResults: OracleSeedResult[] = [];
  outcomes.forEach((outcome, index) => {
    const { experiment, target } = targets[index] as (typeof targets)[number];
    if (isOracleFailure(outcome)) notes.push(`\`${describeCell(input, target)}\`: ${outcome.message}`);
    else seedResults.push({ ...outcome, experiment });
  });
  return { summaries: aggregateOracle(seedResults), seedResults, notes };
}

// The baseline cells of one experiment that can be analysed; the others
// are named in `notes` with the reason.
function selectTargets(
  experiment: SuiteOracleInput['experiments'][number],
  input: SuiteOracleInput,
  notes: string[],
): { experiment: string; target: OracleTarget }[] {
  const kind = (experiment.resolvedConfig as { data?: { kind?: string } })?.data?.kind;
  if (kind !== 'mog') {
    notes.push(`${experiment.name}: not a mixture of Gaussians (data.kind ${kind}); the analysis needs one.`);
    return [];
  }
  const cells = input.cells.filter((c) => c.experiment === experiment.name && c.topk_mode === 'none');
  if (cells.length === 0) {
    notes.push(`${experiment.name}: no baseline arm (topk_mode none) to analyse.`);
    return [];
  }
  return cells.flatMap((cell) => {
    const target = createTarget(cell, input, notes);
    return target ? [{ experiment: experiment.name, target }] : [];
  });
}

function createTarget(cell: OracleCell, input: SuiteOracleInput, notes: string[]): OracleTarget | null {
  const name = `\`${relative(input.outDir, cell.dir)}\``;
  if (cell.status !== 'completed') {
    notes.push(`${name}: ${cell.status}, so it has no final checkpoint; left out.`);
    return null;
  }
  const checkpoint = findUsableCheckpoint(getCheckpointDir(cell.dir, cell.arm, cell.seed));
  if (!checkpoint) {
    notes.push(`${name}: no intact checkpoint; left out.`);
    return null;
  }
  try {
    const config = readMixtureRunConfig(cell.dir);
    return { runDir: cell.dir, config, arm: { name: cell.arm, topk_mode: 'none' }, seed: cell.seed, checkpoint };
  } catch (error) {
    notes.push(`${name}: ${(error as Error).message}; left out.`);
    return null;
  }
}

function describeCell(input: SuiteOracleInput, target: OracleTarget): string {
  return relative(input.outDir, target.runDir);
}

// Per experiment: each selection's per-seed numbers over seeds, and top
// against bottom paired by seed.
export function aggregateOracle(seedResults: OracleSeedResult[]): OracleExperimentSummary[] {
  const experiments = [...new Set(seedResults.map((r) => r.experiment))];
  return experiments.map((experiment) => {
    const own = seedResults.filter((r) => r.experiment === experiment).sort((a, b) => a.seed - b.seed);
    const first = own[0] as OracleSeedResult;
    return {
      experiment,
      arm: first.arm,
      seeds: own.map((r) => r.seed),
      k: distinct(own.map((r) => r.result.k)),
      batch_size: distinct(own.map((r) => r.result.batch_size)),
      edges: first.result.histogram_edges,
      selections: reportedSelections.map((selection) => summariseSelection(selection, own)),
      paired: compareTopWithBottom(own),
    };
  });
}

function summariseSelection(selection: string, results: OracleSeedResult[]): OracleSelectionSummary {
  const outcomes = results.map((r) => r.result.arms[selection]).filter((o) => o !== undefined);
  const values = (pick: (o: (typeof outcomes)[number]) => number | null) =>
    outcomes.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  const bins = results[0]?.result.histogram_edges.length ?? 1;
  return {
    selection,
    mean_cosine: describeValues(values((o) => o.all.mean)),
    negative_fraction: describeValues(values((o) => o.all.negative_fraction)),
    kept_mean_cosine: describeValues(values((o) => o.used.mean)),
    within_batch_sd: mean(values((o) => o.all.std)),
    mean_displacement: mean(values((o) => o.all.mean_displacement_norm)),
    histogram: sumHistograms(outcomes.map((o) => o.all.histogram), bins - 1),
  };
}

// Seeds where both selections have a mean cosine form a pair.
function compareTopWithBottom(results: OracleSeedResult[]): PairedComparison {
  const pairs = results
    .map((r) => [r.result.arms.top?.all.mean, r.result.arms.bottom?.all.mean] as const)
    .filter((pair): pair is readonly [number, number] => typeof pair[0] === 'number' && typeof pair[1] === 'number');
  return comparePaired(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
}

function sumHistograms(histograms: number[][], bins: number): number[] {
  return Array.from({ length: bins }, (_, bin) => histograms.reduce((sum, counts) => sum + (counts[bin] ?? 0), 0));
}

function distinct(values: number[]): number[] {
  return [...new Set(values)];
}

// The figure request's `oracle` entry of an experiment, if it was analysed.
export function toFigureOracle(oracle: SuiteOracle, experiment: string): FigureOracle | undefined {
  const summary = oracle.summaries.find((s) => s.experiment === experiment);
  if (!summary) return undefined;
  return {
    edges: summary.edges,
    seeds: summary.seeds.length,
    selections: summary.selections.map((s) => ({ name: s.selection, histogram: s.histogram })),
  };
}

export const oracleNote =
  'From the final checkpoint of each completed seed of the **baseline** arm (trained on every sample, so neither selection shaped the weights), one generator step (Adam with the checkpoint\'s moments, learning rate lr_g) on the k samples of a fixed latent batch (batch seed 0) that D scores highest (**top**) and, from the same weights, one on the k it scores lowest (**bottom**); k is the top-k schedule\'s k at that step, so with k > B/2 the two selections share 2k - B samples (128 of 256 at k = 192), which narrows the contrast; `topk-gan oracle --k` and `--optimiser sgd` vary this. For every sample of the batch, the cosine between its move G\'(z) - G(z) and the direction to its nearest mode centre: 1 is straight towards the mode, -1 straight away. Each seed gives a mean over the batch; the table shows the mean of those over seeds with a 95% CI (Student t), and top minus bottom paired by seed with the two-sided paired t-test.';

export function buildOracleBlocks(oracle: SuiteOracle, figures: FigureFile[], outDir: string): Block[] {
  const blocks: Block[] = [{ kind: 'heading', level: 2, text: 'Oracle direction' }];
  if (oracle.error) {
    blocks.push({ kind: 'paragraph', text: `The oracle-direction analysis could not be run: ${oracle.error}` });
  } else if (oracle.summaries.length === 0) {
    blocks.push({ kind: 'paragraph', text: 'Skipped: no completed baseline cell with an intact checkpoint to analyse.' });
  } else {
    blocks.push(
      { kind: 'paragraph', text: oracleNote },
      { kind: 'table', table: buildOracleSummaryTable(oracle.summaries) },
      { kind: 'table', table: buildOraclePairedTable(oracle.summaries) },
      { kind: 'list', items: oracle.summaries.map(describeOracleComparison) },
    );
  }
  if (oracle.notes.length > 0) {
    blocks.push({ kind: 'paragraph', text: 'Left out of the analysis:' }, { kind: 'list', items: oracle.notes });
  }
  for (const figure of figures.filter((f) => f.kind === 'oracle_histogram')) {
    blocks.push({ kind: 'image', alt: figure.title, path: relative(outDir, figure.path) });
  }
  return blocks;
}

export function buildOracleSummaryTable(summaries: OracleExperimentSummary[]): Table {
  const header = [
    'experiment', 'checkpoints of', 'selection', 'k of B', 'seeds',
    'mean cosine mean [95% CI]', 'share of cosines < 0 mean [95% CI]',
    'kept samples\' mean cosine mean [95% CI]', 'within-batch SD', 'mean displacement',
  ];
  const rows = summaries.flatMap((summary) =>
    summary.selections.map((s) => [
      summary.experiment,
      summary.arm,
      s.selection,
      `${summary.k.join('/')} of ${summary.batch_size.join('/')}`,
      String(s.mean_cosine.n),
      formatMeanCi(s.mean_cosine, 3),
      formatMeanCi(s.negative_fraction, 3),
      formatMeanCi(s.kept_mean_cosine, 3),
      formatValue(s.within_batch_sd, 3),
      s.mean_displacement === null ? '—' : s.mean_displacement.toExponential(2),
    ]),
  );
  return { header, rows };
}

export function buildOraclePairedTable(summaries: OracleExperimentSummary[]): Table {
  const header = ['experiment', 'difference', 'n pairs', 'difference mean [95% CI]', 'p (paired t-test, two-sided)'];
  const rows = summaries.map((s) => [
    s.experiment,
    'top - bottom mean cosine',
    String(s.paired.n),
    s.paired.mean === null ? '—' : `${formatSigned(s.paired.mean, 3)} [${s.paired.low === null || s.paired.high === null ? 'n/a' : `${formatValue(s.paired.low, 3)}, ${formatValue(s.paired.high, 3)}`}]`,
    formatP(s.paired.p_value),
  ]);
  return { header, rows };
}

// "mog-grid25: mean cosine 0.120 after a top-k step (95% CI ...) and
// -0.050 after a bottom-k step (...); top - bottom +0.170 (95% CI ...,
// paired t-test p = 0.04, n = 3): ..."
export function describeOracleComparison(summary: OracleExperimentSummary): string {
  const [top, bottom] = summary.selections as [OracleSelectionSummary, OracleSelectionSummary];
  const each = `mean cosine ${describeMean(top.mean_cosine)} after a top-k step and ${describeMean(bottom.mean_cosine)} after a bottom-k step`;
  const { paired } = summary;
  if (paired.mean === null) return `**${summary.experiment}**: ${each}; no seed has both, so no comparison.`;
  const difference = `top - bottom ${formatSigned(paired.mean, 3)}`;
  if (paired.low === null || paired.high === null) {
    return `**${summary.experiment}**: ${each}; ${difference} from a single seed (n = 1): no interval or test is possible.`;
  }
  const evidence = `(95% CI ${formatValue(paired.low, 3)} to ${formatValue(paired.high, 3)}, paired t-test p ${formatPEquals(paired.p_value)}, n = ${paired.n})`;
  return `**${summary.experiment}**: ${each}; ${difference} ${evidence}: ${concludeOracle(paired)}.`;
}

function describeMean(stats: MetricStatistics): string {
  if (stats.mean === null) return '— (no seed)';
  if (stats.ci_low === null || stats.ci_high === null) return `${formatValue(stats.mean, 3)} (n = ${stats.n})`;
  return `${formatValue(stats.mean, 3)} (95% CI ${formatValue(stats.ci_low, 3)} to ${formatValue(stats.ci_high, 3)}, n = ${stats.n})`;
}

function formatPEquals(p: number | null): string {
  const text = formatP(p);
  return text.startsWith('<') ? text : `= ${text}`;
}

function concludeOracle(paired: PairedComparison): string {
  if ((paired.low as number) > 0) return 'the top-k step moves samples more towards their nearest mode than the bottom-k step; the 95% CI excludes no difference';
  if ((paired.high as number) < 0) return 'the bottom-k step moves samples more towards their nearest mode than the top-k step; the 95% CI excludes no difference';
  return 'not distinguishable from no difference at this sample size';
}
