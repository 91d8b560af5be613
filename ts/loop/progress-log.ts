// Log lines with fixed fields, e.g.
// [12:01:33] mog-grid25/topk seed=3 step 4000/10000 epoch 40 k=201 loss_d=0.62 loss_g=0.81
export type LogSink = (line: string) => void;

export function createLogger(write: LogSink = (l) => process.stderr.write(`${l}\n`)) {
  return (message: string) => write(`[${formatClock(new Date())}] ${message}`);
}

export type Logger = ReturnType<typeof createLogger>;

function formatClock(date: Date): string {
  return date.toTimeString().slice(0, 8);
}

export function formatNumber(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return 'nan';
  return Number(value.toPrecision(digits)).toString();
}
