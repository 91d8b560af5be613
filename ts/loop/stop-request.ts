// A stop asked for by a signal. The CLI records it and forwards SIGUSR1 to
// the Python side, which ends its chunk at the next step boundary; the loop
// then writes a checkpoint and raises RunInterrupted.
import { UserError } from '../cli/errors.js';
import { getSignalExitCode } from './signals.js';

export interface StopRequest {
  signal: NodeJS.Signals | null;
}

export class RunInterrupted extends UserError {
  constructor(
    readonly signal: string,
    runDir: string,
  ) {
    super(`Interrupted by ${signal}; a checkpoint was written. Continue with: npx topk-gan resume ${runDir}`, getSignalExitCode(signal as NodeJS.Signals));
    this.name = 'RunInterrupted';
  }
}
