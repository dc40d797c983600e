// electron-builder afterPack hook: sets Electron's fuses on the packaged
// binary with @electron/fuses, before signing (Electron security checklist).
//   RunAsNode off                       — ELECTRON_RUN_AS_NODE cannot turn the app into a node
//   NODE_OPTIONS off, --inspect off     — no code injected through the environment or a debugger
//   embedded asar integrity on          — a tampered app.asar refuses to load
//   only load the app from asar on      — no app/ folder beside it is loaded instead
//   cookie encryption on                — cookies on disk are encrypted with the OS key store
//   file:// extra privileges off        — the app uses its iriscope:// protocol, never file://
const path = require('node:path');
const { flipFuses, FuseV1Options, FuseVersion } = require('@electron/fuses');

const FUSES = {
  version: FuseVersion.V1,
  strictlyRequireAllFuses: true,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
};

/** The Electron binary electron-builder packed, per platform. */
function electronBinary(context) {
  const name = context.packager.appInfo.productFilename;
  switch (context.electronPlatformName) {
    case 'darwin':
    case 'mas':
      return path.join(context.appOutDir, `${name}.app`);
    case 'win32':
      return path.join(context.appOutDir, `${name}.exe`);
    default:
      return path.join(context.appOutDir, context.packager.executableName ?? name.toLowerCase());
  }
}

async function setFuses(binary, { arm64Mac = false } = {}) {
  return flipFuses(binary, { ...FUSES, resetAdHocDarwinSignature: arm64Mac });
}

module.exports = async function afterPack(context) {
  const arm64Mac = context.electronPlatformName === 'darwin' && context.arch === 3; // builder-util Arch.arm64
  await setFuses(electronBinary(context), { arm64Mac });
};
module.exports.FUSES = FUSES;
module.exports.setFuses = setFuses;
