// Plain-language verdicts that carry their uncertainty: every claim about an
// arm states its interval, and every comparison its interval and p-value.
import type { GroupStatistics, PairedDifference } from './aggregate.js';
import { formatP, formatSigned, formatValue } from './format.js';

const units: Record<string, string> = {
  modes_recovered: 'modes recovered',
  high_quality_pct: 'percentage points of high-quality samples',
  mode_evenness: 'mode evenness',
  fid: 'FID',
};

// "top on mog-grid25: 9.40 of 25 modes recovered (95% CI 7.10 to 11.70, n = 5)"
export function describeArm(group: GroupStatistics): string {
  const modes = group.metrics.modes_recovered;
  const quality = group.metrics.high_quality_pct;
  const head = `**${group.arm}** on ${group.experiment}`;
  if (!modes || modes.mean === null) {
    return `${head}: no cell completed (${group.n_failed} failed, ${group.n_diverged} diverged), so there is nothing to report.`;
  }
  const ofTotal = group.modes_total ? ` of ${group.modes_total}` : '';
  const parts = [
    `${formatValue(modes.mean)}${ofTotal} modes recovered (${describeInterval(modes.ci_low, modes.ci_high, modes.n)})`,
    quality && quality.mean !== null ? `${formatValue(quality.mean)}% high-quality samples (${describeInterval(quality.ci_low, quality.ci_high, quality.n)})` : null,
  ].filter((part): part is string => part !== null);
  const left = group.n_failed + group.n_diverged;
  const leftOut = left > 0 ? ` ${left} of ${group.n_cells} cells (${group.n_failed} failed, ${group.n_diverged} diverged) are left out.` : '';
  return `${head}: ${parts.join('; ')}.${leftOut}`;
}

function describeInterval(low: number | null, high: number | null, n: number): string {
  if (low === null || high === null) return `n = ${n}, too few seeds for an interval`;
  return `95% CI ${formatValue(low)} to ${formatValue(high)}, n = ${n}`;
}

// "top vs baseline on mog-grid25: +1.40 modes recovered (95% CI -0.30 to
// 3.10, paired t-test p = 0.09, n = 5): not distinguishable from no effect
// at this sample size."
export function describeComparison(comparison: PairedDifference): string {
  const unit = units[comparison.metric] ?? comparison.metric;
  const head = describePair(comparison);
  if (comparison.n === 0 || comparison.mean === null) {
    return `${head}: no seed where both completed, so no comparison of ${unit}.`;
  }
  const difference = `${formatSigned(comparison.mean)} ${unit}`;
  if (comparison.ci_low === null || comparison.ci_high === null) {
    return `${head}: ${difference} from a single seed pair (n = 1): no interval or test is possible, so this says nothing about a systematic effect.`;
  }
  const evidence = `(95% CI ${formatValue(comparison.ci_low)} to ${formatValue(comparison.ci_high)}, ${comparison.test.replace(' (two-sided)', '')} p ${formatPEquals(comparison.p_value)}, n = ${comparison.n})`;
  return `${head}: ${difference} ${evidence}: ${concludeFromInterval(comparison)}.`;
}

function describePair(c: PairedDifference): string {
  if (c.experiment === c.baseline_experiment) return `${c.arm} vs ${c.baseline_arm} on ${c.experiment}`;
  return `${c.arm} on ${c.experiment} vs ${c.baseline_arm} on ${c.baseline_experiment}`;
}

function formatPEquals(p: number | null): string {
  const text = formatP(p);
  return text.startsWith('<') ? text : `= ${text}`;
}

function concludeFromInterval(c: PairedDifference): string {
  const baseline = c.experiment === c.baseline_experiment ? c.baseline_arm : `${c.baseline_arm} on ${c.baseline_experiment}`;
  if ((c.ci_low as number) > 0) return `higher than ${baseline}; the 95% CI excludes no effect`;
  if ((c.ci_high as number) < 0) return `lower than ${baseline}; the 95% CI excludes no effect`;
  return 'not distinguishable from no effect at this sample size';
}
