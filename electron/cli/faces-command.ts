/**
 * `iriscope faces <files or folders> [--out DIR] [--json] [--threshold T]`:
 * finds the faces in each image with the same engine as the app. Progress
 * and errors go to stderr; with --json stdout gets one record per image.
 * With --out, `<name>.<ext>.faces.jpg|png` (annotated) and
 * `<name>.<ext>.faces.json` are written there (see engine/tasks/task.ts).
 */
import type { Command } from 'commander';
import type { ErrorInfo } from '../common/errors';
import { FACE_DEFAULT_THRESHOLD } from '../common/faces-contract';
import { faceLabel } from '../engine/pipelines/faces/export-faces';
import { runFacesTask } from '../engine/tasks/faces-task';
import { numberIn } from './cli-args';
import { fileCommand, plural, runFiles } from './run-files';

interface FacesOptions {
  out?: string;
  json?: boolean;
  overwrite?: boolean;
  threshold?: number;
  minFace?: number;
}

export function facesCommand(program: Command, report: (error: ErrorInfo, file?: string) => void): void {
  fileCommand(program, 'faces', 'find faces and read their age, gender and expression; write annotated images and JSON', { help: 'write <name>.<ext>.faces.jpg|png (annotated) and <name>.<ext>.faces.json here' })
    .option('-t, --threshold <score>', `detection score threshold (default ${FACE_DEFAULT_THRESHOLD})`, numberIn(0.05, 1))
    .option('--min-face <px>', 'smallest face to look for, in pixels (default: 20, or 1/64 of the long side)', numberIn(4, 100_000))
    .action(async (inputs: string[], options: FacesOptions) => {
      await runFiles({
        command: 'faces',
        inputs,
        flags: options,
        report,
        task: (engine, file, out, ctx) => runFacesTask(engine, file, { threshold: options.threshold, minFace: options.minFace }, out, ctx),
        print: (record) => {
          process.stdout.write(`${record.file}: ${plural(record.faces.length, 'face')} (${record.width} × ${record.height} px, ${(record.stats.total_ms / 1000).toFixed(1)} s)\n`);
          for (const f of record.faces) process.stdout.write(`  ${faceLabel(f)}  score ${f.score.toFixed(2)}  box ${f.box.map((v) => Math.round(v)).join(',')}\n`);
          for (const file of record.exports) process.stdout.write(`  → ${file}\n`);
        },
        summary: (records, files, failed, seconds) => {
          const total = records.reduce((n, r) => n + r.faces.length, 0);
          return `faces: ${files - failed} of ${plural(files, 'image')} done, ${plural(total, 'face')}, ${failed} failed, ${seconds.toFixed(1)} s`;
        },
      });
    });
}
