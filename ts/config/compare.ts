// What of a config decides the numbers a run produces. A checkpoint is only
// resumed under a config that agrees on all of it.
import { createHash } from 'node:crypto';
import type { ExperimentConfig } from './schema.js';

// Where a run executes and how it reacts to hangs does not change its results.
const operationalKeys = new Set(['device', 'checkpoint', 'runtime']);

export function getResultDefiningConfig(config: ExperimentConfig): Record<string, unknown> {
  return Object.fromEntries(Object.entries(config).filter(([key]) => !operationalKeys.has(key)));
}

export function hashConfig(config: ExperimentConfig): string {
  const canonical = stableStringify(getResultDefiningConfig(config));
  return createHash('sha256').update(canonical).digest('hex');
}

// `path: before -> after` for every leaf that differs.
export function diffConfigs(before: unknown, after: unknown, path = ''): string[] {
  if (isMapping(before) && isMapping(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys
      .filter((key) => path !== '' || !operationalKeys.has(key))
      .flatMap((key) => diffConfigs(before[key], after[key], path ? `${path}.${key}` : key));
  }
  if (stableStringify(before) === stableStringify(after)) return [];
  return [`${path}: ${stableStringify(before)} -> ${stableStringify(after)}`];
}

function stableStringify(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (isMapping(value)) {
    const entries = Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${stableStringify(value[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
