/**
 * The packaging hook that sets Electron's fuses (build/after-pack.cjs), run
 * on a stand-in for the Electron binary: bytes around the fuse wire exactly
 * as Electron lays it out (sentinel, wire version, length, one byte per fuse),
 * read back with @electron/fuses itself.
 */
import { promises as fs } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/fixtures';

const require = createRequire(import.meta.url);
const afterPack = require(path.join(REPO_ROOT, 'build', 'after-pack.cjs')) as ((context: unknown) => Promise<void>) & { FUSES: Record<string, unknown> };
const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses') as typeof import('@electron/fuses');
/** A fuse's byte in the wire: ASCII '0' off, '1' on. */
const FuseState = { DISABLE: 48, ENABLE: 49 } as const;

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';

/** An "Electron binary" whose fuses are all as Electron ships them (everything enabled but asar-only and integrity). */
async function fakeElectron(file: string): Promise<void> {
  const wire = [FuseState.ENABLE, FuseState.ENABLE, FuseState.ENABLE, FuseState.ENABLE, FuseState.DISABLE, FuseState.DISABLE, FuseState.DISABLE, FuseState.ENABLE];
  await fs.writeFile(file, Buffer.concat([Buffer.alloc(4096, 0x90), Buffer.from(SENTINEL, 'latin1'), Buffer.from([1, wire.length, ...wire]), Buffer.alloc(4096, 0x90)]));
}

describe('Electron fuses at packaging', () => {
  it('turns off RunAsNode, NODE_OPTIONS and --inspect, turns on asar integrity, asar-only loading and cookie encryption', async () => {
    const dir = await tempDir('iriscope-fuses-');
    const binary = path.join(dir, 'iriscope');
    await fakeElectron(binary);
    await afterPack({ electronPlatformName: 'linux', arch: 1, appOutDir: dir, packager: { appInfo: { productFilename: 'Iriscope' }, executableName: 'iriscope' } });
    const fuses = await getCurrentFuseWire(binary);
    expect({
      runAsNode: fuses[FuseV1Options.RunAsNode],
      nodeOptions: fuses[FuseV1Options.EnableNodeOptionsEnvironmentVariable],
      inspect: fuses[FuseV1Options.EnableNodeCliInspectArguments],
      asarIntegrity: fuses[FuseV1Options.EnableEmbeddedAsarIntegrityValidation],
      onlyAsar: fuses[FuseV1Options.OnlyLoadAppFromAsar],
      cookieEncryption: fuses[FuseV1Options.EnableCookieEncryption],
      fileProtocolPrivileges: fuses[FuseV1Options.GrantFileProtocolExtraPrivileges],
    }).toEqual({
      runAsNode: FuseState.DISABLE,
      nodeOptions: FuseState.DISABLE,
      inspect: FuseState.DISABLE,
      asarIntegrity: FuseState.ENABLE,
      onlyAsar: FuseState.ENABLE,
      cookieEncryption: FuseState.ENABLE,
      fileProtocolPrivileges: FuseState.DISABLE,
    });
  });

  it('sets every fuse the wire has (a newer Electron with fuses we do not know fails the build)', async () => {
    const dir = await tempDir('iriscope-fuses-');
    const binary = path.join(dir, 'iriscope');
    const longer = Buffer.concat([Buffer.from(SENTINEL, 'latin1'), Buffer.from([1, 9, ...Array(9).fill(FuseState.ENABLE)])]);
    await fs.writeFile(binary, longer);
    await expect(afterPack({ electronPlatformName: 'linux', arch: 1, appOutDir: dir, packager: { appInfo: { productFilename: 'Iriscope' }, executableName: 'iriscope' } })).rejects.toThrow(/strictlyRequireAllFuses/);
  });

  it('is the hook electron-builder runs', async () => {
    expect(await fs.readFile(path.join(REPO_ROOT, 'electron-builder.yml'), 'utf8')).toMatch(/^afterPack: build\/after-pack\.cjs$/m);
  });
});
