// The JSON replies of py/topkgan/bridge.py (see docs/architecture.md).

export interface SessionDescription {
  torch: string;
  python: string;
  numpy: string;
  device: string;
  cuda_available: boolean;
  batch_size: number;
  steps_per_epoch: number;
  modes_total: number | null;
  pid: number;
  // the data as the Python side loaded them (source, count, resize, ...)
  data?: Record<string, unknown>;
}

export interface ChunkResult {
  step: number;
  steps: number;
  k_used: number;
  loss_d: number | null;
  loss_g: number | null;
  d_real: number | null;
  d_fake: number | null;
  seconds: number;
  non_finite: { step: number; loss: 'loss_d' | 'loss_g' } | null;
  // the signal that ended the chunk early, and every step of the epoch so far
  stopped: string | null;
  carry: Record<string, unknown>[] | null;
}

// Mixture-of-Gaussians evaluations fill the mode fields, image evaluations
// the FID fields.
export interface Evaluation {
  num_samples: number;
  modes_total?: number;
  modes_recovered?: number;
  high_quality_pct?: number;
  mode_counts?: number[];
  mode_evenness?: number;
  threshold_std?: number;
  min_samples?: number;
  // null unless computed with pytorch-fid's standard Inception weights
  fid?: number | null;
  fid_samples?: number;
  fid_weights?: string;
  // the same computation with other weights (tests): never a reportable FID
  fid_plumbing?: number | null;
  fid_warning?: string | null;
  sample_grid?: string | null;
}
