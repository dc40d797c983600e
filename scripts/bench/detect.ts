/**
 * Aerial detection benchmark (`npm run bench -- detect [sizes...]`, default
 * 8192 20000): the ODGI cascade against the tiled full-resolution baseline
 * (the same stage-2 network on every window, SAHI-like) and against a standard
 * single-shot detector run the same tiled way (models/aerial-yolo-baseline, a
 * YOLOv8-style model trained on ODGI's training tiles, through the engine's
 * bring-your-own-Ultralytics path).
 *
 * Scenes are generated for each run by scripts/bench/aerial-scene.ts from the
 * committed CI tiles (seeded, deterministic, seconds per scene; no data
 * package, nothing from an earlier run): natural ground with a few object
 * tiles placed sparsely off the detector's tile grid, a tiled JPEG TIFF with
 * its ground truth.
 *
 * Each run happens in its own engine process (its peak RSS is its own) on a
 * pyramid built beforehand: wall time, recall at the operating threshold and
 * AP@0.5 of each mode, time ratio, share of the image read at full
 * resolution, stage-1 coverage and crops per tile; then the AP-vs-time curve
 * over γ (stage 1 once, stage 2 re-run from scratch for each γ). The rows are
 * written to scripts/bench/results/<date>-<hhmm>-detect.{json,md}.
 *
 *   BENCH_DETECT_MODEL=<id>     model (default: the best installed ODGI model)
 *   BENCH_DETECT_SEED=1         scene seed
 *   BENCH_DETECT_TILED=0        skip the baseline (slow on 20k: ~40k windows)
 *   BENCH_DETECT_BASELINE=<id>  the standard detector run tiled (default aerial-yolo-baseline when installed; none: skip)
 *   BENCH_DETECT_REPEATS=1      runs of each mode (alternating); times are the fastest run's
 *   BENCH_DETECT_GAMMAS=1,2,4,6,8,12 (or none)
 *   BENCH_DETECT_GATE=off,on    cascade runs with the tile gate off and/or on (the ablation; runs alternate)
 *   BENCH_DETECT_RESULTS=<dir>  where the JSON and markdown go (default scripts/bench/results)
 *   DETECT_EXTRA_MODEL=<folder>  a model not installed in models/ yet
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeAerialScene, type SceneTruth } from './aerial-scene';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SEED = Number(process.env.BENCH_DETECT_SEED ?? 1);
const REPEATS = Math.max(1, Math.floor(Number(process.env.BENCH_DETECT_REPEATS ?? 1)) || 1);
const RESULTS = process.env.BENCH_DETECT_RESULTS ?? path.join(root, 'scripts', 'bench', 'results');
const GATES = (process.env.BENCH_DETECT_GATE ?? 'off,on').split(',').map((g) => g.trim()).filter((g) => g === 'on' || g === 'off').map((g) => g === 'on');
const BASELINE = process.env.BENCH_DETECT_BASELINE ?? 'aerial-yolo-baseline';
const GAMMAS = (process.env.BENCH_DETECT_GAMMAS ?? '1,2,4,6,8,12').split(',').map(Number).filter((g) => g > 0); // 'none': no sweep

type Box = [number, number, number, number];
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
  gate: { tiles: number; skipped: number; ms: number; skippedTiles: number[] } | null;
  gammas?: Array<{ gamma: number; ms: number; crops: number; detections: Array<{ box: Box; score: number }>; coverRegions: Box[] }>;
}

// ---------------------------------------------------------------- child: one run in a fresh engine

async function child(args: { file: string; mode: 'cascade' | 'tiled'; cacheDir: string; model?: string; gammas?: number[]; gate?: boolean }): Promise<void> {
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
    const { done } = engine.detection.start({ imageId: image.id, mode: args.mode, modelId: args.model, thresholds: { scoreThreshold: 0.05 }, ...(args.mode === 'cascade' ? { gate: !!args.gate } : {}) });
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
      gate: result.gate,
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

/** A fresh scene of this size for this run (generated, never taken from an earlier run). */
async function sceneFor(size: number, dir: string): Promise<{ file: string; truth: SceneTruth; genMs: number }> {
  const file = path.join(dir, `scene-${size}-s${SEED}.tif`);
  const t = performance.now();
  const truth = await writeAerialScene(file, { size, seed: SEED });
  return { file, truth, genMs: performance.now() - t };
}

