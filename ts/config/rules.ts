// Checks that involve more than one field. Each returns its problems as
// `path: message` lines.
import type { ExperimentConfig } from './schema.js';

// Rules also run when other parts of the config are invalid, so every problem
// is reported at once: a rule sees only the sections that validated, and
// skips itself when one it needs is missing.
export type ValidSections = Partial<ExperimentConfig>;
type Rule = (sections: ValidSections) => string[];

const gridNeedsSquareModeCount: Rule = ({ data }) => {
  if (!data || data.kind !== 'mog' || data.layout !== 'grid') return [];
  const side = Math.round(Math.sqrt(data.modes));
  if (side * side === data.modes) return [];
  return [
    `data.modes: a grid layout needs a square number of modes (4, 9, 16, 25, 36, 49, 64, ...), got ${data.modes}`,
  ];
};

const minimumKIsAtLeastOne: Rule = ({ topk, train }) => {
  if (!topk || !train || topk.nu * train.batch_size >= 1) return [];
  return [
    `topk.nu: nu * train.batch_size must be at least 1, got ${topk.nu} * ${train.batch_size} = ${topk.nu * train.batch_size}`,
  ];
};

const epochHoldsABatch: Rule = ({ data, train }) => {
  if (!data || data.kind !== 'mog' || !train || data.epoch_samples >= train.batch_size) return [];
  return [
    `data.epoch_samples: expected at least train.batch_size (${train.batch_size}) so an epoch has a step, got ${data.epoch_samples}`,
  ];
};

const armNamesAreUnique: Rule = ({ arms }) =>
  findDuplicates((arms ?? []).map((arm) => arm.name)).map(
    (name) => `arms: arm name "${name}" is used more than once`,
  );

const seedsAreUnique: Rule = ({ seeds }) =>
  findDuplicates(seeds ?? []).map(
    (seed) => `seeds: seed ${seed} is listed more than once`,
  );

const recoveryThresholdFitsSampleCount: Rule = ({ eval: evaluation }) => {
  if (!evaluation || evaluation.min_samples <= evaluation.num_samples) return [];
  return [
    `eval.min_samples: expected at most eval.num_samples (${evaluation.num_samples}), got ${evaluation.min_samples}`,
  ];
};

const modelFitsData: Rule = ({ data, model }) => {
  if (!data || !model) return [];
  const isToy = data.kind === 'mog';
  if (isToy && model.kind !== 'mlp') {
    return [`model.kind: the 2-D mixture of Gaussians needs "mlp", got "${model.kind}"`];
  }
  if (!isToy && model.kind === 'mlp') {
    return [`model.kind: image data (data.kind = ${data.kind}) needs "image-mlp" or "dcgan", got "mlp"`];
  }
  return [];
};

const rules: Rule[] = [
  modelFitsData,
  gridNeedsSquareModeCount,
  minimumKIsAtLeastOne,
  epochHoldsABatch,
  armNamesAreUnique,
  seedsAreUnique,
  recoveryThresholdFitsSampleCount,
];

export function checkConfigRules(sections: ValidSections): string[] {
  return rules.flatMap((rule) => rule(sections));
}

function findDuplicates<T>(values: T[]): T[] {
  const seen = new Set<T>();
  const duplicates = new Set<T>();
  for (const value of values) {
    if (seen.has(value)) duplicates.add(value);
    seen.add(value);
  }
  return [...duplicates];
}
