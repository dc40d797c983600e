/**
 * A face detection as the pipeline carries it between decoding, mapping to
 * image coordinates and NMS: a corner box, six keypoints and a score.
 */
export interface Detection {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** `[x0, y0, x1, y1, …]` for right eye, left eye, nose tip, mouth, right ear, left ear. */
  keypoints: number[];
  score: number;
  /** How many raw detections weighted NMS merged into this one (1 before NMS). */
  support?: number;
}

export const KEYPOINT_COUNT = 6;
export const RIGHT_EYE = 0;
export const LEFT_EYE = 1;

/** Columns of one detector output row: score, dx, dy, w, h, then 6 keypoints × (x, y). */
export const DETECTION_COLUMNS = 5 + 2 * KEYPOINT_COUNT;

/**
 * Decodes the detector's rows (`[score, dx, dy, w, h, kp…]` per anchor, the
 * sigmoid already applied) into detections in input pixels, keeping those
 * whose score is at least `minScore`. `rows` holds one image's anchors.
 */
export function decodeDetections(rows: Float32Array, anchors: Float32Array, minScore: number): Detection[] {
  const count = anchors.length / 2;
  if (rows.length !== count * DETECTION_COLUMNS) {
    throw new Error(`detector output has ${rows.length} values, expected ${count} anchors × ${DETECTION_COLUMNS}`);
  }
  const found: Detection[] = [];
  // Scores are float32: compare against the threshold in float32 too (0.65 is 0.6499999762 there).
  const threshold = Math.fround(minScore);
  for (let i = 0; i < count; i++) {
    const r = i * DETECTION_COLUMNS;
    const score = rows[r];
    if (!(score >= threshold)) continue;
    const ax = anchors[2 * i];
    const ay = anchors[2 * i + 1];
    const cx = ax + rows[r + 1];
    const cy = ay + rows[r + 2];
    const w = rows[r + 3];
    const h = rows[r + 4];
    if (!(w > 0 && h > 0)) continue;
    const keypoints = new Array<number>(2 * KEYPOINT_COUNT);
    for (let k = 0; k < KEYPOINT_COUNT; k++) {
      keypoints[2 * k] = ax + rows[r + 5 + 2 * k];
      keypoints[2 * k + 1] = ay + rows[r + 6 + 2 * k];
    }
    found.push({ x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2, keypoints, score });
  }
  return found;
}

/** Maps a detection through `image = offset + input / scale` (a window read at `scale` from `offset`). */
export function mapDetection(d: Detection, offsetX: number, offsetY: number, scale: number): Detection {
  return {
    x0: offsetX + d.x0 / scale,
    y0: offsetY + d.y0 / scale,
    x1: offsetX + d.x1 / scale,
    y1: offsetY + d.y1 / scale,
    keypoints: d.keypoints.map((v, i) => (i % 2 === 0 ? offsetX : offsetY) + v / scale),
    score: d.score,
  };
}
