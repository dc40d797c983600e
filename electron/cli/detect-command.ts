/**
 * `iriscope detect <files or folders> [--mode cascade|tiled] [--model ID]
 * --out DIR [--format coco|yolo|csv|geojson] [--json]`: small objects in
 * (huge) aerial images with the same engine as the app. Progress and errors
 * go to stderr; --json prints one record per image on stdout, boxes in
 * original-image pixels. Exports are written atomically after a run
 * succeeded; Ctrl-C cancels the running job and leaves no partial file.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { DETECT_EXPORT_FORMATS, type DetectExportFormat, type DetectThresholds } from '../common/detect-contract';
import { IriscopeError, toErrorInfo, type ErrorInfo } from '../common/errors';
import { Engine } from '../engine/engine';
import { expandInputs, integerIn, numberIn, uniqueStem } from './cli-args';
import { printJobProgress } from './progress-lines';

const EXTENSION: Record<DetectExportFormat, string> = { coco: 'coco.json', yolo: 'yolo.txt', csv: 'csv', geojson: 'geojson', png: 'png', jpeg: 'jpg' };

interface DetectOptions {
  mode: 'cascade' | 'tiled';
  model?: string;
  stage1Model?: string;
  out?: string;
  format?: DetectExportFormat[];
  json?: boolean;
  threshold?: number;
  gamma?: number;
  tauLow?: number;
  tauHigh?: number;
  overlap?: number;
  image?: boolean;
}

function formats(value: string, previous: DetectExportFormat[] = []): DetectExportFormat[] {
  const out = [...previous];
  for (const f of value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean)) {
    if (!(DETECT_EXPORT_FORMATS as readonly string[]).includes(f)) throw new InvalidArgumentError(`expected one of ${DETECT_EXPORT_FORMATS.join(', ')}`);
    if (!out.includes(f as DetectExportFormat)) out.push(f as DetectExportFormat);
  }
  return out;
}

export function detectCommand(program: Command, report: (error: ErrorInfo, file?: string) => void): void {
  program
    .command('detect')
    .description('detect small objects (vehicles, boats, planes) in aerial images, huge GeoTIFFs included; export COCO, YOLO, CSV or GeoJSON')
    .argument('<inputs...>', 'image files or folders (the images directly inside)')
    .addOption(new Option('-m, --mode <mode>', 'cascade (ODGI: full resolution only where it matters) or tiled (every window at full resolution)').choices(['cascade', 'tiled']).default('cascade'))
    .option('--model <id>', 'detection model: an ODGI model, or an imported YOLO detector (tiled, or stage 2 of the cascade); default: the best installed ODGI model')
    .option('--stage1-model <id>', 'with a YOLO --model in cascade mode: the ODGI model proposing the crops')
    .option('-o, --out <dir>', 'write <name>.<format> here for each image')
    .option('-f, --format <formats>', `export format(s), comma separated: ${DETECT_EXPORT_FORMATS.join(', ')} (default: geojson for georeferenced images, else coco)`, formats)
    .option('--image', 'also write an annotated overview <name>.png (boxes; full-resolution crops of the best detections under it)')
    .option('--json', 'print one JSON record per image on stdout')
    .option('-t, --threshold <score>', 'operating score threshold (default: the model\'s)', numberIn(0, 1))
    .option('--gamma <n>', 'cascade: at most this many crops per stage-1 tile', integerIn(0, 256))
    .option('--tau-low <conf>', 'cascade: stage-1 confidence for a crop', numberIn(0, 1))
    .option('--tau-high <conf>', 'cascade: stage-1 confidence to keep an individual without stage 2 (above 1: never)', numberIn(0, 1.01))
    .option('--overlap <fraction>', 'tiled: window overlap', numberIn(0, 0.75))
    .action(async (inputs: string[], options: DetectOptions) => {
      if (!options.out && !options.json) throw new IriscopeError({ code: 'BAD_REQUEST', message: 'Nothing to do: give --out DIR (exports) and/or --json (records on stdout).' });
      const items = await expandInputs(inputs);
      if (options.out) await fs.mkdir(options.out, { recursive: true });
      const engine = await Engine.create();
      const thresholds: Partial<DetectThresholds> = {};
      if (options.threshold !== undefined) thresholds.scoreThreshold = options.threshold;
      if (options.gamma !== undefined) thresholds.gamma = options.gamma;
      if (options.tauLow !== undefined) thresholds.tauLow = options.tauLow;
      if (options.tauHigh !== undefined) thresholds.tauHigh = options.tauHigh;
      if (options.overlap !== undefined) thresholds.overlap = options.overlap;
      const used = new Set<string>();
      let failed = 0;
      let total = 0;
      let running: string | null = null;
      let interrupted = false;
      const onSigint = () => {
        if (interrupted) process.exit(130);
        interrupted = true;
        process.stderr.write('detect: cancelling (Ctrl-C again to quit at once)…\n');
        if (running) engine.jobs.cancel(running);
      };
      process.on('SIGINT', onSigint);
      const started = Date.now();
      try {
        for (const [index, item] of items.entries()) {
          if (interrupted) break;
          const tag = `[${index + 1}/${items.length}] ${path.basename(item.file)}`;
          try {
            if (item.error) throw new IriscopeError(item.error);
            const openStarted = performance.now();
            const image = await engine.openImage({ path: item.file });
            await engine.images.whenReady(image.id);
            const openMs = performance.now() - openStarted;
            const { job, done } = engine.detection.start({ imageId: image.id, mode: options.mode, modelId: options.model, stage1ModelId: options.stage1Model, thresholds });
            running = job.id;
            const off = printJobProgress(engine, job.id, tag);
            const result = await done.finally(() => {
              off();
              running = null;
            });
            const shown = result.detections.filter((d) => d.score >= result.thresholds.scoreThreshold);
            total += shown.length;
            const written: string[] = [];
            const exportErrors: Array<{ format: DetectExportFormat; error: ErrorInfo }> = [];
            if (options.out) {
              const base = uniqueStem(options.out, item.file, used);
              const wanted = [...(options.format ?? [image.geo && !image.geo.problem ? 'geojson' : 'coco']), ...(options.image ? (['png'] as const) : [])];
              for (const format of [...new Set(wanted)] as DetectExportFormat[]) {
                // One format failing (GeoJSON of an image without georeferencing) does not lose the others.
                try {
                  const exported = engine.detection.export({ imageId: image.id, format, path: `${base}.${EXTENSION[format]}`, crops: format === 'png' || format === 'jpeg' });
                  running = exported.job.id;
                  written.push((await exported.done.finally(() => (running = null))).path);
                } catch (error) {
                  const info = toErrorInfo(error);
                  if (info.code === 'CANCELLED') throw error;
                  exportErrors.push({ format, error: info });
                  report(info, item.file);
                }
              }
              if (exportErrors.length) failed++;
            }
            if (options.json) {
              const s = result.stats;
              process.stdout.write(`${JSON.stringify({
                file: item.file,
                width: result.width,
                height: result.height,
                mode: result.mode,
                models: result.models,
                threshold: result.thresholds.scoreThreshold,
                detections: shown.map((d) => ({ box: d.box, score: d.score, class: d.label, class_id: d.class, stage: d.stage })),
                timing: { total_ms: Math.round(s.totalMs), open_ms: Math.round(openMs), stage1_ms: Math.round(s.stage1Ms), stage2_ms: Math.round(s.stage2Ms), read_ms: Math.round(s.readMs), merge_ms: Math.round(s.mergeMs) },
                crops: result.crops.map((c) => c.box),
                stats: { tiles: s.tiles, crops_per_tile: s.cropsPerTile, area_full_res: s.areaFullRes, providers: s.providers },
                exports: written,
                ...(exportErrors.length ? { export_errors: exportErrors } : {}),
              })}\n`);
            } else {
              process.stdout.write(`${item.file}: ${shown.length} detection${shown.length === 1 ? '' : 's'} (${result.width} × ${result.height} px, ${result.mode}, ${(result.stats.totalMs / 1000).toFixed(1)} s, ${result.crops.length} crops, ${(result.stats.areaFullRes * 100).toFixed(1)}% read at full resolution)\n`);
              for (const file of written) process.stdout.write(`  → ${file}\n`);
            }
            process.stderr.write(`${tag}: ${shown.length} detections\n`);
            engine.closeImage({ imageId: image.id }).catch(() => undefined);
          } catch (error) {
            failed++;
            const info = toErrorInfo(error);
            report(info, item.file);
            if (options.json) process.stdout.write(`${JSON.stringify({ file: item.file, error: info })}\n`);
            if (info.code === 'CANCELLED') break;
          }
        }
      } finally {
        process.off('SIGINT', onSigint);
        await engine.dispose();
      }
      process.stderr.write(`detect: ${items.length - failed} of ${items.length} image${items.length === 1 ? '' : 's'} done, ${total} detection${total === 1 ? '' : 's'}, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (interrupted) process.exitCode = 130;
      else if (failed) process.exitCode = 1;
    });
}
