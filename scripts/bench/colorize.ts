/**
 * Colorization benchmark (`npm run bench -- colorize`); every measurement
 * runs in a fresh engine process, so the peak memory it reports is its own:
 *
 *   1. 8 samples of a 12-Mpx gray photo end to end, for every installed
 *      colorization model: as the app does it (sampling, full-resolution
 *      join, a viewer pyramid per sample, registered as images) and as the
 *      CLI does it (sampling, 8 full-resolution JPEGs with EXIF);
 *   2. the cached sampler against the naive one (the decoder rebuilt from
 *      nothing for every pixel), same model, seed and N = 8, in the same run:
 *      the whole grid for the 16² model; for larger grids the naive sampler
 *      (O(pixels²) graph runs) is timed on the first rows only and compared
 *      with the cached sampler's time for the same pixels;
 *   3. peak memory: the process's maximum RSS and its peak anonymous memory
 *      (RSS minus the file pages libvips maps while encoding).
 *
 * Absolute times are for the record only (machines here are shared and
 * noisy); ratios come from the same run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { Engine } from '../../electron/engine/engine';
import { picSessions, samplePhoto } from '../../electron/engine/pipelines/colorize/colorize';
import { colorizers, picConfig, type PicConfig } from '../../electron/engine/pipelines/colorize/pic-model';
import { embedL, sampleCached, sampleNaive } from '../../electron/engine/pipelines/colorize/pic-sampler';

const root = fileURLToPath(new URL('../..', import.meta.url));
const WIDTH = Number(process.env.BENCH_COLORIZE_WIDTH ?? 4000);
const HEIGHT = Number(process.env.BENCH_COLORIZE_HEIGHT ?? 3000);
const SAMPLES = 8;
const SEED = 1;
const TEMPERATURE = 0.8;
/** Largest grid whose naive sampling is run in full (16² = 32,896 pixel-graph runs at N = 8). */
const NAIVE_FULL_MAX = Number(process.env.BENCH_NAIVE_FULL_MAX ?? 16 * 16);
const NAIVE_PREFIX_ROWS = Number(process.env.BENCH_NAIVE_ROWS ?? 2);

