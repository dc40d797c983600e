/**
 * The GSD table of an ODGI model card: the frozen CI tiles (test/fixtures/aerial,
 * each generated at its own GSD, `gsd_m` in boxes.json) rendered at other ground
 * resolutions by resizing them with sharp (factor k: k x coarser, boxes scaled
 * with them), then detected through the engine with the rendered GSD given
 * (`gsd`, so the pipeline resamples to the model's native GSD) and without it.
 *
 *   npx tsx scripts/odgi/gsd-eval.ts [--model odgi-cpu] [--factors 0.5,1,1.5,2,3,4] [--modes cascade,tiled] [--tiled-tiles 13]
 *
 * Prints AP@0.5 and recall at the model's operating threshold per factor and mode.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { DetectMode, DetectResult } from '../../electron/common/detect-contract';
import { Engine } from '../../electron/engine/engine';
import { averagePrecision, recallPrecision, type ScoredBox } from '../../electron/engine/pipelines/detect/metrics';
import type { XYXY } from '../../electron/engine/pipelines/detect/nms';

const REPO = path.resolve(import.meta.dirname, '..', '..');
export const AERIAL = path.join(REPO, 'test', 'fixtures', 'aerial');

export interface GsdTile {
  file: string;
  width: number;
  height: number;
  gsd_m: number;
  boxes: XYXY[];
}

export interface RenderedTile {
  path: string;
  /** Metres per pixel of the rendered image. */
  gsd: number;
  boxes: XYXY[];
}

export async function ciTiles(): Promise<GsdTile[]> {
  const doc = JSON.parse(await fs.readFile(path.join(AERIAL, 'boxes.json'), 'utf8')) as { tiles: GsdTile[] };
  return doc.tiles;
}

/**
 * A tile as a sensor k times coarser would see it (k < 1: an enlargement,
 * which adds no detail): resized with sharp's default (Lanczos 3, area-
 * averaged when reducing), written losslessly; boxes scaled with it.
 */
export async function renderAtGsd(tile: GsdTile, k: number, dir: string): Promise<RenderedTile> {
  const file = path.join(dir, `${path.parse(tile.file).name}-x${k}.png`);
  const width = Math.round(tile.width / k);
  const height = Math.round(tile.height / k);
  if (k === 1) await sharp(path.join(AERIAL, tile.file)).png().toFile(file);
  else await sharp(path.join(AERIAL, tile.file)).resize(width, height, { fit: 'fill' }).png().toFile(file);
  const sx = width / tile.width;
  const sy = height / tile.height;
  return { path: file, gsd: tile.gsd_m * (tile.width / width), boxes: tile.boxes.map((b) => [b[0] * sx, b[1] * sy, b[2] * sx, b[3] * sy]) };
}

export interface GsdScore {
  ap50: number;
  recall: number;
  precision: number;
  objects: number;
  threshold: number;
  results: DetectResult[];
}

/** Detects every tile (all scores down to 0.05 kept, as the model card's evaluation) and scores AP@0.5 and recall at the model's threshold. */
export async function scoreTiles(engine: Engine, tiles: RenderedTile[], options: { mode: DetectMode; withGsd: boolean; modelId?: string }): Promise<GsdScore> {
  const dets: ScoredBox[][] = [];
  const gts: Array<Array<{ box: XYXY }>> = [];
  const results: DetectResult[] = [];
  const threshold = engine.detection.resolve({ mode: options.mode, modelId: options.modelId }).thresholds.scoreThreshold;
  for (const t of tiles) {
    const image = await engine.openImage({ path: t.path });
    try {
      const result = await engine.detection.start({ imageId: image.id, mode: options.mode, modelId: options.modelId, thresholds: { scoreThreshold: 0.05 }, ...(options.withGsd ? { gsd: t.gsd } : {}) }).done;
      results.push(result);
      dets.push(result.detections.map((d) => ({ box: [d.box[0], d.box[1], d.box[0] + d.box[2], d.box[1] + d.box[3]] as XYXY, score: d.score })));
      gts.push(t.boxes.map((box) => ({ box })));
    } finally {
      await engine.closeImage({ imageId: image.id });
    }
  }
  const { ap } = averagePrecision(dets, gts);
  const rp = recallPrecision(dets, gts, threshold);
  return { ap50: ap, recall: rp.recall, precision: rp.precision, objects: rp.objects, threshold, results };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : fallback;
  };
  const factors = arg('factors', '0.5,1,1.5,2,3,4').split(',').map(Number);
  const modes = arg('modes', 'cascade,tiled').split(',') as DetectMode[];
  const modelId = arg('model', 'odgi-cpu');
  const tiledTiles = Number(arg('tiled-tiles', '13'));
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-gsd-eval-'));
  const engine = await Engine.create({ paths: { dataDir: path.join(root, 'data'), cacheDir: path.join(root, 'cache') } });
  try {
    const tiles = await ciTiles();
    const model = engine.models.list().find((m) => m.id === modelId);
    console.log(`model ${modelId}, declared GSD ${JSON.stringify(model?.gsd)} m/px; ${tiles.length} CI tiles at ${Math.min(...tiles.map((t) => t.gsd_m))}-${Math.max(...tiles.map((t) => t.gsd_m))} m/px`);
    console.log('| mode | k (× coarser) | image GSD (cm/px) | read at ×scale | AP@0.5 with gsd / without | recall with gsd / without | objects |');
    console.log('|---|---|---|---|---|---|---|');
    for (const mode of modes) {
      for (const k of factors) {
        const dir = path.join(root, `x${k}`);
        await fs.mkdir(dir, { recursive: true });
        const all = await Promise.all(tiles.map((t) => renderAtGsd(t, k, dir)));
        const set = mode === 'tiled' ? all.slice(0, tiledTiles) : all;
        const withGsd = await scoreTiles(engine, set, { mode, withGsd: true, modelId });
        const without = await scoreTiles(engine, set, { mode, withGsd: false, modelId });
        const scales = withGsd.results.map((r) => r.gsd.scale);
        const gsds = set.map((t) => t.gsd * 100);
        console.log(`| ${mode} | ${k} | ${Math.min(...gsds).toFixed(1)}–${Math.max(...gsds).toFixed(1)} | ${Math.min(...scales).toFixed(2)}–${Math.max(...scales).toFixed(2)} | ${withGsd.ap50.toFixed(3)} / ${without.ap50.toFixed(3)} | ${withGsd.recall.toFixed(3)} / ${without.recall.toFixed(3)} | ${withGsd.objects} |`);
        const warned = [...new Set(withGsd.results.flatMap((r) => r.warnings.map((w) => w.code)))];
        if (warned.length) console.log(`|  |  | warnings with gsd: ${warned.join(', ')} |  |  |  |  |`);
      }
    }
  } finally {
    await engine.dispose();
    await fs.rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
