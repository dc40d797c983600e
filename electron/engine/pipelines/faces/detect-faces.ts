/**
 * The face pipeline: scan the photo with the detector in overlapping windows
 * over a few scales, decode the anchors, merge everything once with weighted
 * NMS in image coordinates, cut an eye-levelled crop with margin per face,
 * and run the attribute graphs once per batch of faces: the merged graph
 * (expression; age and gender too when no age + gender head is installed)
 * on the 128 px crop, faceres-deep (age, gender) on its own 224 px crop.
 */
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import type { Face, FaceResult } from '../../../common/faces-contract';
import type { InferenceSession } from '../../runtime/session-manager';
import { CROP_MARGIN, cropGeometry, cropSourceRegion, sampleCrop, writeCropTensor, type PixelRegion, type RawPixels } from './align-crop';
import { generateAnchors } from './anchors';
import { readAgeGender, readAttributes } from './attributes';
import { decodeDetections, mapDetection, type Detection } from './detection';
import { writeDetectorInput } from './detector-preprocess';
import type { AgeGenderConfig, AttributeConfig, DetectorConfig } from './model-config';
import { crossesInnerEdge, MIN_FACE_INPUT_PX, planScan, type ScanWindow } from './tiling';
import { weightedNms } from './weighted-nms';

/** Anything that reads image regions as raw 8-bit pixels (the pyramid reader does). */
export interface RegionSource {
  readonly width: number;
  readonly height: number;
  readRegion(region: PixelRegion, output?: { width: number; height: number }): Promise<RawPixels>;
}

export interface FaceModels {
  detector: InferenceSession;
  detectorConfig: DetectorConfig;
  attributes: InferenceSession;
  attributeConfig: AttributeConfig;
  /** The age + gender head; without it age and gender come from the merged graph. */
  ageGender?: { session: InferenceSession; config: AgeGenderConfig };
}

export interface FaceRunOptions {
  /** The score threshold asked for (faces at or above it are numbered first). */
  threshold: number;
  /** Candidates scoring at least this get attributes and are returned. */
  floor: number;
  /** Smallest face to look for, in image pixels. */
  minFace: number;
  /** Detector windows per session run. */
  detectorBatch?: number;
  /** Faces per attribute session run. */
  attributeBatch?: number;
  /** Attach a small JPEG of each aligned crop (for face cards). */
  thumbnails?: boolean;
}

export interface FaceRunContext {
  progress(fraction: number | null, message?: string): void;
  throwIfCancelled(): void;
}

export type DetectedFaces = Pick<FaceResult, 'faces' | 'stats'>;

/** Widest strip of a pass read in one go, in detector pixels (bounds memory on huge images). */
const MAX_STRIP_WIDTH = 4096;
const THUMBNAIL_SIZE = 96;

/** Default smallest face: 20 px, or 1/64 of the long side for large photos (keeps the window count bounded). */
export function defaultMinFace(width: number, height: number): number {
  return Math.max(20, Math.round(Math.max(width, height) / 64));
}

