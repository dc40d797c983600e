/**
 * What a batch never does to a user's files (issue #8): write one input's
 * results over another input (`scene.jpg` + `scene.png`, `photo.jpg` +
 * `photo.faces.jpg`), replace a file it did not write unless asked to
 * (--overwrite, and even then never an input), blame the input when the
 * output folder cannot be written, or resolve relative paths anywhere but
 * the folder the command runs in. Inputs are compared by hash before and after.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isolatedEnv, leftovers, runIriscope, runIriscopeIn, sha256 } from '../helpers/cli';
import { AERIAL, odgiModelDirs } from '../helpers/detect';
import { REPO_ROOT, SAMPLE_PHOTO, tempDir } from '../helpers/fixtures';
import { makeReadOnly } from '../helpers/read-only';

const FACES = path.join(REPO_ROOT, 'test', 'fixtures', 'faces');
let env: NodeJS.ProcessEnv;
let dir: string;
const iriscope = (...args: string[]) => runIriscope(env, ...args);
const undo: Array<() => Promise<void>> = [];

beforeAll(async () => {
  dir = await tempDir('iriscope-cli-safety-');
  env = isolatedEnv(dir);
});
afterAll(async () => {
  for (const u of undo) await u();
});

async function hashes(files: string[]): Promise<string[]> {
  return Promise.all(files.map(sha256));
}

async function folder(name: string): Promise<string> {
  const d = path.join(dir, name);
  await fs.mkdir(d, { recursive: true });
  return d;
}

describe('outputs never land on inputs', () => {
  it.skipIf(!odgiModelDirs().length)('detect --image over scene.jpg and scene.png in one folder, --out that folder: both originals unchanged, each gets its own results', async () => {
    const d = await folder('scenes');
    const jpg = path.join(d, 'scene.jpg');
    const png = path.join(d, 'scene.png');
    await fs.copyFile(path.join(AERIAL, 'tile-3000004.jpg'), jpg);
    await sharp(path.join(AERIAL, 'tile-3000012.jpg')).resize(512).png().toFile(png);
    const before = await hashes([jpg, png]);
    const { stdout, code, stderr } = await iriscope('detect', d, '--image', '--out', d, '--json');
    expect(stderr).not.toContain('error');
    expect(code).toBe(0);
    expect(await hashes([jpg, png])).toEqual(before);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => [path.basename(r.file), r.width])).toEqual([['scene.jpg', 1024], ['scene.png', 512]]);
    expect((await fs.readdir(d)).sort()).toEqual(['scene.jpg', 'scene.jpg.detect.coco.json', 'scene.jpg.detect.png', 'scene.png', 'scene.png.detect.coco.json', 'scene.png.detect.png']);
    expect((await sharp(path.join(d, 'scene.png.detect.png')).metadata()).format).toBe('png');
    expect(await leftovers(d)).toEqual([]);
  });

  it('faces over photo.jpg and an input named photo.faces.jpg: the input is never replaced', async () => {
    const d = await folder('portraits');
    const photo = path.join(d, 'photo.jpg');
    const named = path.join(d, 'photo.faces.jpg');
    await fs.copyFile(path.join(FACES, 'astronaut.jpg'), photo);
    await fs.copyFile(path.join(FACES, 'musicians-ireland.jpg'), named);
    const before = await hashes([photo, named]);
    const { code, stdout } = await iriscope('faces', d, '--out', d, '--json');
    expect(code).toBe(0);
    expect(await hashes([photo, named])).toEqual(before);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => [path.basename(r.file), r.faces.length])).toEqual([['photo.faces.jpg', 4], ['photo.jpg', 1]]);
    expect((await fs.readdir(d)).sort()).toEqual(['photo.faces.jpg', 'photo.faces.jpg.faces.jpg', 'photo.faces.jpg.faces.json', 'photo.jpg', 'photo.jpg.faces.jpg', 'photo.jpg.faces.json']);
  });

  it('--overwrite replaces earlier results but never an input that has an output\'s name', async () => {
    const d = await folder('rerun');
    const photo = path.join(d, 'a.jpg');
    const lookalike = path.join(d, 'a.jpg.faces.jpg');
    await fs.copyFile(path.join(FACES, 'astronaut.jpg'), photo);
    await fs.copyFile(path.join(FACES, 'musicians-ireland.jpg'), lookalike);
    const before = await hashes([photo, lookalike]);
    const { code, stdout, stderr } = await iriscope('faces', photo, lookalike, '--out', d, '--overwrite', '--json');
    expect(code).toBe(1);
    expect(await hashes([photo, lookalike])).toEqual(before);
    const [first, second] = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(first.error).toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining(lookalike) });
    expect(first.error.message).toContain('is an input');
    expect(second.faces).toHaveLength(4);
    expect(stderr).toContain('--out');
    expect(await leftovers(d)).toEqual([]);
  });
});

describe('existing files in --out', () => {
  it('are refused with OUTPUT_EXISTS (path and hint) and kept; --overwrite replaces them', async () => {
    const out = await folder('out-existing');
    const mine = path.join(out, 'astronaut.jpg.faces.json');
    await fs.writeFile(mine, 'my own notes, not Iriscope\'s\n');
    const photo = path.join(FACES, 'astronaut.jpg');
    const refused = await iriscope('faces', photo, '--out', out, '--json');
    expect(refused.code).toBe(1);
    const record = JSON.parse(refused.stdout.trim());
    expect(record.error).toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining(mine) });
    expect(refused.stderr).toContain('--overwrite');
    expect(await fs.readFile(mine, 'utf8')).toBe('my own notes, not Iriscope\'s\n');
    expect(await leftovers(out)).toEqual([]);

    const replaced = await iriscope('faces', photo, '--out', out, '--overwrite', '--json');
    expect(replaced.code).toBe(0);
    expect(JSON.parse(await fs.readFile(mine, 'utf8')).faces).toHaveLength(1);
  });

  it('colorize refuses before rendering when a sample\'s file exists', async () => {
    const out = await folder('out-colorize-existing');
    const photo = path.join(dir, 'small-boats.jpg');
    await sharp(SAMPLE_PHOTO).resize(160).jpeg().toFile(photo);
    const taken = path.join(out, 'small-boats.jpg.colorized-s3-2.jpg');
    await fs.writeFile(taken, 'taken');
    const { code, stdout } = await iriscope('colorize', photo, '--samples', '2', '--seed', '3', '--out', out, '--json');
    expect(code).toBe(1);
    expect(JSON.parse(stdout.trim()).error).toMatchObject({ code: 'OUTPUT_EXISTS', message: expect.stringContaining(taken) });
    expect(await fs.readFile(taken, 'utf8')).toBe('taken');
    expect((await fs.readdir(out)).sort()).toEqual(['small-boats.jpg.colorized-s3-2.jpg']);
  });
});

describe('an output folder that cannot be written', () => {
  it('is one error about the folder (PERMISSION_DENIED), never CORRUPT_IMAGE or INTERNAL about the input', async (ctx) => {
    const out = await folder('read-only');
    const locked = await makeReadOnly(out);
    if (!locked) {
      ctx.skip(true, 'cannot make a folder read-only here (needs chattr as root, or a non-root user)');
      return;
    }
    undo.push(locked.undo);
    const photo = path.join(FACES, 'astronaut.jpg');
    for (const args of [['faces', photo], ['colorize', photo, '--samples', '1']]) {
      const { code, stderr } = await iriscope(...args, '--out', out, '--json');
      expect(code).toBe(1);
      expect(stderr).toContain(`cannot write into the output folder "${out}"`);
      expect(stderr).not.toMatch(/damaged|Something went wrong/);
      expect(stderr).not.toContain('astronaut.jpg');
    }
  });

  it('a file where the folder should be is named as such', async () => {
    const file = path.join(dir, 'not-a-folder');
    await fs.writeFile(file, 'x');
    const { code, stderr } = await iriscope('faces', path.join(FACES, 'astronaut.jpg'), '--out', file);
    expect(code).toBe(1);
    expect(stderr).toContain(`The output folder "${file}" is not a folder`);
    expect(await fs.readFile(file, 'utf8')).toBe('x');
  });
});

describe('relative paths', () => {
  it('resolve against the folder the command runs in', async () => {
    const cwd = await folder('cwd');
    await fs.mkdir(path.join(cwd, 'in'));
    await fs.copyFile(path.join(FACES, 'astronaut.jpg'), path.join(cwd, 'in', 'astronaut.jpg'));
    const { code, stdout } = await runIriscopeIn(cwd, env, 'faces', 'in/astronaut.jpg', '--out', 'results', '--json');
    expect(code).toBe(0);
    const record = JSON.parse(stdout.trim());
    expect(record.file).toBe(path.join(cwd, 'in', 'astronaut.jpg'));
    expect(record.exports).toEqual([path.join(cwd, 'results', 'astronaut.jpg.faces.jpg'), path.join(cwd, 'results', 'astronaut.jpg.faces.json')]);
    expect((await fs.readdir(path.join(cwd, 'results'))).sort()).toEqual(['astronaut.jpg.faces.jpg', 'astronaut.jpg.faces.json']);
    const inspected = await runIriscopeIn(cwd, env, 'inspect', 'in/astronaut.jpg', '--json');
    expect(JSON.parse(inspected.stdout.trim()).image.path).toBe(path.join(cwd, 'in', 'astronaut.jpg'));
  });
});
