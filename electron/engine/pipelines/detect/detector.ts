/**
 * A detector graph (ODGI stage 2, or a user's Ultralytics YOLO) run on
 * batches of square patches: crops of the cascade read at full resolution,
 * or the windows of the tiled detector. Boxes come back normalised to each
 * patch.
 */
import * as ort from 'onnxruntime-node';
import { decodeOdgiStage2, decodeYolo, type RawDetection } from './decode';
import type { DetectorConfig } from './models';
import { sampleCrop, validPart, writeWindow, type PatchSource, type PixelRegion } from './patches';
import type { SessionLike } from './stage1-tiles';

export interface DetectorOptions {
  /** Boxes scoring below this are dropped. */
  scoreMin: number;
  /** YOLO: per-patch class-aware NMS IoU. */
  nms: number;
}

export class DetectorRunner {
  readonly S: number;
  readonly plane: number;
  runMs = 0;
  readMs = 0;
  runs = 0;

  constructor(
    readonly cfg: DetectorConfig,
    private readonly session: SessionLike,
  ) {
    this.S = cfg.inputSize;
    this.plane = 3 * this.S * this.S;
  }

  get batch(): number {
    return this.cfg.maxBatch;
  }

  /** Runs `n` patches already written into `input` (NCHW). */
  async run(input: Float32Array, n: number, options: DetectorOptions): Promise<RawDetection[][]> {
    const started = performance.now();
    const out: RawDetection[][] = [];
    // Fixed-batch exports take one patch per run.
    const step = Math.min(n, this.cfg.maxBatch);
    for (let start = 0; start < n; start += step) {
      const m = Math.min(step, n - start);
      const tensor = new ort.Tensor('float32', input.subarray(start * this.plane, (start + m) * this.plane), [m, 3, this.S, this.S]);
      const result = await this.session.run({ [this.cfg.inputName]: tensor });
      this.runs++;
      if (this.cfg.kind === 'yolo') out.push(...decodeYolo(this.cfg, result[this.cfg.outputs[0]] as ort.Tensor, m, options.scoreMin, options.nms));
      else out.push(...decodeOdgiStage2(result, m, options.scoreMin));
    }
    this.runMs += performance.now() - started;
    return out;
  }

  /**
   * Reads each square region at the detector's input size (the pyramid picks
   * the finest level needed: full resolution for crops up to the input size)
   * and runs them in batches.
   */
  async runRegions(source: PatchSource, regions: PixelRegion[], options: DetectorOptions & { onBatch?: (done: number) => void; throwIfCancelled?: () => void }): Promise<RawDetection[][]> {
    const results: RawDetection[][] = [];
    const batch = Math.max(1, Math.min(32, this.cfg.maxBatch === 1 ? 8 : this.cfg.maxBatch));
    // Regions come tile by tile, so a batch holds the overlapping crops of a few tiles (their decoded blocks are shared).
    const read = async (start: number): Promise<{ input: Float32Array; n: number }> => {
      const group = regions.slice(start, start + batch);
      const input = new Float32Array(group.length * this.plane);
      await Promise.all(
        group.map(async (r, i) => {
          const window = nativeWindow(r, this.S, source);
          if (window && source.readPixels) {
            // Crops under 2S px inside the image: full-resolution pixels, sampled as in training.
            sampleCrop(await source.readPixels(window), window, r, this.S, input, i);
          } else {
            const patch = await source.readPatch(r, this.S, this.S);
            writeWindow(patch, 0, 0, this.S, input, i, this.cfg.pad, validPart(r, source.width, source.height, this.S / r.width));
          }
        }),
      );
      return { input, n: group.length };
    };
    // The next batch is read (decoding runs on libuv threads) while this one runs through the network.
    let next = regions.length ? read(0) : null;
    next?.catch(() => undefined); // surfaced when awaited; a cancel before that must not leave it unhandled
    for (let start = 0; next; start += batch) {
      options.throwIfCancelled?.();
      const waited = performance.now();
      const { input, n } = await next;
      this.readMs += performance.now() - waited;
      next = start + batch < regions.length ? read(start + batch) : null;
      next?.catch(() => undefined);
      options.throwIfCancelled?.();
      results.push(...(await this.run(input, n, options)));
      options.onBatch?.(results.length);
    }
    return results;
  }
}

/**
 * The integer full-resolution window a crop is sampled from (2 px of margin,
 * as training's crop_resize), or null when the crop is 2S px or larger (read
 * from a coarser pyramid level instead) or reaches outside the image.
 */
export function nativeWindow(r: PixelRegion, S: number, image: { width: number; height: number }): PixelRegion | null {
  if (r.width >= 2 * S || r.height >= 2 * S) return null;
  if (r.x < 0 || r.y < 0 || r.x + r.width > image.width || r.y + r.height > image.height) return null;
  const x0 = Math.max(0, Math.floor(r.x) - 2);
  const y0 = Math.max(0, Math.floor(r.y) - 2);
  const x1 = Math.min(image.width, Math.ceil(r.x + r.width) + 2);
  const y1 = Math.min(image.height, Math.ceil(r.y + r.height) + 2);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
