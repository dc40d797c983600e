/**
 * Large aerial benchmark scenes, generated here in seconds from the committed
 * CI tiles (test/fixtures/aerial), so `npm run bench -- detect` and its test
 * reproduce on a fresh clone with no cache and no data package.
 *
 * A scene is a square of natural ground (the fixture's empty tiles, each
 * 1024 px cell one of their 8 rotations/mirrors) with a few object tiles
 * placed sparsely at seeded positions that are *not* aligned to the
 * detector's 1024 px tiling (objects get cut by stage-1 tile borders, as in
 * real imagery), each rotated/mirrored too; their boxes are mapped the same
 * way. Written as a tiled (512 px) JPEG TIFF, with the ground truth beside it.
 *
 * Deterministic: the same size, seed and object count give the same boxes
 * and the same bytes (same sharp/libvips build). Memory stays bounded: the
 * scene is assembled in row strips of raw RGB written to temporary TIFFs and
 * joined by libvips while encoding.
 */
import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { seededRandom } from '../seeded-random';

export const AERIAL_TILES = fileURLToPath(new URL('../../test/fixtures/aerial', import.meta.url));
const T = 1024;
/** Bumped whenever the layout rule changes (a scene's bytes then change too). */
export const SCENE_GENERATOR = 'scripts/bench/aerial-scene.ts v1';

export type Box = [number, number, number, number];

/** How a 1024 px tile is turned: rotate clockwise by `rotate` degrees, then mirror left-right if `flop`. */
export interface Turn { rotate: 0 | 90 | 180 | 270; flop: boolean }

export interface Placement extends Turn { file: string; x: number; y: number }

export interface SceneTruth {
  generator: string;
  size: number;
  seed: number;
  /** xyxy pixels in the scene. */
  boxes: Box[];
  classes: number[];
  classNames: string[];
  /** Object tiles, in placement order. */
  objects: Placement[];
  /** Range of the source tiles' ground sample distance (they were rendered at 10-16 cm/px). */
  gsdRangeM: [number, number];
  /** sha256 of the TIFF written. */
  sha256: string;
}

interface FixtureTile { file: string; width: number; height: number; gsd_m: number; boxes: Box[]; classes: number[] }

function fixtureTiles(): { tiles: FixtureTile[]; classNames: string[] } {
  const doc = JSON.parse(readFileSync(path.join(AERIAL_TILES, 'boxes.json'), 'utf8')) as { tiles: FixtureTile[]; class_names: string[] };
  const tiles = doc.tiles.filter((t) => t.width === T && t.height === T);
  return { tiles, classNames: doc.class_names };
}


const TURNS: Turn[] = [0, 90, 180, 270].flatMap((rotate) => [false, true].map((flop) => ({ rotate: rotate as Turn['rotate'], flop })));

/** A box of an S×S tile after the tile is turned (sharp's clockwise rotate, then flop). */
export function turnBox(b: Box, turn: Turn, S = T): Box {
  let [x1, y1, x2, y2] = b;
  for (let k = 0; k < turn.rotate / 90; k++) [x1, y1, x2, y2] = [S - y2, x1, S - y1, x2];
  if (turn.flop) [x1, x2] = [S - x2, S - x1];
  return [x1, y1, x2, y2];
}

/** The tile's pixels turned, raw RGB (alpha removed: JPEG tiles have none, but never trust that). */
export async function turnedPixels(file: string, turn: Turn): Promise<Buffer> {
  // Two pipelines, so the order (rotate, then flop) is explicit, not sharp's internal one.
  const rotated = await sharp(path.join(AERIAL_TILES, file)).rotate(turn.rotate).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (!turn.flop) return rotated.data;
  return sharp(rotated.data, { raw: { width: rotated.info.width, height: rotated.info.height, channels: 3 } }).flop().raw().toBuffer();
}

export interface SceneOptions {
  size: number;
  seed?: number;
  /** Object tiles to place (default: 5% of the 1024 px cells, at least 1). */
  objectTiles?: number;
  /** Folder for the strips (default: next to the file). */
  tmpDir?: string;
}

