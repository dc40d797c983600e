/**
 * The output guard every writer goes through: never onto an input (by path,
 * link or inode, whatever the caller asked), never onto a file it did not
 * write unless asked to replace it, keeping finished batch outputs, and the
 * final step refusing a file that appeared in the meantime.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { OutputGuard, prepareOutputFolder } from '../../../electron/engine/fs/output-guard';
import { writeAtomically } from '../../../electron/engine/fs/atomic-write';
import { tempDir } from '../../helpers/fixtures';

const text = (content: string) => (temp: string) => fs.writeFile(temp, content);

describe('OutputGuard', () => {
  it('never writes onto an input, even asked to replace: same path, a hard link or a symbolic link to it', async () => {
    const dir = await tempDir();
    const input = path.join(dir, 'scene.png');
    await fs.writeFile(input, 'original');
    await fs.link(input, path.join(dir, 'hard.png'));
    await fs.symlink(input, path.join(dir, 'soft.png'));
    const guard = new OutputGuard(() => [input]);
    for (const target of [input, path.join(dir, 'hard.png'), path.join(dir, 'soft.png')]) {
      await expect(guard.write(target, text('overview'), { existing: 'replace' })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining('is an input') });
    }
    expect(await fs.readFile(input, 'utf8')).toBe('original');
    expect((await fs.readdir(dir)).sort()).toEqual(['hard.png', 'scene.png', 'soft.png']);
  });

  it('treats the files named in a batch as inputs', async () => {
    const dir = await tempDir();
    const other = path.join(dir, 'photo.faces.jpg');
    await fs.writeFile(other, 'someone else\'s photo');
    const guard = new OutputGuard();
    await guard.addInputs([other]);
    await expect(guard.write(other, text('annotated'), { existing: 'replace' })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(await fs.readFile(other, 'utf8')).toBe('someone else\'s photo');
  });

  it('refuses an existing file it did not write, replaces it when asked, and may rewrite its own outputs', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'a.jpg.faces.json');
    await fs.writeFile(target, 'mine');
    const guard = new OutputGuard();
    await expect(guard.write(target, text('new'))).rejects.toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining(target) });
    expect(await fs.readFile(target, 'utf8')).toBe('mine');
    await guard.write(target, text('replaced'), { existing: 'replace' });
    expect(await fs.readFile(target, 'utf8')).toBe('replaced');
    const fresh = path.join(dir, 'b.json');
    await guard.write(fresh, text('1'));
    await guard.write(fresh, text('2'));
    expect(await fs.readFile(fresh, 'utf8')).toBe('2');
    expect((await fs.readdir(dir)).sort()).toEqual(['a.jpg.faces.json', 'b.json']);
  });

  it('keeps a finished output with existing: keep, and never writes it', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'done.json');
    await fs.writeFile(target, 'finished');
    const guard = new OutputGuard();
    let produced = false;
    const kept = await guard.write(target, async (temp) => {
      produced = true;
      await fs.writeFile(temp, 'again');
    }, { existing: 'keep' });
    expect(kept).toEqual({ path: target, written: false });
    expect(produced).toBe(false);
    expect(await fs.readFile(target, 'utf8')).toBe('finished');
  });

  it('a file that appears while the output is produced is not replaced (the final step is a no-clobber link)', async () => {
    const dir = await tempDir();
    const target = path.join(dir, 'race.json');
    await expect(writeAtomically(target, async (temp) => {
      await fs.writeFile(temp, 'ours');
      await fs.writeFile(target, 'theirs, written meanwhile');
    }, { replace: false })).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(await fs.readFile(target, 'utf8')).toBe('theirs, written meanwhile');
    expect(await fs.readdir(dir)).toEqual(['race.json']);
  });

  it('names the folder when it is missing or a file', async () => {
    const dir = await tempDir();
    const guard = new OutputGuard();
    await expect(guard.write(path.join(dir, 'gone', 'x.json'), text('x'))).rejects.toMatchObject({ code: 'FILE_NOT_FOUND', message: `The output folder "${path.join(dir, 'gone')}" does not exist.` });
    await fs.writeFile(path.join(dir, 'file'), '');
    await expect(prepareOutputFolder(path.join(dir, 'file'))).rejects.toMatchObject({ code: 'NOT_A_FILE', message: expect.stringContaining('is not a folder') });
    expect(await prepareOutputFolder(path.join(dir, 'new', 'deep'))).toBe(path.join(dir, 'new', 'deep'));
    expect(await fs.readdir(path.join(dir, 'new', 'deep'))).toEqual([]);
  });
});
