// Config life: read the file, apply --set overrides, validate with zod, then
// check the cross-field rules. Nothing here touches the file system beyond
// reading the config.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ZodIssue, ZodTypeAny } from 'zod';
import { ConfigError } from '../cli/errors.js';
import { checkConfigRules, type ValidSections } from './rules.js';
import { configSchema, type ExperimentConfig } from './schema.js';

export interface ConfigOverrides {
  set?: string[];
  seeds?: number[];
  device?: string;
}

export function loadConfig(
  path: string,
  overrides: ConfigOverrides = {},
): ExperimentConfig {
  const rawConfig = readConfigFile(path);
  applySetOverrides(rawConfig, overrides.set ?? [], path);
  if (overrides.seeds) rawConfig.seeds = overrides.seeds;
  if (overrides.device) rawConfig.device = overrides.device;
  return validateConfig(rawConfig, path);
}

export function validateConfig(
  rawConfig: unknown,
  source: string,
): ExperimentConfig {
  const parsed = configSchema.safeParse(rawConfig);
  const schemaProblems = parsed.success
    ? []
    : parsed.error.issues.flatMap((issue) => describeIssue(issue, rawConfig));
  const sections = parsed.success ? parsed.data : parseValidSections(rawConfig);
  const problems = [...schemaProblems, ...checkConfigRules(sections)];
  if (problems.length > 0 || !parsed.success) {
    throw new ConfigError(source, problems);
  }
  return parsed.data;
}

function parseValidSections(rawConfig: unknown): ValidSections {
  const raw = isPlainObject(rawConfig) ? rawConfig : {};
  const sections: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(configSchema.shape)) {
    const result = schema.safeParse(raw[key]);
    if (result.success) sections[key] = result.data;
  }
  return sections as ValidSections;
}

type RawConfig = Record<string, unknown>;

function readConfigFile(path: string): RawConfig {
  const text = readText(path);
  const rawConfig = parseText(text, path);
  if (!isPlainObject(rawConfig)) {
    throw new ConfigError(path, [
      `(top level): expected a mapping of keys to values, got ${describeValue(rawConfig)}`,
    ]);
  }
  return rawConfig;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new ConfigError(path, [`(file): cannot read the config (${code})`]);
  }
}

function parseText(text: string, path: string): unknown {
  const isJson = extname(path).toLowerCase() === '.json';
  try {
    return isJson ? JSON.parse(text) : parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    const format = isJson ? 'JSON' : 'YAML';
    const reason = (error as Error).message.split('\n')[0];
    throw new ConfigError(path, [`(file): not valid ${format}: ${reason}`]);
  }
}

// `--set train.batch_size=64` or `--set arms.1.topk_mode=bottom`; the value is
// read as YAML, so numbers, booleans and lists keep their types.
export function applySetOverrides(
  rawConfig: RawConfig,
  assignments: string[],
  source: string,
): void {
  const problems: string[] = [];
  for (const assignment of assignments) {
    const problem = applyOneSet(rawConfig, assignment);
    if (problem) problems.push(problem);
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
}

function applyOneSet(rawConfig: RawConfig, assignment: string): string | null {
  const equals = assignment.indexOf('=');
  const path = equals > 0 ? assignment.slice(0, equals).split('.') : [];
  if (equals <= 0 || path.some((segment) => segment === '')) {
    return `--set ${JSON.stringify(assignment)}: expected path=value, like train.batch_size=64`;
  }
  const value = parseOverrideValue(assignment.slice(equals + 1));
  let node: Record<string, unknown> = rawConfig;
  for (const [depth, segment] of path.slice(0, -1).entries()) {
    const child = node[segment];
    if (child === undefined) node[segment] = getDefaultAt(path.slice(0, depth + 1), rawConfig);
    else if (!isPlainObject(child) && !Array.isArray(child)) {
      return `--set ${path.join('.')}: ${segment} is ${describeValue(child)}, not a section`;
    }
    node = node[segment] as Record<string, unknown>;
  }
  node[path[path.length - 1] as string] = value;
  return null;
}

// What a missing section would have been, so `--set arms.1.topk_mode=bottom`
// edits the default arms instead of replacing them.
function getDefaultAt(path: string[], rawConfig: unknown): unknown {
  const parentPath = path.slice(0, -1);
  const key = path[path.length - 1] as string;
  let schema: unknown = configSchema;
  let rawValue = rawConfig;
  for (const segment of parentPath) {
    const shape = getShape(unwrapSchema(schema, rawValue));
    schema = shape?.[segment];
    rawValue = getAt(rawValue, [segment]);
  }
  const shape = getShape(unwrapSchema(schema, rawValue));
  const parsed = (shape?.[key] as ZodTypeAny | undefined)?.safeParse(undefined);
  if (parsed?.success && parsed.data !== undefined) return structuredClone(parsed.data);
  return {};
}

function parseOverrideValue(text: string): unknown {
  try {
    return parseYaml(text);
  } catch {
    return text;
  }
}

// `path: expected ..., got ...` for one zod issue; `rootSchema` is where
// unknown-key suggestions come from (the suite file reuses this).
export function describeIssue(
  issue: ZodIssue,
  rawConfig: unknown,
  rootSchema: unknown = configSchema,
): string[] {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map(
      (key) =>
        `${formatPath([...issue.path, key])}: unknown key${suggestKeys(issue.path, rawConfig, key, rootSchema)}`,
    );
  }
  const received = describeValue(getAt(rawConfig, issue.path));
  return [`${path}: ${describeExpectation(issue)}, got ${received}`];
}

