/**
 * Detection exports: COCO JSON and YOLO txt in pixels, CSV, GeoJSON in map
 * coordinates, and an annotated overview image (PNG/JPEG) of any image size
 * (downscaled overview with the boxes, optionally full-resolution crops of
 * the best detections under it). Every file is produced in a temporary file
 * and renamed into place only when complete (a cancel or a full disk leaves
 * nothing behind), through the output guard: never over an input or a file
 * it did not write.
 *
 * GeoJSON: coordinates are written in the image's CRS. RFC 7946 asks for
 * WGS 84 longitude/latitude; reprojecting would need a projection library,
 * so for a projected CRS the file names it with a `crs` member
 * (urn:ogc:def:crs:EPSG::<code>), as GDAL's GeoJSON driver does for non-WGS 84
 * layers. QGIS and GDAL read it; strict RFC 7946 readers assume WGS 84.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp, { type OverlayOptions, type Sharp } from 'sharp';
import type { GeoInfo } from '../../../common/contract';
import { CLASS_COLOURS, type DetectExportFormat, type DetectResult, type Detection } from '../../../common/detect-contract';
import { IriscopeError } from '../../../common/errors';
import { pixelToMap } from '../../../common/geo';
import type { ExistingOutput, OutputGuard } from '../../fs/output-guard';
import type { PixelRegion } from './patches';

export interface ExportContext {
  progress(fraction: number | null, message?: string): void;
  throwIfCancelled(): void;
}

export interface ExportImage {
  path: string;
  name: string;
  width: number;
  height: number;
  geo: GeoInfo | null;
}

/** Raw 8-bit pixels of a region scaled to an output size (the pyramid reader). */
export interface RegionReader {
  readRegion(region: PixelRegion, output: { width: number; height: number }): Promise<{ data: Buffer | Uint8Array; width: number; height: number; channels: number }>;
}


const r2 = (v: number) => Math.round(v * 100) / 100;

export function toCoco(image: ExportImage, result: DetectResult, dets: Detection[]) {
  return {
    info: { description: `Iriscope detections (${result.mode}, ${result.models.stage1 ? `${result.models.stage1} → ` : ''}${result.models.detector})`, date_created: new Date(result.createdAt).toISOString() },
    images: [{ id: 1, file_name: image.name, width: image.width, height: image.height }],
    categories: result.labels.map((name, i) => ({ id: i + 1, name, supercategory: 'object' })),
    annotations: dets.map((d) => ({
      id: d.id,
      image_id: 1,
      category_id: d.class + 1,
      bbox: d.box.map(r2),
      area: r2(d.box[2] * d.box[3]),
      iscrowd: 0,
      score: d.score,
      attributes: { stage: d.stage, crop: d.crop },
    })),
  };
}

/** Ultralytics label lines (class cx cy w h, normalised to the image) with the score as a sixth column (save_conf). */
export function toYolo(image: ExportImage, dets: Detection[]): string {
  const f = (v: number) => v.toFixed(6);
  return dets.map((d) => {
    const [x, y, w, h] = d.box;
    return `${d.class} ${f((x + w / 2) / image.width)} ${f((y + h / 2) / image.height)} ${f(w / image.width)} ${f(h / image.height)} ${d.score.toFixed(4)}`;
  }).join('\n') + (dets.length ? '\n' : '');
}

