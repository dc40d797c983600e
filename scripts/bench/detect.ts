/**
 * Aerial detection benchmark (`npm run bench -- detect [sizes...]`): the ODGI
 * cascade against the tiled full-resolution baseline (the same stage-2
 * network on every window, SAHI-like) on large scenes with ground truth.
 *
 * Scenes: training/data/cache/odgi/scenes/scene-<size>.tif (+ .json ground
 * truth), written by training/odgi/scenes.py: sparse, tiled, georeferenced
 * GeoTIFFs at 12.5 cm/px. Missing ones are generated with that script when
 * BENCH_DETECT_GENERATE=1 (slow: ~10 min for 8k, about an hour for 20k on 2
 * cores); otherwise a "mosaic" scene of the same size is made from the
 * committed CI tiles (objects on a few tiles, natural ground elsewhere) and
 * reported as such.
 *
 * Each run happens in its own engine process (its peak RSS is its own) on a
 * pyramid built beforehand: wall time, recall at the operating threshold and
 * AP@0.5 of each mode, time ratio, share of the image read at full
 * resolution, stage-1 coverage and crops per tile; then the AP-vs-time curve
 * over γ (stage 1 once, stage 2 re-run from scratch for each γ).
 *
 *   BENCH_DETECT_MODEL=<id>     model (default: the best installed ODGI model)
 *   BENCH_DETECT_TILED=0        skip the baseline (slow on 20k: ~40k windows)
 *   BENCH_DETECT_GAMMAS=1,2,4,6,8,12
 *   DETECT_EXTRA_MODEL=<folder>  a model not installed in models/ yet
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SCENES = path.join(root, 'training', 'data', 'cache', 'odgi', 'scenes');
const CACHE = path.join(root, '.cache', 'bench', 'detect');
const GAMMAS = (process.env.BENCH_DETECT_GAMMAS ?? '1,2,4,6,8,12').split(',').map(Number);

type Box = [number, number, number, number];
interface Truth { boxes: Box[]; classes: number[]; kind: 'scenes.py' | 'mosaic' }
interface RunOutput {
  mode: 'cascade' | 'tiled';
  model: string;
  wallMs: number;
  peakRssMb: number;
  threshold: number;
  detections: Array<{ box: Box; score: number }>;
  crops: Box[];
  kept: Box[];
  stats: Record<string, unknown>;
  gammas?: Array<{ gamma: number; ms: number; crops: number; detections: Array<{ box: Box; score: number }>; coverRegions: Box[] }>;
}

// ---------------------------------------------------------------- child: one run in a fresh engine

async function child(args: { file: string; mode: 'cascade' | 'tiled'; cacheDir: string; model?: string; gammas?: number[] }): Promise<void> {
  const { Engine } = await import('../../electron/engine/engine');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-detect-'));
  // A model folder not installed in models/ yet (DETECT_EXTRA_MODEL) joins as a user model.
  const extra = process.env.DETECT_EXTRA_MODEL;
  if (extra) await fs.cp(extra, path.join(dataDir, 'models', path.basename(extra)), { recursive: true });
  const engine = await Engine.create({ paths: { appRoot: root, dataDir, cacheDir: args.cacheDir } });
  try {
    const image = await engine.openImage({ path: args.file });
    await engine.images.whenReady(image.id);
    const started = performance.now();
    const { done } = engine.detection.start({ imageId: image.id, mode: args.mode, modelId: args.model, thresholds: { scoreThreshold: 0.05 } });
    const result = await done;
    const wallMs = performance.now() - started;
    const xyxy = (b: readonly number[]): Box => [b[0], b[1], b[0] + b[2], b[1] + b[3]];
    const out: RunOutput = {
      mode: args.mode,
      model: result.models.detector,
      wallMs,
      peakRssMb: 0,
      threshold: engine.detection.resolve({ mode: args.mode, modelId: args.model }).thresholds.scoreThreshold,
      detections: result.detections.map((d) => ({ box: xyxy(d.box), score: d.score })),
      crops: result.crops.map((c) => xyxy(c.box)),
      kept: result.detections.filter((d) => d.stage === 'shortcut').map((d) => xyxy(d.box)),
      stats: result.stats,
    };
    out.peakRssMb = process.resourceUsage().maxRSS / 1024;
    if (args.mode === 'cascade' && args.gammas?.length) {
      // The same stage-1 outputs; stage 2 from scratch for each γ (the crop cache is emptied).
      const entry = (engine.detection as unknown as { entries: Map<string, { state: { cropCache: Map<string, unknown> }; result: { stats: { stage1Ms: number; readMs: number } } }> }).entries.get(image.id)!;
      const stage1Ms = result.stats.stage1Ms;
      out.gammas = [];
      for (const gamma of args.gammas) {
        entry.state.cropCache.clear();
        const t = performance.now();
        const r = await engine.refilterDetections({ imageId: image.id, thresholds: { gamma, scoreThreshold: 0.05 } });
        out.gammas.push({
          gamma,
          // Stage 1 (run once, measured in the first run) + everything after it for this γ.
          ms: stage1Ms + (performance.now() - t),
          crops: r.crops.length,
          detections: r.detections.map((d) => ({ box: xyxy(d.box), score: d.score })),
          coverRegions: [...r.crops.map((c) => xyxy(c.box)), ...r.detections.filter((d) => d.stage === 'shortcut').map((d) => xyxy(d.box))],
        });
      }
    }
    process.stdout.write(`@@RESULT ${JSON.stringify(out)}\n`);
  } finally {
    await engine.dispose();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------- parent

async function mosaicScene(size: number, file: string): Promise<Truth> {
  const sharp = (await import('sharp')).default;
  const { aerialTiles, AERIAL } = await import('../../test/helpers/detect');
  const tiles = aerialTiles();
  const full = tiles.filter((t) => t.boxes.length > 0);
  const empty = tiles.filter((t) => t.boxes.length === 0);
  const n = Math.ceil(size / 1024);
  const boxes: Box[] = [];
  const classes: number[] = [];
  // Sparse: objects on about 1 tile in 25 (a few per km²), natural ground elsewhere.
  let seed = size;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const layers: import('sharp').OverlayOptions[] = [];
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const x = c * 1024;
      const y = r * 1024;
      if (random() < 0.04) {
        const t = full[Math.floor(random() * full.length)];
        layers.push({ input: path.join(AERIAL, t.file), left: x, top: y });
        t.boxes.forEach((b, i) => {
          if (b[2] + x <= size && b[3] + y <= size) {
            boxes.push([b[0] + x, b[1] + y, b[2] + x, b[3] + y]);
            classes.push(t.classes[i]);
          }
        });
      } else {
        const e = empty[(r * n + c) % empty.length];
        layers.push({ input: await sharp(path.join(AERIAL, e.file)).rotate(((r + c) % 4) * 90).toBuffer(), left: x, top: y });
      }
    }
  }
  // Composite in row strips (bounded memory), then one tiled TIFF.
  const strips: string[] = [];
  for (let r = 0; r < n; r++) {
    const h = Math.min(1024, size - r * 1024);
    const strip = `${file}.strip${r}.tif`;
    const row = layers.slice(r * n, (r + 1) * n).map((l) => ({ ...l, top: 0 })).filter((l) => (l.left ?? 0) < size);
    const canvas = sharp({ create: { width: n * 1024, height: 1024, channels: 3, background: '#5a6b48' }, limitInputPixels: false }).composite(row);
    await sharp(await canvas.raw().toBuffer(), { raw: { width: n * 1024, height: 1024, channels: 3 }, limitInputPixels: false }).extract({ left: 0, top: 0, width: size, height: h }).tiff({ compression: 'deflate' }).toFile(strip);
    strips.push(strip);
  }
  const joined = sharp({ create: { width: size, height: size, channels: 3, background: '#000' }, limitInputPixels: false })
    .composite(strips.map((s, i) => ({ input: s, left: 0, top: i * 1024, limitInputPixels: false } as never)));
  await joined.tiff({ tile: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 90, bigtiff: size * size * 3 > 3.5e9 }).toFile(file);
  for (const s of strips) await fs.rm(s);
  return { boxes, classes, kind: 'mosaic' };
}

async function sceneFor(size: number): Promise<{ file: string; truth: Truth }> {
  const tif = path.join(SCENES, `scene-${size}.tif`);
  const json = path.join(SCENES, `scene-${size}.json`);
  if (!existsSync(tif) && process.env.BENCH_DETECT_GENERATE === '1') {
    console.log(`generating scene-${size} with training/odgi/scenes.py (slow)…`);
    spawnSync('/usr/bin/python3', ['training/odgi/scenes.py', '--size', String(size)], { cwd: root, stdio: 'inherit' });
  }
  if (existsSync(tif) && existsSync(json)) {
    const doc = JSON.parse(await fs.readFile(json, 'utf8')) as { boxes: Box[]; classes: number[] };
    return { file: tif, truth: { boxes: doc.boxes, classes: doc.classes, kind: 'scenes.py' } };
  }
  await fs.mkdir(CACHE, { recursive: true });
  const file = path.join(CACHE, `mosaic-${size}.tif`);
  const truthFile = `${file}.json`;
  if (!existsSync(file) || !existsSync(truthFile)) {
    console.log(`scene-${size} missing in ${path.relative(root, SCENES)}: making a ${size} px mosaic of the CI tiles instead…`);
    const truth = await mosaicScene(size, file);
    await fs.writeFile(truthFile, JSON.stringify(truth));
  }
  return { file, truth: JSON.parse(await fs.readFile(truthFile, 'utf8')) as Truth };
}

function runChild(args: Parameters<typeof child>[0]): RunOutput {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(args)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = res.stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (!line) throw new Error(`bench child failed (${res.status}): ${res.stdout.slice(-2000)}`);
  return JSON.parse(line.slice('@@RESULT '.length)) as RunOutput;
}

export async function benchDetect(sizes: number[]): Promise<void> {
  const { averagePrecision, coverage, recallAtPrecision, recallPrecision } = await import('../../electron/engine/pipelines/detect/metrics');
  const model = process.env.BENCH_DETECT_MODEL;
  console.log(`\n== detect on ${process.platform}/${process.arch}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'})`);
  const rows: Array<Record<string, string | number>> = [];
  for (const size of sizes) {
    const { file, truth } = await sceneFor(size);
    const gts = [truth.boxes.map((b) => ({ box: b }))];
    const cacheDir = path.join(CACHE, 'engine-cache');
    // Build the pyramid once, outside the timed runs (reported separately).
    const prep = performance.now();
    const { Engine } = await import('../../electron/engine/engine');
    {
      const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-prep-'));
      const engine = await Engine.create({ paths: { appRoot: root, dataDir, cacheDir } });
      const image = await engine.openImage({ path: file });
      await engine.images.whenReady(image.id);
      await engine.dispose();
    }
    const prepMs = performance.now() - prep;
    console.log(`\n-- ${path.basename(file)} (${truth.kind}): ${size} x ${size} px, ${truth.boxes.length} objects; pyramid ready in ${(prepMs / 1000).toFixed(1)} s`);

    const cascade = runChild({ file, mode: 'cascade', cacheDir, model, gammas: GAMMAS });
    const score = (r: RunOutput) => {
      const dets = [r.detections];
      const { ap, maxRecall } = averagePrecision(dets, gts);
      const { recall, precision } = recallPrecision(dets, gts, r.threshold);
      return { ap, maxRecall, recall, precision };
    };
    const c = score(cascade);
    const cov = coverage(gts[0], [...cascade.crops, ...cascade.kept]);
    const cs = cascade.stats as { tiles: number; cropsPerTile: number; areaFullRes: number; stage1Ms: number; stage2Ms: number; readMs: number };
    console.log(`cascade (${cascade.model}): ${(cascade.wallMs / 1000).toFixed(1)} s (stage 1 ${(cs.stage1Ms / 1000).toFixed(1)} s, stage 2 ${(cs.stage2Ms / 1000).toFixed(1)} s, reads ${(cs.readMs / 1000).toFixed(1)} s), `
      + `recall@${cascade.threshold} ${c.recall.toFixed(3)}, AP@0.5 ${c.ap.toFixed(3)}, max recall ${c.maxRecall.toFixed(3)}, `
      + `${cs.tiles} tiles, ${cs.cropsPerTile} crops/tile, ${(cs.areaFullRes * 100).toFixed(2)}% read at full res, stage-1 coverage ${(cov.hit / Math.max(1, cov.total)).toFixed(3)}, peak RSS ${cascade.peakRssMb.toFixed(0)} MB`);
    const row: Record<string, string | number> = {
      scene: `${size} (${truth.kind})`, objects: truth.boxes.length,
      cascade_s: +(cascade.wallMs / 1000).toFixed(1), cascade_recall: +c.recall.toFixed(3), cascade_ap: +c.ap.toFixed(3),
      area_full_res: +cs.areaFullRes.toFixed(4), crops_per_tile: cs.cropsPerTile, coverage: +(cov.hit / Math.max(1, cov.total)).toFixed(3), cascade_rss_mb: Math.round(cascade.peakRssMb),
    };
    if (process.env.BENCH_DETECT_TILED !== '0') {
      const tiled = runChild({ file, mode: 'tiled', cacheDir, model });
      const t = score(tiled);
      console.log(`tiled:   ${(tiled.wallMs / 1000).toFixed(1)} s (${(tiled.stats as { tiles: number }).tiles} windows), recall@${tiled.threshold} ${t.recall.toFixed(3)}, AP@0.5 ${t.ap.toFixed(3)}, max recall ${t.maxRecall.toFixed(3)}, peak RSS ${tiled.peakRssMb.toFixed(0)} MB`);
      console.log(`=> cascade is ${(tiled.wallMs / cascade.wallMs).toFixed(1)}x faster, recall ${((c.recall - t.recall) * 100).toFixed(1)} points, AP ${((c.ap - t.ap) * 100).toFixed(1)} points vs tiled; reads ${(cs.areaFullRes * 100).toFixed(1)}% of the image at full resolution`);
      // The two modes score the same objects differently (overlapping windows see an object 2-4 times and keep the best), so
      // one threshold is not one operating point: compare recall at equal precision too.
      const atTiledP = recallAtPrecision([cascade.detections], gts, t.precision);
      const atCascadeP = recallAtPrecision([tiled.detections], gts, c.precision);
      console.log(`   precision@${tiled.threshold}: cascade ${c.precision.toFixed(3)}, tiled ${t.precision.toFixed(3)}; at the tiled precision ${t.precision.toFixed(3)} the cascade recalls ${atTiledP.recall.toFixed(3)} (score >= ${atTiledP.threshold.toFixed(3)}) vs tiled ${t.recall.toFixed(3)} (${((atTiledP.recall - t.recall) * 100).toFixed(1)} points); `
        + `at the cascade precision ${c.precision.toFixed(3)} the tiled detector recalls ${atCascadeP.recall.toFixed(3)} vs cascade ${c.recall.toFixed(3)} (${((c.recall - atCascadeP.recall) * 100).toFixed(1)} points)`);
      Object.assign(row, { recall_at_tiled_precision: +atTiledP.recall.toFixed(3), tiled_recall_at_cascade_precision: +atCascadeP.recall.toFixed(3) });
      Object.assign(row, { tiled_s: +(tiled.wallMs / 1000).toFixed(1), tiled_recall: +t.recall.toFixed(3), tiled_ap: +t.ap.toFixed(3), speedup: +(tiled.wallMs / cascade.wallMs).toFixed(1), tiled_rss_mb: Math.round(tiled.peakRssMb) });
    }
    console.log('AP vs time over γ (stage 1 once + stage 2 from scratch):');
    console.log('  γ   time s  crops/tile  AP@0.5  recall  coverage');
    for (const g of cascade.gammas ?? []) {
      const dets = [g.detections];
      const ap = averagePrecision(dets, gts).ap;
      const rec = recallPrecision(dets, gts, cascade.threshold).recall;
      const gc = coverage(gts[0], g.coverRegions);
      console.log(`  ${String(g.gamma).padStart(2)}  ${(g.ms / 1000).toFixed(1).padStart(6)}  ${(g.crops / cs.tiles).toFixed(2).padStart(10)}  ${ap.toFixed(3).padStart(6)}  ${rec.toFixed(3).padStart(6)}  ${(gc.hit / Math.max(1, gc.total)).toFixed(3).padStart(8)}`);
    }
    rows.push(row);
  }
  console.log('\nsummary:');
  console.table(rows);
}

if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  await benchDetect(process.argv.slice(2).map(Number).filter(Boolean).length ? process.argv.slice(2).map(Number).filter(Boolean) : [8192, 16384, 20000]);
}
