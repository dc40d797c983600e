import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './fixtures';

const run = promisify(execFile);

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the real `iriscope` command as a user would; never throws on a non-zero exit. */
export async function runIriscope(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [path.join(REPO_ROOT, 'bin', 'iriscope.mjs'), ...args], { env, cwd: REPO_ROOT, maxBuffer: 1 << 26 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** Data and cache folders of their own, so tests never touch the user's. */
export function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, IRISCOPE_DATA_DIR: path.join(dir, 'data'), IRISCOPE_CACHE_DIR: path.join(dir, 'cache') };
}
