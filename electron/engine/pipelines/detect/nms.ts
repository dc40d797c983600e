/**
 * Box overlap, greedy NMS (the reference's order: score descending, ties by
 * index), and greedy merging of boxes cut by crop borders by intersection
 * over the smaller box (SAHI's GREEDYNMM/IOS, restricted to cut boxes).
 * Boxes are xyxy in any consistent unit.
 */

export type XYXY = [number, number, number, number];

export function iou(a: XYXY, b: XYXY): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  const union = Math.max(0, a[2] - a[0]) * Math.max(0, a[3] - a[1]) + Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Intersection over the area of the smaller box. */
export function ios(a: XYXY, b: XYXY): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const smaller = Math.min(Math.max(0, a[2] - a[0]) * Math.max(0, a[3] - a[1]), Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]));
  return smaller > 0 ? (iw * ih) / smaller : 0;
}

/** Indices by descending score, ties by lower index first (stable). */
export function scoreOrder(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i);
  order.sort((i, j) => scores[j] - scores[i] || i - j);
  return order;
}

/**
 * A uniform grid over the kept boxes, so each candidate is compared only with
 * kept boxes near it: the same result as comparing with all of them.
 */
class KeptGrid {
  private readonly cells = new Map<number, number[]>();
  constructor(private readonly cell: number) {}

  private *keys(b: XYXY): Generator<number> {
    const x0 = Math.floor(b[0] / this.cell);
    const x1 = Math.floor(b[2] / this.cell);
    const y0 = Math.floor(b[1] / this.cell);
    const y1 = Math.floor(b[3] / this.cell);
    for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) yield (y + 32768) * 65536 + (x + 32768);
  }

  add(b: XYXY, index: number): void {
    for (const k of this.keys(b)) {
      const list = this.cells.get(k);
      if (list) list.push(index);
      else this.cells.set(k, [index]);
    }
  }

  near(b: XYXY): Set<number> {
    const out = new Set<number>();
    for (const k of this.keys(b)) for (const i of this.cells.get(k) ?? []) out.add(i);
    return out;
  }
}

/** A grid cell size that keeps most boxes in a few cells (median box side x 2). */
function cellFor(boxes: XYXY[]): number {
  const sides = boxes.map((b) => Math.max(b[2] - b[0], b[3] - b[1])).sort((a, b) => a - b);
  const median = sides[sides.length >> 1] || 1;
  // A loop, not Math.max(...): a 20k px tiled run has millions of candidates (spread arguments overflow the stack).
  let x0 = 0;
  let y0 = 0;
  let x1 = 1;
  let y1 = 1;
  for (const b of boxes) {
    if (b[0] < x0) x0 = b[0];
    if (b[1] < y0) y0 = b[1];
    if (b[2] > x1) x1 = b[2];
    if (b[3] > y1) y1 = b[3];
  }
  // Never more than ~4096 cells per side (keys stay in range, memory bounded).
  return Math.max(median * 2, (x1 - x0) / 4096, (y1 - y0) / 4096, 1e-9);
}

/**
 * Greedy NMS: walks boxes by descending score (ties: lower index first) and
 * keeps a box unless it overlaps a kept one with IoU > `threshold`. Stops after
 * `limit` kept boxes. Returns kept indices in that order.
 */
export function nms(boxes: XYXY[], scores: ArrayLike<number>, threshold: number, limit = Infinity): number[] {
  const order = scoreOrder(scores);
  const keep: number[] = [];
  if (limit <= 0) return keep;
  if (boxes.length <= 64) {
    for (const i of order) {
      if (keep.every((j) => iou(boxes[i], boxes[j]) <= threshold)) {
        keep.push(i);
        if (keep.length >= limit) break;
      }
    }
    return keep;
  }
  const grid = new KeptGrid(cellFor(boxes));
  for (const i of order) {
    let ok = true;
    for (const j of grid.near(boxes[i])) {
      if (iou(boxes[i], boxes[j]) > threshold) {
        ok = false;
        break;
      }
    }
    if (ok) {
      keep.push(i);
      grid.add(boxes[i], i);
      if (keep.length >= limit) break;
    }
  }
  return keep;
}

export interface MergeBox {
  box: XYXY;
  score: number;
  /** Touches a crop or window border that is not an image border: the object may be cut. */
  cut: boolean;
}

/**
 * Greedy merge of boxes cut by crop borders: in score order, a box absorbs the
 * later boxes with IOS >= `threshold` when either of the two is cut; the
 * merged box is their union and keeps the higher score (and the first box's
 * other fields). Returns, per surviving box, its index and merged box.
 */
export function mergeCut(items: MergeBox[], threshold: number): Array<{ index: number; box: XYXY }> {
  const order = scoreOrder(items.map((d) => d.score));
  const absorbed = new Uint8Array(items.length);
  const out: Array<{ index: number; box: XYXY }> = [];
  const grid = items.length > 64 ? new KeptGrid(cellFor(items.map((d) => d.box))) : null;
  if (grid) items.forEach((d, i) => grid.add(d.box, i));
  for (const i of order) {
    if (absorbed[i]) continue;
    const box: XYXY = [...items[i].box];
    let cut = items[i].cut;
    const others = grid ? [...grid.near(items[i].box)] : order;
    // Later boxes only (by score order), in score order.
    const later = others.filter((j) => j !== i && !absorbed[j] && (items[j].score < items[i].score || (items[j].score === items[i].score && j > i)));
    later.sort((a, b) => items[b].score - items[a].score || a - b);
    for (const j of later) {
      if (!(cut || items[j].cut)) continue;
      if (ios(box, items[j].box) >= threshold) {
        const b = items[j].box;
        box[0] = Math.min(box[0], b[0]);
        box[1] = Math.min(box[1], b[1]);
        box[2] = Math.max(box[2], b[2]);
        box[3] = Math.max(box[3], b[3]);
        cut = cut && items[j].cut;
        absorbed[j] = 1;
      }
    }
    absorbed[i] = 1;
    out.push({ index: i, box });
  }
  return out;
}
