// The suite's figures come from a short-lived Python process (matplotlib,
// no training state), started once per report: a request file in, a JSON
// reply with the written PNGs out.
import { resolve } from 'node:path';
import { runPythonModule } from '../bridge/python-module.js';

export interface FigureArm {
  name: string;
  topk_mode: string;
  final_modes: number[];
  metrics_csv: string[];
}

// Histograms of the oracle-direction cosines, summed over seeds, one per
// selection (top, bottom), on the shared bin edges.
export interface FigureOracle {
  edges: number[];
  seeds: number;
  selections: { name: string; histogram: number[] }[];
}

export interface FigureExperiment {
  name: string;
  modes_total: number | null;
  arms: FigureArm[];
  oracle?: FigureOracle;
}

export interface FigureHeatMap {
  arm: string;
  x_label: string;
  y_label: string;
  x_values: string[];
  y_values: string[];
  means: (number | null)[][];
}

export interface FigureRequest {
  out_dir: string;
  experiments: FigureExperiment[];
  heat_maps: FigureHeatMap[];
}

export interface FigureFile {
  experiment: string | null;
  arm: string | null;
  kind: 'modes_histogram' | 'losses' | 'k' | 'high_quality' | 'heat_map' | 'oracle_histogram';
  title: string;
  path: string;
}

const figureTimeoutMs = 5 * 60 * 1000;

export async function drawSuiteFigures(request: FigureRequest, pythonBin: string): Promise<FigureFile[]> {
  const reply = await runPythonModule<{ files: FigureFile[] }>({
    pythonBin,
    module: 'topkgan.plots.suite',
    requestPath: resolve(request.out_dir, 'request.json'),
    request,
    what: 'Drawing the figures',
    timeoutMs: figureTimeoutMs,
  });
  return reply.files;
}
