/**
 * The ODGI stage transition on one stage-1 tile (a line-by-line port of
 * `transition`, `square_crop` and `map_back` in training/odgi/cascade.py):
 *
 *  1. keep: individuals (group_prob <= groupThreshold) with conf > tauHigh go
 *     straight to the output (raw stage-1 box, score = conf, class = argmax);
 *  2. candidates: every other cell with conf > tauLow;
 *  3. each candidate becomes a square crop centred on its box, side
 *     max(w / o_x, h / o_y, minSide) <= 1, shifted (not clipped) inside the
 *     bounds: the tile for a single tile, the whole image in a large one;
 *  4. crop NMS (IoU > cropNms suppressed), at most gamma crops.
 *
 * Coordinates are normalised to the stage-1 tile, as in the reference.
 */
import { nms, type XYXY } from './nms';

/** Raw outputs of stage 1 for one tile (what the ONNX graph returns, decoded in the graph). */
export interface Stage1Tile {
  /** Row-major index among the image's stage-1 tiles. */
  index: number;
  /** Full-resolution pixel position and side of the tile. */
  x: number;
  y: number;
  size: number;
  cells: number;
  classes: number;
  /** cells x 4, xyxy normalised to the tile. */
  boxes: Float32Array;
  conf: Float32Array;
  group: Float32Array;
  /** cells x 2 (o_x, o_y). */
  offsets: Float32Array;
  /** cells x classes. */
  classProb: Float32Array;
}

export interface TransitionParams {
  tauLow: number;
  tauHigh: number;
  gamma: number;
  cropNms: number;
  minCropSide: number;
  groupThreshold: number;
}

export interface KeptBox {
  box: XYXY;
  score: number;
  cls: number;
  /** Stage-1 cell. */
  idx: number;
}

export interface TileCrop {
  /** Square, normalised to the tile (may reach outside [0,1] in a large image). */
  box: XYXY;
  score: number;
  idx: number;
  group: boolean;
}

const EPS = 1e-8;

/** First index of the largest value (Python's max(range(n), key=...)). */
export function argmax(values: ArrayLike<number>, start = 0, count = values.length - start): number {
  let best = 0;
  for (let k = 1; k < count; k++) if (values[start + k] > values[start + best]) best = k;
  return best;
}

/**
 * Learned-offset square crop: centre of the box, side max(w/ox, h/oy, minSide)
 * capped at 1, shifted inside `bounds` (x0, y0, x1, y1; default the tile).
 */
export function squareCrop(box: ArrayLike<number>, ox: number, oy: number, minSide: number, bounds: XYXY = [0, 0, 1, 1]): XYXY {
  const [x1, y1, x2, y2] = [box[0], box[1], box[2], box[3]];
  const cx = (x1 + x2) / 2;
  const cy = (y1 + y2) / 2;
  let side = Math.max((x2 - x1) / (ox + EPS), (y2 - y1) / (oy + EPS), minSide);
  side = Math.min(side, 1.0);
  let left = Math.min(Math.max(cx - side / 2, bounds[0]), bounds[2] - side);
  let top = Math.min(Math.max(cy - side / 2, bounds[1]), bounds[3] - side);
  // An image smaller than the crop: keep it at the image's top-left (the rest reads as padding).
  if (left < bounds[0]) left = bounds[0];
  if (top < bounds[1]) top = bounds[1];
  return [left, top, left + side, top + side];
}

export function transition(tile: Stage1Tile, p: TransitionParams, bounds: XYXY = [0, 0, 1, 1]): { keep: KeptBox[]; crops: TileCrop[] } {
  const keep: KeptBox[] = [];
  const cands: number[] = [];
  for (let i = 0; i < tile.cells; i++) {
    const c = tile.conf[i];
    const g = tile.group[i];
    if (g <= p.groupThreshold && c > p.tauHigh) {
      keep.push({ box: boxOf(tile.boxes, i), score: c, cls: argmax(tile.classProb, i * tile.classes, tile.classes), idx: i });
    } else if (c > p.tauLow) {
      cands.push(i);
    }
  }
  const cropBoxes = cands.map((i) => squareCrop(tile.boxes.subarray(i * 4, i * 4 + 4), tile.offsets[i * 2], tile.offsets[i * 2 + 1], p.minCropSide, bounds));
  const cropScores = cands.map((i) => tile.conf[i]);
  const selected = nms(cropBoxes, cropScores, p.cropNms, Math.trunc(p.gamma));
  const crops = selected.map((k) => ({ box: cropBoxes[k], score: cropScores[k], idx: cands[k], group: tile.group[cands[k]] > p.groupThreshold }));
  return { keep, crops };
}

/** A box normalised to `crop` back into the crop's coordinates (the tile's). */
export function mapBack(box: ArrayLike<number>, crop: XYXY): XYXY {
  const sw = crop[2] - crop[0];
  const sh = crop[3] - crop[1];
  return [box[0] * sw + crop[0], box[1] * sh + crop[1], box[2] * sw + crop[0], box[3] * sh + crop[1]];
}

function boxOf(boxes: Float32Array, i: number): XYXY {
  return [boxes[i * 4], boxes[i * 4 + 1], boxes[i * 4 + 2], boxes[i * 4 + 3]];
}

/** The image's bounds in the normalised coordinates of a tile (for shifting crops inside the image). */
export function imageBoundsInTile(tile: Pick<Stage1Tile, 'x' | 'y' | 'size'>, width: number, height: number): XYXY {
  return [-tile.x / tile.size, -tile.y / tile.size, (width - tile.x) / tile.size, (height - tile.y) / tile.size];
}

/** Tile-normalised box → full-resolution pixels. */
export function tileToPixels(tile: Pick<Stage1Tile, 'x' | 'y' | 'size'>, b: XYXY): XYXY {
  return [tile.x + b[0] * tile.size, tile.y + b[1] * tile.size, tile.x + b[2] * tile.size, tile.y + b[3] * tile.size];
}

/**
 * Share of the image covered by the union of `regions` (pixels, xyxy),
 * measured on a raster of at most `res` cells a side.
 */
export function unionAreaFraction(regions: XYXY[], width: number, height: number, res = 1024): number {
  if (!regions.length) return 0;
  const cols = Math.min(res, width);
  const rows = Math.min(res, height);
  const sx = cols / width;
  const sy = rows / height;
  const mask = new Uint8Array(cols * rows);
  for (const r of regions) {
    const x0 = Math.max(0, Math.round(r[0] * sx));
    const x1 = Math.min(cols, Math.round(r[2] * sx));
    const y0 = Math.max(0, Math.round(r[1] * sy));
    const y1 = Math.min(rows, Math.round(r[3] * sy));
    for (let y = y0; y < y1; y++) mask.fill(1, y * cols + x0, y * cols + Math.max(x0, x1));
  }
  let n = 0;
  for (let i = 0; i < mask.length; i++) n += mask[i];
  return n / mask.length;
}
