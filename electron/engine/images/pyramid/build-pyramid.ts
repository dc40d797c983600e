import { IriscopeError, cancelledError } from '../../../common/errors';
import { forkChild } from '../../child-entry';
import { writeAtomically } from '../../fs/atomic-write';
import type { JobContext } from '../../jobs/job-queue';
import { imageError } from '../image-errors';
import type { BuilderMessage, DisplayMapping, PyramidBuildRequest } from './pyramid-format';

export interface BuiltPyramid {
  levels: Array<{ width: number; height: number }>;
  bands: number;
  mapping: DisplayMapping | null;
  peakRssBytes: number;
}

/**
 * Builds a pyramid in a child process and reports its progress to the job.
 * The TIFF appears at `request.target` only when complete; a cancel, a
 * decoder error or a full disk leaves nothing behind.
 */
export async function buildPyramid(request: PyramidBuildRequest, ctx: JobContext): Promise<BuiltPyramid> {
  return writeAtomically(request.target, (temp) => runBuilder({ ...request, target: temp }, ctx));
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
