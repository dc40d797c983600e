/**
 * `npm run bench [-- pyramid|providers|all]`: speed and memory, printed as
 * ratios against a baseline measured in the same run (machines here are
 * noisy; absolute times are for the record only, never asserted).
 *
 *   pyramid    open a 20,000 × 20,000 JPEG, build its pyramid, read 50 random
 *              1024² regions (engine peak RSS; pyramid vs straight-from-file
 *              region reads), and time the first viewer tile of a cached image
 *   providers  every shipped model on every execution provider that loads
 *              here: time per run and largest difference from CPU
 *   colorize   8 samples of a 12-Mpx photo end to end (app and CLI paths) per
 *              installed colorization model, the cached sampler vs the naive
 *              one (ratio), peak memory (own process)
 *   faces      faces per second (detection + attributes) on a group photo,
 *              the merged attribute pass vs the three heads as separate
 *              sessions (ratio), detection recall on the face fixtures
 *   detect     ODGI cascade vs the tiled full-resolution baseline on 8k/20k
 *              scenes with ground truth: time ratio, recall, AP@0.5, area read
 *              at full resolution, peak RSS, AP-vs-time over γ on scenes generated
 *              for the run (sizes: -- detect 8192; default 8192 20000)
 *   batch      `iriscope worker` on a real Redis: files/s with 1 and 2 workers
 *              (ratio), detect on small aerial crops (-- batch 100 256)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { benchFaces } from './faces';
import { benchProviders } from './providers';

const which = process.argv[2] ?? 'all';
const here = fileURLToPath(new URL('.', import.meta.url));

if (which === 'pyramid' || which === 'all') {
  // The engine runs in its own process so its peak RSS is its own, not the fixture generator's.
  const { status } = spawnSync(process.execPath, ['--import', 'tsx', `${here}pyramid.ts`, ...process.argv.slice(3)], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
if (which === 'providers' || which === 'all') await benchProviders();
if (which === 'colorize' || which === 'all') {
  // Its own process, so the peak memory it reports is the colorizer's.
  const { status } = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', `${here}colorize.ts`, ...process.argv.slice(3)], { stdio: 'inherit' });
  if (status !== 0) process.exit(status ?? 1);
}
if (which === 'faces' || which === 'all') await benchFaces();
if (which === 'detect' || which === 'all') {
  // Runs its engines in child processes (each run's peak RSS is its own).
  const { benchDetect } = await import('./detect');
  const sizes = process.argv.slice(3).map(Number).filter(Boolean);
  await benchDetect(sizes.length ? sizes : [8192, 20000]);
}
if (which === 'batch' || which === 'all') {
  const { benchBatch } = await import('./batch');
  const [count, px] = process.argv.slice(3).map(Number);
  await benchBatch(count || undefined, px || undefined);
}
if (!['pyramid', 'providers', 'colorize', 'faces', 'detect', 'batch', 'all'].includes(which)) {
  console.error(`unknown benchmark "${which}": use pyramid, providers, colorize, faces, detect, batch or all`);
  process.exit(2);
}
