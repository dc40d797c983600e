import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { BINARY_METHODS, JSON_METHODS, ipcChannel } from '../../electron/common/api-methods';
import type { Reply } from '../../electron/common/contract';
import { registerIpcHandlers } from '../../electron/main/ipc-handlers';
import { PathGuard } from '../../electron/main/path-guard';

type Handler = (event: { senderFrame: { url: string } | null }, ...args: unknown[]) => Promise<Reply<unknown>>;

function setup() {
  const handlers = new Map<string, Handler>();
  const call = vi.fn(async (method: string) => ({ ok: true as const, result: { method, path: '/photos/a.jpg' } }));
  const guard = new PathGuard(['/app/assets/samples']);
  registerIpcHandlers({ handle: (channel: string, handler: Handler) => handlers.set(channel, handler) } as never, { call, guard, trustedOrigin: 'iriscope://app' });
  const fromApp = { senderFrame: { url: 'iriscope://app/index.html' } };
  return { handlers, call, guard, fromApp };
}

describe('Electron IPC handlers', () => {
  it('registers exactly one channel per API call', () => {
    const { handlers } = setup();
    expect([...handlers.keys()].sort()).toEqual([...JSON_METHODS, ...BINARY_METHODS].map(ipcChannel).sort());
  });

  it('refuses calls from any page but the app itself', async () => {
    const { handlers, call } = setup();
    for (const url of ['https://evil.example/', 'file:///tmp/x.html', 'iriscope://other/index.html']) {
      const reply = await handlers.get('iriscope:listJobs')!({ senderFrame: { url } }, {});
      expect(reply).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    }
    expect(await handlers.get('iriscope:listJobs')!({ senderFrame: null }, {})).toMatchObject({ ok: false });
    // The app's own URL in an embedded frame is not the app.
    const framed = { senderFrame: { url: 'iriscope://app/index.html', parent: { url: 'https://evil.example/' } } };
    expect(await handlers.get('iriscope:listJobs')!(framed as never, {})).toMatchObject({ ok: false, error: { code: 'UNAUTHORIZED' } });
    expect(call).not.toHaveBeenCalled();
  });

  it('validates every argument with the contract before the host sees it', async () => {
    const { handlers, call, fromApp } = setup();
    const reply = await handlers.get('iriscope:cancelJob')!(fromApp, { jobId: 'x y', hard: 'yes' });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(call).not.toHaveBeenCalled();
  });

  it('only lets the renderer name files the user chose', async () => {
    const { handlers, call, guard, fromApp } = setup();
    const denied = await handlers.get('iriscope:openImage')!(fromApp, { path: '/etc/shadow' });
    expect(denied).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    expect(await handlers.get('iriscope:openImage')!(fromApp, { path: '/app/assets/samples/boats.jpg' })).toMatchObject({ ok: true });
    guard.grantFile('/photos/a.jpg');
    expect(await handlers.get('iriscope:openImage')!(fromApp, { path: '/photos/a.jpg' })).toMatchObject({ ok: true });
    expect(await handlers.get('iriscope:openImage')!(fromApp, { path: path.join('/app/assets/samples', '..', 'secret.jpg') })).toMatchObject({ ok: false });
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('lets exports write only where the user chose in the save dialog', async () => {
    const { handlers, call, guard, fromApp } = setup();
    const input = { imageId: 'img1', format: 'png', path: '/photos/group.faces.png' };
    expect(await handlers.get('iriscope:exportFaces')!(fromApp, input)).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    // A file granted for reading (opened, recent) is not a place to write.
    guard.grantFile('/photos/group.faces.png', 'read');
    expect(await handlers.get('iriscope:exportFaces')!(fromApp, input)).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
    guard.grantFile('/photos/group.faces.png', 'write');
    expect(await handlers.get('iriscope:exportFaces')!(fromApp, input)).toMatchObject({ ok: true });
    expect(await handlers.get('iriscope:exportFaces')!(fromApp, { ...input, format: 'bmp' })).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(call).toHaveBeenCalledTimes(1);
  });

  it('reports hard cancels so main can kill the inference host', async () => {
    const handlers = new Map<string, Handler>();
    const onHardCancel = vi.fn();
    const call = vi.fn(async () => ({ ok: true as const, result: { id: 'job-1', kind: 'colorize' } }));
    registerIpcHandlers({ handle: (channel: string, handler: Handler) => handlers.set(channel, handler) } as never, { call, guard: new PathGuard([]), trustedOrigin: 'iriscope://app', onHardCancel });
    const fromApp = { senderFrame: { url: 'iriscope://app/index.html' } };
    await handlers.get('iriscope:cancelJob')!(fromApp, { jobId: 'job-1' });
    expect(onHardCancel).not.toHaveBeenCalled();
    await handlers.get('iriscope:cancelJob')!(fromApp, { jobId: 'job-1', hard: true });
    expect(onHardCancel).toHaveBeenCalledWith({ id: 'job-1', kind: 'colorize' });
  });

  it('cannot widen the guard through settings: recent files are not part of a settings change', async () => {
    const { handlers, call, fromApp } = setup();
    const reply = await handlers.get('iriscope:updateSettings')!(fromApp, { recentFiles: ['/etc/shadow'] });
    expect(reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(call).not.toHaveBeenCalled();
  });

  it('does not offer the engine file browser to the desktop window', async () => {
    const { handlers, fromApp } = setup();
    expect(await handlers.get('iriscope:listDirectory')!(fromApp, { path: '/' })).toMatchObject({ ok: false, error: { code: 'PERMISSION_DENIED' } });
  });
});