export async function detectFacesIn(source: RegionSource, models: FaceModels, options: FaceRunOptions, ctx: FaceRunContext): Promise<DetectedFaces> {
  const started = performance.now();
  const { detectorConfig: dc, attributeConfig: ac } = models;
  const plan = planScan(source.width, source.height, { inputSize: dc.inputSize, minFace: options.minFace });
  const anchors = generateAnchors(dc.layers);
  const detectorBatch = Math.max(1, options.detectorBatch ?? 8);
  const S = dc.inputSize;
  const plane = 3 * S * S;
  const candidates: Detection[] = [];
  let scanned = 0;

  // ---- detection: strips of windows, batched session runs
  let batch = new Float32Array(detectorBatch * plane);
  let slots: ScanWindow[] = [];
  const flush = async () => {
    if (!slots.length) return;
    ctx.throwIfCancelled();
    const n = slots.length;
    const input = new ort.Tensor('float32', n === detectorBatch ? batch : batch.subarray(0, n * plane), [n, 3, S, S]);
    const output = await models.detector.run({ [dc.inputName]: input });
    const rows = output[dc.outputName].data as Float32Array;
    const per = rows.length / n;
    slots.forEach((window, i) => {
      for (const d of decodeDetections(rows.subarray(i * per, (i + 1) * per), anchors, options.floor)) {
        // Coarse passes are for large faces; what looks small there is the finer passes' business
        // (the detector is unreliable near its smallest size: textures pass for faces).
        if (window.pass > 0 && d.x1 - d.x0 < MIN_FACE_INPUT_PX) continue;
        const mapped = mapDetection(d, window.x, window.y, window.scale);
        if (!crossesInnerEdge(window, mapped, 2)) candidates.push(mapped);
      }
    });
    scanned += n;
    ctx.progress((0.8 * scanned) / plan.windows.length, `Scanning for faces: ${scanned} of ${plan.windows.length} windows`);
    slots = [];
    batch = new Float32Array(detectorBatch * plane);
  };

  for (const strip of strips(plan.windows, S)) {
    ctx.throwIfCancelled();
    const first = strip[0];
    const last = strip[strip.length - 1];
    // Scaled-image x of the strip's left edge; windows inside it sit at whole-pixel offsets.
    const x0 = first.x * first.scale;
    const widthPx = Math.round(last.x * last.scale - x0) + S;
    const raw = await source.readRegion(
      { x: x0 / first.scale, y: first.y, width: widthPx / first.scale, height: first.side },
      { width: widthPx, height: S },
    );
    for (const window of strip) {
      writeDetectorInput(raw, Math.round(window.x * window.scale - x0), 0, S, batch, slots.length);
      slots.push(window);
      if (slots.length === detectorBatch) await flush();
    }
  }
  await flush();
  // Faces at or above the threshold first, then the weaker candidates; each group left to right.
  // Numbers are then 1..N at the threshold and stay the same when a UI lowers it.
  const shown = (d: Detection) => Number(round(d.score, 4) >= options.threshold);
  const merged = weightedNms(candidates, dc.nmsIou).sort((a, b) => shown(b) - shown(a) || a.x0 + a.x1 - (b.x0 + b.x1));
  const detectMs = performance.now() - started;

  // ---- attributes: aligned crops, one session run per batch
  const attributesStarted = performance.now();
  const C = ac.cropSize;
  const cropPlane = 3 * C * C;
  const attributeBatch = Math.max(1, options.attributeBatch ?? 32);
  const faces: Face[] = [];
  for (let start = 0; start < merged.length; start += attributeBatch) {
    ctx.throwIfCancelled();
    const group = merged.slice(start, start + attributeBatch);
    const tensor = new Float32Array(group.length * cropPlane);
    const crops: Uint8Array[] = [];
    for (let i = 0; i < group.length; i++) {
      const crop = await cutCrop(source, group[i], CROP_MARGIN, C);
      writeCropTensor(crop, C, tensor, i);
      crops.push(crop);
    }
    ctx.throwIfCancelled();
    const out = await models.attributes.run({ [ac.inputName]: new ort.Tensor('float32', tensor, [group.length, 3, C, C]) });
    const outputs = { age: out.age.data as Float32Array, gender: out.gender.data as Float32Array, emotion: out.emotion.data as Float32Array };
    const ag = models.ageGender;
    let agOutputs: { ageBins: Float32Array; male: Float32Array } | undefined;
    if (ag) {
      const A = ag.config.cropSize;
      const agTensor = new Float32Array(group.length * 3 * A * A);
      for (let i = 0; i < group.length; i++) writeCropTensor(await cutCrop(source, group[i], ag.config.boxScale, A), A, agTensor, i);
      ctx.throwIfCancelled();
      const agOut = await ag.session.run({ [ag.config.inputName]: new ort.Tensor('float32', agTensor, [group.length, 3, A, A]) });
      agOutputs = { ageBins: agOut.ageBins.data as Float32Array, male: agOut.male.data as Float32Array };
    }
    for (let i = 0; i < group.length; i++) {
      const d = group[i];
      const attrs = readAttributes(outputs, i, ac.genderLabels, ac.emotionLabels);
      const ageGender = ag && agOutputs ? readAgeGender(agOutputs, i, ag.config.maleThreshold, ag.config.ageSpread) : null;
      const face: Face = {
        id: start + i + 1,
        box: clipBox(d, source.width, source.height),
        keypoints: Array.from({ length: d.keypoints.length / 2 }, (_, k) => [round(d.keypoints[2 * k], 1), round(d.keypoints[2 * k + 1], 1)] as [number, number]),
        score: round(d.score, 4),
        roll: round((cropGeometry(d).angle * 180) / Math.PI, 1),
        age: round(ageGender?.age ?? attrs.age, 1),
        ...(ageGender ? { ageRange: [round(ageGender.ageRange[0], 1), round(ageGender.ageRange[1], 1)] as [number, number] } : {}),
        gender: ageGender ? { label: ageGender.gender.label, p: round(ageGender.gender.p, 4) } : { label: attrs.gender.label, p: round(attrs.gender.p, 4) },
        emotion: { label: attrs.emotion.label, p: round(attrs.emotion.p, 4), all: Object.fromEntries(Object.entries(attrs.emotion.all).map(([k, v]) => [k, round(v, 4)])) },
      };
      if (options.thumbnails) face.thumbnail = await thumbnail(crops[i], C);
      faces.push(face);
    }
    ctx.progress(0.8 + (0.2 * faces.length) / merged.length, `Reading ${merged.length} face${merged.length === 1 ? '' : 's'}`);
  }
  const attributesMs = performance.now() - attributesStarted;

  return {
    faces,
    stats: {
      passes: plan.passes,
      windows: plan.windows.length,
      candidates: candidates.length,
      detectMs: round(detectMs, 1),
      attributesMs: round(attributesMs, 1),
      totalMs: round(performance.now() - started, 1),
    },
  };
}

