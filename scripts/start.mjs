#!/usr/bin/env node
// `npm start`: builds the app and opens the desktop window. Electron's binary
// is fetched on first start (install scripts are off, see .npmrc); where it
// cannot be fetched (offline machines, CI) the same app is served on
// 127.0.0.1 instead and the address to open is printed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);
const run = (args, options = {}) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', ...options });

if (run(['scripts/build.mjs']).status !== 0) process.exit(1);

function electronBinary() {
  try {
    const pkg = require.resolve('electron/package.json', { paths: [root] });
    const dir = pkg.slice(0, -'package.json'.length);
    const relative = existsSync(`${dir}path.txt`) ? readFileSync(`${dir}path.txt`, 'utf8').trim() : null;
    return { dir, binary: relative && existsSync(`${dir}dist/${relative}`) ? `${dir}dist/${relative}` : null };
  } catch {
    return { dir: null, binary: null };
  }
}

let { dir, binary } = electronBinary();
if (!binary && dir && !process.env.IRISCOPE_NO_ELECTRON) {
  console.log('Fetching the Electron binary (first start only)…');
  run([`${dir}install.js`], { timeout: 180_000, stdio: ['ignore', 'inherit', 'ignore'] });
  ({ binary } = electronBinary());
}

if (binary && (process.platform !== 'linux' || process.env.DISPLAY || process.env.WAYLAND_DISPLAY)) {
  const child = spawn(binary, ['.'], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log(binary
    ? '\nNo display found: serving Iriscope to a browser instead of opening a window.\n'
    : '\nElectron could not be installed here (no network route to its download). Serving Iriscope to a browser instead.\n');
  const child = spawn(process.execPath, ['bin/iriscope.mjs', 'serve', ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
