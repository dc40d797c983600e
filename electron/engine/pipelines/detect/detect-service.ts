/**
 * The engine's aerial detection feature: resolves the models (the best
 * installed ODGI model by default, or a user's detector), runs the cascade
 * or the tiled baseline as a job on an open image, keeps per image the latest
 * result with the raw stage-1 outputs and the refined crops (so thresholds
 * are re-applied without running stage 1 again), and exports.
 */
import type { ApiInput, JobInfo } from '../../../common/contract';
import { DETECT_CANDIDATE_FLOOR, DETECT_GATE_DEFAULT, type DetectMode, type DetectResult, type DetectThresholds, type Detection } from '../../../common/detect-contract';
import { IriscopeError } from '../../../common/errors';
import type { ExistingOutput, OutputGuard } from '../../fs/output-guard';
import type { ImageStore } from '../../images/image-store';
import type { JobContext, JobQueue } from '../../jobs/job-queue';
import type { LoadedModel, ModelRegistry } from '../../models/model-registry';
import type { SessionReport } from '../../../common/contract';
import { refineCascade, runCascade, type CascadeModels, type CascadeState, type PipelineOutput } from './cascade';
import { DetectorRunner } from './detector';
import { writeDetectionExport } from './export-detections';
import { detectorConfig, gateConfig, isOdgi, isPlainDetector, manifestThresholds, noModelError, pickDefaultOdgi, stage1Config, type GateConfig } from './models';
import { planGsd, scaledSource, toImagePixels, type GsdPlan } from './ground-resolution';
import { pyramidSource } from './patches';
import { mergeTiled, runTiled, type TiledState } from './tiled-baseline';

type DetectInput = ApiInput<'detect'>;

interface Resolved {
  mode: DetectMode;
  stage1: LoadedModel | null;
  detector: LoadedModel;
  thresholds: DetectThresholds;
  /** The scale the image is read at, and why. */
  gsd: GsdPlan;
  /** The tile gate the cascade runs first, or null. */
  gate: { cfg: GateConfig; threshold: number } | null;
}

type Entry =
  | { mode: 'cascade'; result: DetectResult; state: CascadeState; models: CascadeModels; resolved: Resolved; output: PipelineOutput }
  | { mode: 'tiled'; result: DetectResult; state: TiledState; runner: DetectorRunner; resolved: Resolved; output: PipelineOutput };

const r2 = (v: number) => Math.round(v * 100) / 100;
const r4 = (v: number) => Math.round(v * 10_000) / 10_000;

