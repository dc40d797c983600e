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
