import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeAtomically, writeFileAtomic } from '../../../electron/engine/fs/atomic-write';
import { tempDir } from '../../helpers/fixtures';

describe('atomic writes', () => {
  it('replaces the target only when the new content is complete', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'result.json');
    await writeFileAtomic(target, 'old');
    await writeFileAtomic(target, 'new');
    expect(await fs.readFile(target, 'utf8')).toBe('new');
    expect(await fs.readdir(dir)).toEqual(['result.json']);
  });

  it('turns a full disk into DISK_FULL and keeps the old file, with no partial file left', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'export.png');
    await fs.writeFile(target, 'original');
    const failing = writeAtomically(target, async (temp) => {
      await fs.writeFile(temp, 'half of it');
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    });
    await expect(failing).rejects.toMatchObject({ code: 'DISK_FULL', message: 'The disk is full: could not write "export.png".' });
    expect(await fs.readFile(target, 'utf8')).toBe('original');
    expect(await fs.readdir(dir)).toEqual(['export.png']);
  });

  it('passes other failures through unchanged and cleans up', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'x.bin');
    await expect(writeAtomically(target, async (temp) => {
      await fs.writeFile(temp, 'x');
      throw new Error('encoder failed');
    })).rejects.toThrow('encoder failed');
    expect(await fs.readdir(dir)).toEqual([]);
  });
});
