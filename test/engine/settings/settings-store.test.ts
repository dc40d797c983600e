import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../../../electron/engine/settings/defaults';
import { SettingsStore } from '../../../electron/engine/settings/settings-store';
import { tempDir } from '../../helpers/fixtures';

describe('settings', () => {
  it('starts from defaults and persists updates across restarts', async () => {
    const file = path.join(await tempDir(), 'settings.json');
    const store = new SettingsStore(file);
    expect(await store.load()).toEqual(DEFAULT_SETTINGS);
    await store.update({ inference: { provider: 'cpu' }, images: { maxMegapixels: 500 } });
    const reloaded = await new SettingsStore(file).load();
    expect(reloaded.inference).toEqual({ ...DEFAULT_SETTINGS.inference, provider: 'cpu' });
    expect(reloaded.images.maxMegapixels).toBe(500);
  });

  it('keeps recent files most-recent-first without duplicates', async () => {
    const store = new SettingsStore(path.join(await tempDir(), 'settings.json'));
    await store.load();
    await store.addRecent('/a.jpg');
    await store.addRecent('/b.jpg');
    await store.addRecent('/a.jpg');
    expect(store.get().recentFiles).toEqual(['/a.jpg', '/b.jpg']);
  });

  it('refuses invalid values', async () => {
    const store = new SettingsStore(path.join(await tempDir(), 'settings.json'));
    await store.load();
    await expect(store.update({ images: { maxMegapixels: -5 } })).rejects.toThrow();
    expect(store.get().images.maxMegapixels).toBe(DEFAULT_SETTINGS.images.maxMegapixels);
  });

  it('sets a corrupt file aside and falls back to defaults', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'settings.json');
    await fs.writeFile(file, '{ this is not json');
    expect(await new SettingsStore(file).load()).toEqual(DEFAULT_SETTINGS);
    expect((await fs.readdir(dir)).some((f) => f.startsWith('settings.json.bad-'))).toBe(true);
  });

  it('migrates a file written before versioning and fills new keys', async () => {
    const file = path.join(await tempDir(), 'settings.json');
    await fs.writeFile(file, JSON.stringify({ inference: { provider: 'webgpu' }, recentFiles: ['/x.tif'] }));
    const settings = await new SettingsStore(file).load();
    expect(settings).toMatchObject({ version: 1, inference: { provider: 'webgpu', deviceId: 0 }, recentFiles: ['/x.tif'], images: DEFAULT_SETTINGS.images });
  });
});

describe('settings shared by several processes', () => {
  it('a writer never loses what another process wrote meanwhile (read–merge–write under a lock)', async () => {
    const file = path.join(await tempDir(), 'settings.json');
    // Two stores on one file, as `iriscope serve` and a CLI run have.
    const serve = new SettingsStore(file);
    const cli = new SettingsStore(file);
    await serve.load();
    await cli.load();
    await serve.update({ inference: { provider: 'cpu' } });
    // The CLI's copy is stale now; its own change must not undo the server's.
    await cli.addRecent('/photos/a.jpg');
    await cli.update({ images: { maxMegapixels: 500 } });
    const onDisk = await new SettingsStore(file).load();
    expect(onDisk.inference.provider).toBe('cpu');
    expect(onDisk.images.maxMegapixels).toBe(500);
    expect(onDisk.recentFiles).toEqual(['/photos/a.jpg']);
  });

  it('many interleaved writers from two processes keep every change', async () => {
    const file = path.join(await tempDir(), 'settings.json');
    const a = new SettingsStore(file);
    const b = new SettingsStore(file);
    await Promise.all([a.load(), b.load()]);
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).addRecent(`/photos/${i}.jpg`)));
    const recent = (await new SettingsStore(file).load()).recentFiles;
    expect([...recent].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `/photos/${i}.jpg`).sort());
  });
});

describe('settings written by an earlier release', () => {
  it('moves the old odd default of 2,147 Mpx to the round 2,000, keeps a value the user chose', async () => {
    const dir = await tempDir();
    const file = path.join(dir, 'settings.json');
    await fs.writeFile(file, JSON.stringify({ version: 1, images: { maxMegapixels: 2147 } }));
    expect((await new SettingsStore(file).load()).images.maxMegapixels).toBe(2000);
    await fs.writeFile(file, JSON.stringify({ version: 1, images: { maxMegapixels: 800 }, ui: { showJobPanel: true } }));
    const loaded = await new SettingsStore(file).load();
    expect(loaded.images.maxMegapixels).toBe(800);
    expect(loaded.ui).toEqual({ showJobPanel: true, exportFolder: null });
  });
});
