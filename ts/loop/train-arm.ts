// Trains one arm for one seed. TypeScript decides k for every step, where
// chunks end, when to evaluate, checkpoint and stop; Python runs each chunk.
import type { PythonBridge, PythonSession } from '../bridge/python-session.js';
import { hashConfig } from '../config/compare.js';
import type { ArmConfig, ExperimentConfig } from '../config/schema.js';
import type { CsvAppender, CsvRow } from '../report/csv-file.js';
import {
  checkFreeSpace,
  getCheckpointDir,
  getCheckpointPath,
  pruneCheckpoints,
  readManifest,
  writeManifest,
  type CheckpointManifest,
  type UsableCheckpoint,
} from '../run/checkpoints.js';
import { getKPerStep, type ScheduleSettings } from '../topk/schedule.js';
import { formatNumber, type Logger } from './progress-log.js';
import type { ChunkResult, Evaluation, SessionDescription } from './python-replies.js';
import { RunInterrupted, type StopRequest } from './stop-request.js';

export interface ArmContext {
  bridge: PythonBridge;
  config: ExperimentConfig;
  arm: ArmConfig;
  seed: number;
  runDir: string;
  pythonLogPath: string;
  heartbeatPath: string;
  plotsDir: string;
  metrics: CsvAppender;
  modeCounts: CsvAppender;
  log: Logger;
  stop: StopRequest;
  // Drops rows of this arm and seed after `step` (used when rolling back).
  forgetRowsAfter: (step: number) => void;
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
  rollbacks: number;
  bestFid: BestFid | null;
  wallSeconds: number;
  description: SessionDescription;
}

export interface BestFid {
  fid: number;
  step: number;
}

interface ArmState {
  step: number;
  epoch: number;
  k: number;
  evaluation: Evaluation | null;
  carry: Record<string, unknown>[] | null;
  wallSecondsBefore: number;
  rollbacks: number;
  bestFid: BestFid | null;
  lastCheckpoint: { path: string; bytes: number } | null;
}

// For the endless synthetic stream the config defines the epoch; for image
// data only Python knows the data set's size, and its count is used.
export function getStepsPerEpoch(config: ExperimentConfig): number | null {
  if (config.data.kind !== 'mog') return null;
  return Math.max(1, Math.floor(config.data.epoch_samples / config.train.batch_size));
}

export async function trainArm(context: ArmContext, resumeFrom: UsableCheckpoint | null): Promise<ArmOutcome> {
  const started = performance.now();
  const { config, arm, seed } = context;
  const session = await openArmSession(context);
  const description = await session.call<SessionDescription>('describe');
  const schedule = getScheduleSettings(config, description.steps_per_epoch);
  const state = resumeFrom
    ? await restoreState(session, context, resumeFrom, schedule.stepsPerEpoch)
    : createInitialState(config);
  const elapsed = () => state.wallSecondsBefore + (performance.now() - started) / 1000;
  context.log(`${config.experiment}/${arm.name} seed=${seed} ${resumeFrom ? `resume at step ${state.step}` : 'start'}: ${config.train.iterations} steps, ${schedule.stepsPerEpoch} per epoch, topk_mode=${arm.topk_mode}, device=${description.device}`);

  let divergence: ChunkResult['non_finite'] = null;
  while (state.step < config.train.iterations && !divergence) {
    const chunk = await trainOneChunk(session, context, state, schedule);
    if (chunk.stopped) {
      await saveCheckpoint(session, context, state, elapsed(), chunk.carry);
      throw new RunInterrupted(context.stop.signal ?? chunk.stopped, context.runDir);
    }
    if (chunk.non_finite && (await rollBack(session, context, state, chunk))) continue;
    divergence = chunk.non_finite;
    await finishChunk(session, context, state, chunk, schedule, elapsed);
  }

  if (!divergence) await writeSamplePlot(session, context, state.step);
  await session.call('close');
  const status = divergence ? 'diverged' : 'completed';
  if (divergence) context.log(`${config.experiment}/${arm.name} seed=${seed} diverged: ${divergence.loss} not finite at step ${divergence.step}`);
  return { arm, seed, status, steps: state.step, epochs: state.epoch, kFinal: state.k, evaluation: state.evaluation, divergence, rollbacks: state.rollbacks, bestFid: state.bestFid, wallSeconds: elapsed(), description };
}

function createInitialState(config: ExperimentConfig): ArmState {
  return { step: 0, epoch: 0, k: config.train.batch_size, evaluation: null, carry: null, wallSecondsBefore: 0, rollbacks: 0, bestFid: null, lastCheckpoint: null };
}

