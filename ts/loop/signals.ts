// SIGINT and SIGTERM during a run: the first asks the Python side to stop at
// the next step boundary (so a checkpoint can be written); if it has not
// finished within the grace period, or a second signal arrives, the Python
// side is killed and the CLI exits at once.
import type { PythonBridge } from '../bridge/python-session.js';
import type { StopRequest } from './stop-request.js';

const gracePeriodMs = 8000;

export function installStopHandlers(
  stop: StopRequest,
  bridge: PythonBridge,
  onGiveUp: (signal: NodeJS.Signals) => void,
): () => void {
  const handle = (signal: NodeJS.Signals) => {
    if (stop.signal) {
      onGiveUp(signal);
      return;
    }
    stop.signal = signal;
    process.stderr.write(`\nReceived ${signal}: stopping at the next step and writing a checkpoint.\n`);
    bridge.signal('SIGUSR1');
    setTimeout(() => onGiveUp(signal), gracePeriodMs).unref();
  };
  const onInterrupt = () => handle('SIGINT');
  const onTerminate = () => handle('SIGTERM');
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onTerminate);
  return () => {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onTerminate);
  };
}

export function getSignalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGTERM' ? 143 : 130;
}