function csvField(value: unknown): string {
  const text = String(value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(image: ExportImage, dets: Detection[]): string {
  // Broken georeferencing (NaN or zero pixel size) gives no map columns rather than nonsense ones.
  const geo = image.geo && !image.geo.problem ? image.geo : null;
  const header = ['id', 'x', 'y', 'width', 'height', 'score', 'class_id', 'class', 'stage', 'crop', ...(geo ? ['center_x_map', 'center_y_map', 'crs'] : [])];
  const rows = dets.map((d) => {
    const [x, y, w, h] = d.box;
    const base: unknown[] = [d.id, r2(x), r2(y), r2(w), r2(h), d.score, d.class, d.label, d.stage, d.crop ?? ''];
    if (geo) {
      const [mx, my] = pixelToMap(geo, x + w / 2, y + h / 2);
      base.push(mx, my, geo.epsg ? `EPSG:${geo.epsg}` : '');
    }
    return base;
  });
  return `${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

export function toGeoJson(image: ExportImage, result: DetectResult, dets: Detection[]) {
  const geo = image.geo;
  if (!geo) {
    throw new IriscopeError({
      code: 'BAD_REQUEST',
      message: `"${image.name}" has no georeferencing, so its detections have no map coordinates for GeoJSON.`,
      hint: 'Export COCO, YOLO or CSV (pixel coordinates), or use a GeoTIFF with georeferencing.',
    });
  }
  if (geo.problem) {
    throw new IriscopeError({
      code: 'BAD_REQUEST',
      message: `"${image.name}" has unusable georeferencing (${geo.problem}), so its detections have no map coordinates for GeoJSON.`,
      hint: 'Export COCO, YOLO or CSV (pixel coordinates), or fix the file\'s georeferencing (e.g. with gdal_edit.py -a_ullr).',
    });
  }
  const wgs84 = geo.epsg === 4326;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  const features = dets.map((d) => {
    const [x, y, w, h] = d.box;
    let ring = [pixelToMap(geo, x, y), pixelToMap(geo, x, y + h), pixelToMap(geo, x + w, y + h), pixelToMap(geo, x + w, y)];
    // RFC 7946: exterior rings counterclockwise (a south-up raster flips the pixel order).
    let area = 0;
    for (let i = 0; i < 4; i++) area += ring[i][0] * ring[(i + 1) % 4][1] - ring[(i + 1) % 4][0] * ring[i][1];
    if (area < 0) ring = ring.reverse();
    for (const [mx, my] of ring) {
      minX = Math.min(minX, mx);
      minY = Math.min(minY, my);
      maxX = Math.max(maxX, mx);
      maxY = Math.max(maxY, my);
    }
    return {
      type: 'Feature',
      id: d.id,
      properties: { id: d.id, score: d.score, class: d.label, class_id: d.class, stage: d.stage, crop: d.crop, x: r2(x), y: r2(y), width: r2(w), height: r2(h) },
      geometry: { type: 'Polygon', coordinates: [[...ring, ring[0]]] },
    };
  });
  return {
    type: 'FeatureCollection',
    name: path.basename(image.name, path.extname(image.name)),
    ...(geo.epsg && !wgs84 ? { crs: { type: 'name', properties: { name: `urn:ogc:def:crs:EPSG::${geo.epsg}` } } } : {}),
    ...(dets.length ? { bbox: [minX, minY, maxX, maxY] } : {}),
    features,
  };
}

const escapeXml = (text: string) => text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** RGB bytes from 1- or 3+-channel pixels. */
function toRgb(raw: { data: Buffer | Uint8Array; width: number; height: number; channels: number }): Buffer {
  if (raw.channels === 3) return Buffer.from(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength);
  const n = raw.width * raw.height;
  const out = Buffer.alloc(n * 3);
  for (let i = 0; i < n; i++) {
    const s = raw.channels < 3 ? raw.data[i * raw.channels] : 0;
    if (raw.channels < 3) {
      out[i * 3] = s;
      out[i * 3 + 1] = s;
      out[i * 3 + 2] = s;
    } else {
      out[i * 3] = raw.data[i * raw.channels];
      out[i * 3 + 1] = raw.data[i * raw.channels + 1];
      out[i * 3 + 2] = raw.data[i * raw.channels + 2];
    }
  }
  return out;
}

/** One SVG path per class over the whole overview (thousands of boxes stay cheap). */
function boxesSvg(dets: Detection[], scale: number, width: number, height: number): string {
  const stroke = Math.max(1.5, Math.min(4, Math.max(width, height) / 1200));
  const byClass = new Map<number, string[]>();
  for (const d of dets) {
    const [x, y, w, h] = d.box.map((v) => v * scale);
    const side = Math.max(w, 3);
    const tall = Math.max(h, 3);
    (byClass.get(d.class) ?? byClass.set(d.class, []).get(d.class)!).push(`M${r2(x)} ${r2(y)}h${r2(side)}v${r2(tall)}h${r2(-side)}z`);
  }
  const paths = [...byClass.entries()].map(([cls, parts]) => {
    const d = parts.join('');
    return `<path d="${d}" fill="none" stroke="#000" stroke-opacity="0.55" stroke-width="${stroke * 2}"/><path d="${d}" fill="none" stroke="${CLASS_COLOURS[cls % CLASS_COLOURS.length]}" stroke-width="${stroke}"/>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${paths.join('')}</svg>`;
}

const CROP_CELL = 160;
const CROP_COLUMNS = 8;
const MAX_CROPS = 48;

/**
 * The annotated image: a downscaled overview with every box, and with
 * `crops` a grid of full-resolution views of the best detections under it.
 */
async function annotatedImage(reader: RegionReader, image: ExportImage, result: DetectResult, dets: Detection[], format: 'png' | 'jpeg', options: { maxSide: number; crops: boolean }, ctx: ExportContext): Promise<Sharp> {
  const scale = Math.min(1, options.maxSide / Math.max(image.width, image.height));
  const ow = Math.max(1, Math.round(image.width * scale));
  const oh = Math.max(1, Math.round(image.height * scale));
  ctx.progress(0.05, 'Reading the overview');
  const overview = await reader.readRegion({ x: 0, y: 0, width: image.width, height: image.height }, { width: ow, height: oh });
  ctx.throwIfCancelled();
  const layers: OverlayOptions[] = [{ input: Buffer.from(boxesSvg(dets, scale, ow, oh)), left: 0, top: 0 }];
  let canvasHeight = oh;
  let canvasWidth = ow;
  if (options.crops && dets.length) {
    const best = dets.slice(0, MAX_CROPS);
    // As many columns as the overview is wide (at least CROP_COLUMNS).
    const columns = Math.min(Math.max(CROP_COLUMNS, Math.floor(ow / CROP_CELL)), best.length);
    const rows = Math.ceil(best.length / columns);
    canvasWidth = Math.max(ow, columns * CROP_CELL);
    const gridTop = oh + 8;
    canvasHeight = gridTop + rows * (CROP_CELL + 20);
    for (const [i, d] of best.entries()) {
      ctx.throwIfCancelled();
      ctx.progress(0.1 + (0.7 * i) / best.length, `Reading crop ${i + 1} of ${best.length}`);
      const [x, y, w, h] = d.box;
      // Square around the box, at native resolution (at least 48 px, at most 4 cells of detail).
      const side = Math.min(Math.max(48, Math.max(w, h) * 2), CROP_CELL * 4);
      const region = { x: x + w / 2 - side / 2, y: y + h / 2 - side / 2, width: side, height: side };
      const px = Math.max(1, Math.round(side));
      const raw = await reader.readRegion(region, { width: px, height: px });
      const k = CROP_CELL / side;
      const colour = CLASS_COLOURS[d.class % CLASS_COLOURS.length];
      const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${CROP_CELL}" height="${CROP_CELL + 20}"><rect x="${r2((x - region.x) * k)}" y="${r2((y - region.y) * k)}" width="${r2(w * k)}" height="${r2(h * k)}" fill="none" stroke="${colour}" stroke-width="2"/>`
        + `<rect y="${CROP_CELL}" width="${CROP_CELL}" height="20" fill="#111317"/><text x="6" y="${CROP_CELL + 14}" font-family="DejaVu Sans, Liberation Sans, Arial, sans-serif" font-size="12" fill="#fff">${escapeXml(`#${d.id} ${d.label} ${d.score.toFixed(2)} ${d.stage}`)}</text></svg>`;
      const cell = await sharp(toRgb(raw), { raw: { width: raw.width, height: raw.height, channels: 3 } })
        .resize(CROP_CELL, CROP_CELL, { kernel: side < CROP_CELL ? 'nearest' : 'lanczos3' })
        .extend({ bottom: 20, background: '#111317' })
        .composite([{ input: Buffer.from(svg), left: 0, top: 0 }])
        .png()
        .toBuffer();
      layers.push({ input: cell, left: (i % columns) * CROP_CELL, top: gridTop + Math.floor(i / columns) * (CROP_CELL + 20) });
    }
  }
  ctx.progress(0.85, 'Drawing the boxes');
  const base = sharp(toRgb(overview), { raw: { width: overview.width, height: overview.height, channels: 3 } })
    .extend({ right: canvasWidth - ow, bottom: canvasHeight - oh, background: '#1b1e24' });
  // Flatten the overview into an encoded image first: composite needs the final canvas size.
  const canvas = await base.png({ compressionLevel: 1 }).toBuffer();
  ctx.throwIfCancelled();
  const out = sharp(canvas).composite(layers).removeAlpha();
  return format === 'png' ? out.png() : out.jpeg({ quality: 90 });
}

