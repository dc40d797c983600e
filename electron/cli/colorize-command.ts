/**
 * `iriscope colorize <files or folders> --samples N --seed S [--temperature T]
 * [--model ID] --out DIR [--json]`: N colorizations of each photo at full
 * resolution, with the same engine as the app. Progress and errors go to
 * stderr; with --json stdout gets one record per image:
 * `{file, outputs: [paths], seed, timing: {embed_ms, sample_ms, total_ms}}`.
 * A bad file is reported and skipped; the exit code is 1 if any failed.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import {
  COLORIZE_DEFAULT_TEMPERATURE,
  COLORIZE_MAX_SAMPLES,
  COLORIZE_MAX_SEED,
  COLORIZE_MAX_TEMPERATURE,
} from '../common/colorize-contract';
import { IriscopeError, toErrorInfo, type ErrorInfo } from '../common/errors';
import { Engine } from '../engine/engine';
import { OUTPUT_EXTENSION, formatFor, picSessions, samplePhoto, type OutputFormat } from '../engine/pipelines/colorize/colorize';
import { chooseColorizer } from '../engine/pipelines/colorize/pic-model';
import { randomSeed } from '../engine/pipelines/colorize/rng';
import { expandInputs, integerIn, numberIn } from './cli-args';

const FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const;

interface ColorizeOptions {
  samples: number;
  seed?: number;
  temperature: number;
  model?: string;
  out: string;
  format?: OutputFormat;
  json?: boolean;
}

/** `<out>/<stem>.colorized-s<seed>-<k>.<ext>`, with -2, -3 … when two inputs share a name. */
function outputStem(dir: string, file: string, seed: number, used: Set<string>): string {
  const stem = path.basename(file, path.extname(file));
  let base = path.join(dir, `${stem}.colorized-s${seed}`);
  for (let i = 2; used.has(base); i++) base = path.join(dir, `${stem}-${i}.colorized-s${seed}`);
  used.add(base);
  return base;
}

export function colorizeCommand(program: Command, report: (error: ErrorInfo, file?: string) => void): void {
  program
    .command('colorize')
    .description('several plausible colorizations of black-and-white photos, at full resolution (PIC)')
    .argument('<inputs...>', 'image files or folders (the images directly inside)')
    .requiredOption('-o, --out <dir>', 'write <name>.colorized-s<seed>-<k>.<ext> here')
    .option('-n, --samples <N>', `colorizations per photo (1–${COLORIZE_MAX_SAMPLES})`, integerIn(1, COLORIZE_MAX_SAMPLES), 4)
    .option('-s, --seed <S>', 'random seed (same seed, samples, temperature and model → same images; default: random)', integerIn(0, COLORIZE_MAX_SEED))
    .option('-t, --temperature <T>', `0 = most likely colours, 1 = as trained, more = wilder (default ${COLORIZE_DEFAULT_TEMPERATURE})`, numberIn(0, COLORIZE_MAX_TEMPERATURE), COLORIZE_DEFAULT_TEMPERATURE)
    .option('-m, --model <id>', 'colorization model (default: the best installed; see `iriscope info`)')
    .option('-f, --format <format>', `output format: ${FORMATS.join(', ')} (default: the input's, PNG for others)`, (v: string) => {
      if (!(FORMATS as readonly string[]).includes(v)) throw new InvalidArgumentError(`expected one of ${FORMATS.join(', ')}`);
      return v as OutputFormat;
    })
    .option('--json', 'print one JSON record per image on stdout')
    .action(async (inputs: string[], options: ColorizeOptions) => {
      const items = await expandInputs(inputs);
      await fs.mkdir(options.out, { recursive: true });
      const engine = await Engine.create();
      const seed = options.seed ?? randomSeed();
      const used = new Set<string>();
      let failed = 0;
      const started = Date.now();
      try {
        const cfg = chooseColorizer(engine.models, options.model);
        for (const [index, item] of items.entries()) {
          const tag = `[${index + 1}/${items.length}] ${path.basename(item.file)}`;
          const t0 = performance.now();
          let imageId: string | null = null;
          try {
            if (item.error) throw new IriscopeError(item.error);
            const image = await engine.openImage({ path: item.file });
            imageId = image.id;
            process.stderr.write(`${tag}: ${image.width} × ${image.height} px, preparing\n`);
            const reader = await engine.images.whenReady(image.id);
            const sessions = await picSessions(engine.models, cfg);
            let lastRow = 0;
            const photo = await samplePhoto(reader, sessions, cfg, { samples: options.samples, seed, temperature: options.temperature }, {
              onRow: (done, total) => {
                if (done === total || done - lastRow >= Math.ceil(total / 4)) {
                  lastRow = done;
                  process.stderr.write(`${tag}: sampling ${options.samples} colorization${options.samples === 1 ? '' : 's'}, row ${done} of ${total}\n`);
                }
              },
            });
            const format = options.format ?? formatFor(image.format);
            const base = outputStem(options.out, item.file, seed, used);
            const outputs = photo.grids.map((_, k) => path.resolve(`${base}-${k + 1}.${OUTPUT_EXTENSION[format]}`));
            let lastPct = -1;
            await engine.colorization.writeSamples(reader, photo, outputs, format, image.path, {
              signal: new AbortController().signal,
              progress: (fraction) => {
                const pct = Math.floor((fraction ?? 0) * 4) * 25;
                if (pct > lastPct) {
                  lastPct = pct;
                  process.stderr.write(`${tag}: writing at full resolution ${pct}%\n`);
                }
              },
            });
            const timing = { embed_ms: round(photo.timing.embedMs), sample_ms: round(photo.timing.sampleMs), total_ms: round(performance.now() - t0) };
            if (options.json) {
              process.stdout.write(`${JSON.stringify({ file: item.file, outputs, seed, temperature: options.temperature, model: cfg.modelId, width: image.width, height: image.height, timing })}\n`);
            } else {
              process.stdout.write(`${item.file}: ${outputs.length} colorization${outputs.length === 1 ? '' : 's'} (${image.width} × ${image.height} px, seed ${seed}, ${(timing.total_ms / 1000).toFixed(1)} s)\n`);
              for (const file of outputs) process.stdout.write(`  → ${file}\n`);
            }
          } catch (error) {
            failed++;
            const info = toErrorInfo(error);
            report(info, item.file);
            if (options.json) process.stdout.write(`${JSON.stringify({ file: item.file, error: info })}\n`);
          } finally {
            if (imageId) await engine.closeImage({ imageId }).catch(() => undefined);
          }
        }
      } finally {
        await engine.dispose();
      }
      process.stderr.write(`colorize: ${items.length - failed} of ${items.length} image${items.length === 1 ? '' : 's'} done, ${failed} failed, seed ${seed}, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (failed) process.exitCode = 1;
    });
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
