// Summaries of one or more runs, grouped by experiment and arm: mean,
// standard deviation, n and a 95% Student-t interval per metric, and every
// non-baseline arm against its baseline, paired by seed. Diverged and failed
// cells are counted beside the statistics, never dropped silently.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../cli/errors.js';
import { runFiles } from '../run/run-folder.js';
import { readCsv } from './csv-file.js';
import { comparePaired, confidenceInterval, sampleStandardDeviation } from './statistics.js';

export const reportedMetrics = ['modes_recovered', 'high_quality_pct', 'mode_evenness'] as const;

// Image experiments will add `fid`; it is reported wherever it has a value.
const optionalMetrics = ['fid'] as const;

export const confidenceLevel = 0.95;

export type SummaryRow = Record<string, string>;

export interface MetricStatistics {
  mean: number | null;
  sd: number | null;
  n: number;
  ci_low: number | null;
  ci_high: number | null;
}

export interface GroupStatistics {
  experiment: string;
  arm: string;
  topk_mode: string;
  modes_total: string;
  n_cells: number;
  n_completed: number;
  n_failed: number;
  n_diverged: number;
  n_not_completed: number;
  metrics: Record<string, MetricStatistics>;
  completed: SummaryRow[];
}

export interface PairedDifference {
  experiment: string;
  arm: string;
  baseline_experiment: string;
  baseline_arm: string;
  metric: string;
  n: number;
  mean: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
  test: string;
}

export function readSummaries(runDirs: string[]): SummaryRow[] {
  return runDirs.flatMap((runDir) => {
    const path = join(runDir, runFiles.summary);
    if (!existsSync(path)) {
      throw new UserError(`${runDir}: no ${runFiles.summary} found; is this a run folder whose first arm finished?`);
    }
    return readCsv(path);
  });
}

export function getReportedMetrics(rows: SummaryRow[]): string[] {
  const present = optionalMetrics.filter((metric) => rows.some((row) => hasValue(row[metric])));
  return [...reportedMetrics, ...present];
}

export function aggregateSummaries(rows: SummaryRow[], metrics = getReportedMetrics(rows)): GroupStatistics[] {
  const groups = new Map<string, SummaryRow[]>();
  for (const row of rows) {
    const key = `${row.experiment}\u0000${row.arm}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((groupRows) => summariseGroup(groupRows, metrics));
}

function summariseGroup(rows: SummaryRow[], metricNames: string[]): GroupStatistics {
  const first = rows[0] as SummaryRow;
  const completed = rows.filter((row) => row.status === 'completed');
  const diverged = rows.filter((row) => row.status === 'diverged').length;
  const metrics: GroupStatistics['metrics'] = {};
  for (const metric of metricNames) metrics[metric] = describeValues(getValues(completed, metric));
  return {
    experiment: first.experiment ?? '',
    arm: first.arm ?? '',
    topk_mode: first.topk_mode ?? '',
    modes_total: rows.map((row) => row.modes_total).find(hasValue) ?? '',
    n_cells: rows.length,
    n_completed: completed.length,
    n_failed: rows.length - completed.length - diverged,
    n_diverged: diverged,
    n_not_completed: rows.length - completed.length,
    metrics,
    completed,
  };
}

export function describeValues(values: number[]): MetricStatistics {
  const interval = confidenceInterval(values, confidenceLevel);
  return {
    mean: interval.mean,
    sd: sampleStandardDeviation(values),
    n: values.length,
    ci_low: interval.low,
    ci_high: interval.high,
  };
}

function getValues(rows: SummaryRow[], metric: string): number[] {
  return rows.map((row) => row[metric]).filter(hasValue).map(Number);
}

function hasValue(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

// The group an arm is compared with: by default the arm with topk_mode none
// of the same experiment; `baselineExperimentOf` can point an experiment at
// the same arm of another experiment (a sweep's reference setting).
export type BaselineExperimentOf = (experiment: string) => string | undefined;

export function findBaselineGroup(
  group: GroupStatistics,
  groups: GroupStatistics[],
  baselineExperimentOf: BaselineExperimentOf = () => undefined,
): GroupStatistics | undefined {
  const other = baselineExperimentOf(group.experiment);
  if (other !== undefined) {
    return groups.find((g) => g.experiment === other && g.arm === group.arm);
  }
  if (group.topk_mode === 'none') return undefined;
  return groups.find((g) => g.experiment === group.experiment && g.topk_mode === 'none');
}

export function compareWithBaselines(
  groups: GroupStatistics[],
  metrics: string[],
  baselineExperimentOf?: BaselineExperimentOf,
): PairedDifference[] {
  return groups.flatMap((group) => {
    const baseline = findBaselineGroup(group, groups, baselineExperimentOf);
    if (!baseline) return [];
    return metrics.map((metric) => comparePairedBySeed(group, baseline, metric));
  });
}

// Only seeds where both cells completed with a value form a pair.
export function comparePairedBySeed(group: GroupStatistics, baseline: GroupStatistics, metric: string): PairedDifference {
  const baselineBySeed = new Map(baseline.completed.filter((row) => hasValue(row[metric])).map((row) => [row.seed, Number(row[metric])]));
  const pairs = group.completed
    .filter((row) => hasValue(row[metric]) && baselineBySeed.has(row.seed))
    .map((row) => [Number(row[metric]), baselineBySeed.get(row.seed) as number] as const);
  const result = comparePaired(pairs.map((p) => p[0]), pairs.map((p) => p[1]), confidenceLevel);
  return {
    experiment: group.experiment,
    arm: group.arm,
    baseline_experiment: baseline.experiment,
    baseline_arm: baseline.arm,
    metric,
    n: result.n,
    mean: result.mean,
    ci_low: result.low,
    ci_high: result.high,
    p_value: result.p_value,
    test: result.test,
  };
}

// report.csv: one row per experiment and arm.
export function toReportRows(groups: GroupStatistics[]) {
  return groups.map((group) => {
    const row: Record<string, string | number | null> = {
      experiment: group.experiment,
      arm: group.arm,
      topk_mode: group.topk_mode,
      modes_total: group.modes_total,
      n_cells: group.n_cells,
      n_not_completed: group.n_not_completed,
      n_failed: group.n_failed,
      n_diverged: group.n_diverged,
    };
    for (const [metric, stats] of Object.entries(group.metrics)) {
      row[`${metric}_mean`] = stats.mean;
      row[`${metric}_sd`] = stats.sd;
      row[`${metric}_n`] = stats.n;
      row[`${metric}_ci95_low`] = stats.ci_low;
      row[`${metric}_ci95_high`] = stats.ci_high;
    }
    return row;
  });
}
