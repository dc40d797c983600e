/**
 * SSD anchors of the BlazeFace detector, as MediaPipe's SsdAnchorsCalculator
 * makes them with `fixed_anchor_size: true`: layers with the same stride share
 * one grid, every anchor of a cell has the cell centre, and the regressors are
 * plain pixel offsets from that centre (unit-size anchors).
 */

export interface AnchorLayer {
  /** Pixels of the detector input per grid cell. */
  stride: number;
  /** Cells per side (input size / stride). */
  grid: number;
  anchorsPerCell: number;
}

/** face_detection_back: 16×16 cells × 2 at stride 16, then 8×8 × 6 at stride 32 = 896 anchors. */
export const BLAZEFACE_BACK_LAYERS: readonly AnchorLayer[] = [
  { stride: 16, grid: 16, anchorsPerCell: 2 },
  { stride: 32, grid: 8, anchorsPerCell: 6 },
];

/**
 * Anchor centres in input pixels, interleaved `[x0, y0, x1, y1, …]`, in the
 * model's output row order: layer by layer, then row (y), column (x), anchor.
 */
export function generateAnchors(layers: readonly AnchorLayer[]): Float32Array {
  const count = anchorCount(layers);
  const out = new Float32Array(count * 2);
  let i = 0;
  for (const { stride, grid, anchorsPerCell } of layers) {
    for (let y = 0; y < grid; y++) {
      for (let x = 0; x < grid; x++) {
        const cx = (x + 0.5) * stride;
        const cy = (y + 0.5) * stride;
        for (let a = 0; a < anchorsPerCell; a++) {
          out[i++] = cx;
          out[i++] = cy;
        }
      }
    }
  }
  return out;
}

export function anchorCount(layers: readonly AnchorLayer[]): number {
  return layers.reduce((sum, l) => sum + l.grid * l.grid * l.anchorsPerCell, 0);
}
