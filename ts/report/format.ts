// Numbers as they appear in report tables and sentences.
import type { MetricStatistics } from './aggregate.js';

export const missing = '—';

export function formatValue(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return missing;
  return value.toFixed(digits);
}

export function formatSigned(value: number | null | undefined, digits = 2): string {
  const text = formatValue(value, digits);
  return value !== null && value !== undefined && value > 0 ? `+${text}` : text;
}

// "8.40 [6.12, 10.68]"; with n = 1 the interval is "n/a".
export function formatMeanCi(stats: Pick<MetricStatistics, 'mean' | 'ci_low' | 'ci_high'> | undefined, digits = 2): string {
  if (!stats || stats.mean === null) return missing;
  const interval = stats.ci_low === null || stats.ci_high === null ? 'n/a' : `${formatValue(stats.ci_low, digits)}, ${formatValue(stats.ci_high, digits)}`;
  return `${formatValue(stats.mean, digits)} [${interval}]`;
}

export function formatP(p: number | null | undefined): string {
  if (p === null || p === undefined) return 'n/a';
  if (p < 0.001) return '< 0.001';
  return p < 0.01 ? p.toFixed(3) : p.toFixed(2);
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds - minutes * 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
