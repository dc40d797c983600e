#!/usr/bin/env node
// The flake check: `npm test` several times in a row on a fresh clone while
// busy loops keep every core loaded, as CI's shared machine may be.
//
//   node scripts/test-under-load.mjs [--runs 3] [--load 2] [--keep]
//
// Clones this checkout's HEAD into a temporary folder, runs `npm ci` there,
// then `npm test` --runs times with --load CPU-bound threads running
// alongside, and prints each run's result and duration. Exits 1 if any run
// failed. Logs stay in the clone's folder (printed at the end).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, createWriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, load: { type: 'string', default: String(os.cpus().length) }, keep: { type: 'boolean', default: false } } });
const runs = Number(values.runs);
const load = Number(values.load);
const repo = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(path.join(os.tmpdir(), 'iriscope-under-load-'));
const clone = path.join(work, 'iriscope');

const sh = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: 'inherit' });
console.log(`fresh clone of ${repo} (HEAD ${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo }).toString().trim()}) in ${clone}`);
sh('git', ['clone', '--quiet', repo, clone]);
sh('npm', ['ci', '--no-audit', '--no-fund'], clone);

// Busy loops: CPU burners on worker threads of this process, one per core asked for; being
// threads, they die with it however it ends (a killed script leaves no burner behind).
const burners = Array.from({ length: load }, () => new Worker('for (;;) Math.sqrt(Math.random());', { eval: true }));
let current = null; // the running `npm test`, in its own process group
const stop = () => burners.forEach((b) => b.terminate());
process.on('exit', () => {
  if (current?.exitCode === null) process.kill(-current.pid, 'SIGTERM');
});
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));
console.log(`${load} busy loop(s) running (worker threads of pid ${process.pid})`);

const results = [];
for (let i = 1; i <= runs; i++) {
  const log = path.join(work, `run-${i}.log`);
  const started = Date.now();
  const code = await new Promise((resolve) => {
    const child = (current = spawn('npm', ['test'], { cwd: clone, env: { ...process.env, FORCE_COLOR: '0' }, detached: true }));
    const out = createWriteStream(log);
    child.stdout.pipe(out);
    child.stderr.pipe(out);
    child.on('exit', (c) => resolve(c ?? 1));
  });
  const minutes = (Date.now() - started) / 60_000;
  results.push({ run: i, ok: code === 0, minutes });
  console.log(`run ${i}: ${code === 0 ? 'green' : `RED (exit ${code})`} in ${minutes.toFixed(1)} min — ${log}`);
}
stop();
console.log(`\n${results.filter((r) => r.ok).length} of ${runs} runs green under ${load} busy loop(s); logs in ${work}`);
if (!values.keep && results.every((r) => r.ok)) rmSync(clone, { recursive: true, force: true });
process.exit(results.every((r) => r.ok) ? 0 : 1);
