/**
 * Electron main: windows, menus, dialogs and the guarded bridge between the
 * sandboxed renderer and the inference host. No inference and no image
 * decoding happen here: they would freeze the window.
 */
import { app, BrowserWindow, dialog, ipcMain, protocol, session, shell, utilityProcess } from 'electron';
import path from 'node:path';
import { IPC_EVENT_CHANNEL } from '../common/api-methods';
import { APP_ORIGIN, APP_SCHEME, createProtocolHandler } from './app-protocol';
import { HostSupervisor, type HostProcess } from './host-supervisor';
import { registerIpcHandlers } from './ipc-handlers';
import { installMenu } from './menu';
import { PathGuard } from './path-guard';
import { GrantedFiles } from './granted-files';
import { registerDesktopHandlers } from './desktop-handlers';
import { hardenSession, hardenWebContents } from './security';

// Bundled to dist/electron/main.cjs; the app's root is two folders up.
const appRoot = path.resolve(__dirname, '..', '..');
// Native code (onnxruntime, libvips) cannot read inside app.asar: models and assets are unpacked.
const resourceRoot = app.isPackaged ? path.join(process.resourcesPath, 'app.asar.unpacked') : appRoot;
const rendererDir = path.join(appRoot, 'dist', 'renderer');

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, stream: true } }]);

let mainWindow: BrowserWindow | null = null;
const guard = new PathGuard([path.join(resourceRoot, 'assets', 'samples')]);
const granted = new GrantedFiles(path.join(app.getPath('userData'), 'granted-files.json'));

const host = new HostSupervisor(
  () =>
    utilityProcess.fork(path.join(appRoot, 'dist', 'node', 'inference-host.mjs'), [], {
      serviceName: 'Iriscope inference',
      stdio: 'inherit',
      env: {
        ...process.env,
        IRISCOPE_APP_ROOT: resourceRoot,
        IRISCOPE_DATA_DIR: app.getPath('userData'),
        IRISCOPE_CACHE_DIR: path.join(app.getPath('userData'), 'Cache', 'iriscope'),
      },
    }) as unknown as HostProcess,
  (event) => mainWindow?.webContents.send(IPC_EVENT_CHANNEL, event),
);

function createWindow(): void {
  mainWindow = new BrowserWindow({
    width: 1440,
    height: 900,
    minWidth: 900,
    minHeight: 600,
    backgroundColor: '#111317',
    title: 'Iriscope',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, 'preload.cjs'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      webSecurity: true,
      spellcheck: false,
    },
  });
  mainWindow.once('ready-to-show', () => mainWindow?.show());
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
  void mainWindow.loadURL(`${APP_ORIGIN}/index.html`);
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow?.isMinimized()) mainWindow.restore();
    mainWindow?.focus();
  });

  hardenWebContents(app);

  app.whenReady().then(async () => {
    hardenSession(session.defaultSession);
    protocol.handle(APP_SCHEME, createProtocolHandler({ rendererDir, guard, call: (method, input) => host.call(method, input) }));
    await host.start();

    // Files the user chose in earlier sessions (main's own record, never the
    // engine's settings, which other transports write too) may be reopened.
    await granted.restore(guard);

    registerIpcHandlers(ipcMain, {
      call: (method, input, bytes) => host.call(method, input, bytes),
      guard,
      trustedOrigin: APP_ORIGIN,
      onOpened: (file) => void granted.remember(guard, file).catch(() => undefined),
      // onnxruntime cannot interrupt a running session: the hard cancel of
      // inference is to kill the host, which respawns (pyramids stay cached).
      onHardCancel: (job) => {
        if (job.kind === 'colorize' || job.kind === 'detect' || job.kind === 'faces') host.restart();
      },
    });
    registerDesktopHandlers(ipcMain, {
      guard,
      granted,
      trustedOrigin: APP_ORIGIN,
      showOpenDialog: (options) => dialog.showOpenDialog(mainWindow!, options),
      showSaveDialog: (options) => dialog.showSaveDialog(mainWindow!, options),
      showItemInFolder: (file) => shell.showItemInFolder(file),
    });

    installMenu(() => mainWindow, process.platform === 'darwin');
    createWindow();
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) createWindow();
    });
  });

  // Quit when all windows are closed, except on macOS where apps stay in the dock.
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('before-quit', () => host.stop());
}
