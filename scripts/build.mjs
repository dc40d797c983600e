#!/usr/bin/env node
// Builds everything the app runs from dist/:
//   dist/renderer/   the React UI (vite), served by Electron and by `iriscope serve`
//   dist/node/       engine entry points: the CLI, the Electron inference host, child workers
//   dist/electron/   Electron main (CJS) and the sandboxed preload (one CJS bundle)
// `--renderer` builds only the UI.
import { build as esbuild } from 'esbuild';
import { build as viteBuild } from 'vite';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const only = process.argv.includes('--renderer') ? 'renderer' : null;
const started = Date.now();

await viteBuild({ root: `${root}renderer`, configFile: `${root}vite.config.ts`, logLevel: 'warn' });

if (!only) {
  const common = { bundle: true, platform: 'node', target: 'node20', sourcemap: true, logLevel: 'warning', absWorkingDir: root };
  await esbuild({
    ...common,
    entryPoints: {
      cli: 'electron/cli/main.ts',
      'inference-host': 'electron/host/inference-host.ts',
      'pyramid-builder': 'electron/engine/images/pyramid/pyramid-builder-process.ts',
    },
    outdir: 'dist/node',
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    packages: 'external',
  });
  await esbuild({ ...common, entryPoints: { main: 'electron/main/main.ts' }, outdir: 'dist/electron', format: 'cjs', outExtension: { '.js': '.cjs' }, packages: 'external', external: ['electron'] });
  // A sandboxed preload can only require('electron'): everything else is bundled in.
  await esbuild({ ...common, entryPoints: { preload: 'electron/preload/preload.ts' }, outdir: 'dist/electron', format: 'cjs', outExtension: { '.js': '.cjs' }, external: ['electron'], platform: 'browser', target: 'chrome130' });
}
console.log(`built ${only ?? 'renderer, node entries, electron shell'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
