/**
 * Detection metrics as training/odgi/eval.py computes them: dataset-level
 * AP@0.5 with VOC all-point interpolation (class-agnostic by default), recall
 * and precision at an operating score threshold, and stage-1 coverage (share
 * of ground-truth centres inside a kept box or a crop). Used by the tests and
 * the benchmark; boxes are xyxy pixels.
 */
import { iou, type XYXY } from './nms';

export interface ScoredBox {
  box: XYXY;
  score: number;
  cls?: number;
}

export interface GroundTruth {
  box: XYXY;
  cls?: number;
}

/** Greedy matching in score order within each image (a box matches the best unmatched ground truth with IoU >= thr). */
function matches(dets: ScoredBox[][], gts: GroundTruth[][], iouThr: number, cls?: number) {
  const recs: Array<{ score: number; tp: number }> = [];
  let npos = 0;
  dets.forEach((d, i) => {
    const g = gts[i].filter((x) => cls === undefined || x.cls === cls);
    npos += g.length;
    const dd = d.filter((x) => cls === undefined || x.cls === cls);
    const used = new Set<number>();
    // Within an image, the global score order restricted to it is its own score order.
    const order = dd.map((_, k) => k).sort((a, b) => dd[b].score - dd[a].score || a - b);
    for (const k of order) {
      let best = -1;
      let bestIou = -1;
      g.forEach((gt, j) => {
        if (used.has(j)) return;
        const v = iou(dd[k].box, gt.box);
        if (v > bestIou) {
          bestIou = v;
          best = j;
        }
      });
      let tp = 0;
      if (best >= 0 && bestIou >= iouThr) {
        used.add(best);
        tp = 1;
      }
      recs.push({ score: dd[k].score, tp });
    }
  });
  return { recs, npos };
}

/** VOC all-point AP; NaN when there is no ground truth. */
export function averagePrecision(dets: ScoredBox[][], gts: GroundTruth[][], iouThr = 0.5, cls?: number): { ap: number; maxRecall: number } {
  const { recs, npos } = matches(dets, gts, iouThr, cls);
  if (npos === 0) return { ap: Number.NaN, maxRecall: 0 };
  recs.sort((a, b) => b.score - a.score);
  const rec: number[] = [];
  const prec: number[] = [];
  let tp = 0;
  recs.forEach((r, i) => {
    tp += r.tp;
    rec.push(tp / npos);
    prec.push(tp / (i + 1));
  });
  const mrec = [0, ...rec, 1];
  const mpre = [0, ...prec, 0];
  for (let k = mpre.length - 2; k >= 0; k--) mpre[k] = Math.max(mpre[k], mpre[k + 1]);
  let ap = 0;
  for (let k = 0; k < mrec.length - 1; k++) if (mrec[k + 1] !== mrec[k]) ap += (mrec[k + 1] - mrec[k]) * mpre[k + 1];
  return { ap, maxRecall: rec.length ? rec[rec.length - 1] : 0 };
}

/**
 * The highest recall reachable at a precision of at least `precision` (over
 * all score thresholds), and the threshold that gives it. Compares detectors
 * whose scores are calibrated differently at an equal share of false alarms.
 */
export function recallAtPrecision(dets: ScoredBox[][], gts: GroundTruth[][], precision: number, iouThr = 0.5): { recall: number; threshold: number } {
  const { recs, npos } = matches(dets, gts, iouThr);
  recs.sort((a, b) => b.score - a.score);
  let tp = 0;
  let best = { recall: 0, threshold: Number.POSITIVE_INFINITY };
  recs.forEach((r, i) => {
    tp += r.tp;
    // Only at the last detection of a score (a threshold keeps all of its ties).
    if (i + 1 < recs.length && recs[i + 1].score === r.score) return;
    if (tp / (i + 1) >= precision && npos && tp / npos > best.recall) best = { recall: tp / npos, threshold: r.score };
  });
  return best;
}

/** Recall and precision of the detections scoring at least `threshold`. */
export function recallPrecision(dets: ScoredBox[][], gts: GroundTruth[][], threshold: number, iouThr = 0.5): { recall: number; precision: number; tp: number; detections: number; objects: number } {
  const kept = dets.map((d) => d.filter((x) => x.score >= threshold));
  const { recs, npos } = matches(kept, gts, iouThr);
  const tp = recs.reduce((s, r) => s + r.tp, 0);
  return { recall: npos ? tp / npos : 0, precision: recs.length ? tp / recs.length : 0, tp, detections: recs.length, objects: npos };
}

/** Share of ground-truth centres inside any of `regions` (kept boxes and crops). */
export function coverage(gts: GroundTruth[], regions: XYXY[]): { hit: number; total: number } {
  let hit = 0;
  for (const g of gts) {
    const cx = (g.box[0] + g.box[2]) / 2;
    const cy = (g.box[1] + g.box[3]) / 2;
    if (regions.some((r) => r[0] <= cx && cx <= r[2] && r[1] <= cy && cy <= r[3])) hit++;
  }
  return { hit, total: gts.length };
}
