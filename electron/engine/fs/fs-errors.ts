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

/**
 * A failure to create a file inside `dir`, or to create `dir` itself, as an
 * error about the output folder (never about the input being processed).
 */
export function outputFolderError(error: unknown, dir: string): IriscopeError {
  if (error instanceof IriscopeError) return error;
  const code = isDiskFull(error) ? 'ENOSPC' : (error as NodeJS.ErrnoException)?.code;
  const detail = error instanceof Error ? error.message : String(error);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new IriscopeError({
        code: 'PERMISSION_DENIED',
        message: `Iriscope cannot write into the output folder "${dir}"${code === 'EROFS' ? ' (it is on a read-only disk)' : ''}.`,
        detail,
        hint: 'Choose another output folder, or change its permissions. Nothing was written.',
      });
    case 'ENOENT':
      return new IriscopeError({ code: 'FILE_NOT_FOUND', message: `The output folder "${dir}" does not exist.`, detail, hint: 'Create it, or choose another output folder.' });
    case 'ENOTDIR':
    case 'EEXIST':
      return new IriscopeError({ code: 'NOT_A_FILE', message: `The output folder "${dir}" is not a folder (a file has that name).`, detail, hint: 'Choose another output folder.' });
    default:
      return fsError(error, dir, 'write');
  }
}

/** The output path already holds a file this writer must not replace. */
export function outputExistsError(target: string, why: 'input' | 'existing'): IriscopeError {
  return why === 'input'
    ? new IriscopeError({
      code: 'OUTPUT_EXISTS',
      message: `Iriscope never overwrites the original "${target}": it is an input.`,
      detail: target,
      hint: 'Write the results into another folder (--out), or give the output another name.',
    })
    : new IriscopeError({
      code: 'OUTPUT_EXISTS',
      message: `"${target}" already exists, and Iriscope did not write it in this run.`,
      detail: target,
      hint: 'Choose another output folder or name, or ask to overwrite it (--overwrite on the command line).',
    });
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || /ENOSPC|No space left/i.test(String((error as Error)?.message ?? ''));
}
