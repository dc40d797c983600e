/**
 * `iriscope colorize <files or folders> --samples N --seed S [--temperature T]
 * [--model ID] --out DIR [--json]`: N colorizations of each photo at full
 * resolution, with the same engine as the app, written as
 * `<name>.<ext>.colorized-s<seed>-<k>.<ext>`. Progress and errors go to
 * stderr; with --json stdout gets one record per image:
 * `{file, outputs: [paths], seed, timing: {embed_ms, sample_ms, total_ms}}`.
 * A bad file is reported and skipped; the exit code is 1 if any failed.
 */
import { InvalidArgumentError, type Command } from 'commander';
import {
  COLORIZE_DEFAULT_TEMPERATURE,
  COLORIZE_MAX_SAMPLES,
  COLORIZE_MAX_SEED,
  COLORIZE_MAX_TEMPERATURE,
} from '../common/colorize-contract';
import type { ErrorInfo } from '../common/errors';
import type { OutputFormat } from '../engine/pipelines/colorize/colorize';
import { chooseColorizer } from '../engine/pipelines/colorize/pic-model';
import { randomSeed } from '../engine/pipelines/colorize/rng';
import { runColorizeTask } from '../engine/tasks/colorize-task';
import type { ColorizeTaskOptions } from '../engine/tasks/task-options';
import { integerIn, numberIn } from './cli-args';
import { fileCommand, plural, runFiles } from './run-files';

const FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const;

interface ColorizeOptions {
  samples: number;
  seed?: number;
  temperature: number;
  model?: string;
  out: string;
  overwrite?: boolean;
  format?: OutputFormat;
  json?: boolean;
}

/** The task options from the command's flags; a missing seed is drawn once, for the whole run. */
export function colorizeTaskOptions(options: Omit<ColorizeOptions, 'out'>): ColorizeTaskOptions {
  return { samples: options.samples, seed: options.seed ?? randomSeed(), temperature: options.temperature, model: options.model, format: options.format };
}

/** The flags of the colorize task (shared with `iriscope batch enqueue`). */
export function addColorizeOptions(command: Command): Command {
  return command
    .option('-n, --samples <N>', `colorizations per photo (1–${COLORIZE_MAX_SAMPLES})`, integerIn(1, COLORIZE_MAX_SAMPLES), 4)
    .option('-s, --seed <S>', 'random seed (same seed, samples, temperature and model → same images; default: random)', integerIn(0, COLORIZE_MAX_SEED))
    .option('-t, --temperature <T>', `0 = most likely colours, 1 = as trained, more = wilder`, numberIn(0, COLORIZE_MAX_TEMPERATURE), COLORIZE_DEFAULT_TEMPERATURE)
    .option('-m, --model <id>', 'colorization model (default: the best installed; see `iriscope info`)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: the input's, PNG for others)`, (v: string) => {
      if (!(FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
      return v as OutputFormat;
    });
}

export function colorizeCommand(program: Command, report: (error: ErrorInfo, file?: string) => void): void {
  addColorizeOptions(fileCommand(program, 'colorize', 'several plausible colorizations of black-and-white photos, at full resolution (PIC)', { help: 'write <name>.<ext>.colorized-s<seed>-<k>.<ext> here', required: true }))
    .action(async (inputs: string[], options: ColorizeOptions) => {
      const taskOptions = colorizeTaskOptions(options);
      await runFiles({
        command: 'colorize',
        inputs,
        flags: options,
        report,
        // A wrong model id fails the command at once, not once per photo.
        prepare: (engine) => void chooseColorizer(engine.models, taskOptions.model),
        task: (engine, file, out, ctx) => runColorizeTask(engine, file, taskOptions, out!, ctx),
        print: (record) => {
          process.stdout.write(`${record.file}: ${plural(record.outputs.length, 'colorization')} (${record.width} × ${record.height} px, seed ${record.seed}, ${(record.timing.total_ms / 1000).toFixed(1)} s)\n`);
          for (const file of record.outputs) process.stdout.write(`  → ${file}\n`);
        },
        summary: (_records, files, failed, seconds) => `colorize: ${files - failed} of ${plural(files, 'image')} done, ${failed} failed, seed ${taskOptions.seed}, ${seconds.toFixed(1)} s`,
      });
    });
}
