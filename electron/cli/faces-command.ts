/**
 * `iriscope faces <files or folders> [--out DIR] [--json] [--threshold T]`:
 * finds the faces in each image with the same engine as the app. Progress
 * and errors go to stderr; with --json stdout gets one record per image.
 * With --out, an annotated copy and a JSON file per image are written there.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { IriscopeError, toErrorInfo, type ErrorInfo } from '../common/errors';
import { FACE_DEFAULT_THRESHOLD } from '../common/faces-contract';
import { Engine } from '../engine/engine';
import { expandInputs, numberIn, uniqueStem } from './cli-args';
import { printJobProgress } from './progress-lines';
import { faceLabel, faceRecord } from '../engine/pipelines/faces/export-faces';


interface FacesOptions {
  out?: string;
  json?: boolean;
  threshold?: number;
  minFace?: number;
}

export function facesCommand(program: Command, report: (error: ErrorInfo, file?: string) => void): void {
  program
    .command('faces')
    .description('find faces and read their age, gender and expression; write annotated images and JSON')
    .argument('<inputs...>', 'image files or folders (the images directly inside)')
    .option('-o, --out <dir>', 'write <name>.faces.jpg|png (annotated) and <name>.faces.json here')
    .option('--json', 'print one JSON record per image on stdout')
    .option('-t, --threshold <score>', `detection score threshold (default ${FACE_DEFAULT_THRESHOLD})`, numberIn(0.05, 1))
    .option('--min-face <px>', 'smallest face to look for, in pixels (default: 20, or 1/64 of the long side)', numberIn(4, 100_000))
    .action(async (inputs: string[], options: FacesOptions) => {
      const items = await expandInputs(inputs);
      if (options.out) await fs.mkdir(options.out, { recursive: true });
      const engine = await Engine.create();
      const used = new Set<string>();
      let failed = 0;
      let total = 0;
      const started = Date.now();
      try {
        for (const [index, item] of items.entries()) {
          const tag = `[${index + 1}/${items.length}] ${path.basename(item.file)}`;
          try {
            if (item.error) throw new IriscopeError(item.error);
            const image = await engine.openImage({ path: item.file });
            const { job, done } = engine.faces.start({ imageId: image.id, threshold: options.threshold, minFace: options.minFace });
            const off = printJobProgress(engine, job.id, tag);
            const result = await done.finally(off);
            const faces = result.faces.filter((f) => f.score >= result.threshold);
            total += faces.length;
            const written: string[] = [];
            if (options.out) {
              const base = uniqueStem(options.out, item.file, used, '.faces');
              const format = image.format === 'jpeg' ? 'jpeg' : 'png';
              for (const [fmt, ext] of [[format, format === 'jpeg' ? 'jpg' : 'png'], ['json', 'json']] as const) {
                written.push((await engine.exportFaces({ imageId: image.id, format: fmt, path: `${base}.${ext}` })).path);
              }
            }
            if (options.json) {
              const record = faceRecord(image.path, result, faces);
              process.stdout.write(`${JSON.stringify({ ...record, file: item.file })}\n`);
            } else {
              process.stdout.write(`${item.file}: ${faces.length} face${faces.length === 1 ? '' : 's'} (${image.width} × ${image.height} px, ${(result.stats.totalMs / 1000).toFixed(1)} s)\n`);
              for (const f of faces) process.stdout.write(`  ${faceLabel(f)}  score ${f.score.toFixed(2)}  box ${f.box.map((v) => Math.round(v)).join(',')}\n`);
              for (const file of written) process.stdout.write(`  → ${file}\n`);
            }
            process.stderr.write(`${tag}: ${faces.length} face${faces.length === 1 ? '' : 's'}\n`);
            engine.closeImage({ imageId: image.id }).catch(() => undefined);
          } catch (error) {
            failed++;
            const info = toErrorInfo(error);
            report(info, item.file);
            if (options.json) process.stdout.write(`${JSON.stringify({ file: item.file, error: info })}\n`);
          }
        }
      } finally {
        await engine.dispose();
      }
      process.stderr.write(`faces: ${items.length - failed} of ${items.length} image${items.length === 1 ? '' : 's'} done, ${total} face${total === 1 ? '' : 's'}, ${failed} failed, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
      if (failed) process.exitCode = 1;
    });
}
