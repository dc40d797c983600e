import { IriscopeError, cancelledError } from '../../../common/errors';
import { forkChild } from '../../child-entry';
import { writeAtomically } from '../../fs/atomic-write';
import type { JobContext } from '../../jobs/job-queue';
import { imageError } from '../image-errors';
import type { BuilderMessage, DisplayMapping, PyramidBuildRequest } from './pyramid-format';
import { writePyramid } from './pyramid-writer';

export interface BuiltPyramid {
  levels: Array<{ width: number; height: number }>;
  bands: number;
  mapping: DisplayMapping | null;
  peakRssBytes: number;
}

/** Up to this many pixels a pyramid is built in process: milliseconds of work, less than a child's start. */
export const IN_PROCESS_MAX_PIXELS = 4_000_000;

/**
 * Builds a pyramid and reports its progress to the job: in a child process
 * (killable at once, a decoder crash cannot take the engine down), or for
 * small plain images in the engine itself. The TIFF appears at
 * `request.target` only when complete; a cancel, a decoder error or a full
 * disk leaves nothing behind.
 */
export async function buildPyramid(request: PyramidBuildRequest, ctx: JobContext): Promise<BuiltPyramid> {
  const inProcess = request.pixels <= IN_PROCESS_MAX_PIXELS && !request.mapBands;
  return writeAtomically(request.target, (temp) => (inProcess ? buildHere({ ...request, target: temp }, ctx) : runBuilder({ ...request, target: temp }, ctx)));
}

async function buildHere(request: PyramidBuildRequest, ctx: JobContext): Promise<BuiltPyramid> {
  ctx.throwIfCancelled();
  try {
    const written = await writePyramid(request, (fraction, message) => ctx.progress(fraction, message), { watchSource: false });
    ctx.throwIfCancelled();
    return { ...written, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  } catch (error) {
    if ((error as IriscopeError)?.code === 'CANCELLED' || (error as NodeJS.ErrnoException)?.code) throw error;
    throw await imageError(error, request.source);
  }
}

function runBuilder(request: PyramidBuildRequest, ctx: JobContext): Promise<BuiltPyramid> {
  ctx.throwIfCancelled();
  return new Promise<BuiltPyramid>((resolve, reject) => {
    const child = forkChild('pyramid-builder');
    let settled = false;
    let result: BuiltPyramid | null = null;
    let failure: BuilderMessage & { type: 'error' } | null = null;

    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    // Cooperative and hard cancel both kill the builder: libvips cannot stop mid-write.
    const onAbort = () => kill();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    ctx.onHardCancel(kill);

    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      ctx.signal.removeEventListener('abort', onAbort);
      fn();
    };

    child.on('message', (message: BuilderMessage) => {
      if (message.type === 'progress') ctx.progress(message.fraction, message.message);
      else if (message.type === 'done') result = { levels: message.levels, bands: message.bands, mapping: message.mapping, peakRssBytes: message.peakRssBytes };
      else if (message.type === 'error') failure = message;
    });
    child.on('error', (error) => settle(() => reject(error)));
    child.on('exit', (code, signal) => {
      settle(() => {
        if (ctx.signal.aborted) return reject(cancelledError('Building the pyramid'));
        if (result && code === 0) return resolve(result);
        if (failure) {
          const err = Object.assign(new Error(failure.message), { code: failure.code });
          // Errno-style failures (ENOSPC) pass through to the atomic writer's mapping.
          if (failure.code) return reject(err);
          return imageError(err, request.source).then(reject, reject);
        }
        reject(new IriscopeError({
          code: 'CORRUPT_IMAGE',
          message: 'The image decoder stopped unexpectedly while reading this file.',
          detail: `pyramid builder exited with ${signal ?? `code ${code}`}`,
          hint: 'The file may be damaged, or too large for the memory available.',
        }));
      });
    });
    child.send(request);
  });
}