export async function writeDetectionExport(options: {
  format: DetectExportFormat;
  target: string;
  image: ExportImage;
  result: DetectResult;
  detections: Detection[];
  reader: RegionReader;
  maxSide?: number;
  crops?: boolean;
  ctx: ExportContext;
  /** Where every output goes through (never over an input or a file it did not write). */
  guard: OutputGuard;
  existing?: ExistingOutput;
}): Promise<{ path: string; bytes: number; written: boolean }> {
  const { format, image, result, detections: dets, ctx } = options;
  ctx.throwIfCancelled();
  const write = (produce: (temp: string) => Promise<void>) => options.guard.write(options.target, produce, { existing: options.existing });
  const text = (content: string) => write(async (temp) => {
    await fs.writeFile(temp, content);
    ctx.throwIfCancelled();
  });
  let done;
  switch (format) {
    case 'coco':
      done = await text(`${JSON.stringify(toCoco(image, result, dets), null, 1)}\n`);
      break;
    case 'yolo':
      done = await text(toYolo(image, dets));
      break;
    case 'csv':
      done = await text(toCsv(image, dets));
      break;
    case 'geojson':
      // Built before anything is written: an image without georeferencing leaves no file.
      done = await text(`${JSON.stringify(toGeoJson(image, result, dets))}\n`);
      break;
    default:
      done = await write(async (temp) => {
        const img = await annotatedImage(options.reader, image, result, dets, format, { maxSide: options.maxSide ?? 4096, crops: options.crops ?? false }, ctx);
        ctx.progress(0.92, 'Encoding');
        await img.toFile(temp);
        ctx.throwIfCancelled();
      });
  }
  const { size } = await fs.stat(done.path);
  return { path: done.path, bytes: size, written: done.written };
}