function runChild(args: Parameters<typeof child>[0]): RunOutput {
  const res = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child', JSON.stringify(args)], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'inherit'] });
  const line = res.stdout.split('\n').find((l) => l.startsWith('@@RESULT '));
  if (!line) throw new Error(`bench child failed (${res.status}): ${res.stdout.slice(-2000)}`);
  return JSON.parse(line.slice('@@RESULT '.length)) as RunOutput;
}

interface ModeScore { s: number; ap: number; recall: number; precision: number; maxRecall: number; areaFullRes: number; peakRssMb: number; tiles: number }

export async function benchDetect(sizes: number[]): Promise<void> {
  const { averagePrecision, coverage, recallAtPrecision, recallPrecision } = await import('../../electron/engine/pipelines/detect/metrics');
  const model = process.env.BENCH_DETECT_MODEL;
  // The code measured: the commit at the start, marked when the working tree differs from it.
  const git = (...args: string[]) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';
  const commit = `${git('rev-parse', '--short', 'HEAD') || '?'}${git('status', '--porcelain', '--untracked-files=no') ? '+changes' : ''}`;
  const machine = { platform: `${process.platform}/${process.arch}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '?', loadavgAtStart: os.loadavg().map((l) => +l.toFixed(1)), node: process.version };
  console.log(`\n== detect on ${machine.platform}, ${machine.cpus} CPUs (${machine.cpu}), load average ${machine.loadavgAtStart.join(' ')}`);
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-detect-'));
  const scenes: Array<Record<string, unknown>> = [];
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const size of sizes) {
      const { file, truth, genMs } = await sceneFor(size, work);
      const gts = [truth.boxes.map((b) => ({ box: b }))];
      // A fresh engine cache per scene: the pyramid is built here once, outside the timed runs (reported separately).
      const cacheDir = path.join(work, `engine-cache-${size}`);
      const prep = performance.now();
      const { Engine } = await import('../../electron/engine/engine');
      {
        const dataDir = await fs.mkdtemp(path.join(work, 'prep-'));
        const engine = await Engine.create({ paths: { appRoot: root, dataDir, cacheDir } });
        const image = await engine.openImage({ path: file });
        await engine.images.whenReady(image.id);
        await engine.dispose();
      }
      const prepMs = performance.now() - prep;
      console.log(`\n-- ${path.basename(file)}: ${size} x ${size} px, ${truth.boxes.length} objects on ${truth.objects.length} object tiles (seed ${truth.seed}, sha256 ${truth.sha256.slice(0, 12)}), generated in ${(genMs / 1000).toFixed(1)} s; pyramid ready in ${(prepMs / 1000).toFixed(1)} s`);

      const score = (r: RunOutput, areaFullRes: number): ModeScore => {
        const dets = [r.detections];
        const { ap, maxRecall } = averagePrecision(dets, gts);
        const { recall, precision } = recallPrecision(dets, gts, r.threshold);
        return { s: +(r.wallMs / 1000).toFixed(2), ap: +ap.toFixed(3), recall: +recall.toFixed(3), precision: +precision.toFixed(3), maxRecall: +maxRecall.toFixed(3), areaFullRes: +areaFullRes.toFixed(4), peakRssMb: Math.round(r.peakRssMb), tiles: (r.stats as { tiles: number }).tiles };
      };
      const withTiled = process.env.BENCH_DETECT_TILED !== '0';
      const cascade = runChild({ file, mode: 'cascade', cacheDir, model, gammas: GAMMAS, gate: false });
      const tiledRun = withTiled ? runChild({ file, mode: 'tiled', cacheDir, model }) : undefined;
      const withBaseline = BASELINE !== 'none' && existsSync(path.join(root, 'models', BASELINE, 'manifest.json'));
      const baseRun = withBaseline ? runChild({ file, mode: 'tiled', cacheDir, model: BASELINE }) : undefined;
      // On a shared machine one run says little about speed: repeat the pair (alternating, so both see
      // the same load drift) and keep each mode's fastest run; the detections are the same every time.
      const runsS = { cascade: [cascade.wallMs / 1000], tiled: tiledRun ? [tiledRun.wallMs / 1000] : [], baseline: baseRun ? [baseRun.wallMs / 1000] : [] };
      for (let r = 1; r < REPEATS; r++) {
        const c2 = runChild({ file, mode: 'cascade', cacheDir, model, gate: false });
        runsS.cascade.push(c2.wallMs / 1000);
        if (c2.wallMs < Math.min(...runsS.cascade.slice(0, -1)) * 1000) cascade.stats = c2.stats; // stage times of the fastest run
        cascade.peakRssMb = Math.max(cascade.peakRssMb, c2.peakRssMb);
        if (tiledRun) {
          const t2 = runChild({ file, mode: 'tiled', cacheDir, model });
          runsS.tiled.push(t2.wallMs / 1000);
          tiledRun.peakRssMb = Math.max(tiledRun.peakRssMb, t2.peakRssMb);
        }
        if (baseRun) {
          const b2 = runChild({ file, mode: 'tiled', cacheDir, model: BASELINE });
          runsS.baseline.push(b2.wallMs / 1000);
          baseRun.peakRssMb = Math.max(baseRun.peakRssMb, b2.peakRssMb);
        }
      }
      // The gate ablation: the cascade with the gate on and off, alternating, fastest of REPEATS each
      // (the gate-off cascade above is the first "off" run).
      const gateRuns = new Map<boolean, RunOutput[]>();
      if (GATES.length) {
        for (let r = 0; r < REPEATS; r++) {
          for (const g of GATES) {
            const run = !g && r === 0 ? cascade : runChild({ file, mode: 'cascade', cacheDir, model, gate: g });
            gateRuns.set(g, [...(gateRuns.get(g) ?? []), run]);
          }
        }
      }
      cascade.wallMs = Math.min(...runsS.cascade) * 1000;
      if (tiledRun) tiledRun.wallMs = Math.min(...runsS.tiled) * 1000;
      if (baseRun) baseRun.wallMs = Math.min(...runsS.baseline) * 1000;
      if (REPEATS > 1) console.log(`runs (s): cascade ${runsS.cascade.map((v) => v.toFixed(1)).join(', ')}; tiled ${runsS.tiled.map((v) => v.toFixed(1)).join(', ')}; baseline ${runsS.baseline.map((v) => v.toFixed(1)).join(', ')}; the fastest of each below`);
      const cs = cascade.stats as { tiles: number; cropsPerTile: number; areaFullRes: number; stage1Ms: number; stage2Ms: number; readMs: number; mergeMs: number; candidates: number };
      const c = score(cascade, cs.areaFullRes);
      const cov = coverage(gts[0], [...cascade.crops, ...cascade.kept]);
      const coverageShare = +(cov.hit / Math.max(1, cov.total)).toFixed(3);
      console.log(`cascade (${cascade.model}): ${c.s.toFixed(1)} s (stage 1 ${(cs.stage1Ms / 1000).toFixed(1)} s, stage 2 ${(cs.stage2Ms / 1000).toFixed(1)} s, reads ${(cs.readMs / 1000).toFixed(1)} s, merge ${(cs.mergeMs / 1000).toFixed(1)} s of ${cs.candidates} boxes), `
        + `recall@${cascade.threshold} ${c.recall.toFixed(3)}, AP@0.5 ${c.ap.toFixed(3)}, max recall ${c.maxRecall.toFixed(3)}, `
        + `${cs.tiles} tiles, ${cs.cropsPerTile} crops/tile, ${(cs.areaFullRes * 100).toFixed(2)}% read at full res, stage-1 coverage ${coverageShare.toFixed(3)}, peak RSS ${c.peakRssMb} MB`);
      const entry: Record<string, unknown> = {
        size, objects: truth.boxes.length, objectTiles: truth.objects.length, seed: truth.seed, sha256: truth.sha256, generator: truth.generator,
        generateS: +(genMs / 1000).toFixed(1), pyramidS: +(prepMs / 1000).toFixed(1), model: cascade.model, threshold: cascade.threshold,
        runsS: { cascade: runsS.cascade.map((v) => +v.toFixed(2)), tiled: runsS.tiled.map((v) => +v.toFixed(2)), baseline: runsS.baseline.map((v) => +v.toFixed(2)) },
        cascade: { ...c, stage1S: +(cs.stage1Ms / 1000).toFixed(2), stage2S: +(cs.stage2Ms / 1000).toFixed(2), readS: +(cs.readMs / 1000).toFixed(2), mergeS: +(cs.mergeMs / 1000).toFixed(2), candidates: cs.candidates, cropsPerTile: cs.cropsPerTile, stage1Coverage: coverageShare },
      };
      const row: Record<string, string | number> = {
        scene: size, objects: truth.boxes.length,
        cascade_s: c.s, cascade_recall: c.recall, cascade_ap: c.ap,
        area_full_res: c.areaFullRes, crops_per_tile: cs.cropsPerTile, coverage: coverageShare, cascade_rss_mb: c.peakRssMb,
      };
      if (tiledRun) {
        const tiled = tiledRun;
        const t = score(tiled, 1);
        console.log(`tiled:   ${t.s.toFixed(1)} s (${t.tiles} windows), recall@${tiled.threshold} ${t.recall.toFixed(3)}, AP@0.5 ${t.ap.toFixed(3)}, max recall ${t.maxRecall.toFixed(3)}, peak RSS ${t.peakRssMb} MB`);
        const ratio = +(tiled.wallMs / cascade.wallMs).toFixed(2);
        console.log(`=> cascade is ${ratio.toFixed(1)}x faster, recall ${((c.recall - t.recall) * 100).toFixed(1)} points, AP ${((c.ap - t.ap) * 100).toFixed(1)} points vs tiled; reads ${(cs.areaFullRes * 100).toFixed(1)}% of the image at full resolution`);
        // The two modes score the same objects differently (overlapping windows see an object 2-4 times and keep the best), so
        // one threshold is not one operating point: compare recall at equal precision too.
        const atTiledP = recallAtPrecision([cascade.detections], gts, t.precision);
        const atCascadeP = recallAtPrecision([tiled.detections], gts, c.precision);
        console.log(`   precision@${tiled.threshold}: cascade ${c.precision.toFixed(3)}, tiled ${t.precision.toFixed(3)}; at the tiled precision ${t.precision.toFixed(3)} the cascade recalls ${atTiledP.recall.toFixed(3)} (score >= ${atTiledP.threshold.toFixed(3)}) vs tiled ${t.recall.toFixed(3)} (${((atTiledP.recall - t.recall) * 100).toFixed(1)} points); `
          + `at the cascade precision ${c.precision.toFixed(3)} the tiled detector recalls ${atCascadeP.recall.toFixed(3)} vs cascade ${c.recall.toFixed(3)} (${((c.recall - atCascadeP.recall) * 100).toFixed(1)} points)`);
        Object.assign(entry, { tiled: t, timeRatio: ratio, cascadeRecallAtTiledPrecision: +atTiledP.recall.toFixed(3), tiledRecallAtCascadePrecision: +atCascadeP.recall.toFixed(3) });
        Object.assign(row, { recall_at_tiled_precision: +atTiledP.recall.toFixed(3), tiled_recall_at_cascade_precision: +atCascadeP.recall.toFixed(3) });
        Object.assign(row, { tiled_s: t.s, tiled_recall: t.recall, tiled_ap: t.ap, speedup: ratio, tiled_rss_mb: t.peakRssMb });
      }
      if (baseRun) {
        // The standard detector, SAHI-style: windows of its input size with the manifest's overlap, NMS merge; reads everything.
        const b = score(baseRun, 1);
        const ratio = +(baseRun.wallMs / cascade.wallMs).toFixed(2);
        const atBaseP = recallAtPrecision([cascade.detections], gts, b.precision);
        console.log(`baseline (${baseRun.model}, tiled): ${b.s.toFixed(1)} s (${b.tiles} windows), recall@${baseRun.threshold} ${b.recall.toFixed(3)}, AP@0.5 ${b.ap.toFixed(3)}, max recall ${b.maxRecall.toFixed(3)}, precision ${b.precision.toFixed(3)}, peak RSS ${b.peakRssMb} MB`);
        console.log(`=> cascade is ${ratio.toFixed(1)}x faster than the baseline, recall ${((c.recall - b.recall) * 100).toFixed(1)} points, AP ${((c.ap - b.ap) * 100).toFixed(1)} points; at the baseline's precision ${b.precision.toFixed(3)} the cascade recalls ${atBaseP.recall.toFixed(3)}`);
        Object.assign(entry, { baseline: { ...b, model: baseRun.model, threshold: baseRun.threshold }, baselineTimeRatio: ratio, cascadeRecallAtBaselinePrecision: +atBaseP.recall.toFixed(3) });
        Object.assign(row, { baseline_s: b.s, baseline_recall: b.recall, baseline_ap: b.ap, baseline_speedup: ratio, baseline_rss_mb: b.peakRssMb });
      }
      console.log('AP vs time over γ (stage 1 once + stage 2 from scratch):');
      console.log('  γ   time s  crops/tile  AP@0.5  recall  coverage');
      const gammaRows: Array<Record<string, number>> = [];
      for (const g of cascade.gammas ?? []) {
        const dets = [g.detections];
        const ap = averagePrecision(dets, gts).ap;
        const rec = recallPrecision(dets, gts, cascade.threshold).recall;
        const gc = coverage(gts[0], g.coverRegions);
        gammaRows.push({ gamma: g.gamma, s: +(g.ms / 1000).toFixed(2), cropsPerTile: +(g.crops / cs.tiles).toFixed(2), ap: +ap.toFixed(3), recall: +rec.toFixed(3), coverage: +(gc.hit / Math.max(1, gc.total)).toFixed(3) });
        console.log(`  ${String(g.gamma).padStart(2)}  ${(g.ms / 1000).toFixed(1).padStart(6)}  ${(g.crops / cs.tiles).toFixed(2).padStart(10)}  ${ap.toFixed(3).padStart(6)}  ${rec.toFixed(3).padStart(6)}  ${(gc.hit / Math.max(1, gc.total)).toFixed(3).padStart(8)}`);
      }
      entry.gammas = gammaRows;
      if (gateRuns.size) {
        console.log('tile gate ablation (cascade; each setting the fastest of its runs, alternating):');
        console.log('  gate  time s  tiles run  skipped  AP@0.5  recall  max recall  crops/tile  gate ms');
        const gateRows: Array<Record<string, unknown>> = [];
        for (const [g, runs] of gateRuns) {
          const best = runs.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
          const sc = score(best, (best.stats as { areaFullRes: number }).areaFullRes);
          const skipped = best.gate?.skipped ?? 0;
          const row = { gate: g ? 'on' : 'off', s: sc.s, runsS: runs.map((x) => +(x.wallMs / 1000).toFixed(2)), tiles: sc.tiles, tilesRun: sc.tiles - skipped, skipped, ap: sc.ap, recall: sc.recall, maxRecall: sc.maxRecall, cropsPerTile: (best.stats as { cropsPerTile: number }).cropsPerTile, gateMs: best.gate?.ms ?? 0, areaFullRes: sc.areaFullRes, peakRssMb: sc.peakRssMb };
          gateRows.push(row);
          console.log(`  ${row.gate.padEnd(4)}  ${sc.s.toFixed(1).padStart(6)}  ${String(row.tilesRun).padStart(9)}  ${String(skipped).padStart(7)}  ${sc.ap.toFixed(3)}  ${sc.recall.toFixed(3)}  ${sc.maxRecall.toFixed(3).padStart(10)}  ${String(row.cropsPerTile).padStart(10)}  ${String(row.gateMs).padStart(7)}`);
        }
        // Tile recall of the gate on this scene: tiles holding >= 25% of some box (its training label) that it skipped.
        const { axisPositions } = await import('../../electron/engine/pipelines/detect/patches');
        const tileSide = (cascade.stats as { tileSize: number }).tileSize;
        const xs = axisPositions(size, tileSide, tileSide);
        const objectTiles = xs.flatMap((y, r) => xs.flatMap((x, c) => (truth.boxes.some((b) => {
          const iw = Math.max(0, Math.min(b[2], x + tileSide) - Math.max(b[0], x));
          const ih = Math.max(0, Math.min(b[3], y + tileSide) - Math.max(b[1], y));
          return iw * ih >= 0.25 * (b[2] - b[0]) * (b[3] - b[1]);
        }) ? [r * xs.length + c] : [])));
        for (const row of gateRows) {
          const run = gateRuns.get(row.gate === 'on')![0];
          const skipped = new Set(run.gate?.skippedTiles ?? []);
          row.objectTiles = objectTiles.length;
          row.objectTilesSkipped = objectTiles.filter((i) => skipped.has(i)).length;
        }
        console.log(`  tiles holding an object: ${objectTiles.length}; skipped by the gate: ${gateRows.map((r) => `${r.gate} ${r.objectTilesSkipped}`).join(', ')}`);
        const on = gateRows.find((r) => r.gate === 'on');
        const off = gateRows.find((r) => r.gate === 'off');
        if (on && off) console.log(`=> gate on: ${((off.s as number) / (on.s as number)).toFixed(2)}x the speed of gate off, AP ${(((on.ap as number) - (off.ap as number)) * 100).toFixed(1)} points, recall ${(((on.recall as number) - (off.recall as number)) * 100).toFixed(1)} points, ${on.skipped} of ${on.tiles} tiles skipped`);
        entry.gate = gateRows;
      }
      scenes.push(entry);
      rows.push(row);
      await fs.rm(file, { force: true });
      await fs.rm(cacheDir, { recursive: true, force: true });
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
  console.log('\nsummary:');
  console.table(rows);
  const report = { benchmark: 'detect', date: new Date().toISOString(), command: `npm run bench -- detect ${sizes.join(' ')}`, commit, repeats: REPEATS, env: benchEnv(), machine: { ...machine, loadavgAtEnd: os.loadavg().map((l) => +l.toFixed(1)) }, scenes };
  await writeResults(report);
}

function benchEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_DETECT_') || k === 'DETECT_EXTRA_MODEL') as Array<[string, string]>);
}

/** scripts/bench/results/<date>-detect.json (everything) and .md (the table for the model card). */
async function writeResults(report: { date: string; command: string; commit: string; repeats: number; machine: Record<string, unknown>; scenes: Array<Record<string, unknown>> }): Promise<void> {
  await fs.mkdir(RESULTS, { recursive: true });
  const base = path.join(RESULTS, `${report.date.slice(0, 10)}-${report.date.slice(11, 16).replace(':', '')}-detect`);
  await fs.writeFile(`${base}.json`, `${JSON.stringify(report, null, 1)}\n`);
  const m = report.machine as { platform: string; cpus: number; cpu: string; loadavgAtStart: number[]; loadavgAtEnd: number[] };
  const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
  const lines = [
    `# ${report.command}`,
    '',
    `${report.date}, commit ${report.commit}, ${m.platform}, ${m.cpus} CPUs (${m.cpu}), load average ${m.loadavgAtStart.join(' ')} at the start, ${m.loadavgAtEnd.join(' ')} at the end. `
      + 'Scenes generated by scripts/bench/aerial-scene.ts; each mode in its own process on a pyramid built beforehand; '
      + `times are the fastest of ${report.repeats} run(s) per mode (all runs in the JSON).`,
    '',
    '| scene | objects | cascade s | tiled s | tiled / cascade time | AP@0.5 cascade / tiled | recall cascade / tiled | max recall cascade / tiled | area read at full res cascade / tiled | peak RSS cascade / tiled |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of report.scenes) {
    const c = s.cascade as ModeScore;
    const t = s.tiled as ModeScore | undefined;
    const both = (f: (x: ModeScore) => string) => `${f(c)} / ${t ? f(t) : '–'}`;
    lines.push(`| ${(s.size as number).toLocaleString('en')}² | ${s.objects} | ${c.s.toFixed(1)} | ${t ? t.s.toFixed(1) : '–'} | ${t ? `${(s.timeRatio as number).toFixed(1)}×` : '–'} | ${both((x) => x.ap.toFixed(3))} | `
      + `${both((x) => x.recall.toFixed(3))} (score ≥ ${s.threshold}) | ${both((x) => x.maxRecall.toFixed(3))} | ${both((x) => pct(x.areaFullRes))} | ${both((x) => `${x.peakRssMb} MB`)} |`);
  }
  const based = report.scenes.filter((s) => s.baseline);
  if (based.length) {
    lines.push('', 'Cascade against a standard single-shot detector run tiled (SAHI-style windows, NMS merge):', '',
      '| scene | objects | detector | cascade s | baseline s | baseline / cascade time | AP@0.5 cascade / baseline | recall cascade / baseline | precision cascade / baseline | area read at full res cascade / baseline | peak RSS cascade / baseline |',
      '|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of based) {
      const c = s.cascade as ModeScore;
      const b = s.baseline as ModeScore & { model: string; threshold: number };
      lines.push(`| ${(s.size as number).toLocaleString('en')}² | ${s.objects} | ${b.model} (${b.tiles} windows) | ${c.s.toFixed(1)} | ${b.s.toFixed(1)} | ${(s.baselineTimeRatio as number).toFixed(1)}× | ${c.ap.toFixed(3)} / ${b.ap.toFixed(3)} | `
        + `${c.recall.toFixed(3)} (≥ ${s.threshold}) / ${b.recall.toFixed(3)} (≥ ${b.threshold}) | ${c.precision.toFixed(3)} / ${b.precision.toFixed(3)} | ${pct(c.areaFullRes)} / ${pct(b.areaFullRes)} | ${c.peakRssMb} / ${b.peakRssMb} MB |`);
    }
  }
  const gated = report.scenes.filter((s) => Array.isArray(s.gate));
  if (gated.length) {
    lines.push('', 'Tile gate ablation (cascade):', '', '| scene | gate | time s | off / on time | tiles run of | object tiles skipped | AP@0.5 | recall | max recall | crops/tile | gate ms |', '|---|---|---|---|---|---|---|---|---|---|---|');
    for (const s of gated) {
      const rows = s.gate as Array<Record<string, number | string>>;
      const off = rows.find((r) => r.gate === 'off');
      for (const r of rows) {
        const ratio = off && r.gate === 'on' ? `${((off.s as number) / (r.s as number)).toFixed(2)}×` : '–';
        lines.push(`| ${(s.size as number).toLocaleString('en')}² | ${r.gate} | ${(r.s as number).toFixed(1)} | ${ratio} | ${r.tilesRun} of ${r.tiles} | ${r.objectTilesSkipped} of ${r.objectTiles} | ${(r.ap as number).toFixed(3)} | ${(r.recall as number).toFixed(3)} | ${(r.maxRecall as number).toFixed(3)} | ${r.cropsPerTile} | ${r.gateMs} |`);
      }
    }
  }
  await fs.writeFile(`${base}.md`, `${lines.join('\n')}\n`);
  console.log(`results: ${path.relative(root, base)}.json, .md`);
}

if (process.argv[2] === '--child') {
  await child(JSON.parse(process.argv[3]));
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = process.argv.slice(2).map(Number).filter(Boolean);
  await benchDetect(sizes.length ? sizes : [8192, 20000]);
}
