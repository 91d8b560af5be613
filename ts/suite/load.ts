// Suite file life: read the YAML, validate it with zod, then check the
// cross-field rules; every problem is reported together, with its path.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../cli/errors.js';
import { describeIssue, describeValue, isPlainObject } from '../config/load.js';
import { suiteSchema, type Suite } from './schema.js';

export class SuiteFileError extends UserError {
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super([`Invalid suite file ${source}:`, ...problems.map((p) => `  ${p}`)].join('\n'), 2);
    this.name = 'SuiteFileError';
  }
}

export function loadSuite(path: string): Suite {
  return validateSuite(readSuiteFile(path), path);
}

export function validateSuite(rawSuite: unknown, source: string): Suite {
  const parsed = suiteSchema.safeParse(rawSuite);
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap((issue) => describeIssue(issue, rawSuite, suiteSchema));
    throw new SuiteFileError(source, problems);
  }
  const problems = checkSuiteRules(parsed.data);
  if (problems.length > 0) throw new SuiteFileError(source, problems);
  return parsed.data;
}

function readSuiteFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new SuiteFileError(path, [`(file): cannot read the suite file (${code})`]);
  }
  let rawSuite: unknown;
  try {
    rawSuite = parseYaml(text, { uniqueKeys: true });
  } catch (error) {
    throw new SuiteFileError(path, [`(file): not valid YAML: ${(error as Error).message.split('\n')[0]}`]);
  }
  if (!isPlainObject(rawSuite)) {
    throw new SuiteFileError(path, [`(top level): expected a mapping of keys to values, got ${describeValue(rawSuite)}`]);
  }
  return rawSuite;
}

export function checkSuiteRules(suite: Suite): string[] {
  return [
    ...findDuplicates(suite.experiments.map((e) => e.name), 'experiments', 'name'),
    ...findDuplicates(suite.arms.map((a) => a.name), 'arms', 'name'),
    ...findDuplicateSeeds(suite.seeds, 'seeds'),
    ...findDuplicateSeeds(suite.quick_seeds ?? [], 'quick_seeds'),
    ...checkSingleBaselineArm(suite),
    ...checkBaselineExperiments(suite),
    ...checkOverridesLeaveSuiteKeys(suite),
  ];
}

function findDuplicates(names: string[], list: string, key: string): string[] {
  return names.flatMap((name, index) => {
    const first = names.indexOf(name);
    if (first === index) return [];
    return [`${list}.${index}.${key}: expected a unique ${key}, got ${JSON.stringify(name)} again (first at ${list}.${first})`];
  });
}

function findDuplicateSeeds(seeds: number[], list: string): string[] {
  return seeds.flatMap((seed, index) =>
    seeds.indexOf(seed) === index ? [] : [`${list}.${index}: expected distinct seeds, got ${seed} again`],
  );
}

// The baseline of an experiment must be unambiguous for the paired tests.
function checkSingleBaselineArm(suite: Suite): string[] {
  const baselines = suite.arms.flatMap((arm, index) => (arm.topk_mode === 'none' ? [index] : []));
  return baselines.slice(1).map(
    (index) => `arms.${index}.topk_mode: expected at most one arm with topk_mode "none" (the baseline), got a second one (the first is arms.${baselines[0]})`,
  );
}

function checkBaselineExperiments(suite: Suite): string[] {
  const names = suite.experiments.map((e) => e.name);
  return suite.experiments.flatMap((experiment, index) => {
    const target = experiment.baseline_experiment;
    if (target === undefined || (names.includes(target) && target !== experiment.name)) return [];
    const others = names.filter((n) => n !== experiment.name).join(', ') || 'none';
    return [`experiments.${index}.baseline_experiment: expected the name of another experiment (one of ${others}), got ${JSON.stringify(target)}`];
  });
}

// The suite decides the experiment name, arms and seeds of every cell.
const suiteOwnedKeys = ['experiment', 'arms', 'seeds'];

function checkOverridesLeaveSuiteKeys(suite: Suite): string[] {
  return suite.experiments.flatMap((experiment, index) =>
    (['set', 'quick_set'] as const).flatMap((list) =>
      experiment[list].flatMap((assignment, position) => {
        const root = assignment.slice(0, assignment.indexOf('=')).split('.')[0] ?? '';
        if (!suiteOwnedKeys.includes(root)) return [];
        return [`experiments.${index}.${list}.${position}: ${root} is decided by the suite file, expected an override of another key, got ${JSON.stringify(assignment)}`];
      }),
    ),
  );
}
