// The top-k schedule of Sinha et al. (2020), section 3: k starts at the batch
// size B, decays by gamma per epoch and never drops below nu * B.

export type TopkMode = 'none' | 'top' | 'bottom' | 'random';
export type DecayUnit = 'epoch' | 'step';

export interface ScheduleSettings {
  batchSize: number;
  gamma: number;
  nu: number;
  decay: DecayUnit;
  stepsPerEpoch: number;
}

export function getMinimumK(batchSize: number, nu: number): number {
  return Math.ceil(nu * batchSize);
}

// k_e = max(floor(B * gamma^e), ceil(nu * B)); `epoch` may be fractional
// when decaying per step.
export function getKForEpoch(
  epoch: number,
  batchSize: number,
  gamma: number,
  nu: number,
): number {
  const decayed = Math.floor(batchSize * Math.pow(gamma, epoch));
  return Math.min(batchSize, Math.max(decayed, getMinimumK(batchSize, nu)));
}

export function getKForStep(step: number, settings: ScheduleSettings): number {
  const epoch =
    settings.decay === 'epoch'
      ? Math.floor(step / settings.stepsPerEpoch)
      : step / settings.stepsPerEpoch;
  return getKForEpoch(epoch, settings.batchSize, settings.gamma, settings.nu);
}

// One k per step for steps [firstStep, firstStep + count). The baseline keeps
// the whole batch, so its k is B throughout.
export function getKPerStep(
  firstStep: number,
  count: number,
  mode: TopkMode,
  settings: ScheduleSettings,
): number[] {
  const ks: number[] = [];
  for (let step = firstStep; step < firstStep + count; step++) {
    ks.push(mode === 'none' ? settings.batchSize : getKForStep(step, settings));
  }
  return ks;
}
