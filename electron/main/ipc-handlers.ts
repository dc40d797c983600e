import type { IpcMain } from 'electron';
import { BINARY_METHODS, JSON_METHODS, ipcChannel, type ApiMethod } from '../common/api-methods';
import type { Reply } from '../common/contract';
import { IriscopeError, toErrorInfo } from '../common/errors';
import { parseInput } from '../common/validate';
import type { Access, PathGuard } from './path-guard';
import { assertTrustedSender, type SenderEvent } from './trusted-sender';

export interface IpcDeps {
  call(method: ApiMethod, input: unknown, bytes?: Uint8Array): Promise<Reply<unknown>>;
  guard: PathGuard;
  /** Origins the app's own pages are served from. */
  trustedOrigin: string;
  /** Called with every successful openImage result (to remember recent files as granted). */
  onOpened?(path: string): void;
  /** Called after a hard cancel of a job, with the job as the host reported it. */
  onHardCancel?(job: { id: string; kind: string }): void;
}

/** Calls whose input names a file on disk, checked against the path guard for reading or writing. */
const PATH_INPUTS: Partial<Record<ApiMethod, { path: (input: Record<string, unknown>) => string; access: Access }>> = {
  inspectImage: { path: (i) => i.path as string, access: 'read' },
  openImage: { path: (i) => i.path as string, access: 'read' },
  readThumbnail: { path: (i) => i.path as string, access: 'read' },
  importModel: { path: (i) => i.path as string, access: 'read' },
  // Export targets must have been chosen in the save dialog (which grants them for writing).
  exportFaces: { path: (i) => i.path as string, access: 'write' },
  exportColorization: { path: (i) => i.path as string, access: 'write' },
  exportDetections: { path: (i) => i.path as string, access: 'write' },
};

/** The desktop window browses files and saves exports with native dialogs, never through the engine. */
const DENIED_IN_DESKTOP: ApiMethod[] = ['listDirectory', 'makeDirectory', 'prepareDownload', 'resolveDownload'];

/**
 * One ipcMain handler per API call. Each checks the sender, validates its
 * arguments with the contract's schema and the path guard, then forwards to
 * the inference host. Replies are Reply envelopes, so typed errors survive.
 */
export function registerIpcHandlers(ipcMain: Pick<IpcMain, 'handle'>, deps: IpcDeps): void {
  for (const method of [...JSON_METHODS, ...BINARY_METHODS]) {
    ipcMain.handle(ipcChannel(method), async (event, raw: unknown, bytes?: unknown) => {
      try {
        assertTrustedSender(event as SenderEvent, deps.trustedOrigin);
        if (DENIED_IN_DESKTOP.includes(method)) {
          throw new IriscopeError({ code: 'PERMISSION_DENIED', message: 'The desktop window opens files through the system dialog.' });
        }
        const input = parseInput(method as never, raw) as Record<string, unknown>;
        const named = PATH_INPUTS[method];
        if (named) deps.guard.check(named.path(input), named.access);
        if (method === 'uploadImage' && !(bytes instanceof Uint8Array)) {
          throw new IriscopeError({ code: 'BAD_REQUEST', message: 'uploadImage needs the file bytes.' });
        }
        const reply = await deps.call(method, input, method === 'uploadImage' ? (bytes as Uint8Array) : undefined);
        if (reply.ok && method === 'openImage') deps.onOpened?.((reply.result as { path: string }).path);
        if (reply.ok && method === 'cancelJob' && input.hard) deps.onHardCancel?.(reply.result as { id: string; kind: string });
        return reply;
      } catch (error) {
        return { ok: false, error: toErrorInfo(error) } satisfies Reply<unknown>;
      }
    });
  }
}
