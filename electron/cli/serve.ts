import { spawnSync } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { IriscopeError } from '../common/errors';
import { Engine } from '../engine/engine';
import { startServer } from '../server/http-api-server';

/** Exit codes of a process ended by a signal, as shells report them (128 + the signal's number). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 };

/**
 * `iriscope serve`: the app's UI and API on 127.0.0.1, for a browser.
 *
 * A fixed token (for scripts) comes from the IRISCOPE_SERVE_TOKEN variable or
 * a file only its owner can read (`--token-file`), never from the command
 * line, which every user of the machine can read in /proc. On SIGINT,
 * SIGTERM or SIGHUP the server stops taking requests, cancels its jobs, waits
 * for them to clean up (no half-written pyramid or upload survives) and exits
 * with the conventional code.
 */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the Iriscope UI and API on 127.0.0.1 (headless machines, browsers, tests)')
    .option('-p, --port <port>', 'port (0 picks a free one)', '0')
    .option('--token-file <file>', 'read the access token from this file (mode 0600), instead of a random one; or set IRISCOPE_SERVE_TOKEN')
    .action(async (options: { port: string; tokenFile?: string }) => {
      const token = await fixedToken(options.tokenFile);
      const engine = await Engine.create();
      const rendererDir = path.join(engine.paths.appRoot, 'dist', 'renderer');
      ensureRendererBuilt(engine.paths.appRoot, rendererDir);
      const server = await startServer({ api: engine, rendererDir, port: Number(options.port), token, saveUpload: (name, body, limit) => engine.saveUpload(name, body, limit) });
      process.stdout.write(`Iriscope is serving on ${server.url}\nOpen this address (it carries the access token):\n\n  ${server.openUrl}\n\n`);
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(SIGNAL_EXIT[signal] ?? 1); // a second signal: quit at once
        stopping = true;
        process.stderr.write(`serve: ${signal}, stopping (cancelling jobs, cleaning up)…\n`);
        void (async () => {
          await server.close().catch(() => undefined);
          await engine.dispose().catch(() => undefined);
          process.exit(SIGNAL_EXIT[signal] ?? 1);
        })();
      };
      for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, stop);
    });
}

async function fixedToken(file: string | undefined): Promise<string | undefined> {
  const fromEnv = process.env.IRISCOPE_SERVE_TOKEN;
  if (!file) return fromEnv || undefined;
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new IriscopeError({ code: 'FILE_NOT_FOUND', message: `The token file "${file}" does not exist.` });
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new IriscopeError({ code: 'PERMISSION_DENIED', message: `The token file "${file}" can be read by other users (mode ${(stat.mode & 0o777).toString(8)}).`, hint: `chmod 600 "${file}"` });
  }
  const token = (await fs.readFile(file, 'utf8')).trim();
  if (!/^[\w.~-]{16,256}$/.test(token)) throw new IriscopeError({ code: 'BAD_REQUEST', message: `The token in "${file}" must be 16 to 256 letters, digits or -._~.` });
  return token;
}

function ensureRendererBuilt(root: string, rendererDir: string): void {
  if (existsSync(path.join(rendererDir, 'index.html'))) return;
  const script = path.join(root, 'scripts', 'build.mjs');
  if (!existsSync(script)) throw new Error(`The UI is not built and ${script} is missing.`);
  process.stderr.write('Building the UI once (npm run build)…\n');
  const result = spawnSync(process.execPath, [script, '--renderer'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('Building the UI failed.');
}
