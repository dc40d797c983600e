/**
 * `iriscope detect <files or folders> [--mode cascade|tiled] [--model ID]
 * --out DIR [--format coco|yolo|csv|geojson] [--json]`: small objects in
 * (huge) aerial images with the same engine as the app. Progress and errors
 * go to stderr; --json prints one record per image on stdout, boxes in
 * original-image pixels. Exports (`<name>.<ext>.detect.<format>`) are
 * written atomically after a run succeeded; Ctrl-C cancels the running job
 * and leaves no partial file.
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DETECT_EXPORT_FORMATS, type DetectExportFormat } from '../common/detect-contract';
import { IriscopeError, type ErrorInfo } from '../common/errors';
import { runDetectTask } from '../engine/tasks/detect-task';
import type { DetectTaskOptions } from '../engine/tasks/task-options';
import { integerIn, numberIn } from './cli-args';
import { fileCommand, plural, runFiles } from './run-files';

interface DetectOptions {
  mode: 'cascade' | 'tiled';
  model?: string;
  stage1Model?: string;
  out?: string;
  overwrite?: boolean;
  format?: DetectExportFormat[];
  json?: boolean;
  threshold?: number;
  gamma?: number;
  tauLow?: number;
  tauHigh?: number;
  overlap?: number;
  image?: boolean;
  gsd?: number;
  gate?: boolean;
}

function formats(value: string, previous: DetectExportFormat[] = []): DetectExportFormat[] {
  const out = [...previous];
  for (const f of value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (!(DETECT_EXPORT_FORMATS as readonly string[]).includes(f)) throw new InvalidArgumentError(`expected one of ${DETECT_EXPORT_FORMATS.join(', ')}`);
    if (!out.includes(f as DetectExportFormat)) out.push(f as DetectExportFormat);
  }
  return out;
}

/** The task options from the command's flags (also used by `iriscope batch enqueue --task detect`). */
export function detectTaskOptions(options: DetectOptions): DetectTaskOptions {
  return {
    mode: options.mode,
    model: options.model,
    stage1Model: options.stage1Model,
    formats: options.format,
    image: options.image,
    gsd: options.gsd,
    gate: options.gate,
    thresholds: { scoreThreshold: options.threshold, gamma: options.gamma, tauLow: options.tauLow, tauHigh: options.tauHigh, overlap: options.overlap },
  };
}

/** The flags of the detect task (shared with `iriscope batch enqueue`). */
export function addDetectOptions(command: Command): Command {
  return command
    .addOption(new Option('-m, --mode <mode>', 'cascade (ODGI: full resolution only where it matters) or tiled (every window at full resolution)').choices(['cascade', 'tiled']).default('cascade'))
    .option('--model <id>', 'detection model: an ODGI model, or an imported YOLO detector (tiled, or stage 2 of the cascade); default: the best installed ODGI model')
    .option('--stage1-model <id>', 'with a YOLO --model in cascade mode: the ODGI model proposing the crops')
    .option('-f, --format <formats>', `export format(s), comma separated: ${DETECT_EXPORT_FORMATS.join(', ')} (default: geojson for georeferenced images, else coco)`, formats)
    .option('--gsd <metres>', 'ground resolution of the images in metres per pixel (e.g. 0.3), for images without georeferencing or to override a GeoTIFF\'s; an image outside the model\'s range is resampled to it', numberIn(0.001, 1000))
    .option('--gate', 'cascade: run the model\'s tile gate first and skip stage 1 on tiles it finds empty (off by default)')
    .option('--no-gate', 'cascade: run stage 1 on every tile')
    .option('--image', 'also write an annotated overview <name>.<ext>.detect.png (boxes; full-resolution crops of the best detections under it)')
    .option('-t, --threshold <score>', 'operating score threshold (default: the model\'s)', numberIn(0, 1))
    .option('--gamma <n>', 'cascade: at most this many crops per stage-1 tile', integerIn(0, 256))
    .option('--tau-low <conf>', 'cascade: stage-1 confidence for a crop', numberIn(0, 1))
    .option('--tau-high <conf>', 'cascade: stage-1 confidence to keep an individual without stage 2 (above 1: never)', numberIn(0, 1.01))
    .option('--overlap <fraction>', 'tiled: window overlap', numberIn(0, 0.75));
}

export function detectCommand(program: Command, report: (error: ErrorInfo, file?: string) => void): void {
  addDetectOptions(fileCommand(program, 'detect', 'detect small objects (vehicles, boats, planes) in aerial images, huge GeoTIFFs included; export COCO, YOLO, CSV or GeoJSON', { help: 'write <name>.<ext>.detect.<format> here for each image' }))
    .action(async (inputs: string[], options: DetectOptions) => {
      if (!options.out && !options.json) throw new IriscopeError({ code: 'BAD_REQUEST', message: 'Nothing to do: give --out DIR (exports) and/or --json (records on stdout).' });
      const taskOptions = detectTaskOptions(options);
      // A warning that reads the same for every image (e.g. no ground resolution) is printed once.
      const warned = new Set<string>();
      await runFiles({
        command: 'detect',
        inputs,
        flags: options,
        report,
        task: (engine, file, out, ctx) => runDetectTask(engine, file, taskOptions, out, ctx),
        errorsOf: (record) => (record.export_errors ?? []).map((e) => e.error),
        print: (record) => {
          process.stdout.write(`${record.file}: ${plural(record.detections.length, 'detection')} (${record.width} × ${record.height} px, ${record.mode}, ${(record.timing.total_ms / 1000).toFixed(1)} s, ${record.crops.length} crops, ${(record.stats.area_full_res * 100).toFixed(1)}% read at full resolution)\n`);
          for (const file of record.exports) process.stdout.write(`  → ${file}\n`);
          for (const w of record.warnings) {
            if (w.code === 'GSD_UNKNOWN' && warned.has(w.message)) continue;
            warned.add(w.message);
            process.stderr.write(`warning (${record.file}): ${w.code}: ${w.message}\n`);
          }
        },
        summary: (records, files, failed, seconds) => {
          const total = records.reduce((n, r) => n + r.detections.length, 0);
          return `detect: ${files - failed} of ${plural(files, 'image')} done, ${plural(total, 'detection')}, ${failed} failed, ${seconds.toFixed(1)} s`;
        },
      });
    });
}
