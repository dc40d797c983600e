import { promises as fs } from 'node:fs';
import { LRUCache } from 'lru-cache';
import { checkPixelLimit } from './probe-image';
import { imageError } from './image-errors';
import { openImageFile } from './sharp-setup';
import { fsError } from '../fs/fs-errors';

const cache = new LRUCache<string, Buffer>({ maxSize: 16 * 1024 * 1024, sizeCalculation: (b) => b.length || 1 });
/** Thumbnails decode the whole file: refuse the huge ones (their pyramid gives previews). */
const THUMBNAIL_MAX_MEGAPIXELS = 100;

/** A small upright JPEG preview of an image file, cached by path, size and mtime. */
export async function readThumbnail(file: string, size: number): Promise<Buffer> {
  const stat = await fs.stat(file).catch((error) => {
    throw fsError(error, file);
  });
  const key = `${file}\0${stat.size}\0${stat.mtimeMs}\0${size}`;
  const hit = cache.get(key);
  if (hit) return hit;
  try {
    const meta = await openImageFile(file).metadata();
    checkPixelLimit(file, meta.width, meta.height, stat.size, THUMBNAIL_MAX_MEGAPIXELS);
    const jpeg = await openImageFile(file).autoOrient().resize(size, size, { fit: 'inside', withoutEnlargement: true }).flatten({ background: '#ffffff' }).jpeg({ quality: 80 }).toBuffer();
    cache.set(key, jpeg);
    return jpeg;
  } catch (error) {
    throw await imageError(error, file);
  }
}
