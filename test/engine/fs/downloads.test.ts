import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DownloadArea } from '../../../electron/engine/fs/downloads';
import { tempDir } from '../../helpers/fixtures';

describe('download area (exports a browser saves)', () => {
  it('gives each download a fresh folder and resolves only files written there', async () => {
    const area = new DownloadArea(path.join(await tempDir(), 'downloads'));
    const target = await area.prepare('boats.colorized.jpg');
    expect(path.basename(target.path)).toBe('boats.colorized.jpg');
    expect(target.url).toBe(`api/download/${target.id}/boats.colorized.jpg`);
    await expect(area.resolve(target.id, target.name)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await fs.writeFile(target.path, 'jpeg bytes');
    expect(await area.resolve(target.id, target.name)).toEqual({ path: target.path, bytes: 10 });
    const other = await area.prepare('boats.colorized.jpg');
    expect(other.id).not.toBe(target.id);
    await expect(area.resolve(other.id, '../' + target.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('deletes downloads older than an hour when the next one is prepared', async () => {
    const area = new DownloadArea(path.join(await tempDir(), 'downloads'));
    const old = await area.prepare('old.json');
    await fs.writeFile(old.path, '{}');
    const hoursAgo = new Date(Date.now() - 2 * 3600_000);
    await fs.utimes(path.dirname(old.path), hoursAgo, hoursAgo);
    await area.prepare('new.json');
    await expect(fs.stat(old.path)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
