import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Child-process entry points of the engine. From source (tests, tsx) they
 * are TypeScript files run through tsx; from the build they are bundles
 * beside the engine bundle in dist/node/.
 */
const ENTRIES = {
  'pyramid-builder': 'images/pyramid/pyramid-builder-process.ts',
} as const;

export type ChildEntry = keyof typeof ENTRIES;

export function forkChild(entry: ChildEntry): ChildProcess {
  const here = fileURLToPath(import.meta.url);
  const fromSource = here.endsWith('.ts');
  const modulePath = fromSource ? path.join(path.dirname(here), ENTRIES[entry]) : path.join(path.dirname(here), `${entry}.mjs`);
  return fork(modulePath, [], {
    // tsx resolved from here, not from the working folder (the CLI runs from any folder).
    execArgv: fromSource ? ['--import', import.meta.resolve('tsx')] : [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
  });
}
