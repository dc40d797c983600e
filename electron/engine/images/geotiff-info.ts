import { fromFile } from 'geotiff';
import type { GeoInfo } from '../../common/contract';
import { groundPixelSize, meanGsd } from '../../common/ground-resolution';
import { tiffLayoutDamage } from './integrity';

/** GeoKey values (GeoTIFF 1.0 spec, §6.3). */
const USER_DEFINED = 32767;
const LINEAR_UNITS: Record<number, string> = { 9001: 'metre', 9002: 'foot', 9003: 'US survey foot' };
const ANGULAR_UNITS: Record<number, string> = { 9101: 'radian', 9102: 'degree' };

export interface TiffStructure {
  tiled: boolean;
  geo: GeoInfo | null;
  /** Damage in the layout of the first image's strips or tiles, in words (see integrity.ts). */
  damage: string | null;
}

/**
 * Reads TIFF structure and georeferencing with geotiff.js (sharp drops GeoTIFF
 * tags), and checks that the first image's strips or tiles lie inside the
 * file. Only the first IFD is parsed; no pixel data is read.
 */
export async function readTiffStructure(file: string, fileBytes: number): Promise<TiffStructure> {
  const tiff = await fromFile(file);
  try {
    const image = await tiff.getImage(0);
    return { tiled: image.isTiled, geo: await readGeo(image), damage: await layoutDamage(image, fileBytes) };
  } finally {
    await (tiff as unknown as { close?: () => Promise<void> | void }).close?.();
  }
}

async function layoutDamage(image: GeoTiffImage, fileBytes: number): Promise<string | null> {
  const dir = image.getFileDirectory();
  const load = async (tag: string) => (await dir.loadValue(tag as Parameters<typeof dir.loadValue>[0]).catch(() => undefined)) as ArrayLike<number> | number | undefined;
  const tiled = image.isTiled;
  const offsets = await load(tiled ? 'TileOffsets' : 'StripOffsets');
  const byteCounts = await load(tiled ? 'TileByteCounts' : 'StripByteCounts');
  if (offsets === undefined || byteCounts === undefined) return `its directory has no ${tiled ? 'tile' : 'strip'} table`;
  const asArray = (v: ArrayLike<number> | number) => (typeof v === 'number' ? [v] : v);
  const bits = asArray((await load('BitsPerSample')) ?? 8);
  const samples = image.getSamplesPerPixel();
  const planar = Number(await load('PlanarConfiguration')) === 2;
  const bitsPerPixel = Array.from({ length: samples }, (_, i) => Number(bits[i] ?? bits[0] ?? 8)).reduce((a, b) => a + b, 0);
  return tiffLayoutDamage({
    fileBytes,
    width: image.getWidth(),
    height: image.getHeight(),
    compression: Number((await load('Compression')) ?? 1),
    bytesPerPixel: planar ? samples : bitsPerPixel / 8,
    tiled,
    blockWidth: tiled ? image.getTileWidth() : image.getWidth(),
    blockHeight: tiled ? image.getTileHeight() : Math.min(image.getHeight(), Number((await load('RowsPerStrip')) ?? image.getHeight())),
    offsets: asArray(offsets),
    byteCounts: asArray(byteCounts),
    planar,
  });
}

type GeoTiffImage = Awaited<ReturnType<Awaited<ReturnType<typeof fromFile>>['getImage']>>;

async function readGeo(image: GeoTiffImage): Promise<GeoInfo | null> {
  const dir = image.getFileDirectory();
  const transformation = (await dir.loadValue('ModelTransformation')) as number[] | undefined;
  const tiepoint = (await dir.loadValue('ModelTiepoint')) as number[] | undefined;
  const scale = (await dir.loadValue('ModelPixelScale')) as number[] | undefined;
  let keys: Record<string, unknown> | null = null;
  try {
    keys = (image.getGeoKeys() as Record<string, unknown> | null) ?? null;
  } catch {
    keys = null;
  }

  let transform: GeoInfo['transform'];
  if (transformation && transformation.length >= 16) {
    // 4×4 row-major model transformation → GDAL affine order.
    const t = transformation.map(Number);
    transform = [t[3], t[0], t[1], t[7], t[4], t[5]];
  } else if (tiepoint && tiepoint.length >= 6 && scale && scale.length >= 2) {
    const [i, j, , x, y] = tiepoint.map(Number);
    const [sx, sy] = scale.map(Number);
    transform = [x - i * sx, sx, 0, y + j * sy, 0, -sy];
  } else {
    return null;
  }

  const rasterType = Number(keys?.GTRasterTypeGeoKey) === 2 ? 'point' : 'area';
  if (rasterType === 'point') {
    // PixelIsPoint: the tie point names the pixel centre; shift to its corner.
    transform = [transform[0] - 0.5 * transform[1] - 0.5 * transform[2], transform[1], transform[2], transform[3] - 0.5 * transform[4] - 0.5 * transform[5], transform[4], transform[5]];
  }

  const projected = Number(keys?.ProjectedCSTypeGeoKey);
  const geographic = Number(keys?.GeographicTypeGeoKey);
  const epsg = Number.isInteger(projected) && projected > 0 && projected !== USER_DEFINED
    ? projected
    : Number.isInteger(geographic) && geographic > 0 && geographic !== USER_DEFINED
      ? geographic
      : null;
  const citation = [keys?.GTCitationGeoKey, keys?.PCSCitationGeoKey, keys?.GeogCitationGeoKey].find((v) => typeof v === 'string' && v.trim()) as string | undefined;
  const units = LINEAR_UNITS[Number(keys?.ProjLinearUnitsGeoKey)]
    ?? (Number(keys?.GTModelTypeGeoKey) === 2 || (!projected && geographic) ? ANGULAR_UNITS[Number(keys?.GeogAngularUnitsGeoKey)] ?? 'degree' : null)
    ?? (projected ? 'metre' : null);

  // A transform that maps pixels nowhere (NaN, infinite, a zero pixel size) must
  // not become map coordinates: report it and keep the numbers finite.
  const problem = geoTransformProblem(transform);
  if (problem) transform = transform.map((v) => (Number.isFinite(v) ? v : 0)) as GeoInfo['transform'];

  const ground = groundPixelSize({ transform, units, epsg, problem }, image.getWidth(), image.getHeight());
  return {
    epsg,
    crsName: citation?.replace(/\|+$/, '').trim() ?? null,
    problem,
    transform,
    origin: [transform[0], transform[3]],
    pixelSize: [transform[1], transform[5]],
    units,
    rasterType,
    gsd: ground ? meanGsd(ground) : null,
  };
}

/** Why a geotransform cannot map pixels to the map, or null when it can. */
export function geoTransformProblem(t: GeoInfo['transform']): string | null {
  if (t.some((v) => !Number.isFinite(v))) return 'its georeferencing holds non-numbers (NaN or infinite values)';
  const det = t[1] * t[5] - t[2] * t[4];
  if (!(Math.abs(det) > 0)) return 'its pixel size is zero, so every pixel maps to one point';
  return null;
}

export { pixelToMap } from '../../common/geo';