async function restoreState(session: PythonSession, context: ArmContext, checkpoint: UsableCheckpoint, stepsPerEpoch: number): Promise<ArmState> {
  const { manifest, path } = checkpoint;
  const restored = await session.call<{ step: number }>('load_checkpoint', { path });
  return {
    step: restored.step,
    epoch: manifest.epoch,
    k: manifest.k ?? getKAtStep(context, restored.step, stepsPerEpoch),
    evaluation: manifest.evaluation,
    carry: manifest.carry,
    wallSecondsBefore: manifest.wall_seconds,
    rollbacks: 0,
    bestFid: manifest.best_fid ?? null,
    lastCheckpoint: { path, bytes: manifest.bytes },
  };
}

function getKAtStep(context: ArmContext, step: number, stepsPerEpoch: number): number {
  const schedule = getScheduleSettings(context.config, stepsPerEpoch);
  return getKPerStep(Math.max(0, step - 1), 1, context.arm.topk_mode, schedule)[0] as number;
}

// One chunk = the rest of the current epoch, cut at the last step.
async function trainOneChunk(session: PythonSession, context: ArmContext, state: ArmState, schedule: ScheduleSettings): Promise<ChunkResult> {
  const total = context.config.train.iterations;
  const count = Math.min(schedule.stepsPerEpoch - (state.step % schedule.stepsPerEpoch), total - state.step);
  const kPerStep = getKPerStep(state.step, count, context.arm.topk_mode, schedule);
  const chunk = await session.call<ChunkResult>('train_chunk', {
    k_per_step: kPerStep,
    topk_mode: context.arm.topk_mode,
    carry: state.carry,
  });
  state.carry = null;
  state.step = chunk.step;
  if (chunk.steps > 0) state.k = kPerStep[chunk.steps - 1] as number;
  return chunk;
}

// After a completed chunk: evaluate on the cadence and at the end (never a
// diverged generator), write the metrics row, checkpoint on the cadence.
async function finishChunk(
  session: PythonSession,
  context: ArmContext,
  state: ArmState,
  chunk: ChunkResult,
  schedule: ScheduleSettings,
  elapsed: () => number,
): Promise<void> {
  const { config } = context;
  const epochDone = state.step % schedule.stepsPerEpoch === 0;
  if (epochDone) state.epoch += 1;
  const isLast = state.step >= config.train.iterations;
  const isDue = (every: number) => isLast || (epochDone && state.epoch % every === 0);

  const fresh = !chunk.non_finite && isDue(config.eval.every_epochs) ? await evaluateArm(session, context, state.step) : null;
  if (fresh) state.evaluation = fresh;
  if (typeof fresh?.fid === 'number' && (!state.bestFid || fresh.fid < state.bestFid.fid)) {
    state.bestFid = { fid: fresh.fid, step: state.step };
  }
  context.metrics.append([buildMetricsRow(context, chunk, state, fresh)]);
  if (fresh || chunk.non_finite) logProgress(context, chunk, state, fresh);
  if (!chunk.non_finite && isDue(config.checkpoint.every_epochs)) {
    await saveCheckpoint(session, context, state, elapsed(), null);
  }
}

async function saveCheckpoint(
  session: PythonSession,
  context: ArmContext,
  state: ArmState,
  wallSeconds: number,
  carry: Record<string, unknown>[] | null,
): Promise<void> {
  const directory = getCheckpointDir(context.runDir, context.arm.name, context.seed);
  checkFreeSpace(directory, state.lastCheckpoint?.bytes ?? 0);
  const path = getCheckpointPath(directory, state.step);
  const written = await session.call<{ bytes: number; sha256: string }>('save_checkpoint', { path });
  const manifest: CheckpointManifest = {
    format: 1,
    arm: context.arm.name,
    seed: context.seed,
    step: state.step,
    epoch: state.epoch,
    k: state.k,
    config_hash: hashConfig(context.config),
    config: context.config,
    bytes: written.bytes,
    sha256: written.sha256,
    evaluation: state.evaluation,
    best_fid: state.bestFid,
    wall_seconds: wallSeconds,
    written_at: new Date().toISOString(),
    carry,
  };
  writeManifest(path, manifest);
  state.lastCheckpoint = { path, bytes: written.bytes };
  pruneCheckpoints(directory, context.config.checkpoint.keep);
}