/** Plans a scene: ground turns per cell and non-overlapping object placements, all from the seed. */
export function planScene(opts: SceneOptions): { ground: Array<{ file: string } & Turn>; objects: Placement[]; cols: number } {
  const { size } = opts;
  if (!Number.isInteger(size) || size < T) throw new Error(`scene size must be an integer >= ${T}, got ${size}`);
  const seed = opts.seed ?? 1;
  const random = seededRandom(seed);
  const { tiles } = fixtureTiles();
  const empty = tiles.filter((t) => t.boxes.length === 0);
  const full = tiles.filter((t) => t.boxes.length > 0);
  const cols = Math.ceil(size / T);
  const ground = Array.from({ length: cols * cols }, () => ({ file: empty[Math.floor(random() * empty.length)].file, ...TURNS[Math.floor(random() * TURNS.length)] }));
  const want = opts.objectTiles ?? Math.max(1, Math.round((size / T) ** 2 * 0.05));
  // Every object tile once (in a seeded order) before any repeats.
  const order: FixtureTile[] = [];
  while (order.length < want) {
    const round = [...full];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [round[i], round[j]] = [round[j], round[i]];
    }
    order.push(...round);
  }
  const objects: Placement[] = [];
  const gap = 64; // object tiles never touch, so every box lies on one tile's pixels
  for (const t of order.slice(0, want)) {
    for (let attempt = 0; attempt < 1000; attempt++) {
      const x = Math.floor(random() * (size - T + 1));
      const y = Math.floor(random() * (size - T + 1));
      if (objects.some((o) => Math.abs(o.x - x) < T + gap && Math.abs(o.y - y) < T + gap)) continue;
      objects.push({ file: t.file, x, y, ...TURNS[Math.floor(random() * TURNS.length)] });
      break;
    }
  }
  if (objects.length < want) throw new Error(`cannot place ${want} object tiles in a ${size} px scene without overlap`);
  return { ground, objects, cols };
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Writes the scene to `file` (tiled JPEG TIFF) and its ground truth to `file + '.json'`; returns the truth. */
export async function writeAerialScene(file: string, opts: SceneOptions): Promise<SceneTruth> {
  const { size } = opts;
  const seed = opts.seed ?? 1;
  const { ground, objects, cols } = planScene(opts);
  const { tiles, classNames } = fixtureTiles();
  const byFile = new Map(tiles.map((t) => [t.file, t]));
  const pixels = new Map<string, Promise<Buffer>>();
  const tilePixels = (f: string, turn: Turn) => {
    const key = `${f}:${turn.rotate}:${turn.flop}`;
    if (!pixels.has(key)) pixels.set(key, turnedPixels(f, turn));
    return pixels.get(key)!;
  };

  const tmp = await fs.mkdtemp(path.join(opts.tmpDir ?? path.dirname(file), '.scene-strips-'));
  try {
    const strips: string[] = [];
    for (let r = 0; r < cols; r++) {
      const top = r * T;
      const h = Math.min(T, size - top);
      const strip = Buffer.alloc(size * h * 3);
      // Copies rows [y0, y1) of a turned tile whose top-left is at (x, y) in the scene into the strip.
      const blit = (src: Buffer, x: number, y: number) => {
        const y0 = Math.max(top, y);
        const y1 = Math.min(top + h, y + T);
        const x0 = Math.max(0, x);
        const x1 = Math.min(size, x + T);
        if (y0 >= y1 || x0 >= x1) return;
        for (let yy = y0; yy < y1; yy++) src.copy(strip, ((yy - top) * size + x0) * 3, ((yy - y) * T + (x0 - x)) * 3, ((yy - y) * T + (x1 - x)) * 3);
      };
      for (let c = 0; c < cols; c++) {
        const g = ground[r * cols + c];
        blit(await tilePixels(g.file, g), c * T, top);
      }
      for (const o of objects) blit(await tilePixels(o.file, o), o.x, o.y);
      const out = path.join(tmp, `strip-${String(r).padStart(3, '0')}.tif`);
      await sharp(strip, { raw: { width: size, height: h, channels: 3 }, limitInputPixels: false }).tiff({ compression: 'none' }).toFile(out);
      strips.push(out);
      // Ground turns are few (2 tiles x 8); object tiles are dropped once no later strip needs them.
      for (const o of objects) if (o.y + T <= top + h) pixels.delete(`${o.file}:${o.rotate}:${o.flop}`);
    }
    // libvips pads every joined cell to the tallest strip: cut the scene back to its size.
    const joined = strips.length === 1
      ? sharp(strips[0], { limitInputPixels: false })
      : sharp(strips, { join: { across: 1 }, limitInputPixels: false }).extract({ left: 0, top: 0, width: size, height: size });
    const partial = `${file}.partial`;
    await joined
      .tiff({ tile: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 90, bigtiff: size * size * 3 > 3.5e9 })
      .toFile(partial);
    await fs.rename(partial, file);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }

  const boxes: Box[] = [];
  const classes: number[] = [];
  for (const o of objects) {
    const t = byFile.get(o.file)!;
    t.boxes.forEach((b, i) => {
      const [x1, y1, x2, y2] = turnBox(b, o);
      boxes.push([x1 + o.x, y1 + o.y, x2 + o.x, y2 + o.y]);
      classes.push(t.classes[i]);
    });
  }
  const gsds = tiles.map((t) => t.gsd_m);
  const truth: SceneTruth = {
    generator: SCENE_GENERATOR,
    size,
    seed,
    boxes,
    classes,
    classNames,
    objects,
    gsdRangeM: [Math.min(...gsds), Math.max(...gsds)],
    sha256: await sha256File(file),
  };
  await fs.writeFile(`${file}.json`, JSON.stringify(truth));
  return truth;
}
