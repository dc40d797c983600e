/**
 * The hostile-input corpus, generated (no binaries are committed): damaged,
 * truncated, implausible, mislabelled and odd files, each with what Iriscope
 * must do with it. Run it alone to look at the files:
 *
 *   npx tsx test/hostile/hostile-inputs.ts /tmp/hostile
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeArrayBuffer } from 'geotiff';
import sharp, { type Sharp, type TiffOptions } from 'sharp';
import type { ErrorCode } from '../../electron/common/errors';
import { SAMPLE_PHOTO, writeLyingTiffHeader } from '../helpers/fixtures';

export interface HostileCase {
  name: string;
  /** What opening it must give: 'ok', or the typed error. */
  expect: 'ok' | ErrorCode;
  /** For 'ok' cases: what else must hold of the opened image. */
  check?: { width?: number; height?: number; geoProblem?: boolean; mapped?: boolean };
  /** Also run through colorize, faces and detect (small, quick files). */
  tasks?: boolean;
  make(file: string): Promise<void>;
}

const W = 320;
const H = 256;
let photoCache: Buffer | null = null;
/** A real photo, small: the base of most cases. */
async function photo(): Promise<Buffer> {
  photoCache ??= await sharp(SAMPLE_PHOTO).resize(W, H, { fit: 'fill' }).png().toBuffer();
  return photoCache;
}
const encoded = async (f: (s: Sharp) => Sharp) => f(sharp(await photo())).toBuffer();
const cut = (bytes: Buffer, fraction: number) => bytes.subarray(0, Math.floor(bytes.length * fraction));
const write = (file: string, bytes: Uint8Array | string) => fs.writeFile(file, bytes);

/** An uncompressed strip TIFF (directory first, as GDAL writes them) with any bands and sample type. */
function rasterTiff(width: number, height: number, bands: number, type: 'u8' | 'u16' | 'f32', options: { range?: number; geo?: { scale: [number, number]; origin: [number, number] } } = {}): Buffer {
  const Type = type === 'u8' ? Uint8Array : type === 'u16' ? Uint16Array : Float32Array;
  const range = options.range ?? (type === 'u8' ? 255 : type === 'u16' ? 4095 : 1);
  const values = new Type(width * height * bands);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let b = 0; b < bands; b++) values[(y * width + x) * bands + b] = (range * (((x + y * (b + 1)) % 97) / 96 + b * 0.01)) / 1.05;
    }
  }
  const bits = type === 'u8' ? 8 : type === 'u16' ? 16 : 32;
  const tags: Record<string, unknown> = {
    width, height, SamplesPerPixel: bands, BitsPerSample: Array(bands).fill(bits), SampleFormat: Array(bands).fill(type === 'f32' ? 3 : 1),
    PhotometricInterpretation: bands >= 3 ? 2 : 1, PlanarConfiguration: 1,
  };
  if (options.geo) {
    Object.assign(tags, { ModelPixelScale: [...options.geo.scale, 0], ModelTiepoint: [0, 0, 0, ...options.geo.origin, 0], GTModelTypeGeoKey: 1, GTRasterTypeGeoKey: 1, ProjectedCSTypeGeoKey: 32633 });
  }
  return Buffer.from(writeArrayBuffer(values as unknown as number[], tags as never));
}

const geoTiff = (scale: [number, number]) => rasterTiff(W, H, 3, 'u8', { geo: { scale, origin: [500_000, 4_000_000] } });

