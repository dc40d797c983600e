/**
 * Where the detector looks. BlazeFace sees a fixed square input (256 px)
 * and finds faces from about 12 to about 0.75 × its input wide. A photo is
 * scanned in passes: the finest pass at a scale that makes the smallest
 * wanted face at least `minFaceInputPx` wide, cut into overlapping square
 * tiles, then coarser passes (each `passRatio` smaller) down to one window
 * holding the whole image with room to spare, so large faces fit too.
 */

/** Face width in detector pixels above which BlazeFace's recall is high (it drops below ~12). */
export const MIN_FACE_INPUT_PX = 20;

export interface ScanWindow {
  /** Pass index, 0 = finest. */
  pass: number;
  /** Grid position of the window inside its pass. */
  row: number;
  column: number;
  /** Detector input pixels per image pixel. */
  scale: number;
  /** Image coordinates of the window's top-left corner (may be negative: padding). */
  x: number;
  y: number;
  /** Window side in image pixels (= inputSize / scale). */
  side: number;
  /**
   * Edges of the window that lie inside the scanned image, where a face can
   * be cut off; detections crossing them are left to the overlapping window.
   */
  innerEdges: { left: boolean; top: boolean; right: boolean; bottom: boolean };
}

export interface ScanPlan {
  passes: Array<{ scale: number; columns: number; rows: number }>;
  windows: ScanWindow[];
}

export interface ScanOptions {
  /** Detector input side (256 for BlazeFace back). */
  inputSize: number;
  /** Smallest face to find, in image pixels. */
  minFace: number;
  /** Width the smallest face should have in the detector input (≥ 20 keeps recall high). */
  minFaceInputPx?: number;
  /** Never enlarge the image more than this for the finest pass. */
  maxUpscale?: number;
  /** Tile overlap as a fraction of the tile (0.5 = 50 %). */
  overlap?: number;
  /** Each coarser pass is this many times smaller. */
  passRatio?: number;
  /** The coarsest pass fits the image's long side into this fraction of the input. */
  fitFraction?: number;
}

export function planScan(width: number, height: number, options: ScanOptions): ScanPlan {
  const { inputSize } = options;
  const minFaceInputPx = options.minFaceInputPx ?? MIN_FACE_INPUT_PX;
  const maxUpscale = options.maxUpscale ?? 1;
  const overlap = options.overlap ?? 0.5;
  const passRatio = options.passRatio ?? 4;
  const fitFraction = options.fitFraction ?? 0.75;
  if (!(width > 0 && height > 0)) throw new Error(`cannot scan a ${width} × ${height} image`);
  if (!(options.minFace > 0)) throw new Error('minFace must be positive');
  if (!(overlap >= 0 && overlap < 1)) throw new Error('overlap must be in [0, 1)');
  if (!(passRatio > 1)) throw new Error('passRatio must be > 1');

  const longSide = Math.max(width, height);
  const finest = Math.min(maxUpscale, minFaceInputPx / options.minFace);
  const coarsest = Math.min(finest, (fitFraction * inputSize) / longSide);
  const scales = [finest];
  while (scales[scales.length - 1] > coarsest * (1 + 1e-9)) {
    const next = scales[scales.length - 1] / passRatio;
    // A pass barely finer than the whole-image pass adds nothing: go straight to it.
    scales.push(next < coarsest * 1.5 ? coarsest : next);
  }

  const plan: ScanPlan = { passes: [], windows: [] };
  scales.forEach((scale, pass) => {
    const side = inputSize / scale;
    // Positions are whole pixels of the scaled image, so windows cut from one
    // scaled strip line up exactly with their image coordinates.
    const xs = positions(width * scale, inputSize, overlap);
    const ys = positions(height * scale, inputSize, overlap);
    plan.passes.push({ scale, columns: xs.length, rows: ys.length });
    for (let r = 0; r < ys.length; r++) {
      for (let c = 0; c < xs.length; c++) {
        plan.windows.push({
          pass,
          row: r,
          column: c,
          scale,
          x: xs[c] / scale,
          y: ys[r] / scale,
          side,
          innerEdges: { left: c > 0, top: r > 0, right: c < xs.length - 1, bottom: r < ys.length - 1 },
        });
      }
    }
  });
  return plan;
}

/**
 * Window starts along one axis (scaled pixels): one centred window when the
 * image fits, else evenly spread whole-pixel starts with at least `overlap`
 * shared, the first at 0 and the last flush with the far edge.
 */
export function positions(length: number, side: number, overlap: number): number[] {
  if (length <= side) return [(length - side) / 2];
  const stride = side * (1 - overlap);
  const last = Math.floor(length - side);
  const n = Math.ceil(last / stride - 1e-9) + 1;
  if (n === 1) return [0];
  return Array.from({ length: n }, (_, i) => Math.round((i * last) / (n - 1)));
}

/**
 * Whether a detection (image coordinates) crosses an edge of the window that
 * lies inside the image; a small tolerance in window pixels lets boxes that
 * merely touch the edge stay.
 */
export function crossesInnerEdge(window: ScanWindow, box: { x0: number; y0: number; x1: number; y1: number }, tolerance = 0): boolean {
  const t = tolerance / window.scale;
  const e = window.innerEdges;
  return (e.left && box.x0 < window.x - t) || (e.top && box.y0 < window.y - t)
    || (e.right && box.x1 > window.x + window.side + t) || (e.bottom && box.y1 > window.y + window.side + t);
}
