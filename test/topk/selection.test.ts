import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { getEffectiveK, selectIndices } from '../../ts/topk/selection.js';
import type { TopkMode } from '../../ts/topk/schedule.js';

interface SelectionCase {
  name: string;
  scores: number[];
  k: number;
  batch_size: number;
  mode: TopkMode;
  expected: number[];
}

const vectors = JSON.parse(
  readFileSync(join(process.cwd(), 'test/fixtures/selection-vectors.json'), 'utf8'),
) as { cases: SelectionCase[] };

describe('selectIndices on the vectors shared with Python', () => {
  test.each(vectors.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    expect(selectIndices(c.scores, c.k, c.batch_size, c.mode)).toEqual(c.expected);
  });
});

describe('random selection', () => {
  test('when mode is random then k distinct indices come back in ascending order', () => {
    let state = 1;
    const random = () => ((state = (state * 16807) % 2147483647) / 2147483647);
    const kept = selectIndices(Array.from({ length: 50 }, () => 0), 20, 50, 'random', random);
    expect(kept).toHaveLength(20);
    expect(new Set(kept).size).toBe(20);
    expect([...kept].sort((a, b) => a - b)).toEqual(kept);
    expect(kept).not.toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});

describe('getEffectiveK', () => {
  test.each([
    [192, 256, 256, 192],
    [192, 256, 128, 96],
    [1, 256, 3, 1],
    [256, 256, 10, 10],
    [5, 8, 1, 1],
  ])('when k=%i, B=%i and the batch has %i samples then %i are kept', (k, b, n, expected) => {
    expect(getEffectiveK(k, b, n)).toBe(expected);
  });
});
