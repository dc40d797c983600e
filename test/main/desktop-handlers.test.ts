import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { registerDesktopHandlers } from '../../electron/main/desktop-handlers';
import { GrantedFiles } from '../../electron/main/granted-files';
import { PathGuard } from '../../electron/main/path-guard';
import { tempDir } from '../helpers/fixtures';

type Handler = (event: unknown, ...args: unknown[]) => unknown;

async function setup() {
  const dir = await tempDir('iriscope-desktop-');
  const handlers = new Map<string, Handler>();
  const guard = new PathGuard([]);
  const granted = new GrantedFiles(path.join(dir, 'granted-files.json'));
  const deps = {
    guard,
    granted,
    trustedOrigin: 'iriscope://app',
    showOpenDialog: vi.fn(async () => ({ canceled: false, filePaths: ['/photos/chosen.jpg'] })),
    showSaveDialog: vi.fn(async () => ({ canceled: false, filePath: '/exports/out.png' })),
    showItemInFolder: vi.fn(),
  };
  const register = (channel: string, handler: Handler) => handlers.set(channel, handler);
  registerDesktopHandlers({ handle: register, on: register } as never, deps);
  return { dir, handlers, guard, granted, deps };
}

const fromApp = { senderFrame: { url: 'iriscope://app/index.html', parent: null } };
const untrusted = [
  { senderFrame: { url: 'https://evil.example/', parent: null } },
  { senderFrame: { url: 'file:///tmp/x.html', parent: null } },
  { senderFrame: { url: 'http://app/index.html', parent: null } },
  { senderFrame: { url: 'iriscope://other/index.html', parent: null } },
  { senderFrame: { url: 'iriscope://app/index.html', parent: { url: 'https://evil.example/' } } },
  { senderFrame: null },
];

describe('desktop handlers (dialogs, drops, reveal)', () => {
  it('every handler refuses senders of another scheme, host or frame', async () => {
    const { handlers, guard, deps } = await setup();
    for (const event of untrusted) {
      expect(await handlers.get('iriscope-desktop:open-dialog')!(event, {})).toEqual([]);
      expect(await handlers.get('iriscope-desktop:save-dialog')!(event, {})).toBeNull();
      handlers.get('iriscope-desktop:grant-dropped')!(event, '/etc/shadow');
      expect(await handlers.get('iriscope-desktop:reveal')!(event, '/photos/chosen.jpg')).toBe(false);
    }
    expect(deps.showOpenDialog).not.toHaveBeenCalled();
    expect(deps.showSaveDialog).not.toHaveBeenCalled();
    expect(deps.showItemInFolder).not.toHaveBeenCalled();
    expect(guard.allows('/etc/shadow')).toBe(false);
  });

  it('Open grants what the user chose for reading only; Save grants its target for writing', async () => {
    const { handlers, guard } = await setup();
    expect(await handlers.get('iriscope-desktop:open-dialog')!(fromApp, {})).toEqual(['/photos/chosen.jpg']);
    expect(guard.allows('/photos/chosen.jpg', 'read')).toBe(true);
    expect(guard.allows('/photos/chosen.jpg', 'write')).toBe(false);
    expect(await handlers.get('iriscope-desktop:save-dialog')!(fromApp, { defaultPath: '/exports/out.png' })).toBe('/exports/out.png');
    expect(guard.allows('/exports/out.png', 'write')).toBe(true);
  });

  it('reveals only granted paths, and refuses relative or odd ones', async () => {
    const { handlers, deps } = await setup();
    expect(await handlers.get('iriscope-desktop:reveal')!(fromApp, '/home/someone/secret.txt')).toBe(false);
    expect(await handlers.get('iriscope-desktop:reveal')!(fromApp, 'photos/chosen.jpg')).toBe(false);
    expect(await handlers.get('iriscope-desktop:reveal')!(fromApp, { toString: () => '/photos/chosen.jpg' })).toBe(false);
    await handlers.get('iriscope-desktop:open-dialog')!(fromApp, {});
    expect(await handlers.get('iriscope-desktop:reveal')!(fromApp, '/photos/chosen.jpg')).toBe(true);
    expect(deps.showItemInFolder).toHaveBeenCalledExactlyOnceWith('/photos/chosen.jpg');
  });

  it('re-grants after a restart only what main itself recorded, never paths planted in its record', async () => {
    const { handlers, granted, dir } = await setup();
    await handlers.get('iriscope-desktop:open-dialog')!(fromApp, {});
    handlers.get('iriscope-desktop:grant-dropped')!(fromApp, '/photos/dropped.png');
    await vi.waitFor(async () => expect(JSON.parse(await fs.readFile(granted.file, 'utf8'))).toEqual(['/photos/dropped.png', '/photos/chosen.jpg']));
    const restarted = new PathGuard([]);
    await new GrantedFiles(granted.file).restore(restarted);
    expect(restarted.allows('/photos/chosen.jpg')).toBe(true);
    expect(restarted.allows('/photos/dropped.png')).toBe(true);
    expect(restarted.allows('/photos/chosen.jpg', 'write')).toBe(false);
    // A damaged or tampered record grants nothing odd.
    await fs.writeFile(granted.file, JSON.stringify(['relative/x.jpg', 42, '/ok.jpg\u0000/etc/shadow', '/fine.jpg']));
    const again = new PathGuard([]);
    await new GrantedFiles(granted.file).restore(again);
    expect(again.allows('/fine.jpg')).toBe(true);
    expect(again.allows('/ok.jpg')).toBe(false);
    expect(again.allows(path.resolve('relative/x.jpg'))).toBe(false);
    await fs.writeFile(path.join(dir, 'granted-files.json'), '{ not json');
    await expect(new GrantedFiles(granted.file).restore(new PathGuard([]))).resolves.toBeUndefined();
  });
});
