/**
 * Detector input (see `models/face-detector/manifest.json`, preprocessing.input):
 * float32 NCHW RGB, `pixel / 127.5 - 1`. Letterbox padding arrives as black
 * pixels (the region reader fills outside the image with 0), i.e. -1.
 */
import type { RawPixels } from './align-crop';

/**
 * Copies a `size × size` window whose top-left corner is at (left, top) of
 * `raw` into slot `index` of the batch. Gray sources are repeated into R, G, B;
 * pixels beyond `raw` are black.
 */
export function writeDetectorInput(raw: RawPixels, left: number, top: number, size: number, batch: Float32Array, index: number): void {
  const plane = size * size;
  const base = index * 3 * plane;
  const { data, width, height, channels } = raw;
  const rgb = channels >= 3;
  for (let y = 0; y < size; y++) {
    const sy = top + y;
    for (let x = 0; x < size; x++) {
      const sx = left + x;
      const p = y * size + x;
      if (sy < 0 || sx < 0 || sy >= height || sx >= width) {
        batch[base + p] = -1;
        batch[base + plane + p] = -1;
        batch[base + 2 * plane + p] = -1;
        continue;
      }
      const o = (sy * width + sx) * channels;
      const r = data[o];
      batch[base + p] = r / 127.5 - 1;
      batch[base + plane + p] = (rgb ? data[o + 1] : r) / 127.5 - 1;
      batch[base + 2 * plane + p] = (rgb ? data[o + 2] : r) / 127.5 - 1;
    }
  }
}
