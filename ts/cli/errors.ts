// Errors the user can act on. Anything else reaching the CLI's error handler
// is a bug in topk-gan and is reported as one.

export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

// Every problem of one config, shown together under one heading.
export class ConfigError extends UserError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(
      [`Invalid config ${source}:`, ...problems.map((p) => `  ${p}`)].join('\n'),
      2,
    );
    this.name = 'ConfigError';
  }
}

// An exception raised on the Python side, with its type, message and the
// useful end of its traceback.
export class PythonError extends UserError {
  constructor(
    readonly pythonType: string,
    readonly pythonMessage: string,
    readonly tracebackTail: string[],
  ) {
    super(
      [
        `Python raised ${pythonType}: ${pythonMessage}`,
        ...tracebackTail.map((line) => `  ${line}`),
      ].join('\n'),
    );
    this.name = 'PythonError';
  }
}
