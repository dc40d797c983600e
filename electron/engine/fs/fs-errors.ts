import path from 'node:path';
import { IriscopeError } from '../../common/errors';

/** Maps a Node file-system error to a typed error that names the file. */
export function fsError(error: unknown, file: string, action: 'read' | 'write' | 'list' = 'read'): IriscopeError {
  if (error instanceof IriscopeError) return error;
  const code = isDiskFull(error) ? 'ENOSPC' : (error as NodeJS.ErrnoException)?.code;
  const name = path.basename(file);
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new IriscopeError({ code: 'FILE_NOT_FOUND', message: `"${name}" does not exist.`, detail: `${file}: ${detail}`, hint: 'It may have been moved, renamed or deleted.' });
    case 'EACCES':
    case 'EPERM':
      return new IriscopeError({ code: 'PERMISSION_DENIED', message: `Iriscope is not allowed to ${action} "${name}".`, detail, hint: 'Check the file permissions.' });
    case 'EISDIR':
      return new IriscopeError({ code: 'NOT_A_FILE', message: `"${name}" is a folder, not a file.`, detail });
    case 'ENOSPC':
    case 'EDQUOT':
      return new IriscopeError({ code: 'DISK_FULL', message: `The disk is full: could not write "${name}".`, detail, hint: 'Free some space (or clear Iriscope\'s cache) and try again. Nothing was overwritten.' });
    case 'EROFS':
      return new IriscopeError({ code: 'PERMISSION_DENIED', message: `"${path.dirname(file)}" is on a read-only disk.`, detail });
    default:
      return new IriscopeError({ code: 'INTERNAL', message: `Could not ${action} "${name}".`, detail });
  }
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || /ENOSPC|No space left/i.test(String((error as Error)?.message ?? ''));
}
