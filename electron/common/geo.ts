import type { GeoInfo } from './contract';

/** Map coordinates of a pixel position (x, y in pixels; pixel corners at integers). */
export function pixelToMap(geo: GeoInfo, x: number, y: number): [number, number] {
  const t = geo.transform;
  return [t[0] + x * t[1] + y * t[2], t[3] + x * t[4] + y * t[5]];
}
