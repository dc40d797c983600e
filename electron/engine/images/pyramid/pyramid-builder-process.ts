/**
 * Child-process entry that writes one pyramid. It runs out of the engine's
 * process so that a cancel can kill it at once (libvips cannot be interrupted
 * mid-write) and so a decoder crash on a hostile file cannot take the engine
 * down. Progress comes from how far libvips has read into the source file.
 */
import os from 'node:os';
import sharp from 'sharp';
import type { BuilderMessage, PyramidBuildRequest } from './pyramid-format';
import { writePyramid } from './pyramid-writer';

function send(message: BuilderMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, () => resolve());
  });
}

async function build(request: PyramidBuildRequest): Promise<void> {
  sharp.concurrency(Math.max(1, Math.min(4, os.cpus().length)));
  const written = await writePyramid(request, (fraction, message) => void send({ type: 'progress', fraction, message }), { watchSource: true });
  await send({ type: 'done', ...written, peakRssBytes: process.resourceUsage().maxRSS * 1024 });
}

// The builder dies with the engine: when the parent goes (killed, crashed,
// exited) the IPC channel closes, and an orphan must not go on writing.
process.once('disconnect', () => process.exit(1));

process.once('message', (request: PyramidBuildRequest) => {
  build(request).then(
    () => process.exit(0),
    async (error: unknown) => {
      const err = error as NodeJS.ErrnoException;
      await send({ type: 'error', message: err?.message ?? String(error), code: err?.code });
      process.exit(1);
    },
  );
});
