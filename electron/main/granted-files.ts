import { promises as fs } from 'node:fs';
import path from 'node:path';
import { normalise, type PathGuard } from './path-guard';

const MAX_ENTRIES = 50;

/**
 * Main's own record of the files the user chose in a dialog or dropped on the
 * window, so that reopening them from the Recent list after a restart works.
 * It lives in main's folder, apart from the engine's settings (which other
 * transports — the CLI, `iriscope serve` — also write): only what main itself
 * granted is ever granted again. Read grants only; write grants (Save dialog)
 * last for the session.
 */
export class GrantedFiles {
  private files: string[] = [];

  constructor(readonly file: string) {}

  /** Loads the record and grants each file that still exists; a damaged record is ignored. */
  async restore(guard: PathGuard): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(await fs.readFile(this.file, 'utf8'));
    } catch {
      raw = [];
    }
    const entries = Array.isArray(raw) ? raw.map(normalise).filter((f): f is string => f !== null) : [];
    this.files = [...new Set(entries)].slice(0, MAX_ENTRIES);
    for (const file of this.files) guard.grantFile(file, 'read');
  }

  /** Remembers a file the user chose (most recent first) and grants it for reading. */
  async remember(guard: PathGuard, file: string): Promise<void> {
    const resolved = normalise(file);
    if (!resolved) return;
    guard.grantFile(resolved, 'read');
    this.files = [resolved, ...this.files.filter((f) => f !== resolved)].slice(0, MAX_ENTRIES);
    // Atomic: a crash mid-write keeps the previous record (main cannot use the engine's helper).
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.${process.pid}.partial`;
    await fs.writeFile(temp, `${JSON.stringify(this.files, null, 2)}\n`, { mode: 0o600 });
    await fs.rename(temp, this.file);
  }
}