export class DetectService {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly images: ImageStore,
    private readonly jobs: JobQueue,
    private readonly models: ModelRegistry,
    private readonly outputs: OutputGuard,
    private readonly sessionReports: () => SessionReport[] = () => [],
  ) {}

  /** Which models a run would use, with the effective thresholds (manifest defaults, then overrides). */
  resolve(input: Pick<DetectInput, 'mode' | 'modelId' | 'stage1ModelId' | 'thresholds' | 'gsd' | 'gate' | 'gateThreshold'>, image: { gsd: number | null } | null = null): Resolved {
    const mode = input.mode ?? 'cascade';
    const loaded = () => this.models.list().filter((m) => m.valid && m.task === 'detection').map((m) => this.models.get(m.id));
    let stage1: LoadedModel | null = null;
    let detector: LoadedModel;
    if (input.modelId) {
      const model = this.models.get(input.modelId);
      if (model.manifest.task !== 'detection' || (!isOdgi(model) && !isPlainDetector(model))) {
        throw new IriscopeError({ code: 'MODEL_INVALID', message: `"${model.info.name}" is not a detection model.`, hint: 'Pick an ODGI model or an imported YOLO detector.' });
      }
      detector = model;
      if (mode === 'cascade') {
        if (isOdgi(model) && !input.stage1ModelId) stage1 = model;
        else {
          stage1 = input.stage1ModelId ? this.models.get(input.stage1ModelId) : pickDefaultOdgi(loaded());
          if (!stage1) throw noModelError();
          if (!isOdgi(stage1)) throw new IriscopeError({ code: 'MODEL_INVALID', message: `"${stage1.info.name}" has no ODGI stage 1 to propose crops.`, hint: 'Name an ODGI model as the stage-1 model, or run tiled.' });
        }
      }
    } else {
      const best = input.stage1ModelId ? this.models.get(input.stage1ModelId) : pickDefaultOdgi(loaded());
      if (!best) throw noModelError();
      if (!isOdgi(best)) throw new IriscopeError({ code: 'MODEL_INVALID', message: `"${best.info.name}" is not an ODGI model.` });
      detector = best;
      stage1 = mode === 'cascade' ? best : null;
    }
    const thresholds = { ...manifestThresholds(stage1 ?? detector), ...(input.thresholds ?? {}) };
    // One scale per run: the cascade reads at its stage-1 model's GSD (stage 2 refines those crops).
    const gsdModel = (stage1 ?? detector).manifest.gsd ? (stage1 ?? detector) : detector;
    const imageGsd = input.gsd !== undefined ? { gsd: input.gsd, source: 'user' as const } : image?.gsd ? { gsd: image.gsd, source: 'geotiff' as const } : null;
    const gsd = planGsd(imageGsd, gsdModel.manifest.gsd ?? null, gsdModel.manifest.id);
    return { mode, stage1, detector, thresholds, gsd, gate: this.resolveGate(input, mode, stage1) };
  }

  /** The stage-1 model's gate when the run asks for it (or by default); `gate: true` without one is refused. */
  private resolveGate(input: Pick<DetectInput, 'gate' | 'gateThreshold'>, mode: DetectMode, stage1: LoadedModel | null): Resolved['gate'] {
    const wanted = input.gate ?? DETECT_GATE_DEFAULT;
    if (mode !== 'cascade' || !stage1 || !wanted) {
      if (input.gate && mode !== 'cascade') throw new IriscopeError({ code: 'BAD_REQUEST', message: 'The tile gate belongs to the cascade; tiled mode scans every window.', hint: 'Run in cascade mode, or leave the gate off.' });
      return null;
    }
    const cfg = gateConfig(stage1);
    if (!cfg) {
      if (input.gate) throw new IriscopeError({ code: 'MODEL_INVALID', message: `"${stage1.info.name}" has no tile gate.`, hint: 'Run without the gate, or use a model whose manifest has a "gate" graph.' });
      return null;
    }
    const tilePx = stage1Config(stage1).tilePx;
    if (cfg.tilePx !== tilePx) throw new IriscopeError({ code: 'MODEL_INVALID', message: `"${stage1.info.name}": its gate sees ${cfg.tilePx} px tiles, its stage 1 ${tilePx} px tiles.` });
    return { cfg, threshold: input.gateThreshold ?? cfg.threshold };
  }

  /** Starts a detection job; `done` resolves with the result (also kept for getDetections). */
  start(input: DetectInput): { job: JobInfo; done: Promise<DetectResult> } {
    const image = this.images.get(input.imageId);
    const resolved = this.resolve(input, { gsd: image.geo && !image.geo.problem ? image.geo.gsd : null });
    // Fail before queueing when a model cannot be used at all.
    const detCfg = detectorConfig(resolved.detector);
    const s1Cfg = resolved.stage1 ? stage1Config(resolved.stage1) : null;
    const what = resolved.mode === 'cascade' ? 'Detecting objects' : 'Detecting objects (tiled)';
    return this.jobs.submit({
      kind: 'detect',
      title: `${what} in ${image.name}`,
      imageId: image.id,
      lane: 'inference',
      run: async (ctx) => {
        ctx.progress(null, 'Waiting for the image');
        const reader = await this.images.whenReady(image.id);
        ctx.throwIfCancelled();
        ctx.progress(0, 'Loading the models');
        const source = scaledSource(pyramidSource(reader), resolved.gsd.scale);
        const runner = new DetectorRunner(detCfg, await this.models.session(resolved.detector.manifest.id, detCfg.graph));
        ctx.throwIfCancelled();
        let entry: Entry;
        if (resolved.mode === 'cascade' && s1Cfg && resolved.stage1) {
          const models: CascadeModels = { stage1: s1Cfg, stage1Session: await this.models.session(resolved.stage1.manifest.id, 'stage1'), detector: runner };
          if (resolved.gate) models.gate = { ...resolved.gate, session: await this.models.session(resolved.stage1.manifest.id, 'gate') };
          const { state, output } = await runCascade(source, models, resolved.thresholds, ctx);
          entry = { mode: 'cascade', state, models, resolved, output, result: this.toResult(image.id, reader, resolved, output) };
        } else {
          const { state, output } = await runTiled(source, runner, resolved.thresholds, ctx);
          entry = { mode: 'tiled', state, runner, resolved, output, result: this.toResult(image.id, reader, resolved, output) };
        }
        ctx.throwIfCancelled();
        this.entries.set(image.id, entry);
        return entry.result;
      },
    });
  }

  get(imageId: string): DetectResult | null {
    this.images.get(imageId);
    return this.entries.get(imageId)?.result ?? null;
  }

  forget(imageId: string): void {
    this.entries.delete(imageId);
  }

  /** New thresholds on the latest result: no stage 1; stage 2 only for crops not refined yet. */
  refilter(input: ApiInput<'refilterDetections'>): { job: JobInfo; done: Promise<DetectResult> } {
    const image = this.images.get(input.imageId);
    const entry = this.entryFor(input.imageId, image.name);
    const thresholds = { ...entry.resolved.thresholds, ...input.thresholds };
    return this.jobs.submit({
      kind: 'detect',
      title: `Re-filtering detections in ${image.name}`,
      imageId: image.id,
      lane: 'inference',
      run: async (ctx) => {
        const reader = await this.images.whenReady(image.id);
        const source = scaledSource(pyramidSource(reader), entry.resolved.gsd.scale);
        const resolved = { ...entry.resolved, thresholds };
        const current = this.entries.get(image.id);
        if (current !== entry) throw new IriscopeError({ code: 'CANCELLED', message: 'A newer detection replaced this one.' });
        let output: PipelineOutput;
        if (entry.mode === 'cascade') {
          output = await refineCascade(entry.state, source, entry.models, thresholds, ctx, 0);
          output.stats.stage1Ms = 0;
        } else {
          if (thresholds.scoreMin < entry.state.floor || thresholds.overlap !== entry.resolved.thresholds.overlap) {
            throw new IriscopeError({ code: 'BAD_REQUEST', message: 'The window overlap or a lower score floor needs a new tiled run.', hint: 'Run the detection again with these settings.' });
          }
          output = mergeTiled(entry.state, entry.runner, thresholds);
        }
        ctx.throwIfCancelled();
        const updated = { ...entry, resolved, output, result: this.toResult(image.id, reader, resolved, output) } as Entry;
        this.entries.set(image.id, updated);
        return updated.result;
      },
    });
  }

  /** Writes an export as a job (kind 'export'); resolves when the file is in place. */
  /** `existing` overrides the call's `overwrite` for the engine's own batch work ('keep': a finished output stays). */
  export(input: ApiInput<'exportDetections'>, existing: ExistingOutput = input.overwrite ? 'replace' : 'refuse'): { job: JobInfo; done: Promise<{ path: string; bytes: number; written: boolean; detections: number; format: typeof input.format }> } {
    const image = this.images.get(input.imageId);
    const entry = this.entryFor(input.imageId, image.name);
    const threshold = input.scoreThreshold ?? entry.result.thresholds.scoreThreshold;
    const detections = this.detectionsAt(entry, threshold);
    return this.jobs.submit({
      kind: 'export',
      title: `Exporting ${detections.length} detections of ${image.name} (${input.format})`,
      imageId: image.id,
      lane: 'io',
      run: async (ctx: JobContext) => {
        const reader = await this.images.whenReady(image.id);
        const written = await writeDetectionExport({
          format: input.format,
          target: input.path,
          image: { path: image.path, name: image.name, width: image.width, height: image.height, geo: image.geo },
          result: entry.result,
          detections,
          reader,
          maxSide: input.maxSide,
          crops: input.crops,
          ctx,
          guard: this.outputs,
          existing,
        });
        return { ...written, detections: detections.length, format: input.format };
      },
    });
  }

  private entryFor(imageId: string, name: string): Entry {
    const entry = this.entries.get(imageId);
    if (!entry) throw new IriscopeError({ code: 'NOT_FOUND', message: `No objects were detected in "${name}" yet.`, hint: 'Run Detect first.' });
    return entry;
  }

  /** Detections at or above `threshold`, from the whole output (below the result's floor too). */
  private detectionsAt(entry: Entry, threshold: number): Detection[] {
    if (threshold >= entry.result.floor) return entry.result.detections.filter((d) => d.score >= threshold);
    return this.detections(entry.output, entry.result.width, entry.result.height, threshold, entry.resolved.gsd.scale);
  }

  /** Detections at or above `floor` in the image's pixels (the pipeline's boxes divided by the read scale), clipped to it. */
  private detections(output: PipelineOutput, width: number, height: number, floor: number, scale: number): Detection[] {
    const out: Detection[] = [];
    for (const d of output.detections) {
      if (d.score < floor) continue;
      const b = toImagePixels(d.box, scale);
      const x0 = Math.max(0, Math.min(width, b[0]));
      const y0 = Math.max(0, Math.min(height, b[1]));
      const x1 = Math.max(0, Math.min(width, b[2]));
      const y1 = Math.max(0, Math.min(height, b[3]));
      if (x1 - x0 <= 0 || y1 - y0 <= 0) continue;
      out.push({ id: out.length + 1, box: [r2(x0), r2(y0), r2(x1 - x0), r2(y1 - y0)], score: r4(d.score), class: d.cls, label: output.labels[d.cls] ?? `class ${d.cls}`, stage: d.stage, crop: d.crop });
    }
    return out;
  }

  private toResult(imageId: string, image: { width: number; height: number }, resolved: Resolved, output: PipelineOutput): DetectResult {
    const t = resolved.thresholds;
    const { warnings, ...gsd } = resolved.gsd;
    const scale = gsd.scale;
    const floor = Math.min(t.scoreThreshold, DETECT_CANDIDATE_FLOOR);
    const ids = [resolved.stage1?.manifest.id, resolved.detector.manifest.id].filter(Boolean);
    const providers = [...new Set(this.sessionReports().filter((r) => ids.includes(r.model)).map((r) => `${r.model}/${r.graph}: ${r.provider}`))];
    return {
      imageId,
      width: image.width,
      height: image.height,
      mode: resolved.mode,
      models: { stage1: resolved.stage1?.manifest.id ?? null, detector: resolved.detector.manifest.id },
      labels: output.labels,
      thresholds: t,
      floor,
      detections: this.detections(output, image.width, image.height, floor, scale),
      crops: output.crops.map((c) => {
        const b = toImagePixels(c.box, scale);
        return { box: [r2(b[0]), r2(b[1]), r2(b[2] - b[0]), r2(b[3] - b[1])], score: r4(c.score), tile: c.tile, group: c.group };
      }),
      // Stage-1 tiles and windows in the image's pixels.
      stats: { ...output.stats, tileSize: Math.round(output.stats.tileSize / scale), providers },
      gsd,
      gate: output.gate ? { model: output.gate.model, threshold: output.gate.threshold, tiles: output.gate.tiles, skipped: output.gate.skipped.length, skippedTiles: output.gate.skipped, ms: output.gate.ms } : null,
      warnings,
      createdAt: Date.now(),
    };
  }
}
