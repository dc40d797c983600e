/**
 * Stage 1 over a large image: the image is cut into stage-1 tiles of
 * `tilePx` full-resolution pixels (1024 for the shipped models), each read
 * from the reduced pyramid level (1/4: 256 px) block by block, so a 20,000 px
 * image is ~400 tiles seen at 4x reduction rather than one squashed 512 px
 * view. The last row and column are shifted back inside the image (no
 * padding) unless the image is smaller than a tile (then it is padded with 0).
 * Tiles run in batches; their raw outputs are kept for re-thresholding.
 */
import * as ort from 'onnxruntime-node';
import type { Stage1Tile } from './crops';
import { decodeStage1 } from './decode';
import type { Stage1Config } from './models';
import { axisPositions, forEachWindow, writeWindow, type PatchSource } from './patches';

export interface TileGrid {
  xs: number[];
  ys: number[];
  size: number;
  count: number;
}

export function planStage1Tiles(width: number, height: number, tilePx: number): TileGrid {
  const xs = axisPositions(width, tilePx, tilePx);
  const ys = axisPositions(height, tilePx, tilePx);
  return { xs, ys, size: tilePx, count: xs.length * ys.length };
}

export interface RunContext {
  progress(fraction: number | null, message?: string): void;
  throwIfCancelled(): void;
}

export interface SessionLike {
  run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType>;
}

export async function runStage1(
  source: PatchSource,
  cfg: Stage1Config,
  session: SessionLike,
  grid: TileGrid,
  options: { batch?: number; onTiles?: (done: number) => void; onRead?: (ms: number) => void; onRun?: (ms: number) => void; ctx: RunContext; include?: (index: number) => boolean },
): Promise<Stage1Tile[]> {
  const S = cfg.inputSize;
  const plane = 3 * S * S;
  const batch = Math.max(1, options.batch ?? 8);
  const tiles: Stage1Tile[] = [];
  let input = new Float32Array(batch * plane);
  let slots: Array<Pick<Stage1Tile, 'index' | 'x' | 'y' | 'size'>> = [];
  const flush = async () => {
    if (!slots.length) return;
    options.ctx.throwIfCancelled();
    const n = slots.length;
    const started = performance.now();
    const out = await session.run({ [cfg.inputName]: new ort.Tensor('float32', n === batch ? input : input.subarray(0, n * plane), [n, 3, S, S]) });
    options.onRun?.(performance.now() - started);
    tiles.push(...decodeStage1(cfg, out, n, slots));
    slots = [];
    input = new Float32Array(batch * plane);
    options.onTiles?.(tiles.length);
  };
  await forEachWindow(
    source,
    grid.xs,
    grid.ys,
    grid.size,
    S,
    async (w, patch, px, py, valid) => {
      writeWindow(patch, px, py, S, input, slots.length, 0, valid);
      slots.push({ index: w.index, x: w.x, y: w.y, size: w.size });
      if (slots.length === batch) await flush();
    },
    { onRead: options.onRead, include: options.include },
  );
  await flush();
  return tiles.sort((a, b) => a.index - b.index);
}
