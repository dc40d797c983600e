/**
 * Turns session outputs into plain records: stage-1 tiles (kept raw, so
 * thresholds can be re-applied without running stage 1 again), and
 * detector boxes normalised to their input (ODGI stage 2, or an Ultralytics
 * YOLO head [B, 4+nc, anchors] of centre/size boxes in input pixels).
 */
import type * as ort from 'onnxruntime-node';
import { IriscopeError } from '../../../common/errors';
import { argmax, type Stage1Tile } from './crops';
import type { DetectorConfig, Stage1Config } from './models';
import { nms, type XYXY } from './nms';

/** One box of a detector, normalised to its input square (clipped to [0, 1]). */
export interface RawDetection {
  box: XYXY;
  score: number;
  cls: number;
}

function data(outputs: ort.InferenceSession.OnnxValueMapType, name: string): Float32Array {
  const t = outputs[name];
  if (!t) throw new IriscopeError({ code: 'MODEL_SIGNATURE_MISMATCH', message: `The model returned no "${name}" output.` });
  return t.data as Float32Array;
}

/** Copies item `i` of a stage-1 batch into its own tile record. */
export function decodeStage1(cfg: Stage1Config, outputs: ort.InferenceSession.OnnxValueMapType, n: number, tiles: Array<Pick<Stage1Tile, 'index' | 'x' | 'y' | 'size'>>): Stage1Tile[] {
  const boxes = data(outputs, cfg.outputs.boxes);
  const conf = data(outputs, cfg.outputs.conf);
  const group = data(outputs, cfg.outputs.group);
  const offsets = data(outputs, cfg.outputs.offsets);
  const classProb = data(outputs, cfg.outputs.classProb);
  const cells = conf.length / n;
  const classes = classProb.length / (n * cells);
  if (!Number.isInteger(cells) || boxes.length !== n * cells * 4 || offsets.length !== n * cells * 2 || !Number.isInteger(classes)) {
    throw new IriscopeError({ code: 'MODEL_SIGNATURE_MISMATCH', message: `The stage-1 graph of "${cfg.name}" returned outputs of unexpected sizes.`, detail: `conf ${conf.length}, boxes ${boxes.length}, offsets ${offsets.length} for ${n} tiles` });
  }
  return tiles.map((t, i) => ({
    ...t,
    cells,
    classes,
    boxes: boxes.slice(i * cells * 4, (i + 1) * cells * 4),
    conf: conf.slice(i * cells, (i + 1) * cells),
    group: group.slice(i * cells, (i + 1) * cells),
    offsets: offsets.slice(i * cells * 2, (i + 1) * cells * 2),
    classProb: classProb.slice(i * cells * classes, (i + 1) * cells * classes),
  }));
}

/** ODGI stage 2: every cell scoring at least `scoreMin`, per batch item. */
export function decodeOdgiStage2(outputs: ort.InferenceSession.OnnxValueMapType, n: number, scoreMin: number): RawDetection[][] {
  const boxes = data(outputs, 'boxes');
  const scores = data(outputs, 'scores');
  const classProb = data(outputs, 'class_prob');
  const cells = scores.length / n;
  const classes = classProb.length / (n * cells);
  const out: RawDetection[][] = [];
  for (let i = 0; i < n; i++) {
    const list: RawDetection[] = [];
    for (let c = 0; c < cells; c++) {
      const k = i * cells + c;
      const s = scores[k];
      if (s < scoreMin) continue;
      list.push({ box: [boxes[k * 4], boxes[k * 4 + 1], boxes[k * 4 + 2], boxes[k * 4 + 3]], score: s, cls: argmax(classProb, k * classes, classes) });
    }
    out.push(list);
  }
  return out;
}

/** Ultralytics' max_det. */
const YOLO_MAX_DET = 300;

/**
 * Ultralytics YOLOv8/11 head: rows cx, cy, w, h (input pixels), then one
 * sigmoid score per class; no objectness. Per item: best class, score floor,
 * then class-aware NMS at `iou` (as Ultralytics does), at most 300 boxes.
 */
export function decodeYolo(cfg: DetectorConfig, tensor: ort.Tensor, n: number, scoreMin: number, iou: number): RawDetection[][] {
  const dims = tensor.dims;
  const rows = dims[1];
  const anchors = dims[2];
  const nc = rows - 4;
  if (dims.length !== 3 || dims[0] !== n || nc < 1 || (cfg.labels.length && nc !== cfg.labels.length)) {
    throw new IriscopeError({
      code: 'MODEL_SIGNATURE_MISMATCH',
      message: `The detector "${cfg.name}" returned [${dims.join(', ')}]; an Ultralytics detector with ${cfg.labels.length || 'its'} classes returns [${n}, ${cfg.labels.length ? 4 + cfg.labels.length : '4 + classes'}, anchors].`,
      hint: 'Export with Ultralytics YOLOv8/11 (`yolo export format=onnx`), without nms or end2end.',
    });
  }
  const out = tensor.data as Float32Array;
  const S = cfg.inputSize;
  const result: RawDetection[][] = [];
  for (let i = 0; i < n; i++) {
    const base = i * rows * anchors;
    const found: RawDetection[] = [];
    for (let a = 0; a < anchors; a++) {
      let best = 0;
      let score = out[base + 4 * anchors + a];
      for (let k = 1; k < nc; k++) {
        const v = out[base + (4 + k) * anchors + a];
        if (v > score) {
          score = v;
          best = k;
        }
      }
      if (!(score >= scoreMin)) continue;
      const cx = out[base + a];
      const cy = out[base + anchors + a];
      const w = out[base + 2 * anchors + a];
      const h = out[base + 3 * anchors + a];
      const clip = (v: number) => Math.min(1, Math.max(0, v / S));
      found.push({ box: [clip(cx - w / 2), clip(cy - h / 2), clip(cx + w / 2), clip(cy + h / 2)], score, cls: best });
    }
    // Class-aware NMS: offset each class far apart.
    const shifted = found.map((d) => [d.box[0] + d.cls * 2, d.box[1], d.box[2] + d.cls * 2, d.box[3]] as XYXY);
    result.push(nms(shifted, found.map((d) => d.score), iou, YOLO_MAX_DET).map((k) => found[k]));
  }
  return result;
}
