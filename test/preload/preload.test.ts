import { beforeEach, describe, expect, it, vi } from 'vitest';
import { BINARY_METHODS, IPC_EVENT_CHANNEL, JSON_METHODS } from '../../electron/common/api-methods';

const exposed: Record<string, Record<string, (...args: unknown[]) => unknown>> = {};
const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
const invoke = vi.fn(async (...args: unknown[]) => ({ ok: true, result: args }));
const send = vi.fn();

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: Record<string, (...args: unknown[]) => unknown>) => (exposed[key] = value) },
  ipcRenderer: {
    invoke,
    send,
    on: (channel: string, fn: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(fn);
    },
    off: (channel: string, fn: (...args: unknown[]) => void) => listeners.get(channel)?.delete(fn),
  },
  webUtils: { getPathForFile: () => '/home/me/dropped.jpg' },
}));

beforeEach(async () => {
  vi.resetModules();
  await import('../../electron/preload/preload');
});

describe('preload bridge', () => {
  it('exposes one function per API call and nothing like ipcRenderer', () => {
    const names = Object.keys(exposed.iriscope).sort();
    expect(names).toEqual([...JSON_METHODS, ...BINARY_METHODS, 'onEvent'].sort());
    for (const value of Object.values(exposed.iriscope)) expect(typeof value).toBe('function');
    expect(Object.keys(exposed.iriscopeDesktop).sort()).toEqual(['onMenu', 'openFileDialog', 'pathForFile', 'revealInFolder', 'saveFileDialog']);
  });

  it('sends each call on its own channel', async () => {
    await exposed.iriscope.openImage({ path: '/x.jpg' });
    expect(invoke).toHaveBeenLastCalledWith('iriscope:openImage', { path: '/x.jpg' });
    await exposed.iriscope.listJobs();
    expect(invoke).toHaveBeenLastCalledWith('iriscope:listJobs', {});
  });

  it('strips the IPC event from callbacks and unsubscribes', () => {
    const received: unknown[][] = [];
    const off = exposed.iriscope.onEvent((...args: unknown[]) => received.push(args)) as () => void;
    for (const fn of listeners.get(IPC_EVENT_CHANNEL)!) fn({ sender: 'secret ipc object' }, { type: 'engine', state: 'ready' });
    expect(received).toEqual([[{ type: 'engine', state: 'ready' }]]);
    off();
    expect(listeners.get(IPC_EVENT_CHANNEL)!.size).toBe(0);
  });

  it('asks main for a save dialog with plain data only', async () => {
    await exposed.iriscopeDesktop.saveFileDialog({ defaultPath: '/home/me/group.faces.png', filters: [{ name: 'PNG', extensions: ['png'], extra: () => 1 }], evil: 1 });
    expect(invoke).toHaveBeenLastCalledWith('iriscope-desktop:save-dialog', { defaultPath: '/home/me/group.faces.png', filters: [{ name: 'PNG', extensions: ['png'] }] });
  });

  it('grants a dropped file to main when resolving its path', () => {
    expect(exposed.iriscopeDesktop.pathForFile({} as File)).toBe('/home/me/dropped.jpg');
    expect(send).toHaveBeenCalledWith('iriscope-desktop:grant-dropped', '/home/me/dropped.jpg');
  });
});
