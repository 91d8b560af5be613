// topk-gan's command line. Every command is a short list of named steps; all
// errors end in `handleError`, the one place that chooses text and exit code.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { oracleCommand } from '../analysis/oracle-command.js';
import { oracleSelections, type OracleSettings } from '../analysis/oracle-direction.js';
import { ensurePythonEnvironment } from '../bridge/python-env.js';
import { loadConfig, validateConfig, type ConfigOverrides } from '../config/load.js';
import { formatConfigDocs } from '../config/docs.js';
import { findEnvironmentProblems } from '../config/environment.js';
import { createLogger } from '../loop/progress-log.js';
import { loadRunConfig, runExperiment } from '../loop/run-experiment.js';
import {
  aggregateSummaries,
  compareWithBaselines,
  getReportedMetrics,
  readSummaries,
  toReportRows,
} from '../report/aggregate.js';
import { formatReportMarkdown } from '../report/tables.js';
import { describeSuiteOutcome, runSuite } from '../suite/run-suite.js';
import { getDefaultRunDir } from '../run/run-folder.js';
import { packageVersion } from '../version.js';
import { UserError } from './errors.js';
import { fidCommand } from './fid-command.js';

interface ConfigFlags {
  set?: string[];
  seeds?: number[];
  device?: string;
}

export function createProgram(): Command {
  const program = new Command('topk-gan')
    .description('Reproducible GAN experiments that measure what top-k generator training does.')
    .version(packageVersion)
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  addConfigFlags(
    program
      .command('run')
      .description('Train every arm and seed of an experiment into a new run folder.')
      .argument('<config>', 'experiment config, YAML or JSON')
      .option('--out <dir>', 'run folder to create (default: runs/<experiment>-<time>)'),
  ).action(runCommand);

  addConfigFlags(
    program
      .command('validate')
      .description('Check a config and print it resolved, with every default; starts nothing.')
      .argument('<config>', 'experiment config, YAML or JSON'),
  ).action(validateCommand);

  program
    .command('fid')
    .description("Frechet Inception Distance between two image folders or .npz statistics files, like pytorch-fid's command.")
    .argument('<a>', 'folder of PNG/JPEG images, or an .npz with mu and sigma')
    .argument('<b>', 'the same for the other side')
    .option('--weights <weights>', 'pytorch-fid (its standard file in the torch hub cache), a weights file, or random-for-tests', 'pytorch-fid')
    .option('--batch-size <n>', 'images per Inception forward pass', (text: string) => parsePositiveInteger(text, '--batch-size'), 50)
    .option('--device <device>', 'cpu, cuda or cuda:N', 'cpu')
    .option('--json', 'print the reply as JSON')
    .action(fidCommand);

  program
    .command('resume')
    .description('Continue every unfinished arm and seed of a run folder from its last intact checkpoint.')
    .argument('<run-dir>', 'run folder made by topk-gan run')
    .action(resumeCommand);

  program
    .command('report')
    .description('Aggregate summary.csv of one or more runs: mean, sd, n and 95% CI per experiment and arm, and each arm minus its baseline, paired by seed.')
    .argument('<run-dirs...>', 'run folders')
    .option('--out <dir>', 'folder for report.csv and report.md (default: the run folder, when there is one)')
    .action(reportCommand);

  program
    .command('oracle')
    .description('Oracle-direction analysis of a mixture-of-Gaussians run: from the newest intact checkpoint of each arm and seed, one generator step on the top-k and one on the bottom-k samples of a fixed latent batch; the cosine between each sample\'s move and the way to its nearest mode. Writes oracle.json and oracle.csv.')
    .argument('<run-dir>', 'run folder made by topk-gan run (data.kind mog)')
    .option('--arm <name>', 'only this arm\'s checkpoints (default: every arm)')
    .option('--seed <n>', 'only this training seed (default: every seed)', (text) => parseInteger('--seed', text, 0))
    .option('--analysis-seeds <list>', 'seeds of the fixed latent batch, e.g. 0,1,2 or 0-4 (default: 0)', parseSeeds)
    .option('--selections <list>', `samples each step keeps, among ${oracleSelections.join(', ')} (default: top,bottom)`, parseSelections)
    .option('--k <n>', 'samples kept by top, bottom and random (default: the top-k schedule\'s k at the checkpoint)', (text) => parseInteger('--k', text, 1))
    .option('--batch-size <n>', 'latent batch size (default: train.batch_size)', (text) => parseInteger('--batch-size', text, 1))
    .option('--bins <n>', 'histogram bins on [-1, 1]', (text) => parseInteger('--bins', text, 1))
    .addOption(new Option('--optimiser <kind>', 'adam: the training step, with the checkpoint\'s moments; sgd: a plain gradient step').choices(['adam', 'sgd']))
    .option('--lr <x>', 'step size (default: train.lr_g)', parsePositiveNumber)
    .option('--out <dir>', 'folder for oracle.json and oracle.csv (default: the run folder)')
    .action(oracleCommand);

  program
    .command('suite')
    .description('Run every experiment x arm x seed of a suite file, each cell its own run folder, then write suite.csv, report.md and report.html. Re-running skips completed cells and resumes unfinished ones.')
    .argument('<suite-file>', 'suite file, YAML (see configs/suites/)')
    .option('--out <dir>', 'suite folder (default: runs/suites/<name>, or runs/suites/<name>-quick with --quick)')
    .option('--jobs <n>', 'cells to run at once, each in its own process', parseJobs, 1)
    .option('--quick', 'short settings: the quick_set overrides and quick_seeds of the suite file')
    .addOption(new Option('--device <device>', 'auto, cpu, cuda or cuda:N, for every cell'))
    .action(suiteCommand);

  program
    .command('setup')
    .description('Create or update the Python environment (.venv) from pyproject.toml.')
    .action(setupCommand);

  program
    .command('config-docs')
    .description('Print the reference of every config key, generated from the schema.')
    .action(() => {
      process.stdout.write(formatConfigDocs());
    });

  return program;
}

