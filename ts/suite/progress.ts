// Suite progress on stderr: a line per cell event with the counts and an
// ETA from the mean duration of the cells that ran in this call.
import type { Logger } from '../loop/progress-log.js';
import { formatDuration } from '../report/format.js';
import type { CellAction } from './cell-state.js';
import type { SuiteCell } from './cells.js';
import type { CellResult } from './run-cell.js';

export class SuiteProgress {
  private done = 0;
  private skipped = 0;
  private running = 0;
  private failed = 0;
  private readonly durations: number[] = [];

  constructor(
    private readonly name: string,
    private readonly total: number,
    private readonly jobs: number,
    private readonly log: Logger,
  ) {}

  skip(cell: SuiteCell): void {
    this.done += 1;
    this.skipped += 1;
    this.log(`${cell.id}: completed before, skipped`);
  }

  start(cell: SuiteCell, action: CellAction): void {
    this.running += 1;
    this.log(`${cell.id}: ${describeAction(action)} (log: ${cell.logPath})`);
    this.log(this.describe());
  }

  finish(result: CellResult): void {
    this.running -= 1;
    this.durations.push(result.seconds);
    if (result.status === 'completed') {
      this.done += 1;
      this.log(`${result.cell.id}: completed in ${formatDuration(result.seconds)}`);
    } else {
      this.failed += 1;
      this.log(`${result.cell.id}: ${result.status.toUpperCase()} (exit ${result.exitCode}): ${result.error ?? 'no message'}; see ${result.cell.logPath}`);
    }
    this.log(this.describe());
  }

  describe(): string {
    const left = this.total - this.done - this.failed - this.running;
    const skipped = this.skipped > 0 ? ` (${this.skipped} skipped)` : '';
    return `suite ${this.name}: ${this.done}/${this.total} cells done${skipped}, ${this.running} running, ${left} left, ${this.failed} failed; ${this.describeEta(left)}`;
  }

  private describeEta(left: number): string {
    if (left + this.running === 0) return 'finished';
    if (this.durations.length === 0) return 'ETA after the first cell';
    const meanSeconds = this.durations.reduce((sum, s) => sum + s, 0) / this.durations.length;
    const seconds = (meanSeconds * (left + this.running / 2)) / Math.max(1, Math.min(this.jobs, left + this.running));
    return `ETA ${formatDuration(seconds)} (${formatDuration(meanSeconds)} per cell)`;
  }
}

function describeAction(action: CellAction): string {
  if (action === 'resume') return 'resuming an unfinished run';
  if (action === 'restart') return 'folder has no config.json or run.json; removed and started again';
  return 'starting';
}
