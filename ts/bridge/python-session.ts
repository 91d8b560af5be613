// The one place that talks to pythonia. Every call sends one JSON string and
// receives one JSON string, so no Python proxy, numpy scalar or NaN ever
// reaches the rest of the CLI.
import type { ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { PythonError, UserError } from '../cli/errors.js';

type PythonCallable = Record<string, (...args: unknown[]) => Promise<unknown>>;
type PythoniaExit = { exit: () => void };
type PythonProcess = ChildProcess;

// pythonia reads PYTHON_BIN and REQ_TIMEOUT when its module loads, so both
// are set before the dynamic import.
export async function startPythonBridge(
  pythonBin: string,
  callTimeoutMs: number,
): Promise<PythonBridge> {
  process.env.PYTHON_BIN = pythonBin;
  process.env.REQ_TIMEOUT = String(callTimeoutMs);
  const pythonia = await import('pythonia');
  const python = pythonia.python as unknown as ((module: string) => Promise<PythonCallable>) & PythoniaExit;
  // `com` is not among the names Node detects in this CommonJS module
  const commonJs = (pythonia as unknown as { default: { com: { proc: PythonProcess } } }).default;
  const child = commonJs.com.proc;
  const bridge = new PythonBridge(python, child, callTimeoutMs);
  await bridge.importBridgeModule();
  return bridge;
}

async function importPythonModule(
  python: (module: string) => Promise<PythonCallable>,
  name: string,
): Promise<PythonCallable> {
  try {
    return await python(name);
  } catch (error) {
    throw toPythonError(error);
  }
}

export class PythonBridge {
  private exited = false;
  private bridgeModule: PythonCallable | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  // Settles (rejects) when the Python process dies or stalls; every call
  // races against it, so neither ever looks like a hang.
  private readonly failure: Promise<never>;
  private fail: (error: Error) => void = () => {};

  constructor(
    private readonly python: ((module: string) => Promise<PythonCallable>) & PythoniaExit,
    readonly child: PythonProcess,
    private readonly callTimeoutMs: number,
  ) {
    this.failure = new Promise<never>((_, reject) => {
      this.fail = reject;
    });
    this.failure.catch(() => {});
    child.once('exit', (code, signal) => {
      if (this.exited) return;
      this.fail(new UserError(describeDeath(code, signal)));
    });
  }

  async importBridgeModule(): Promise<void> {
    this.bridgeModule = await this.guard(importPythonModule(this.python, 'topkgan.bridge'));
  }

  async openSession(request: unknown): Promise<PythonSession> {
    const handle = await this.guard(
      callPython<PythonCallable>(this.getModule(), 'open_session', request, this.callTimeoutMs, { parse: false }),
    );
    return new PythonSession(handle, this.callTimeoutMs, (call) => this.guard(call));
  }

  // A function of topkgan.bridge that takes and returns JSON.
  call<T>(functionName: string, request: unknown): Promise<T> {
    return this.guard(callPython<T>(this.getModule(), functionName, request, this.callTimeoutMs));
  }

  // Kills the Python side when its heartbeat file has not been touched for
  // `stallSeconds`.
  watchHeartbeat(heartbeatPath: string, stallSeconds: number): void {
    this.watchdog = setInterval(() => {
      const age = (Date.now() - getModifiedTime(heartbeatPath)) / 1000;
      if (age <= stallSeconds) return;
      this.stopWatching();
      this.fail(new UserError(`The Python side showed no progress for ${Math.round(age)} s (runtime.stall_timeout_s = ${stallSeconds}); it was killed. Raise runtime.stall_timeout_s if one step or evaluation legitimately takes longer.`));
      this.kill('SIGKILL');
    }, 1000);
    this.watchdog.unref();
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.exited && this.child.pid) this.child.kill(signal);
  }

  exit(): void {
    this.stopWatching();
    if (this.exited) return;
    this.exited = true;
    this.python.exit();
  }

  private kill(signal: NodeJS.Signals): void {
    this.exited = true;
    this.child.kill(signal);
  }

  private stopWatching(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private guard<T>(call: Promise<T>): Promise<T> {
    return Promise.race([call, this.failure]);
  }

  private getModule(): PythonCallable {
    if (!this.bridgeModule) throw new Error('topkgan.bridge was not imported');
    return this.bridgeModule;
  }
}

function describeDeath(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal === 'SIGKILL') return 'The Python process was killed (SIGKILL), often by the kernel when memory runs out.';
  if (signal) return `The Python process died from signal ${signal}.`;
  return `The Python process exited unexpectedly with code ${code}; see python.log in the run folder.`;
}

function getModifiedTime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

export class PythonSession {
  constructor(
    private readonly handle: PythonCallable,
    private readonly callTimeoutMs: number,
    private readonly guard: <T>(call: Promise<T>) => Promise<T>,
  ) {}

  call<T>(method: string, request: unknown = {}): Promise<T> {
    return this.guard(callPython<T>(this.handle, method, request, this.callTimeoutMs));
  }
}

async function callPython<T>(
  target: PythonCallable,
  method: string,
  request: unknown,
  timeoutMs: number,
  options: { parse: boolean } = { parse: true },
): Promise<T> {
  let reply: unknown;
  try {
    const call = target[`${method}$`] as (...args: unknown[]) => Promise<unknown>;
    reply = await call(JSON.stringify(request), { $timeout: timeoutMs });
  } catch (error) {
    throw toPythonError(error);
  }
  return options.parse ? parseReply<T>(method, reply) : (reply as T);
}

interface ErrorReply {
  error: { type: string; message: string; traceback: string[] };
}

function parseReply<T>(method: string, reply: unknown): T {
  if (typeof reply !== 'string') {
    throw new PythonError('BridgeError', `${method} returned ${typeof reply}, expected a JSON string`, []);
  }
  const parsed = JSON.parse(reply) as T | ErrorReply;
  if (parsed !== null && typeof parsed === 'object' && 'error' in parsed) {
    const { type, message, traceback } = (parsed as ErrorReply).error;
    throw new PythonError(type, message, traceback);
  }
  return parsed as T;
}

// pythonia puts the Python traceback, coloured, in `.stack`; keep its last
// lines and the exception line.
export function toPythonError(error: unknown): PythonError {
  if (error instanceof PythonError) return error;
  const text = stripAnsi(String((error as Error)?.stack ?? error));
  const lines = text.split('\n').map((line) => line.trimEnd()).filter(Boolean);
  const exceptionLine =
    [...lines].reverse().find((line) => /^(\*\*\* JS \*\*\*|🌉)/.test(line)) ??
    lines[lines.length - 1] ??
    'unknown error';
  const cleaned = exceptionLine.replace(/^(\*\*\* JS \*\*\*|🌉)\s*/, '');
  const match = /^([A-Za-z_][\w.]*(?:Error|Exception|Interrupt|Exit)):\s*(.*)$/.exec(cleaned);
  const tail = lines.filter((line) => /^\s*at .*\(.*\.py:\d+\)/.test(line)).slice(-4);
  if (match) return new PythonError(match[1] as string, match[2] as string, tail);
  return new PythonError('BridgeError', cleaned, tail);
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
