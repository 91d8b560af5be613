// A suite whose experiments vary two config values (for example topk.gamma
// and topk.nu) shown as a grid: one table and one heat map per arm.
import type { GroupStatistics } from './aggregate.js';
import { formatMeanCi } from './format.js';
import type { Table } from './tables.js';

export interface SweepAxes {
  x: string;
  y: string;
}

export interface SweepGrid {
  arm: string;
  axes: SweepAxes;
  xValues: string[];
  yValues: string[];
  // [y][x]; undefined where no experiment has that pair of values
  groups: (GroupStatistics | undefined)[][];
}

export function buildSweepGrids(
  axes: SweepAxes,
  configsByExperiment: Map<string, unknown>,
  groups: GroupStatistics[],
): SweepGrid[] {
  const position = (experiment: string) => {
    const config = configsByExperiment.get(experiment);
    return { x: formatAxisValue(getAt(config, axes.x)), y: formatAxisValue(getAt(config, axes.y)) };
  };
  const xValues = sortAxisValues([...configsByExperiment.keys()].map((e) => position(e).x));
  const yValues = sortAxisValues([...configsByExperiment.keys()].map((e) => position(e).y));
  const arms = [...new Set(groups.map((group) => group.arm))];
  return arms.map((arm) => ({
    arm,
    axes,
    xValues,
    yValues,
    groups: yValues.map((y) =>
      xValues.map((x) => groups.find((g) => g.arm === arm && position(g.experiment).x === x && position(g.experiment).y === y)),
    ),
  }));
}

export function buildSweepTable(grid: SweepGrid): Table {
  return {
    header: [`${grid.axes.y} \\ ${grid.axes.x}`, ...grid.xValues],
    rows: grid.yValues.map((y, row) => [
      y,
      ...grid.xValues.map((_x, column) => formatSweepCell(grid.groups[row]?.[column])),
    ]),
  };
}

function formatSweepCell(group: GroupStatistics | undefined): string {
  if (!group) return '—';
  const stats = group.metrics.modes_recovered;
  return `${formatMeanCi(stats)} (n = ${stats?.n ?? 0})`;
}

export function getSweepMeans(grid: SweepGrid): (number | null)[][] {
  return grid.groups.map((row) => row.map((group) => group?.metrics.modes_recovered?.mean ?? null));
}

function formatAxisValue(value: unknown): string {
  return value === undefined ? '(unset)' : typeof value === 'string' ? value : JSON.stringify(value);
}

function sortAxisValues(values: string[]): string[] {
  const unique = [...new Set(values)];
  const numeric = unique.every((value) => Number.isFinite(Number(value)));
  return numeric ? unique.sort((a, b) => Number(a) - Number(b)) : unique.sort();
}

function getAt(value: unknown, path: string): unknown {
  let node = value;
  for (const segment of path.split('.')) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}
