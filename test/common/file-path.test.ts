/** The API takes absolute paths only: a relative one would resolve against the engine process's folder, not the user's. */
import { describe, expect, it } from 'vitest';
import { parseInput } from '../../electron/common/validate';

describe('paths in the contract', () => {
  it('accepts absolute POSIX, Windows and UNC paths', () => {
    for (const p of ['/home/me/scene.jpg', 'C:\\Users\\me\\scene.jpg', 'd:/photos/a.png', '\\\\server\\share\\a.tif']) {
      expect(parseInput('openImage', { path: p })).toEqual({ path: p });
    }
  });

  it('refuses relative paths in every call that takes one', () => {
    expect(() => parseInput('openImage', { path: 'scene.jpg' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST', detail: expect.stringContaining('path must be absolute') }));
    expect(() => parseInput('exportFaces', { imageId: 'a', format: 'json', path: '../out.json' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => parseInput('exportDetections', { imageId: 'a', format: 'coco', path: 'out/x.json' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => parseInput('exportColorization', { imageId: 'a', sampleIndex: 0, path: './x.jpg' })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => parseInput('readThumbnail', { path: 'x.jpg', size: 64 })).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
  });
});
