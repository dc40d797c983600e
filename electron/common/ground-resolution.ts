/**
 * Ground sample distance (GSD): metres on the ground per image pixel. One
 * notion for the whole app: read from a GeoTIFF's geotransform (map units
 * converted to metres), given by the user for images without one, declared
 * per detection model in its manifest.
 */
import { z } from 'zod';
import type { GeoInfo } from './contract';

/** WGS 84 ellipsoid (EPSG:7030). */
const A = 6_378_137;
const E2 = 0.006_694_379_990_14;

const METRES_PER_UNIT: Record<string, number> = { metre: 1, foot: 0.3048, 'US survey foot': 1200 / 3937 };

/** Web/World Mercator: map metres are ground metres only at the equator (scale 1/cos φ). */
const MERCATOR = new Set([3857, 3395, 900913, 3785, 102100]);

/** Metres per degree of longitude and of latitude at latitude `lat` (degrees) on WGS 84. */
export function metresPerDegree(lat: number): { lon: number; lat: number } {
  const phi = (lat * Math.PI) / 180;
  const w = 1 - E2 * Math.sin(phi) ** 2;
  const n = A / Math.sqrt(w); // prime vertical radius of curvature
  const m = (A * (1 - E2)) / w ** 1.5; // meridional radius of curvature
  return { lon: (Math.PI / 180) * n * Math.cos(phi), lat: (Math.PI / 180) * m };
}

/**
 * Ground size of one pixel in metres, [along columns, along rows], at the
 * image centre; null when the georeferencing cannot say (a problem with the
 * transform, unknown map units, a pole).
 */
export function groundPixelSize(geo: Pick<GeoInfo, 'transform' | 'units' | 'epsg' | 'problem'>, width: number, height: number): [number, number] | null {
  if (geo.problem) return null;
  const t = geo.transform;
  // Map-unit steps of one pixel to the right (t1, t4) and one pixel down (t2, t5).
  let kx: number;
  let ky: number;
  if (geo.units === 'degree' || geo.units === 'radian') {
    const perUnit = geo.units === 'radian' ? 180 / Math.PI : 1;
    const lat = (t[3] + (width / 2) * t[4] + (height / 2) * t[5]) * perUnit;
    if (!(Math.abs(lat) < 89.9)) return null;
    const m = metresPerDegree(lat);
    kx = m.lon * perUnit;
    ky = m.lat * perUnit;
  } else {
    const unit = geo.units ? METRES_PER_UNIT[geo.units] : undefined;
    if (!unit) return null;
    kx = ky = unit;
    if (geo.epsg !== null && MERCATOR.has(geo.epsg)) {
      // Spherical Mercator northing → latitude; ground metres = map metres · cos φ.
      const y = t[3] + (width / 2) * t[4] + (height / 2) * t[5];
      const phi = 2 * Math.atan(Math.exp(y / A)) - Math.PI / 2;
      kx = ky = unit * Math.cos(phi);
    }
  }
  const x = Math.hypot(t[1] * kx, t[4] * ky);
  const y = Math.hypot(t[2] * kx, t[5] * ky);
  if (!(x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y))) return null;
  return [x, y];
}

/** One number for a pixel that may not be square: the side of the square of the same ground area. */
export function meanGsd(size: [number, number]): number {
  return Math.sqrt(size[0] * size[1]);
}

/** "12.5 cm/px", "3.00 m/px": a GSD for people. */
export function formatGsd(metres: number): string {
  if (metres < 1) return `${+(metres * 100).toPrecision(3)} cm/px`;
  return `${+metres.toPrecision(3)} m/px`;
}

/** "10–16 cm/px": a model's range for people. */
export function formatGsdRange(range: { min: number; max: number }): string {
  if (range.max < 1) return `${+(range.min * 100).toPrecision(3)}–${formatGsd(range.max)}`;
  if (range.min >= 1) return `${+range.min.toPrecision(3)}–${formatGsd(range.max)}`;
  return `${formatGsd(range.min)}–${formatGsd(range.max)}`;
}

/**
 * A detection model's ground resolution in its manifest (`gsd`), metres per
 * pixel: the range it was trained on and the one the pipeline resamples other
 * images to. Optional: models without it (e.g. a user's Ultralytics YOLO)
 * read every image at its own pixels.
 */
export const GsdRangeSchema = z
  .object({
    min: z.number().positive().finite(),
    max: z.number().positive().finite(),
    native: z.number().positive().finite(),
  })
  .strict()
  .refine((g) => g.min <= g.native && g.native <= g.max, 'needs min <= native <= max (metres per pixel)');
export type GsdRange = z.infer<typeof GsdRangeSchema>;
