/**
 * Huge-image benchmark. Makes (once, cached in .cache/bench/) a 20,000 ×
 * 20,000 baseline JPEG, then in a fresh engine process: builds the pyramid,
 * reads 50 random 1024² regions from it, reads 8 of the same regions straight
 * from the JPEG (the baseline), reopens the image from the cache and times
 * the first viewer tile.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const root = fileURLToPath(new URL('../..', import.meta.url));
const SIZE = Number(process.env.BENCH_SIZE ?? 20_000);
const REGIONS = 50;
const DIRECT = 8;

async function makeSource(file: string): Promise<void> {
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  console.log(`making a ${SIZE} × ${SIZE} JPEG (once)…`);
  const { writeMosaicTiff } = await import('../../test/helpers/fixtures');
  const tiff = `${file}.tmp.tif`;
  await writeMosaicTiff(tiff, SIZE, SIZE, { compression: 'deflate' });
  await sharp(tiff, { limitInputPixels: false }).jpeg({ quality: 88 }).toFile(file);
  await fs.rm(tiff);
}

async function engineRun(file: string): Promise<void> {
  const { Engine } = await import('../../electron/engine/engine');
  const { readRegionDirect } = await import('../../test/helpers/fixtures');
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-bench-'));
  const paths = { appRoot: root, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') };
  let engine = await Engine.create({ paths });
  const t0 = performance.now();
  const image = await engine.openImage({ path: file });
  const reader = await engine.images.whenReady(image.id);
  const buildMs = performance.now() - t0;
  const record = JSON.parse(await fs.readFile((await fs.readdir(path.join(paths.cacheDir, 'pyramids'))).filter((f) => f.endsWith('.json')).map((f) => path.join(paths.cacheDir, 'pyramids', f))[0], 'utf8'));
  const pyramidBytes = (await fs.stat(reader.tiffPath)).size;

  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const regions = Array.from({ length: REGIONS }, () => ({ x: Math.floor(random() * (SIZE - 1024)), y: Math.floor(random() * (SIZE - 1024)), width: 1024, height: 1024 }));
  const pyramidTimes: number[] = [];
  for (const region of regions) {
    const t = performance.now();
    await reader.readRegion(region);
    pyramidTimes.push(performance.now() - t);
  }
  // The engine's work ends here; the baseline below is not engine work.
  const engineMaxRssBytes = process.resourceUsage().maxRSS * 1024;
  const directTimes: number[] = [];
  for (const region of regions.slice(0, DIRECT)) {
    const t = performance.now();
    await readRegionDirect(file, region);
    directTimes.push(performance.now() - t);
  }
  await engine.dispose();

  // A new engine finds the pyramid in the cache: time to the first tile.
  engine = await Engine.create({ paths });
  const t1 = performance.now();
  const again = await engine.openImage({ path: file });
  await engine.images.whenReady(again.id);
  await engine.readTile({ imageId: again.id, level: Math.max(0, again.pyramid.levels.length - 3), x: 1, y: 1 });
  const firstTileMs = performance.now() - t1;
  await engine.dispose();
  await fs.rm(dir, { recursive: true, force: true });

  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(JSON.stringify({
    size: SIZE,
    sourceBytes: (await fs.stat(file)).size,
    buildMs,
    pyramidBytes,
    levels: image.pyramid.levels.length || record.levels.length,
    regionMsPyramid: mean(pyramidTimes),
    regionMsDirect: mean(directTimes),
    firstTileMs,
    engineMaxRssBytes,
    processMaxRssBytes: process.resourceUsage().maxRSS * 1024,
    builderMaxRssBytes: record.builderPeakRssBytes,
  }));
}

if (process.argv[2] === '--engine') {
  await engineRun(process.argv[3]);
} else {
  const source = path.join(root, '.cache', 'bench', `mosaic-${SIZE}.jpg`);
  await makeSource(source);
  console.log(`\n== pyramid benchmark: ${SIZE} × ${SIZE} JPEG (${((await fs.stat(source)).size / 1e6).toFixed(0)} MB), ${os.cpus().length} CPUs`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--engine', source], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
  if (run.status !== 0) {
    console.error(run.stdout);
    process.exit(1);
  }
  const r = JSON.parse(run.stdout.trim().split('\n').pop()!);
  const mb = (b: number) => `${(b / 1024 ** 2).toFixed(0)} MB`;
  const rows: Array<[string, string]> = [
    ['pyramid build (open → ready)', `${(r.buildMs / 1000).toFixed(1)} s, ${r.levels} levels, ${mb(r.pyramidBytes)} on disk`],
    [`region read 1024², from the pyramid (mean of ${REGIONS})`, `${r.regionMsPyramid.toFixed(1)} ms`],
    [`region read 1024², straight from the JPEG (mean of ${DIRECT})`, `${r.regionMsDirect.toFixed(0)} ms`],
    ['  ratio: direct / pyramid', `${(r.regionMsDirect / r.regionMsPyramid).toFixed(0)}× faster from the pyramid`],
    ['first viewer tile after reopening (cached pyramid)', `${r.firstTileMs.toFixed(0)} ms`],
    ['peak RSS, engine process', `${mb(r.engineMaxRssBytes)} (target < 1024 MB: ${r.engineMaxRssBytes < 1024 ** 3 ? 'met' : 'MISSED'})`],
    ['peak RSS, pyramid builder process', mb(r.builderMaxRssBytes)],
    ['peak RSS, same process after the baseline JPEG reads', mb(r.processMaxRssBytes)],
  ];
  for (const [name, value] of rows) console.log(`${name.padEnd(58)} ${value}`);
}
