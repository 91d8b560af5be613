// TypeScript reference of the selection rule that py/topkgan/train/selection.py
// runs on the device; test/fixtures/selection-vectors.json holds the cases
// both must agree on.
import type { TopkMode } from './schedule.js';

// A batch of n samples when the schedule was made for B keeps k in
// proportion, never more than it has and never fewer than one.
export function getEffectiveK(k: number, batchSize: number, n: number): number {
  return Math.min(n, Math.max(1, Math.floor((k * n) / batchSize)));
}

// Indices kept for the generator update, ascending. Ties go to the lower
// index; `random` takes a source of uniform numbers in [0, 1).
export function selectIndices(
  scores: readonly number[],
  k: number,
  batchSize: number,
  mode: TopkMode,
  random: () => number = Math.random,
): number[] {
  const all = scores.map((_, index) => index);
  if (mode === 'none') {
    return all;
  }

  const keep = getEffectiveK(k, batchSize, scores.length);
  const ordered = orderForMode(scores, all, mode, random);
  return ordered.slice(0, keep).sort((a, b) => a - b);
}

function orderForMode(
  scores: readonly number[],
  indices: number[],
  mode: Exclude<TopkMode, 'none'>,
  random: () => number,
): number[] {
  const score = (i: number) => scores[i] as number;
  if (mode === 'top') {
    return indices.sort((a, b) => score(b) - score(a) || a - b);
  }
  if (mode === 'bottom') {
    return indices.sort((a, b) => score(a) - score(b) || a - b);
  }
  return shuffle(indices, random);
}

function shuffle(indices: number[], random: () => number): number[] {
  for (let i = indices.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [indices[i], indices[j]] = [indices[j] as number, indices[i] as number];
  }
  return indices;
}
