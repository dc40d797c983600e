/**
 * The one schema for a file path in the API. Paths are absolute: a relative
 * path would resolve against whatever folder the engine's process runs in
 * (the app's own folder under Electron), never the folder the user meant,
 * so every transport resolves a user's relative path before it calls.
 */
import { z } from 'zod';

/** POSIX `/…`, Windows `C:\…` or `C:/…`, and UNC `\\server\share…` paths. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

export const FilePath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'path contains a NUL byte')
  .refine(isAbsolutePath, 'path must be absolute (resolve it against your working folder first)');
