import { promises as fs } from 'node:fs';
import path from 'node:path';
import lockfile from 'proper-lockfile';
import { SettingsSchema, type Settings, type SettingsPatch } from '../../common/contract';
import { writeFileAtomic } from '../fs/atomic-write';
import { DEFAULT_SETTINGS, OLD_DEFAULT_MAX_MEGAPIXELS } from './defaults';

type Migration = (raw: Record<string, unknown>) => Record<string, unknown>;

/**
 * Migrations from each older schema version to the next. Index i upgrades
 * version i to i + 1; version 0 is a file written before versioning.
 */
const MIGRATIONS: Migration[] = [(raw) => ({ ...raw, version: 1 })];

const MAX_RECENT = 12;

/**
 * Persistent settings: one JSON file, validated, migrated, written atomically.
 *
 * Several processes share the file (the app, `iriscope serve`, CLI runs), so
 * a change is never written from a stale copy: under a lock on the file, the
 * current file is read, only the changed keys are applied to it, and the
 * result is written atomically. No writer loses another's changes.
 */
export class SettingsStore {
  private current: Settings = structuredClone(DEFAULT_SETTINGS);
  private writing: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string, private readonly onChange?: (settings: Settings) => void) {}

  get(): Settings {
    return structuredClone(this.current);
  }

  /** Loads the file; a missing file means defaults, a corrupt one is kept aside as `.bad`. */
  async load(): Promise<Settings> {
    this.current = await this.readFile();
    return this.get();
  }

  async update(patch: SettingsPatch): Promise<Settings> {
    return this.mutate((on) => ({
      ...on,
      inference: { ...on.inference, ...patch.inference },
      images: { ...on.images, ...patch.images },
      ui: { ...on.ui, ...patch.ui },
    }));
  }

  /** Puts a file at the top of the recent list (most recent first, no duplicates). */
  async addRecent(file: string): Promise<Settings> {
    return this.mutate((on) => ({ ...on, recentFiles: [file, ...on.recentFiles.filter((f) => f !== file)].slice(0, MAX_RECENT) }));
  }

  /** Applies `change` to the settings as they are on disk now, under the file's lock, and writes the result. */
  private mutate(change: (onDisk: Settings) => Settings): Promise<Settings> {
    const run = async (): Promise<Settings> => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      // The lock is a folder beside the file; a holder that died leaves it stale after 10 s.
      const release = await lockfile.lock(this.file, { realpath: false, stale: 10_000, retries: { retries: 40, minTimeout: 25, maxTimeout: 250 } });
      try {
        const next = SettingsSchema.parse(change(await this.readFile()));
        await writeFileAtomic(this.file, `${JSON.stringify(next, null, 2)}\n`);
        this.current = next;
      } finally {
        await release();
      }
      this.onChange?.(this.get());
      return this.get();
    };
    // One change at a time within this process too, in call order.
    const result = this.writing.catch(() => undefined).then(run);
    this.writing = result;
    return result;
  }

  private async readFile(): Promise<Settings> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      return structuredClone(DEFAULT_SETTINGS);
    }
    try {
      return this.upgrade(JSON.parse(text));
    } catch (error) {
      await fs.rename(this.file, `${this.file}.bad-${Date.now()}`).catch(() => undefined);
      console.warn(`settings: ${this.file} was unreadable (${(error as Error).message}); using defaults`);
      return structuredClone(DEFAULT_SETTINGS);
    }
  }

  private upgrade(raw: unknown): Settings {
    if (!raw || typeof raw !== 'object') throw new Error('not a JSON object');
    let data = raw as Record<string, unknown>;
    let version = typeof data.version === 'number' ? data.version : 0;
    while (version < MIGRATIONS.length) data = MIGRATIONS[version++](data);
    // Fill keys added after the file was written, then validate strictly.
    const merged = {
      ...DEFAULT_SETTINGS,
      ...data,
      inference: { ...DEFAULT_SETTINGS.inference, ...(data.inference as object) },
      images: { ...DEFAULT_SETTINGS.images, ...(data.images as object) },
      ui: { ...DEFAULT_SETTINGS.ui, ...(data.ui as object) },
    };
    // The first release wrote its odd default (2,147 Mpx) into every file; it becomes the new round one.
    if (merged.images.maxMegapixels === OLD_DEFAULT_MAX_MEGAPIXELS) merged.images.maxMegapixels = DEFAULT_SETTINGS.images.maxMegapixels;
    return SettingsSchema.parse(merged);
  }
}
