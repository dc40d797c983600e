import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { Engine } from '../engine/engine';
import { startServer } from '../server/http-api-server';

/** `iriscope serve`: the app's UI and API on 127.0.0.1, for a browser. */
export function serveCommand(program: Command): void {
  program
    .command('serve')
    .description('serve the Iriscope UI and API on 127.0.0.1 (headless machines, browsers, tests)')
    .option('-p, --port <port>', 'port (0 picks a free one)', '0')
    .option('--token <token>', 'use this access token instead of a random one')
    .action(async (options: { port: string; token?: string }) => {
      const engine = await Engine.create();
      const rendererDir = path.join(engine.paths.appRoot, 'dist', 'renderer');
      ensureRendererBuilt(engine.paths.appRoot, rendererDir);
      const server = await startServer({ api: engine, rendererDir, port: Number(options.port), token: options.token });
      process.stdout.write(`Iriscope is serving on ${server.url}\nOpen this address (it carries the access token):\n\n  ${server.openUrl}\n\n`);
      const stop = async () => {
        await server.close();
        await engine.dispose();
        process.exit(0);
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
}

function ensureRendererBuilt(root: string, rendererDir: string): void {
  if (existsSync(path.join(rendererDir, 'index.html'))) return;
  const script = path.join(root, 'scripts', 'build.mjs');
  if (!existsSync(script)) throw new Error(`The UI is not built and ${script} is missing.`);
  process.stderr.write('Building the UI once (npm run build)…\n');
  const result = spawnSync(process.execPath, [script, '--renderer'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error('Building the UI failed.');
}