// With runtime.on_divergence = rollback: back to the last checkpoint, with
// fresh random streams so the same steps are not replayed into the same NaN.
async function rollBack(session: PythonSession, context: ArmContext, state: ArmState, chunk: ChunkResult): Promise<boolean> {
  const { runtime } = context.config;
  if (runtime.on_divergence !== 'rollback' || state.rollbacks >= runtime.max_rollbacks || !state.lastCheckpoint) return false;
  state.rollbacks += 1;
  const { path } = state.lastCheckpoint;
  const manifest = readManifest(path);
  await session.call('load_checkpoint', { path, reseed: state.rollbacks });
  context.log(`${context.config.experiment}/${context.arm.name} seed=${context.seed} ${chunk.non_finite?.loss} not finite at step ${chunk.non_finite?.step}: rollback ${state.rollbacks}/${runtime.max_rollbacks} to step ${manifest.step} with fresh random streams`);
  context.forgetRowsAfter(manifest.step);
  Object.assign(state, { step: manifest.step, epoch: manifest.epoch, k: manifest.k, evaluation: manifest.evaluation, bestFid: manifest.best_fid, carry: manifest.carry });
  return true;
}

function openArmSession(context: ArmContext): Promise<PythonSession> {
  return context.bridge.openSession({
    config: context.config,
    arm: context.arm,
    seed: context.seed,
    device: context.config.device,
    log_path: context.pythonLogPath,
    heartbeat_path: context.heartbeatPath,
  });
}

// Where both sides compute the epoch length, a disagreement would silently
// shift the k schedule, so it stops the run.
export function getScheduleSettings(config: ExperimentConfig, pythonStepsPerEpoch: number): ScheduleSettings {
  const expected = getStepsPerEpoch(config);
  if (expected !== null && expected !== pythonStepsPerEpoch) {
    throw new Error(`Python reports ${pythonStepsPerEpoch} steps per epoch, TypeScript expects ${expected}`);
  }
  return {
    batchSize: config.train.batch_size,
    gamma: config.topk.gamma,
    nu: config.topk.nu,
    decay: config.topk.decay,
    stepsPerEpoch: pythonStepsPerEpoch,
  };
}

async function evaluateArm(session: PythonSession, context: ArmContext, step: number): Promise<Evaluation> {
  const { config, arm, seed } = context;
  const isImageData = config.data.kind !== 'mog';
  const evaluation = await session.call<Evaluation>('evaluate', {
    num_samples: config.eval.num_samples,
    grid_path: isImageData ? `${context.plotsDir}/grid-${arm.name}-seed${seed}-step${String(step).padStart(7, '0')}.png` : undefined,
    title: `${config.experiment} ${arm.name} seed ${seed} step ${step}`,
  });
  context.modeCounts.append(
    (evaluation.mode_counts ?? []).map((count, mode) => ({ arm: context.arm.name, seed: context.seed, step, mode, count })),
  );
  return evaluation;
}

function buildMetricsRow(context: ArmContext, chunk: ChunkResult, state: ArmState, evaluation: Evaluation | null): CsvRow {
  return {
    arm: context.arm.name,
    seed: context.seed,
    step: state.step,
    epoch: state.epoch,
    k: state.k,
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
    fid: evaluation?.fid,
    fid_samples: evaluation?.fid_samples,
    fid_weights: evaluation?.fid_weights,
    fid_plumbing: evaluation?.fid_plumbing,
    fid_warning: evaluation?.fid_warning,
  };
}

export const metricsColumns = [
  'arm', 'seed', 'step', 'epoch', 'k', 'loss_d', 'loss_g', 'd_real', 'd_fake',
  'chunk_seconds', 'modes_recovered', 'high_quality_pct', 'mode_evenness',
  'threshold_std', 'min_samples', 'eval_samples', 'fid', 'fid_samples',
  'fid_weights', 'fid_plumbing', 'fid_warning',
] as const;

export const modeCountColumns = ['arm', 'seed', 'step', 'mode', 'count'] as const;

function logProgress(context: ArmContext, chunk: ChunkResult, state: ArmState, evaluation: Evaluation | null): void {
  const fields = [
    `${context.config.experiment}/${context.arm.name} seed=${context.seed}`,
    `step ${state.step}/${context.config.train.iterations} epoch ${state.epoch} k=${state.k}`,
    `loss_d=${formatNumber(chunk.loss_d)} loss_g=${formatNumber(chunk.loss_g)}`,
  ];
  if (evaluation?.modes_total) {
    fields.push(`modes=${evaluation.modes_recovered}/${evaluation.modes_total} hq=${formatNumber(evaluation.high_quality_pct)}%`);
  }
  if (evaluation?.fid_samples) {
    const fid = evaluation.fid ?? evaluation.fid_plumbing;
    fields.push(`${evaluation.fid === null || evaluation.fid === undefined ? `fid(${evaluation.fid_weights}, not reportable)` : 'fid'}=${formatNumber(fid)}`);
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
