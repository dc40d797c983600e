/**
 * Ctrl-C (SIGINT) and SIGTERM for the batch commands, in one place: the
 * first signal aborts the work (the running engine job is cancelled, its
 * temporary files removed as any cancelled job removes them) and the command
 * exits with the conventional code, 128 + the signal number (130, 143). A
 * second signal, or a cancel that does not finish within a grace period
 * (none for a worker finishing its jobs), removes every temporary file still
 * alive and exits at once.
 */
import { removeTrackedTempsSync } from '../engine/fs/temp-files';

const EXIT_CODE = { SIGINT: 130, SIGTERM: 143 } as const;
type HandledSignal = keyof typeof EXIT_CODE;
const GRACE_MS = 20_000;

export interface Interruption {
  /** Aborted by the first signal. */
  signal: AbortSignal;
  /** The exit code the signal asks for, or null while none came. */
  exitCode(): number | null;
}

export async function withInterrupts<T>(name: string, body: (interruption: Interruption) => Promise<T>, options: { graceMs?: number | null } = {}): Promise<T> {
  const graceMs = options.graceMs === undefined ? GRACE_MS : options.graceMs;
  const controller = new AbortController();
  let received: HandledSignal | null = null;
  const onSignal = (sig: HandledSignal) => {
    if (received) {
      removeTrackedTempsSync();
      process.exit(EXIT_CODE[received]);
    }
    received = sig;
    process.stderr.write(`${name}: ${sig === 'SIGINT' ? 'interrupted' : 'terminated'}, ${graceMs === null ? 'stopping' : 'cancelling'} (${sig === 'SIGINT' ? 'Ctrl-C' : 'signal'} again to quit at once)…\n`);
    controller.abort();
    if (graceMs !== null) {
      setTimeout(() => {
        removeTrackedTempsSync();
        process.exit(EXIT_CODE[sig]);
      }, graceMs).unref();
    }
  };
  const onInt = () => onSignal('SIGINT');
  const onTerm = () => onSignal('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await body({ signal: controller.signal, exitCode: () => (received ? EXIT_CODE[received] : null) });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    if (received) process.exitCode = EXIT_CODE[received];
  }
}
