import { Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';

/** Actions the menu sends to the renderer, which runs the same code as its shortcuts. */
export type MenuAction = 'open' | 'close-image' | 'zoom-in' | 'zoom-out' | 'fit' | 'actual-size' | 'toggle-jobs' | 'settings' | 'shortcuts';

export function installMenu(window: () => BrowserWindow | null, isMac: boolean): void {
  const send = (action: MenuAction) => () => window()?.webContents.send('iriscope:menu', action);
  const template: MenuItemConstructorOptions[] = [
    ...(isMac ? [{ role: 'appMenu' as const }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', click: send('open') },
        { label: 'Close Image', accelerator: 'CmdOrCtrl+W', click: send('close-image') },
        { type: 'separator' },
        { label: 'Settings…', accelerator: 'CmdOrCtrl+,', click: send('settings') },
        { type: 'separator' },
        isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'View',
      submenu: [
        { label: 'Zoom In', accelerator: 'Plus', registerAccelerator: false, click: send('zoom-in') },
        { label: 'Zoom Out', accelerator: '-', registerAccelerator: false, click: send('zoom-out') },
        { label: 'Fit to Window', accelerator: '0', registerAccelerator: false, click: send('fit') },
        { label: 'Actual Pixels', accelerator: '1', registerAccelerator: false, click: send('actual-size') },
        { type: 'separator' },
        { label: 'Show/Hide Jobs', accelerator: 'J', registerAccelerator: false, click: send('toggle-jobs') },
        { role: 'togglefullscreen' },
        ...(process.env.IRISCOPE_DEVTOOLS ? [{ role: 'toggleDevTools' as const }] : []),
      ],
    },
    { label: 'Help', submenu: [{ label: 'Keyboard Shortcuts', accelerator: '?', registerAccelerator: false, click: send('shortcuts') }] },
  ];
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}
