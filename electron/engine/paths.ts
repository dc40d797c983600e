import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';

export interface EnginePaths {
  /** Folder holding the built-in `models/` and `assets/` (the repository, or the app's resources). */
  appRoot: string;
  /** Settings, imported models and uploads. */
  dataDir: string;
  /** Pyramids and other rebuildable data. */
  cacheDir: string;
}

/** Walks up from this module to the folder that holds `models/` and `assets/`. */
export function findAppRoot(start = path.dirname(fileURLToPath(import.meta.url))): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'assets')) && existsSync(path.join(dir, 'models'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/** Per-user folders following each platform's convention; env variables override them. */
export function defaultPaths(env: NodeJS.ProcessEnv = process.env): EnginePaths {
  const home = os.homedir();
  let data: string;
  let cache: string;
  if (process.platform === 'win32') {
    data = path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'Iriscope');
    cache = path.join(env.LOCALAPPDATA ?? path.join(home, 'AppData', 'Local'), 'Iriscope', 'Cache');
  } else if (process.platform === 'darwin') {
    data = path.join(home, 'Library', 'Application Support', 'Iriscope');
    cache = path.join(home, 'Library', 'Caches', 'Iriscope');
  } else {
    data = path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), 'iriscope');
    cache = path.join(env.XDG_CACHE_HOME ?? path.join(home, '.cache'), 'iriscope');
  }
  return {
    appRoot: env.IRISCOPE_APP_ROOT ?? findAppRoot(),
    dataDir: env.IRISCOPE_DATA_DIR ?? data,
    cacheDir: env.IRISCOPE_CACHE_DIR ?? cache,
  };
}
