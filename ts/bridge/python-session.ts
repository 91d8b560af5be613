// The one place that talks to pythonia. Every call sends one JSON string and
// receives one JSON string, so no Python proxy, numpy scalar or NaN ever
// reaches the rest of the CLI.
import { PythonError } from '../cli/errors.js';

type PythonCallable = Record<string, (...args: unknown[]) => Promise<unknown>>;
type PythoniaExit = { exit: () => void };

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
  const bridgeModule = await importPythonModule(python, 'topkgan.bridge');
  return new PythonBridge(python, bridgeModule, callTimeoutMs);
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

  constructor(
    private readonly python: ((module: string) => Promise<PythonCallable>) & PythoniaExit,
    private readonly bridgeModule: PythonCallable,
    private readonly callTimeoutMs: number,
  ) {}

  async openSession(request: unknown): Promise<PythonSession> {
    const handle = await callPython<PythonCallable>(
      this.bridgeModule,
      'open_session',
      request,
      this.callTimeoutMs,
      { parse: false },
    );
    return new PythonSession(handle, this.callTimeoutMs);
  }

  // A function of topkgan.bridge that takes and returns JSON.
  call<T>(functionName: string, request: unknown): Promise<T> {
    return callPython<T>(this.bridgeModule, functionName, request, this.callTimeoutMs);
  }

  exit(): void {
    if (this.exited) return;
    this.exited = true;
    this.python.exit();
  }
}

export class PythonSession {
  constructor(
    private readonly handle: PythonCallable,
    private readonly callTimeoutMs: number,
  ) {}

  call<T>(method: string, request: unknown = {}): Promise<T> {
    return callPython<T>(this.handle, method, request, this.callTimeoutMs);
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