function describeExpectation(issue: ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${describeExpectedType(issue.expected)}`;
    case 'invalid_literal':
      return `expected ${JSON.stringify(issue.expected)}`;
    case 'invalid_enum_value':
      return `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'invalid_union_discriminator':
      return `expected one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'too_small':
      if (issue.message.startsWith('expected')) return issue.message;
      return describeBound(issue.type, issue.inclusive ? '>=' : '>', issue.minimum);
    case 'too_big':
      if (issue.message.startsWith('expected')) return issue.message;
      return describeBound(issue.type, issue.inclusive ? '<=' : '<', issue.maximum);
    case 'not_finite':
      return 'expected a finite number';
    default:
      return issue.message.charAt(0).toLowerCase() + issue.message.slice(1);
  }
}

// zod spells a missing enum as 'a' | 'b'; say it like the other enum errors.
function describeExpectedType(expected: string): string {
  const options = expected.split(' | ');
  if (options.length < 2) return expected;
  return `one of ${options.map((o) => JSON.stringify(o.replace(/^'|'$/g, ''))).join(', ')}`;
}

function describeBound(
  type: string,
  comparison: string,
  bound: number | bigint,
): string {
  if (type === 'array') return `expected a list with length ${comparison} ${bound}`;
  if (type === 'string') return `expected a text with length ${comparison} ${bound}`;
  return `expected a number ${comparison} ${bound}`;
}

function suggestKeys(
  parentPath: (string | number)[],
  rawConfig: unknown,
  key: string,
  rootSchema: unknown,
): string {
  const known = getKnownKeys(parentPath, rawConfig, rootSchema);
  if (known.length === 0) return '';
  const close = known.find((name) => isNearMiss(name, key));
  const hint = close ? ` (did you mean "${close}"?)` : '';
  return `${hint}; expected one of ${known.join(', ')}`;
}

function getKnownKeys(
  parentPath: (string | number)[],
  rawConfig: unknown,
  rootSchema: unknown,
) {
  let schema: unknown = rootSchema;
  let rawValue = rawConfig;
  for (const segment of parentPath) {
    schema = unwrapSchema(schema, rawValue);
    const shape = getShape(schema);
    if (shape && typeof segment === 'string') schema = shape[segment];
    else if (isArraySchema(schema)) schema = (schema as { element: unknown }).element;
    else return [];
    rawValue = getAt(rawValue, [segment]);
  }
  const shape = getShape(unwrapSchema(schema, rawValue));
  return shape ? Object.keys(shape) : [];
}

// Peels defaults and picks the branch of a discriminated union that matches
// the raw value, so suggestions come from the right section.
function unwrapSchema(schema: unknown, rawValue: unknown): unknown {
  let current = schema as { _def?: Record<string, unknown> } | undefined;
  for (let depth = 0; depth < 5 && current?._def; depth++) {
    const def = current._def;
    if (def.innerType) current = def.innerType as typeof current;
    else if (def.optionsMap && isPlainObject(rawValue)) {
      const map = def.optionsMap as Map<unknown, unknown>;
      const discriminator = def.discriminator as string;
      current = map.get(rawValue[discriminator]) as typeof current;
    } else break;
  }
  return current;
}

function getShape(schema: unknown): Record<string, unknown> | null {
  const candidate = schema as { shape?: Record<string, unknown> } | undefined;
  return candidate?.shape && typeof candidate.shape === 'object'
    ? candidate.shape
    : null;
}

function isArraySchema(schema: unknown): boolean {
  return Boolean((schema as { element?: unknown } | undefined)?.element);
}

function isNearMiss(known: string, typed: string): boolean {
  return editDistance(known.toLowerCase(), typed.toLowerCase()) <= 2;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}

function getAt(value: unknown, path: (string | number)[]): unknown {
  let node = value;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

export function formatPath(path: (string | number)[]): string {
  return path.length === 0 ? '(top level)' : path.join('.');
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `a list ${truncate(JSON.stringify(value))}`;
  if (isPlainObject(value)) return 'a mapping';
  return truncate(JSON.stringify(value));
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
