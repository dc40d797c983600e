#!/usr/bin/env node
// `npm test`: everything CI checks, in order, stopping at the first failure.
//   1. type-check the Node side and the renderer
//   2. build the app (the end-to-end tests drive the real build)
//   3. unit and integration tests (vitest project "unit")
//   4. Python training tests (unittest), where /usr/bin/python3 has torch
//   5. end-to-end tests in Debian's Chromium against `iriscope serve`
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => `${root}node_modules/.bin/${name}`;
const steps = [
  ['type-check', bin('tsc'), ['-p', 'tsconfig.node.json', '--noEmit']],
  ['type-check renderer', bin('tsc'), ['-p', 'tsconfig.web.json', '--noEmit']],
  ['build', process.execPath, ['scripts/build.mjs']],
  ['unit and integration tests', bin('vitest'), ['run', '--project', 'unit']],
];
const python = '/usr/bin/python3';
if (existsSync(`${root}test/training`) && existsSync(python) && spawnSync(python, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) {
  steps.push(['training tests (python)', python, ['-m', 'unittest', 'discover', '-s', 'test/training', '-t', '.', '-p', 'test_*.py']]);
} else {
  console.log('note: skipping the Python training tests (needs /usr/bin/python3 with torch: apt-get install python3-torch python3-torchvision)');
}
steps.push(['end-to-end tests (Chromium)', bin('vitest'), ['run', '--project', 'e2e']]);

const results = [];
for (const [name, command, args] of steps) {
  console.log(`\n━━ ${name}: ${[command.replace(root, ''), ...args].join(' ')}`);
  const started = Date.now();
  const { status } = spawnSync(command, args, { cwd: root, stdio: 'inherit', env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? '1' } });
  results.push([name, status === 0, (Date.now() - started) / 1000]);
  if (status !== 0) break;
}
console.log('\n━━ summary');
for (const [name, ok, seconds] of results) console.log(`${ok ? '✔' : '✘'} ${name} (${seconds.toFixed(0)} s)`);
process.exit(results.every(([, ok]) => ok) && results.length === steps.length ? 0 : 1);
