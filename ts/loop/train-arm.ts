// Trains one arm for one seed. TypeScript decides k for every step, where
// chunks end, when to evaluate and when to stop; Python runs each chunk.
import type { PythonBridge, PythonSession } from '../bridge/python-session.js';
import type { ArmConfig, ExperimentConfig } from '../config/schema.js';
import type { CsvAppender, CsvRow } from '../report/csv-file.js';
import { getKPerStep, type ScheduleSettings } from '../topk/schedule.js';
import { formatNumber, type Logger } from './progress-log.js';
import type { ChunkResult, Evaluation, SessionDescription } from './python-replies.js';

export interface ArmContext {
  bridge: PythonBridge;
  config: ExperimentConfig;
  arm: ArmConfig;
  seed: number;
  device: string;
  pythonLogPath: string;
  plotsDir: string;
  metrics: CsvAppender;
  modeCounts: CsvAppender;
  log: Logger;
}

export interface ArmOutcome {
  arm: ArmConfig;
  seed: number;
  status: 'completed' | 'diverged';
  steps: number;
  epochs: number;
  kFinal: number;
  evaluation: Evaluation | null;
  divergence: ChunkResult['non_finite'];
  wallSeconds: number;
  description: SessionDescription;
}

export function getStepsPerEpoch(config: ExperimentConfig): number {
  return Math.max(1, Math.floor(config.data.epoch_samples / config.train.batch_size));
}

export async function trainArm(context: ArmContext): Promise<ArmOutcome> {
  const started = performance.now();
  const { config, arm, seed } = context;
  const session = await openArmSession(context);
  const description = await session.call<SessionDescription>('describe');
  const schedule = getScheduleSettings(config);
  checkStepsPerEpoch(description, schedule);

  let step = 0;
  let epoch = 0;
  let kFinal = config.train.batch_size;
  let evaluation: Evaluation | null = null;
  let divergence: ChunkResult['non_finite'] = null;
  const total = config.train.iterations;
  context.log(`${config.experiment}/${arm.name} seed=${seed} start: ${total} steps, ${schedule.stepsPerEpoch} per epoch, topk_mode=${arm.topk_mode}, device=${description.device}`);

  while (step < total && !divergence) {
    // one chunk = the rest of the current epoch, cut at the last step
    const count = Math.min(schedule.stepsPerEpoch - (step % schedule.stepsPerEpoch), total - step);
    const kPerStep = getKPerStep(step, count, arm.topk_mode, schedule);
    const chunk = await session.call<ChunkResult>('train_chunk', {
      k_per_step: kPerStep,
      topk_mode: arm.topk_mode,
    });
    step = chunk.step;
    kFinal = kPerStep[kPerStep.length - 1] as number;
    divergence = chunk.non_finite;
    const epochDone = step % schedule.stepsPerEpoch === 0;
    if (epochDone) epoch += 1;

    // evaluate on the cadence, at the end, and never on a diverged generator
    const isLast = step >= total;
    const isDue = epochDone && epoch % config.eval.every_epochs === 0;
    const evaluatedNow = !divergence && (isDue || isLast);
    const fresh = evaluatedNow ? await evaluateArm(session, context, step) : null;
    if (fresh) evaluation = fresh;
    context.metrics.append([
      buildMetricsRow(context, chunk, epoch, kFinal, fresh),
    ]);
    if (fresh || divergence) logProgress(context, chunk, epoch, kFinal, fresh);
  }

  if (!divergence) await writeSamplePlot(session, context, step);
  await session.call('close');
  const wallSeconds = (performance.now() - started) / 1000;
  const status = divergence ? 'diverged' : 'completed';
  if (divergence) context.log(`${config.experiment}/${arm.name} seed=${seed} diverged: ${divergence.loss} not finite at step ${divergence.step}`);
  return { arm, seed, status, steps: step, epochs: epoch, kFinal, evaluation, divergence, wallSeconds, description };
}

