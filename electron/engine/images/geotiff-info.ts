import { fromFile } from 'geotiff';
import type { GeoInfo } from '../../common/contract';

/** GeoKey values (GeoTIFF 1.0 spec, §6.3). */
const USER_DEFINED = 32767;
const LINEAR_UNITS: Record<number, string> = { 9001: 'metre', 9002: 'foot', 9003: 'US survey foot' };
const ANGULAR_UNITS: Record<number, string> = { 9101: 'radian', 9102: 'degree' };

export interface TiffStructure {
  tiled: boolean;
  geo: GeoInfo | null;
}

/**
 * Reads TIFF structure and georeferencing with geotiff.js (sharp drops GeoTIFF
 * tags). Only the first IFD is parsed; no pixel data is read.
 */
export async function readTiffStructure(file: string): Promise<TiffStructure> {
  const tiff = await fromFile(file);
  try {
    const image = await tiff.getImage(0);
    return { tiled: image.isTiled, geo: await readGeo(image) };
  } finally {
    await (tiff as unknown as { close?: () => Promise<void> | void }).close?.();
  }
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

  return {
    epsg,
    crsName: citation?.replace(/\|+$/, '').trim() ?? null,
    transform,
    origin: [transform[0], transform[3]],
    pixelSize: [transform[1], transform[5]],
    units,
    rasterType,
  };
}

export { pixelToMap } from '../../common/geo';
