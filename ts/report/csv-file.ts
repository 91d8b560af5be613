// Append-only CSV files with a fixed header: rows are written as they are
// produced, so a run stopped half way still leaves valid files.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

export type CsvValue = string | number | null | undefined;
export type CsvRow = Record<string, CsvValue>;

export class CsvAppender {
  constructor(
    readonly path: string,
    readonly columns: readonly string[],
  ) {
    if (!existsSync(path)) {
      appendFileSync(path, stringify([columns as string[]]));
    }
  }

  append(rows: CsvRow[]): void {
    if (rows.length === 0) return;
    const records = rows.map((row) => this.columns.map((c) => formatCell(row[c])));
    appendFileSync(this.path, stringify(records));
  }
}

// Missing and non-finite values are written as empty cells, never "NaN".
function formatCell(value: CsvValue): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  return value;
}

export function readCsv(path: string): Record<string, string>[] {
  return parse(readFileSync(path, 'utf8'), {
    columns: true,
    skip_empty_lines: true,
  }) as Record<string, string>[];
}
