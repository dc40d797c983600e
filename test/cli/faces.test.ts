/**
 * `iriscope faces` as a user runs it: files and folders, --json records on
 * stdout, annotated images and JSON in --out, progress and clear errors on
 * stderr, a non-zero exit when a file fails while the batch goes on.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir, writeTextAsPng } from '../helpers/fixtures';
import { isolatedEnv, runIriscope } from '../helpers/cli';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'faces');
let env: NodeJS.ProcessEnv;
let dir: string;

const iriscope = (...args: string[]) => runIriscope(env, ...args);

beforeAll(async () => {
  dir = await tempDir('iriscope-cli-faces-');
  env = isolatedEnv(dir);
});

describe('iriscope faces', () => {
  it('--json prints one record per image, boxes in original pixels; bad files fail clearly and the batch goes on', async () => {
    const folder = path.join(dir, 'photos');
    await fs.mkdir(folder);
    await fs.copyFile(path.join(FIXTURES, 'astronaut.jpg'), path.join(folder, 'astronaut.jpg'));
    await writeTextAsPng(path.join(folder, 'notes.png'));
    const out = path.join(dir, 'out');
    const ireland = path.join(FIXTURES, 'musicians-ireland.jpg');
    const { stdout, stderr, code } = await iriscope('faces', ireland, folder, path.join(dir, 'missing.jpg'), '--out', out, '--json');
    expect(code).toBe(1);
    const records = stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(records.map((r) => path.basename(r.file))).toEqual(['musicians-ireland.jpg', 'astronaut.jpg', 'notes.png', 'missing.jpg']);

    const [stage, portrait, notes, missing] = records;
    expect(stage.faces).toHaveLength(4);
    for (const face of stage.faces) {
      expect(face).toMatchObject({ box: [expect.any(Number), expect.any(Number), expect.any(Number), expect.any(Number)], score: expect.any(Number), age: expect.any(Number), gender: { label: 'male', p: expect.any(Number) }, emotion: { label: expect.any(String), p: expect.any(Number), all: expect.any(Object) } });
      expect(face.box[0] + face.box[2]).toBeLessThanOrEqual(1024);
      expect(face.box[1]).toBeGreaterThan(100);
      expect(face.box[1]).toBeLessThan(200);
    }
    expect(portrait.faces).toHaveLength(1);
    expect(portrait.faces[0].gender.label).toBe('female');
    // Age and gender come from the default age + gender head (faceres-deep), with the age as a range around the estimate.
    expect(portrait.models.ageGender).toMatch(/^face-age-gender@/);
    const [lo, hi] = portrait.faces[0].ageRange;
    expect(lo).toBeLessThan(portrait.faces[0].age);
    expect(hi).toBeGreaterThan(portrait.faces[0].age);
    expect(notes.error).toMatchObject({ code: 'UNSUPPORTED_FORMAT' });
    expect(missing.error).toMatchObject({ code: 'FILE_NOT_FOUND' });

    expect(stderr).toContain('error (');
    expect(stderr).toContain('"notes.png" is not an image Iriscope can read');
    expect(stderr).toContain('"missing.jpg" does not exist.');
    expect(stderr).toMatch(/\[1\/4\] musicians-ireland\.jpg: \d+% Scanning for faces/);
    expect(stderr).toContain('faces: 2 of 4 images done, 5 faces, 2 failed');

    expect((await fs.readdir(out)).sort()).toEqual(['astronaut.jpg.faces.jpg', 'astronaut.jpg.faces.json', 'musicians-ireland.jpg.faces.jpg', 'musicians-ireland.jpg.faces.json']);
    const annotated = await sharp(path.join(out, 'musicians-ireland.jpg.faces.jpg')).metadata();
    expect([annotated.format, annotated.width, annotated.height]).toEqual(['jpeg', 1024, 416]);
    const saved = JSON.parse(await fs.readFile(path.join(out, 'musicians-ireland.jpg.faces.json'), 'utf8'));
    expect(saved.faces.map((f: { box: number[] }) => f.box)).toEqual(stage.faces.map((f: { box: number[] }) => f.box));
  });

  it('prints a readable summary without --json, honours --threshold, and refuses a bad threshold', async () => {
    const { stdout, code } = await iriscope('faces', path.join(FIXTURES, 'musicians-ireland.jpg'), '--threshold', '0.8');
    expect(code).toBe(0);
    expect(stdout).toMatch(/musicians-ireland\.jpg: 3 faces \(1024 × 416 px/);
    expect(stdout).toMatch(/1 · \d+ y · M \d+% · \w+ {2}score 0\.\d\d {2}box \d+,\d+,\d+,\d+/);
    const bad = await iriscope('faces', path.join(FIXTURES, 'astronaut.jpg'), '--threshold', '2');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('expected a number from 0.05 to 1');
  });
});
