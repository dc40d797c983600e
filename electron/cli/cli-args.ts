/**
 * What the feature commands (colorize, detect, faces) share: option parsers
 * with clear messages, expanding files and folders into images, and output
 * names that never collide within a run.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { InvalidArgumentError } from 'commander';
import type { ErrorInfo } from '../common/errors';
import { looksLikeImage } from '../engine/directory-listing';

export function numberIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min || n > max) throw new InvalidArgumentError(`expected a number from ${min} to ${max}`);
    return n;
  };
}

export function integerIn(min: number, max: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/**
 * Files named on the command line, with the images inside named folders (not
 * recursive); an empty folder is an error of its own. Paths are resolved
 * against the folder the command runs in (the engine takes absolute paths).
 */
export async function expandInputs(inputs: string[]): Promise<Array<{ file: string; error?: ErrorInfo }>> {
  const out: Array<{ file: string; error?: ErrorInfo }> = [];
  for (const input of inputs.map((p) => path.resolve(p))) {
    const stat = await fs.stat(input).catch(() => null);
    if (stat?.isDirectory()) {
      const names = (await fs.readdir(input)).filter((n) => !n.startsWith('.') && looksLikeImage(n)).sort();
      if (!names.length) out.push({ file: input, error: { code: 'NOT_FOUND', message: `The folder "${input}" holds no images.` } });
      for (const name of names) out.push({ file: path.join(input, name) });
    } else {
      out.push({ file: input });
    }
  }
  return out;
}

/**
 * `<dir>/<name>.<ext>`: the prefix of every output of `file` in this run (see
 * engine/tasks/task.ts). The source extension stays, so `scene.jpg` and
 * `scene.png` never share outputs; `-2`, `-3` … go after the stem when an
 * earlier input of this run had the same name (`scene-2.jpg`).
 */
export function outputBase(dir: string, file: string, used: Set<string>): string {
  const ext = path.extname(file);
  const stem = path.basename(file, ext);
  let base = path.join(dir, `${stem}${ext}`);
  for (let i = 2; used.has(base); i++) base = path.join(dir, `${stem}-${i}${ext}`);
  used.add(base);
  return base;
}
