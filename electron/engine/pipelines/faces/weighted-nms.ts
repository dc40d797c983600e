import type { Detection } from './detection';

/** Intersection over union of two corner boxes (0 when either is empty). */
export function iou(a: Detection, b: Detection): number {
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a.x1 - a.x0) * (a.y1 - a.y0) + (b.x1 - b.x0) * (b.y1 - b.y0) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * MediaPipe's weighted non-maximum suppression
 * (`non_max_suppression_calculator.cc`, `WeightedNonMaxSuppression`):
 * sort by score; the best remaining detection and every remaining one that
 * overlaps it with IoU above `iouThreshold` form a cluster and leave the
 * list; the cluster becomes one detection with the best score and the
 * score-weighted mean of the corners and of every keypoint. Repeat.
 */
export function weightedNms(detections: readonly Detection[], iouThreshold: number): Detection[] {
  let remaining = [...detections].sort((a, b) => b.score - a.score);
  const out: Detection[] = [];
  while (remaining.length) {
    const best = remaining[0];
    const cluster: Detection[] = [];
    const rest: Detection[] = [];
    for (const d of remaining) (d === best || iou(best, d) > iouThreshold ? cluster : rest).push(d);
    remaining = rest;
    if (cluster.length === 1) {
      out.push({ ...best, keypoints: [...best.keypoints], support: best.support ?? 1 });
      continue;
    }
    let total = 0;
    let x0 = 0;
    let y0 = 0;
    let x1 = 0;
    let y1 = 0;
    const keypoints = new Array<number>(best.keypoints.length).fill(0);
    let support = 0;
    for (const d of cluster) {
      support += d.support ?? 1;
      total += d.score;
      x0 += d.score * d.x0;
      y0 += d.score * d.y0;
      x1 += d.score * d.x1;
      y1 += d.score * d.y1;
      for (let k = 0; k < keypoints.length; k++) keypoints[k] += d.score * d.keypoints[k];
    }
    out.push({ x0: x0 / total, y0: y0 / total, x1: x1 / total, y1: y1 / total, keypoints: keypoints.map((v) => v / total), score: best.score, support });
  }
  return out;
}