function addConfigFlags(command: Command): Command {
  return command
    .option('--set <path=value...>', 'override a config value, e.g. train.iterations=500 (repeatable)', collect, [])
    .option('--seeds <list>', 'seeds to run, e.g. 0,1,2 or 0-4', parseSeeds)
    .addOption(new Option('--device <device>', 'auto, cpu, cuda or cuda:N'));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function parseSeeds(text: string): number[] {
  const range = /^(\d+)-(\d+)$/.exec(text.trim());
  if (range) {
    const [first, last] = [Number(range[1]), Number(range[2])];
    if (first > last) throw new UserError(`--seeds ${text}: expected a range first-last with first <= last`);
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }
  const parts = text.split(',').map((part) => part.trim());
  if (parts.some((part) => !/^\d+$/.test(part))) {
    throw new UserError(`--seeds ${JSON.stringify(text)}: expected non-negative integers like 0,1,2 or a range like 0-4`);
  }
  return parts.map(Number);
}

function parseInteger(flag: string, text: string, low: number): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < low) {
    throw new UserError(`${flag} ${JSON.stringify(text)}: expected a whole number >= ${low}`);
  }
  return Number(text);
}

function parsePositiveNumber(text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
    throw new UserError(`--lr ${JSON.stringify(text)}: expected a positive number`);
  }
  return value;
}

function parseSelections(text: string): OracleSettings['selections'] {
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(oracleSelections as readonly string[]).includes(name));
  if (unknown.length > 0 || new Set(names).size !== names.length) {
    throw new UserError(`--selections ${JSON.stringify(text)}: expected distinct names among ${oracleSelections.join(', ')}`);
  }
  return names as OracleSettings['selections'];
}

function toOverrides(flags: ConfigFlags): ConfigOverrides {
  return { set: flags.set, seeds: flags.seeds, device: flags.device };
}

async function runCommand(configPath: string, flags: ConfigFlags & { out?: string }): Promise<void> {
  const config = loadConfig(configPath, toOverrides(flags));
  const runDir = flags.out ?? getDefaultRunDir(config.experiment);
  const log = createLogger();
  const outcomes = await runExperiment({ configPath, config, runDir, log, resume: false });
  reportOutcomes(outcomes, runDir, log);
}

