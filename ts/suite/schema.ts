// The suite file: which experiments, arms and seeds make one comparison.
// Every cell (experiment x arm x seed) becomes an ordinary run folder.
import { z } from 'zod';
import { armSchema } from '../config/schema.js';

const name = () =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'expected letters, digits, ., - or _');

const seed = () => z.number().int().min(0).max(2 ** 31 - 1);

const overrides = () =>
  z
    .array(z.string().regex(/^[^=\s][^=]*=/, 'expected path=value, like train.iterations=2000'))
    .default([]);

const configPath = () => z.string().regex(/^[a-zA-Z][a-zA-Z0-9_]*(\.[a-zA-Z0-9_]+)*$/, 'expected a config path like topk.gamma');

export const suiteExperimentSchema = z
  .object({
    name: name().describe('Experiment name in tables and folder names; written as `experiment` into every cell config.'),
    config: z.string().min(1).describe('Experiment config, relative to the suite file.'),
    set: overrides().describe('Config overrides (path=value), as with `run --set`.'),
    quick_set: overrides().describe('Overrides applied after `set` with --quick.'),
    baseline_experiment: name()
      .optional()
      .describe('Compare every arm with the same arm of this experiment instead of with the none arm of its own.'),
  })
  .strict();

export const suiteSchema = z
  .object({
    name: name().describe('Suite name; the default output folder is runs/suites/<name>.'),
    description: z.string().optional().describe('One paragraph shown at the top of the report.'),
    experiments: z.array(suiteExperimentSchema).min(1),
    arms: z.array(armSchema).min(1).describe('Arms; the one with topk_mode none is the baseline.'),
    seeds: z.array(seed()).min(1).default([0, 1, 2, 3, 4]),
    quick_seeds: z.array(seed()).min(1).optional().describe('Seeds used with --quick.'),
    sweep: z
      .object({ x: configPath(), y: configPath() })
      .strict()
      .optional()
      .describe('Show the experiments as a grid over two config values (a table and a heat map).'),
  })
  .strict();

export type Suite = z.infer<typeof suiteSchema>;
export type SuiteExperiment = z.infer<typeof suiteExperimentSchema>;
