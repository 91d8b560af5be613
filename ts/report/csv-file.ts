// Append-only CSV files with a fixed header: rows are written as they are
// produced, so a run stopped half way still leaves valid files.
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
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

// Keeps the rows `keep` accepts, replacing the file atomically: used on
// resume and rollback to forget rows written after the checkpoint.
export function rewriteCsv(path: string, keep: (row: Record<string, string>) => boolean): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  const rows = parse(text, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  const header = parse(text, { to_line: 1 })[0] as string[];
  const kept = rows.filter(keep);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, stringify([header, ...kept.map((row) => header.map((c) => row[c] ?? ''))]));
  renameSync(temporary, path);
  return rows.length - kept.length;
}