function anonymousMb(): number {
  const kb = /RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return kb ? Number(kb) / 1024 : process.memoryUsage().rss / 2 ** 20;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/** Peak anonymous memory while `work` runs, sampled every 25 ms. */
async function watchMemory<T>(work: () => Promise<T>): Promise<{ value: T; peakAnonMb: number }> {
  let peak = anonymousMb();
  const timer = setInterval(() => (peak = Math.max(peak, anonymousMb())), 25);
  try {
    const value = await work();
    return { value, peakAnonMb: Math.max(peak, anonymousMb()) };
  } finally {
    clearInterval(timer);
  }
}

const memory = (peakAnonMb: number) => `process peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB, peak anonymous ${peakAnonMb.toFixed(0)} MB`;

async function withEngine(photo: string, modelId: string, work: (engine: Engine, imageId: string) => Promise<void>): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-colorize-'));
  const engine = await Engine.create({ paths: { appRoot: root, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
  try {
    const image = await engine.openImage({ path: photo });
    await engine.images.whenReady(image.id);
    // The model's three graphs are loaded before timing (once per engine, not per photo).
    await picSessions(engine.models, picConfig(engine.models.get(modelId)));
    await work(engine, image.id);
  } finally {
    await engine.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** One child process: the app's path (sampling, join, a viewer pyramid per sample, registered). */
async function appRun(photo: string, modelId: string): Promise<void> {
  await withEngine(photo, modelId, async (engine, imageId) => {
    const { value: result, peakAnonMb } = await watchMemory(async () => {
      const t = performance.now();
      const r = await engine.colorization.start({ imageId, samples: SAMPLES, seed: SEED, temperature: TEMPERATURE, modelId }).done;
      return { ...r, wallMs: performance.now() - t };
    });
    const run = result.runs.at(-1)!.timing;
    console.log(`  app: ${SAMPLES} samples, viewer-ready   ${s(result.wallMs)}  (embed ${run.embedMs.toFixed(0)} ms, sampling ${s(run.sampleMs)}, full-res join + ${SAMPLES} pyramids ${s(run.renderMs)}); ${memory(peakAnonMb)}`);
  });
}

/** One child process: the CLI's path (sampling, 8 full-resolution JPEGs with the photo's EXIF). */
async function cliRun(photo: string, modelId: string): Promise<void> {
  await withEngine(photo, modelId, async (engine, imageId) => {
    const reader = await engine.images.whenReady(imageId);
    const out = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-out-'));
    try {
      const { value, peakAnonMb } = await watchMemory(async () => {
        const t = performance.now();
        const cfg = picConfig(engine.models.get(modelId));
        const sampled = await samplePhoto(reader, await picSessions(engine.models, cfg), cfg, { samples: SAMPLES, seed: SEED, temperature: TEMPERATURE });
        const sampledMs = performance.now() - t;
        await engine.colorization.writeSamples(reader, sampled, sampled.grids.map((_, k) => path.join(out, `sample-${k + 1}.jpg`)), 'jpeg', photo);
        return { sampled, sampledMs, totalMs: performance.now() - t };
      });
      const bytes = (await Promise.all((await fs.readdir(out)).map((f) => fs.stat(path.join(out, f))))).reduce((sum, st) => sum + st.size, 0);
      console.log(`  CLI: ${SAMPLES} full-resolution JPEGs   ${s(value.totalMs)}  (embed ${value.sampled.timing.embedMs.toFixed(0)} ms, sampling ${s(value.sampled.timing.sampleMs)}, join + encode ${s(value.totalMs - value.sampledMs)}; ${(bytes / 2 ** 20).toFixed(0)} MB written); ${memory(peakAnonMb)}`);
    } finally {
      await fs.rm(out, { recursive: true, force: true });
    }
  });
}

/** One child process: sampling only, cached vs naive, same model, seed and N. */
async function samplersRun(modelId: string): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-colorize-'));
  const engine = await Engine.create({ paths: { appRoot: root, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
  try {
    const cfg = picConfig(engine.models.get(modelId));
    await compareSamplers(engine, cfg);
  } finally {
    await engine.dispose();
    await fs.rm(dir, { recursive: true, force: true });
  }
}

function child(...args: string[]): void {
  const { status } = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: 'inherit' });
  if (status !== 0) throw new Error(`bench child ${args.join(' ')} exited with ${status}`);
}

async function main(): Promise<void> {
  const cache = path.join(root, '.cache', 'bench');
  await fs.mkdir(cache, { recursive: true });
  const photo = path.join(cache, `gray-${WIDTH}x${HEIGHT}.jpg`);
  // A real photo scaled to 12 Mpx, as one gray band (what an old scan looks like), with EXIF.
  if (!existsSync(photo)) {
    await sharp(path.join(root, 'assets', 'samples', 'nagasaki-boats.jpg')).resize(WIDTH, HEIGHT, { fit: 'fill' }).toColourspace('b-w')
      .withExif({ IFD0: { Copyright: 'bench' } }).jpeg({ quality: 90 }).toFile(photo);
  }
  const lister = await Engine.create({ paths: { appRoot: root, dataDir: await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-')), cacheDir: await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-')) } });
  const models = colorizers(lister.models).flatMap((c) => ('config' in c ? [c.config] : []));
  await lister.dispose();
  console.log(`\n== colorize on ${process.platform}/${process.arch}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}, load ${os.loadavg()[0].toFixed(1)}), onnxruntime-node CPU`);
  console.log(`photo: ${WIDTH} × ${HEIGHT} px (${((WIDTH * HEIGHT) / 1e6).toFixed(1)} Mpx) gray JPEG; ${SAMPLES} samples, seed ${SEED}, temperature ${TEMPERATURE}; each line below is a fresh process (its own peak memory)`);
  for (const cfg of models) {
    console.log(`\n-- ${cfg.modelId}: input ${cfg.inputSize}², grid ${cfg.grid}², decoder C=${cfg.channels} l=${cfg.blocks} K=${cfg.mixtures}${cfg === models[0] ? ' (the default: largest input)' : ''}`);
    child('app', photo, cfg.modelId);
    child('cli', photo, cfg.modelId);
  }
  console.log('\n-- sampling only: cached row/pixel graphs vs naive (decoder rebuilt from nothing for every pixel), N = 8, same seed, same process');
  for (const cfg of [...models].reverse()) child('samplers', cfg.modelId);
}

async function compareSamplers(engine: Engine, cfg: PicConfig): Promise<void> {
  const sessions = await picSessions(engine.models, cfg);
  const S = cfg.inputSize;
  const L = new Float32Array(S * S).map((_, i) => (Math.floor(i / S) < S * 0.4 ? 85 : 35 + 15 * Math.sin(i * 0.7)));
  const embedded = await embedL(sessions, cfg, L);
  const pixels = cfg.grid * cfg.grid;
  const full = pixels <= NAIVE_FULL_MAX;
  const prefix = full ? pixels : NAIVE_PREFIX_ROWS * cfg.grid;
  let cachedPrefixMs = 0;
  const started = performance.now();
  const cached = await sampleCached(sessions, cfg, embedded, {
    samples: SAMPLES, seed: SEED, temperature: TEMPERATURE,
    // Time to the end of the prefix rows, for the comparison on a prefix.
    onRow: (done) => {
      if (done * cfg.grid === prefix) cachedPrefixMs = performance.now() - started;
    },
  });
  const naive = await sampleNaive(sessions, cfg, embedded, { samples: SAMPLES, seed: SEED, temperature: TEMPERATURE, maxPixels: prefix });
  let worst = 0;
  for (let n = 0; n < SAMPLES; n++) {
    for (let ch = 0; ch < 2; ch++) {
      for (let p = 0; p < prefix; p++) worst = Math.max(worst, Math.abs(cached.abNormalised[(n * 2 + ch) * pixels + p] - naive.abNormalised[(n * 2 + ch) * pixels + p]));
    }
  }
  if (full) {
    console.log(`  ${cfg.modelId} (${cfg.grid}² grid): cached ${s(cached.ms)} (${cached.rowRuns} row + ${cached.pixelRuns} pixel runs) vs naive ${s(naive.ms)} (${naive.rowRuns} + ${naive.pixelRuns} runs): cached is ${(naive.ms / cached.ms).toFixed(0)}× faster; max |Δab| ${worst.toExponential(1)}`);
  } else {
    console.log(`  ${cfg.modelId} (${cfg.grid}² grid): cached, whole grid ${s(cached.ms)}; first ${NAIVE_PREFIX_ROWS} rows (${prefix} px): cached ${s(cachedPrefixMs)} vs naive ${s(naive.ms)} (${naive.pixelRuns} pixel runs): ${(naive.ms / cachedPrefixMs).toFixed(0)}× on that prefix (the naive cost per pixel keeps growing with its index: a full grid would need ${((pixels * (pixels + 1)) / 2).toLocaleString()} pixel runs); max |Δab| ${worst.toExponential(1)}`);
  }
}

const [mode, ...args] = process.argv.slice(2);
if (mode === 'app') await appRun(args[0], args[1]);
else if (mode === 'cli') await cliRun(args[0], args[1]);
else if (mode === 'samplers') await samplersRun(args[0]);
else await main();
