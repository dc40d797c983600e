/**
 * One image through Detect: its record (boxes in original-image pixels),
 * and with an output the exports in each format. One format failing
 * (GeoJSON of an image without georeferencing) does not lose the others:
 * its error is in the record's `export_errors`.
 */
import type { DetectExportFormat, DetectThresholds } from '../../common/detect-contract';
import { toErrorInfo, type ErrorInfo } from '../../common/errors';
import type { Engine } from '../engine';
import { cancelOnAbort, logJobProgress, openForTask, type TaskContext, type TaskOutput } from './task';
import type { DetectTaskOptions } from './task-options';

export const DETECT_EXTENSION: Record<DetectExportFormat, string> = { coco: 'coco.json', yolo: 'yolo.txt', csv: 'csv', geojson: 'geojson', png: 'png', jpeg: 'jpg' };

export async function runDetectTask(engine: Engine, file: string, options: DetectTaskOptions, out: TaskOutput | null, ctx: TaskContext) {
  const openStarted = performance.now();
  const { image } = await openForTask(engine, file, ctx);
  try {
    const openMs = performance.now() - openStarted;
    const thresholds: Partial<DetectThresholds> = Object.fromEntries(Object.entries(options.thresholds).filter(([, v]) => v !== undefined));
    const { job, done } = engine.detection.start({ imageId: image.id, mode: options.mode, modelId: options.model, stage1ModelId: options.stage1Model, thresholds, ...(options.gsd !== undefined ? { gsd: options.gsd } : {}), ...(options.gate !== undefined ? { gate: options.gate } : {}) });
    const offCancel = cancelOnAbort(engine, ctx.signal, job.id);
    const offLog = logJobProgress(engine, job.id, ctx.log);
    const result = await done.finally(() => {
      offCancel();
      offLog();
    });
    const shown = result.detections.filter((d) => d.score >= result.thresholds.scoreThreshold);
    const exports: string[] = [];
    const exportErrors: Array<{ format: DetectExportFormat; error: ErrorInfo }> = [];
    if (out) {
      const wanted = [...(options.formats ?? [image.geo && !image.geo.problem ? 'geojson' : 'coco']), ...(options.image ? (['png'] as const) : [])];
      for (const format of [...new Set(wanted)] as DetectExportFormat[]) {
        try {
          const exported = engine.detection.export({ imageId: image.id, format, path: `${out.base}.detect.${DETECT_EXTENSION[format]}`, crops: format === 'png' || format === 'jpeg' }, out.existing);
          const offExport = cancelOnAbort(engine, ctx.signal, exported.job.id);
          exports.push((await exported.done.finally(offExport)).path);
        } catch (error) {
          const info = toErrorInfo(error);
          if (info.code === 'CANCELLED') throw error;
          exportErrors.push({ format, error: info });
        }
      }
    }
    const s = result.stats;
    return {
      file,
      width: result.width,
      height: result.height,
      mode: result.mode,
      models: result.models,
      threshold: result.thresholds.scoreThreshold,
      detections: shown.map((d) => ({ box: d.box, score: d.score, class: d.label, class_id: d.class, stage: d.stage })),
      timing: { total_ms: Math.round(s.totalMs), open_ms: Math.round(openMs), stage1_ms: Math.round(s.stage1Ms), stage2_ms: Math.round(s.stage2Ms), read_ms: Math.round(s.readMs), merge_ms: Math.round(s.mergeMs) },
      crops: result.crops.map((c) => c.box),
      stats: { tiles: s.tiles, crops_per_tile: s.cropsPerTile, area_full_res: s.areaFullRes, providers: s.providers },
      // The tile gate (cascade with --gate): how many stage-1 tiles it skipped.
      gate: result.gate ? { model: result.gate.model, threshold: result.gate.threshold, tiles: result.gate.tiles, skipped: result.gate.skipped } : null,
      // Metres per pixel: the image's (and where from), the model's range, the scale it was read at.
      gsd: { image: result.gsd.image, source: result.gsd.source, model: result.gsd.model, scale: result.gsd.scale, read_at: result.gsd.readAt },
      warnings: result.warnings,
      exports,
      ...(exportErrors.length ? { export_errors: exportErrors } : {}),
    };
  } finally {
    await engine.closeImage({ imageId: image.id }).catch(() => undefined);
  }
}

export type DetectRecord = Awaited<ReturnType<typeof runDetectTask>>;
