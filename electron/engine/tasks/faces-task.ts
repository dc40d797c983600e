/** One image through Faces: its record, and with an output an annotated copy and a JSON file. */
import type { Engine } from '../engine';
import { faceRecord } from '../pipelines/faces/export-faces';
import { cancelOnAbort, logJobProgress, openForTask, type TaskContext, type TaskOutput } from './task';
import type { FacesTaskOptions } from './task-options';

export type FacesRecord = ReturnType<typeof faceRecord> & { exports: string[]; stats: { total_ms: number } };

export async function runFacesTask(engine: Engine, file: string, options: FacesTaskOptions, out: TaskOutput | null, ctx: TaskContext): Promise<FacesRecord> {
  const { image } = await openForTask(engine, file, ctx);
  try {
    const { job, done } = engine.faces.start({ imageId: image.id, threshold: options.threshold, minFace: options.minFace });
    const offCancel = cancelOnAbort(engine, ctx.signal, job.id);
    const offLog = logJobProgress(engine, job.id, ctx.log);
    const result = await done.finally(() => {
      offCancel();
      offLog();
    });
    const faces = result.faces.filter((f) => f.score >= result.threshold);
    const exports: string[] = [];
    if (out) {
      const format = image.format === 'jpeg' ? 'jpeg' : 'png';
      for (const [fmt, ext] of [[format, format === 'jpeg' ? 'jpg' : 'png'], ['json', 'json']] as const) {
        const written = await engine.faces.export({ imageId: image.id, format: fmt, path: `${out.base}.faces.${ext}` }, out.existing);
        exports.push(written.path);
      }
    }
    return { ...faceRecord(image.path, result, faces), file, exports, stats: { total_ms: Math.round(result.stats.totalMs) } };
  } finally {
    await engine.closeImage({ imageId: image.id }).catch(() => undefined);
  }
}
