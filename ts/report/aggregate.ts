// `topk-gan report`: summaries of one or more runs, grouped by experiment and
// arm, as mean, standard deviation and n. Diverged and failed cells are
// counted beside the statistics, never dropped silently.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../cli/errors.js';
import { runFiles } from '../run/run-folder.js';
import { readCsv } from './csv-file.js';
import { mean, sampleStandardDeviation } from './statistics.js';

export const reportedMetrics = ['modes_recovered', 'high_quality_pct', 'mode_evenness'] as const;

export interface GroupStatistics {
  experiment: string;
  arm: string;
  topk_mode: string;
  modes_total: string;
  n_cells: number;
  n_completed: number;
  n_not_completed: number;
  metrics: Record<string, { mean: number | null; sd: number | null; n: number }>;
}

export function readSummaries(runDirs: string[]): Record<string, string>[] {
  return runDirs.flatMap((runDir) => {
    const path = join(runDir, runFiles.summary);
    if (!existsSync(path)) {
      throw new UserError(`${runDir}: no ${runFiles.summary} found; is this a run folder whose first arm finished?`);
    }
    return readCsv(path);
  });
}

export function aggregateSummaries(rows: Record<string, string>[]): GroupStatistics[] {
  const groups = new Map<string, Record<string, string>[]>();
  for (const row of rows) {
    const key = `${row.experiment}\u0000${row.arm}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map(summariseGroup);
}

function summariseGroup(rows: Record<string, string>[]): GroupStatistics {
  const first = rows[0] as Record<string, string>;
  const completed = rows.filter((row) => row.status === 'completed');
  const metrics: GroupStatistics['metrics'] = {};
  for (const metric of reportedMetrics) {
    const values = completed
      .map((row) => row[metric])
      .filter((value): value is string => value !== undefined && value !== '')
      .map(Number);
    metrics[metric] = { mean: mean(values), sd: sampleStandardDeviation(values), n: values.length };
  }
  return {
    experiment: first.experiment ?? '',
    arm: first.arm ?? '',
    topk_mode: first.topk_mode ?? '',
    modes_total: first.modes_total ?? '',
    n_cells: rows.length,
    n_completed: completed.length,
    n_not_completed: rows.length - completed.length,
    metrics,
  };
}

export function toReportRows(groups: GroupStatistics[]) {
  return groups.map((group) => {
    const row: Record<string, string | number | null> = {
      experiment: group.experiment,
      arm: group.arm,
      topk_mode: group.topk_mode,
      modes_total: group.modes_total,
      n_cells: group.n_cells,
      n_not_completed: group.n_not_completed,
    };
    for (const metric of reportedMetrics) {
      const stats = group.metrics[metric];
      row[`${metric}_mean`] = stats?.mean ?? null;
      row[`${metric}_sd`] = stats?.sd ?? null;
      row[`${metric}_n`] = stats?.n ?? 0;
    }
    return row;
  });
}

export function formatMarkdownTable(groups: GroupStatistics[]): string {
  const header = ['experiment', 'arm', 'top-k mode', 'modes', 'modes recovered', 'high-quality %', 'evenness', 'n', 'not completed'];
  const lines = [
    `| ${header.join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
  ];
  for (const group of groups) {
    const cell = (metric: string) => formatMeanSd(group.metrics[metric]);
    lines.push(`| ${[group.experiment, group.arm, group.topk_mode, group.modes_total, cell('modes_recovered'), cell('high_quality_pct'), cell('mode_evenness'), group.n_completed, group.n_not_completed].join(' | ')} |`);
  }
  return `${lines.join('\n')}\n\nMean ± sample standard deviation (n - 1) over completed seeds; "n/a" where n < 2.\n`;
}

function formatMeanSd(stats: { mean: number | null; sd: number | null } | undefined): string {
  if (!stats || stats.mean === null) return '—';
  const sd = stats.sd === null ? 'n/a' : stats.sd.toFixed(2);
  return `${stats.mean.toFixed(2)} ± ${sd}`;
}