/** The eye-levelled square crop of `d` (side `margin` × box), `size` px. */
async function cutCrop(source: RegionSource, d: Detection, margin: number, size: number): Promise<Uint8Array> {
  const g = cropGeometry(d, margin);
  const region = cropSourceRegion(g);
  const side = Math.max(1, Math.ceil((region.width * size) / g.side));
  const raw = await source.readRegion(region, { width: side, height: side });
  return sampleCrop(raw, region, g, size);
}

/** Windows grouped into horizontal strips (one pass, one row, at most MAX_STRIP_WIDTH wide) read with one region read each. */
function* strips(windows: ScanWindow[], inputSize: number): Generator<ScanWindow[]> {
  let current: ScanWindow[] = [];
  for (const w of windows) {
    const head = current[0];
    const fits = head && head.pass === w.pass && head.row === w.row && Math.round((w.x - head.x) * w.scale) + inputSize <= MAX_STRIP_WIDTH;
    if (!fits && current.length) {
      yield current;
      current = [];
    }
    current.push(w);
  }
  if (current.length) yield current;
}

function clipBox(d: Detection, width: number, height: number): [number, number, number, number] {
  const x0 = Math.max(0, Math.min(width, d.x0));
  const y0 = Math.max(0, Math.min(height, d.y0));
  const x1 = Math.max(0, Math.min(width, d.x1));
  const y1 = Math.max(0, Math.min(height, d.y1));
  return [round(x0, 1), round(y0, 1), round(x1 - x0, 1), round(y1 - y0, 1)];
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

async function thumbnail(crop: Uint8Array, size: number): Promise<string> {
  const jpeg = await sharp(Buffer.from(crop.buffer, crop.byteOffset, crop.byteLength), { raw: { width: size, height: size, channels: 3 } })
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
    .jpeg({ quality: 82 })
    .toBuffer();
  return `data:image/jpeg;base64,${jpeg.toString('base64')}`;
}
