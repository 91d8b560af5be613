// The suite's figures come from a short-lived Python process (matplotlib,
// no training state), started once per report: a request file in, a JSON
// reply with the written PNGs out.
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../cli/errors.js';
import { packageRoot } from '../paths.js';

export interface FigureArm {
  name: string;
  topk_mode: string;
  final_modes: number[];
  metrics_csv: string[];
}

export interface FigureExperiment {
  name: string;
  modes_total: number | null;
  arms: FigureArm[];
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
  kind: 'modes_histogram' | 'losses' | 'k' | 'high_quality' | 'heat_map';
  title: string;
  path: string;
}

const figureTimeoutMs = 5 * 60 * 1000;

export async function drawSuiteFigures(request: FigureRequest, pythonBin: string): Promise<FigureFile[]> {
  mkdirSync(request.out_dir, { recursive: true });
  const requestPath = resolve(request.out_dir, 'request.json');
  writeFileSync(requestPath, `${JSON.stringify(request, null, 2)}\n`);
  const result = await execa(pythonBin, ['-m', 'topkgan.plots.suite', requestPath], {
    reject: false,
    timeout: figureTimeoutMs,
    env: { PYTHONPATH: joinPythonPath(process.env.PYTHONPATH), MPLBACKEND: 'Agg' },
  });
  if (result.exitCode !== 0) {
    const tail = String(result.stderr ?? '').trim().split('\n').slice(-6).join('\n  ');
    throw new UserError(`Drawing the figures failed (${pythonBin} -m topkgan.plots.suite exited with ${result.exitCode ?? result.signal}):\n  ${tail}`);
  }
  return (JSON.parse(String(result.stdout)) as { files: FigureFile[] }).files;
}

// The venv installs topkgan in editable mode; an interpreter named by
// TOPK_GAN_PYTHON may not, so py/ goes on the path too.
function joinPythonPath(existing: string | undefined): string {
  const own = join(packageRoot, 'py');
  return existing ? `${own}:${existing}` : own;
}
