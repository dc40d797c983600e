import OpenSeadragon from 'openseadragon';
import type { ImageInfo } from '../../../electron/common/contract';

/**
 * An OpenSeadragon tile source over the engine's pyramid. OpenSeadragon
 * counts levels up from the smallest (its top level is full resolution);
 * the engine counts down from full resolution (level 0), so the two are
 * mirrored here. Tile counts come from the pyramid's real level sizes,
 * which round down when halving where OpenSeadragon would round up.
 */
export function pyramidTileSource(image: ImageInfo, tileUrl: (level: number, x: number, y: number) => string): OpenSeadragon.TileSourceOptions {
  const levels = image.pyramid.levels;
  const size = image.pyramid.tileSize;
  const maxLevel = Math.max(0, Math.ceil(Math.log2(Math.max(image.width, image.height))));
  const minLevel = Math.max(0, maxLevel - (levels.length - 1));
  const engineLevel = (osdLevel: number) => Math.min(levels.length - 1, maxLevel - osdLevel);
  return {
    width: image.width,
    height: image.height,
    tileSize: size,
    tileOverlap: 0,
    minLevel,
    maxLevel,
    getTileUrl: (level: number, x: number, y: number) => tileUrl(engineLevel(level), x, y),
    getNumTiles(level: number) {
      const { width, height } = levels[engineLevel(level)];
      return new OpenSeadragon.Point(Math.ceil(width / size), Math.ceil(height / size));
    },
  } as unknown as OpenSeadragon.TileSourceOptions;
}