function openArmSession(context: ArmContext): Promise<PythonSession> {
  return context.bridge.openSession({
    config: context.config,
    arm: context.arm,
    seed: context.seed,
    device: context.device,
    log_path: context.pythonLogPath,
  });
}

export function getScheduleSettings(config: ExperimentConfig): ScheduleSettings {
  return {
    batchSize: config.train.batch_size,
    gamma: config.topk.gamma,
    nu: config.topk.nu,
    decay: config.topk.decay,
    stepsPerEpoch: getStepsPerEpoch(config),
  };
}

// Both sides compute the epoch length; a disagreement would silently shift
// the k schedule, so it stops the run.
function checkStepsPerEpoch(description: SessionDescription, schedule: ScheduleSettings): void {
  if (description.steps_per_epoch === schedule.stepsPerEpoch) return;
  throw new Error(`Python reports ${description.steps_per_epoch} steps per epoch, TypeScript expects ${schedule.stepsPerEpoch}`);
}

async function evaluateArm(session: PythonSession, context: ArmContext, step: number): Promise<Evaluation> {
  const evaluation = await session.call<Evaluation>('evaluate', {
    num_samples: context.config.eval.num_samples,
  });
  context.modeCounts.append(
    evaluation.mode_counts.map((count, mode) => ({
      arm: context.arm.name,
      seed: context.seed,
      step,
      mode,
      count,
    })),
  );
  return evaluation;
}

function buildMetricsRow(
  context: ArmContext,
  chunk: ChunkResult,
  epoch: number,
  k: number,
  evaluation: Evaluation | null,
): CsvRow {
  return {
    arm: context.arm.name,
    seed: context.seed,
    step: chunk.step,
    epoch,
    k,
    loss_d: chunk.loss_d,
    loss_g: chunk.loss_g,
    d_real: chunk.d_real,
    d_fake: chunk.d_fake,
    chunk_seconds: chunk.seconds,
    modes_recovered: evaluation?.modes_recovered,
    high_quality_pct: evaluation?.high_quality_pct,
    mode_evenness: evaluation?.mode_evenness,
    threshold_std: evaluation?.threshold_std,
    min_samples: evaluation?.min_samples,
    eval_samples: evaluation?.num_samples,
  };
}

export const metricsColumns = [
  'arm', 'seed', 'step', 'epoch', 'k', 'loss_d', 'loss_g', 'd_real', 'd_fake',
  'chunk_seconds', 'modes_recovered', 'high_quality_pct', 'mode_evenness',
  'threshold_std', 'min_samples', 'eval_samples',
] as const;

export const modeCountColumns = ['arm', 'seed', 'step', 'mode', 'count'] as const;

function logProgress(
  context: ArmContext,
  chunk: ChunkResult,
  epoch: number,
  k: number,
  evaluation: Evaluation | null,
): void {
  const total = context.config.train.iterations;
  const fields = [
    `${context.config.experiment}/${context.arm.name} seed=${context.seed}`,
    `step ${chunk.step}/${total} epoch ${epoch} k=${k}`,
    `loss_d=${formatNumber(chunk.loss_d)} loss_g=${formatNumber(chunk.loss_g)}`,
  ];
  if (evaluation) {
    fields.push(`modes=${evaluation.modes_recovered}/${evaluation.modes_total} hq=${formatNumber(evaluation.high_quality_pct)}%`);
  }
  context.log(fields.join(' '));
}

async function writeSamplePlot(session: PythonSession, context: ArmContext, step: number): Promise<void> {
  await session.call('write_sample_plot', {
    path: `${context.plotsDir}/samples-${context.arm.name}-seed${context.seed}.png`,
    title: `${context.config.experiment} ${context.arm.name} seed ${context.seed} step ${step}`,
    num_samples: Math.min(context.config.eval.num_samples, 2500),
  });
}
