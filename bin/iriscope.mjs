#!/usr/bin/env node
// The `iriscope` command. In a source checkout it runs the TypeScript CLI
// through tsx, so it never runs stale code; in a build without sources it
// runs the bundle in dist/node/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}electron/cli/main.ts`;
const bundle = `${root}dist/node/cli.mjs`;

if (existsSync(source)) {
  try {
    const { register } = await import('tsx/esm/api');
    register();
    await import(pathToFileURL(source).href);
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !existsSync(bundle)) throw error;
    await import(pathToFileURL(bundle).href);
  }
} else {
  await import(pathToFileURL(bundle).href);
}