async function resumeCommand(runDir: string): Promise<void> {
  const configPath = join(runDir, 'config.json');
  const config = validateConfig(loadRunConfig(runDir), configPath);
  const log = createLogger();
  const outcomes = await runExperiment({ configPath, config, runDir, log, resume: true });
  reportOutcomes(outcomes, runDir, log);
}

function reportOutcomes(outcomes: { status: string }[], runDir: string, log: (line: string) => void): void {
  const finished = outcomes.filter((o) => o.status === 'completed').length;
  log(`Done: ${finished}/${outcomes.length} arm-seed cells trained in this call completed. Results in ${runDir}`);
}

// A config can be valid while this machine lacks its data or FID weights:
// that is a warning here, and the reason `run` refuses to start.
function validateCommand(configPath: string, flags: ConfigFlags): void {
  const config = loadConfig(configPath, toOverrides(flags));
  process.stderr.write(`${configPath}: valid\n`);
  for (const problem of findEnvironmentProblems(config)) {
    process.stderr.write(`warning: ${problem} (\`topk-gan run\` would refuse to start)\n`);
  }
  process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
}

function reportCommand(runDirs: string[], flags: { out?: string }): void {
  const outDir = flags.out ?? (runDirs.length === 1 ? runDirs[0] : undefined);
  if (!outDir) throw new UserError('report: with several run folders, say where to write with --out <dir>');
  const summaries = readSummaries(runDirs);
  const metrics = getReportedMetrics(summaries);
  const groups = aggregateSummaries(summaries, metrics);
  const rows = toReportRows(groups);
  const markdown = formatReportMarkdown(groups, compareWithBaselines(groups, metrics));
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.csv'), stringify(rows, { header: true }));
  writeFileSync(join(outDir, 'report.md'), markdown);
  process.stdout.write(markdown);
}

interface SuiteFlags {
  out?: string;
  jobs: number;
  quick?: boolean;
  device?: string;
}

async function suiteCommand(suiteFile: string, flags: SuiteFlags): Promise<void> {
  const log = createLogger();
  const outcome = await runSuite({ suiteFile, outDir: flags.out, jobs: flags.jobs, quick: flags.quick ?? false, device: flags.device, log });
  log(describeSuiteOutcome(outcome));
  // in the suite's own order, not the order in which parallel cells ended
  const planOrder = outcome.plan.cells.map((cell) => cell.id);
  const failed = outcome.results
    .filter((r) => r.status === 'failed' || r.status === 'interrupted')
    .sort((a, b) => planOrder.indexOf(a.cell.id) - planOrder.indexOf(b.cell.id));
  if (failed.length > 0) {
    throw new UserError(`${failed.length} of ${outcome.plan.cells.length} cells failed: ${failed.map((r) => r.cell.id).join(', ')}; the report counts them as failed. Run the same command again to resume them.`);
  }
  if (outcome.report.figureError) throw new UserError(`the report was written without figures: ${outcome.report.figureError}`);
}

function parsePositiveInteger(text: string, option: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new UserError(`${option} ${JSON.stringify(text)}: expected a whole number >= 1`);
  }
  return Number(text);
}

function parseJobs(text: string): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < 1) {
    throw new UserError(`--jobs ${JSON.stringify(text)}: expected a whole number >= 1`);
  }
  return Number(text);
}

async function setupCommand(): Promise<void> {
  const log = createLogger();
  const pythonBin = await ensurePythonEnvironment(log);
  log(`Python environment ready: ${pythonBin}`);
}

export async function main(argv: string[]): Promise<number> {
  try {
    await createProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    return handleError(error);
  }
}

function handleError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander has already printed its message (or the help / version)
    return error.exitCode;
  }
  if (error instanceof UserError) {
    process.stderr.write(`topk-gan: ${error.message}\n`);
    return error.exitCode;
  }
  process.stderr.write(
    `topk-gan: internal error; this is a bug in topk-gan ${packageVersion} (node ${process.version}). Please report it with this text:\n${(error as Error)?.stack ?? String(error)}\n`,
  );
  return 70;
}
