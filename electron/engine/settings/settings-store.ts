import { promises as fs } from 'node:fs';
import path from 'node:path';
import { SettingsSchema, type Settings, type SettingsPatch } from '../../common/contract';
import { writeFileAtomic } from '../fs/atomic-write';
import { DEFAULT_SETTINGS } from './defaults';

type Migration = (raw: Record<string, unknown>) => Record<string, unknown>;

/**
 * Migrations from each older schema version to the next. Index i upgrades
 * version i to i + 1; version 0 is a file written before versioning.
 */
const MIGRATIONS: Migration[] = [(raw) => ({ ...raw, version: 1 })];

/** Persistent settings: one JSON file, validated, migrated, written atomically. */
export class SettingsStore {
  private current: Settings = structuredClone(DEFAULT_SETTINGS);
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly file: string, private readonly onChange?: (settings: Settings) => void) {}

  get(): Settings {
    return structuredClone(this.current);
  }

  /** Loads the file; a missing file means defaults, a corrupt one is kept aside as `.bad`. */
  async load(): Promise<Settings> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch {
      this.current = structuredClone(DEFAULT_SETTINGS);
      return this.get();
    }
    try {
      this.current = this.upgrade(JSON.parse(text));
    } catch (error) {
      await fs.rename(this.file, `${this.file}.bad-${Date.now()}`).catch(() => undefined);
      console.warn(`settings: ${this.file} was unreadable (${(error as Error).message}); using defaults`);
      this.current = structuredClone(DEFAULT_SETTINGS);
    }
    return this.get();
  }

  async update(patch: SettingsPatch): Promise<Settings> {
    const next: Settings = {
      ...this.current,
      inference: { ...this.current.inference, ...patch.inference },
      images: { ...this.current.images, ...patch.images },
      ui: { ...this.current.ui, ...patch.ui },
      recentFiles: patch.recentFiles ?? this.current.recentFiles,
    };
    this.current = SettingsSchema.parse(next);
    await this.save();
    this.onChange?.(this.get());
    return this.get();
  }

  /** Puts a file at the top of the recent list (most recent first, no duplicates). */
  async addRecent(file: string): Promise<Settings> {
    const recent = [file, ...this.current.recentFiles.filter((f) => f !== file)].slice(0, 12);
    return this.update({ recentFiles: recent });
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
    return SettingsSchema.parse(merged);
  }

  private save(): Promise<void> {
    const text = `${JSON.stringify(this.current, null, 2)}\n`;
    // Serialise writes so a slow disk cannot reorder them.
    this.writing = this.writing.catch(() => undefined).then(async () => {
      await fs.mkdir(path.dirname(this.file), { recursive: true });
      await writeFileAtomic(this.file, text);
    });
    return this.writing;
  }
}
