import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './fixtures';

const run = promisify(execFile);
const BIN = path.join(REPO_ROOT, 'bin', 'iriscope.mjs');

export interface CliResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs the real `iriscope` command as a user would; never throws on a non-zero exit. */
export async function runIriscope(env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  return runIriscopeIn(REPO_ROOT, env, ...args);
}

/** The same, from another working folder (relative paths resolve against it). */
export async function runIriscopeIn(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { env, cwd, maxBuffer: 1 << 26 });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

/** A running `iriscope` process whose output can be watched while it works. */
export interface LiveCli {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and the signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startIriscope(env: NodeJS.ProcessEnv, ...args: string[]): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Data and cache folders of their own, so tests never touch the user's. */
export function isolatedEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, IRISCOPE_DATA_DIR: path.join(dir, 'data'), IRISCOPE_CACHE_DIR: path.join(dir, 'cache') };
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

/** Every file under `dir` (recursive), relative to it. */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name))).sort();
}

/** Temporary files any writer of ours leaves when it is not cleaned up: atomic-write partials and colorize renders. */
export async function leftovers(...dirs: string[]): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) for (const file of await filesUnder(dir)) if (/\.partial$|\.partial\/|\.v$|\.render\.png$/.test(file)) found.push(path.join(dir, file));
  return found;
}
