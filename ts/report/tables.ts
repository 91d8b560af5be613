// The tables of `report` and `suite`, shaped like the reproduction report's:
// one row per experiment and arm, then the paired differences.
import type { GroupStatistics, PairedDifference } from './aggregate.js';
import { formatMeanCi, formatP, formatSigned, formatValue } from './format.js';

export interface Table {
  header: string[];
  rows: string[][];
}

export const metricLabels: Record<string, string> = {
  modes_recovered: 'modes recovered',
  high_quality_pct: 'high-quality %',
  mode_evenness: 'mode evenness',
  fid: 'FID',
};

// The metrics with a column of their own in the main table.
const tableMetrics = ['modes_recovered', 'high_quality_pct', 'fid'];

export function buildGroupTable(groups: GroupStatistics[]): Table {
  const metrics = tableMetrics.filter((metric) => groups.some((group) => group.metrics[metric]));
  const header = [
    'experiment', 'arm', 'K', 'modes',
    ...metrics.map((metric) => `${metricLabels[metric]} mean [95% CI]`),
    'n', 'failed/diverged',
  ];
  const rows = groups.map((group) => [
    group.experiment,
    group.arm,
    formatTopkSwitch(group.topk_mode),
    group.modes_total || '—',
    ...metrics.map((metric) => formatMeanCi(group.metrics[metric])),
    String(group.n_completed),
    `${group.n_failed}/${group.n_diverged}`,
  ]);
  return { header, rows };
}

// K as in the reproduction report: 1 when top-k selection is on, 0 when off.
function formatTopkSwitch(topkMode: string): string {
  return `${topkMode === 'none' ? 0 : 1} (${topkMode})`;
}

export function buildPairedTable(comparisons: PairedDifference[]): Table {
  const header = ['experiment', 'arm', 'vs', 'metric', 'n pairs', 'difference mean [95% CI]', 'p (paired t-test, two-sided)'];
  const rows = comparisons.map((c) => [
    c.experiment,
    c.arm,
    c.baseline_experiment === c.experiment ? c.baseline_arm : `${c.baseline_experiment}/${c.baseline_arm}`,
    metricLabels[c.metric] ?? c.metric,
    String(c.n),
    formatDifference(c),
    formatP(c.p_value),
  ]);
  return { header, rows };
}

function formatDifference(c: PairedDifference): string {
  if (c.mean === null) return '—';
  const interval = c.ci_low === null || c.ci_high === null ? 'n/a' : `${formatValue(c.ci_low)}, ${formatValue(c.ci_high)}`;
  return `${formatSigned(c.mean)} [${interval}]`;
}

export function formatMarkdownTable(table: Table): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|');
  return [
    `| ${table.header.map(escape).join(' | ')} |`,
    `|${table.header.map(() => '---').join('|')}|`,
    ...table.rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

export const statisticsNote =
  'Mean and 95% confidence interval (Student t, n - 1 degrees of freedom) over the seeds that completed; "n/a" where n < 2. Failed and diverged cells are counted, not averaged. Differences are arm minus baseline, paired by seed over the seeds where both completed, with the two-sided paired t-test.';

// report.md of `topk-gan report`: both tables and how to read them.
export function formatReportMarkdown(groups: GroupStatistics[], comparisons: PairedDifference[]): string {
  const parts = [formatMarkdownTable(buildGroupTable(groups))];
  if (comparisons.length > 0) parts.push(formatMarkdownTable(buildPairedTable(comparisons)));
  parts.push(statisticsNote);
  return `${parts.join('\n\n')}\n`;
}