export const CASES: HostileCase[] = [
  // JPEG
  { name: 'jpeg-valid.jpg', expect: 'ok', tasks: true, check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.jpeg())) },
  { name: 'jpeg-truncated-60pct.jpg', expect: 'CORRUPT_IMAGE', tasks: true, make: async (f) => write(f, cut(await encoded((s) => s.jpeg()), 0.6)) },
  { name: 'jpeg-header-only.jpg', expect: 'CORRUPT_IMAGE', make: async (f) => write(f, (await encoded((s) => s.jpeg())).subarray(0, 400)) },
  {
    name: 'jpeg-garbage-in-scan.jpg', expect: 'CORRUPT_IMAGE', tasks: true, make: async (f) => {
      const b = Buffer.from(await encoded((s) => s.jpeg({ quality: 85 })));
      for (let i = Math.floor(b.length * 0.4); i < Math.floor(b.length * 0.7); i++) b[i] = (i * 7919) & 0xff;
      await write(f, b);
    },
  },
  {
    name: 'jpeg-claims-60000px.jpg', expect: 'CORRUPT_IMAGE', make: async (f) => {
      const b = Buffer.from(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#557744' } }).jpeg().toBuffer());
      const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
      b.writeUInt16BE(60_000, sof + 5);
      b.writeUInt16BE(60_000, sof + 7);
      await write(f, b);
    },
  },
  { name: 'jpeg-progressive-truncated.jpg', expect: 'CORRUPT_IMAGE', make: async (f) => write(f, cut(await encoded((s) => s.jpeg({ progressive: true })), 0.5)) },
  { name: 'jpeg-cmyk.jpg', expect: 'ok', tasks: true, check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.toColourspace('cmyk').jpeg())) },
  { name: 'jpeg-gray.jpg', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.toColourspace('b-w').jpeg())) },
  { name: 'jpeg-exif-rotated.jpg', expect: 'ok', check: { width: H, height: W }, make: async (f) => write(f, await encoded((s) => s.withMetadata({ orientation: 6 }).jpeg())) },
  { name: 'jpeg-named-as.png', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.jpeg())) },
  { name: 'ünïcödé ñåmé 写真.jpg', expect: 'ok', tasks: true, check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.jpeg())) },
  { name: 'with spaces & (parens) #1.jpg', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.jpeg())) },
  // PNG
  { name: 'png-valid.png', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.png())) },
  { name: 'png-truncated.png', expect: 'CORRUPT_IMAGE', tasks: true, make: async (f) => write(f, cut(await encoded((s) => s.png()), 0.5)) },
  {
    name: 'png-bad-crc.png', expect: 'CORRUPT_IMAGE', make: async (f) => {
      const b = Buffer.from(await encoded((s) => s.png()));
      b[b.indexOf('IDAT') + 100] ^= 0xff;
      await write(f, b);
    },
  },
  {
    name: 'png-claims-50000px.png', expect: 'CORRUPT_IMAGE', make: async (f) => {
      const b = Buffer.from(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#557744' } }).png().toBuffer());
      b.writeUInt32BE(50_000, 16);
      b.writeUInt32BE(50_000, 20);
      await write(f, b);
    },
  },
  { name: 'png-16bit-gray.png', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.toColourspace('grey16').png())) },
  { name: 'png-palette.png', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.png({ palette: true }))) },
  { name: 'png-rgba.png', expect: 'ok', tasks: true, check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.ensureAlpha(0.5).png())) },
  { name: 'png-1x1.png', expect: 'ok', check: { width: 1, height: 1 }, make: async (f) => write(f, await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } }).png().toBuffer()) },
  // WebP, GIF
  { name: 'webp-valid.webp', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.webp())) },
  { name: 'webp-truncated.webp', expect: 'CORRUPT_IMAGE', make: async (f) => write(f, cut(await encoded((s) => s.webp()), 0.5)) },
  { name: 'gif-valid.gif', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.gif())) },
  { name: 'gif-truncated.gif', expect: 'CORRUPT_IMAGE', make: async (f) => write(f, cut(await encoded((s) => s.gif()), 0.5)) },
  // TIFF, BigTIFF, GeoTIFF
  { name: 'tiff-strip-cut-50pct.tif', expect: 'CORRUPT_IMAGE', tasks: true, make: async (f) => write(f, cut(rasterTiff(1200, 900, 3, 'u8', { geo: { scale: [0.1, 0.1], origin: [500_000, 4_000_000] } }), 0.5)) },
  { name: 'tiff-tiled-cut.tif', expect: 'CORRUPT_IMAGE', make: async (f) => write(f, cut(await encoded((s) => s.tiff({ tile: true, tileWidth: 64, tileHeight: 64 })), 0.5)) },
  { name: 'tiff-directory-cut.tif', expect: 'CORRUPT_IMAGE', make: async (f) => { const b = await encoded((s) => s.tiff({ tile: true, compression: 'jpeg' })); await write(f, b.subarray(0, b.length - 60)); } },
  { name: 'tiff-header-claims-40000px.tif', expect: 'CORRUPT_IMAGE', make: (f) => writeLyingTiffHeader(f, 40_000, 40_000) },
  { name: 'bigtiff-valid.tif', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.tiff({ bigtiff: true, compression: 'deflate' } as TiffOptions))) },
  { name: 'bigtiff-truncated.tif', expect: 'CORRUPT_IMAGE', make: async (f) => write(f, cut(await encoded((s) => s.tiff({ bigtiff: true, tile: true, compression: 'none' } as TiffOptions)), 0.5)) },
  { name: 'tiff-5band-u8.tif', expect: 'ok', tasks: true, check: { width: W, height: H, mapped: true }, make: async (f) => write(f, rasterTiff(W, H, 5, 'u8')) },
  { name: 'tiff-4band-rgb-nir.tif', expect: 'ok', check: { width: W, height: H, mapped: true }, make: async (f) => write(f, rasterTiff(W, H, 4, 'u8')) },
  { name: 'tiff-2band-u8.tif', expect: 'ok', check: { width: W, height: H, mapped: true }, make: async (f) => write(f, rasterTiff(W, H, 2, 'u8')) },
  { name: 'tiff-1band-12bit-in-u16.tif', expect: 'ok', tasks: true, check: { width: W, height: H, mapped: true }, make: async (f) => write(f, rasterTiff(W, H, 1, 'u16')) },
  { name: 'tiff-3band-u16.tif', expect: 'ok', check: { width: W, height: H, mapped: true }, make: async (f) => write(f, rasterTiff(W, H, 3, 'u16', { range: 60_000 })) },
  { name: 'tiff-1band-float.tif', expect: 'ok', check: { width: W, height: H, mapped: true }, make: async (f) => write(f, rasterTiff(W, H, 1, 'f32', { range: 350 })) },
  { name: 'tiff-3band-float.tif', expect: 'ok', check: { width: W, height: H, mapped: true }, make: async (f) => write(f, rasterTiff(W, H, 3, 'f32')) },
  { name: 'tiff-cmyk.tif', expect: 'ok', check: { width: W, height: H }, make: async (f) => write(f, await encoded((s) => s.toColourspace('cmyk').tiff())) },
  {
    name: 'tiff-multipage.tif', expect: 'ok', check: { width: W, height: H }, make: async (f) => {
      const page = await encoded((s) => s.tiff());
      await sharp([page, page], { join: { animated: true } } as never).tiff().toFile(f).catch(() => write(f, page));
    },
  },
  { name: 'geotiff-valid.tif', expect: 'ok', tasks: true, check: { width: W, height: H, geoProblem: false }, make: async (f) => write(f, geoTiff([0.1, 0.1])) },
  { name: 'geotiff-nan-scale.tif', expect: 'ok', tasks: true, check: { width: W, height: H, geoProblem: true }, make: async (f) => write(f, geoTiff([Number.NaN, Number.NaN])) },
  { name: 'geotiff-zero-scale.tif', expect: 'ok', check: { width: W, height: H, geoProblem: true }, make: async (f) => write(f, geoTiff([0, 0])) },
  { name: 'geotiff-infinite-scale.tif', expect: 'ok', check: { width: W, height: H, geoProblem: true }, make: async (f) => write(f, geoTiff([Number.POSITIVE_INFINITY, 0.1])) },
  // Not images at all
  { name: 'zero-bytes.jpg', expect: 'CORRUPT_IMAGE', tasks: true, make: (f) => write(f, '') },
  { name: 'text-named-as.png', expect: 'UNSUPPORTED_FORMAT', tasks: true, make: (f) => write(f, 'Meeting notes, not a picture.\nSaved with the wrong extension.\n') },
  { name: 'pdf-named-as.png', expect: 'UNSUPPORTED_FORMAT', make: (f) => write(f, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n') },
  { name: 'zip-named-as.tif', expect: 'UNSUPPORTED_FORMAT', make: (f) => write(f, Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200, 1)])) },
  { name: 'html-named-as.webp', expect: 'UNSUPPORTED_FORMAT', make: (f) => write(f, '<!doctype html><html><body><img src="x.webp"></body></html>\n') },
  { name: 'random-bytes.jpg', expect: 'UNSUPPORTED_FORMAT', make: (f) => write(f, Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) & 0xff))) },
  { name: 'a-folder-named.jpg', expect: 'NOT_A_FILE', make: (f) => fs.mkdir(f) },
  { name: 'dangling-link.jpg', expect: 'FILE_NOT_FOUND', make: (f) => fs.symlink(path.join(path.dirname(f), 'no-such-target.jpg'), f) },
];

/** Writes every case into `dir`; returns the files by case name. */
export async function writeHostileInputs(dir: string, cases: HostileCase[] = CASES): Promise<Map<string, string>> {
  await fs.mkdir(dir, { recursive: true });
  const files = new Map<string, string>();
  for (const c of cases) {
    const file = path.join(dir, c.name);
    await c.make(file);
    files.set(c.name, file);
  }
  return files;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2] ?? 'hostile-inputs';
  await writeHostileInputs(dir);
  process.stdout.write(`${CASES.length} hostile inputs in ${dir}\n`);
}
