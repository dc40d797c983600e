/**
 * One batch job in the engine: outputs named by input hash and parameters,
 * a finished job never recomputed, the temporary files a killed attempt left
 * removed when the job starts again, and a file changed after it was queued
 * refused (its results would carry the wrong hash).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchBase, runBatchJob, sha256File } from '../../../electron/engine/batch/batch-job';
import { Engine } from '../../../electron/engine/engine';
import { AERIAL, odgiModelDirs } from '../../helpers/detect';
import { REPO_ROOT, tempDir } from '../../helpers/fixtures';

let engine: Engine;
let dir: string;
const ctx = { signal: new AbortController().signal, log: () => undefined };
const options = { mode: 'cascade' as const, thresholds: {} };

beforeAll(async () => {
  dir = await tempDir();
  engine = await Engine.create({ paths: { appRoot: REPO_ROOT, dataDir: path.join(dir, 'data'), cacheDir: path.join(dir, 'cache') } });
});
afterAll(() => engine.dispose());

describe.skipIf(!odgiModelDirs().length)('runBatchJob', () => {
  it('writes <name>.<ext>.<hash>-<params> outputs and a record; again it computes nothing; a killed attempt\'s temporary files are swept', async () => {
    const file = path.join(dir, 'scene.jpg');
    await fs.copyFile(path.join(AERIAL, 'tile-3000004.jpg'), file);
    const out = path.join(dir, 'out');
    await fs.mkdir(out);
    const sha256 = await sha256File(file);
    const data = { run: 'r', task: 'detect' as const, file, sha256, options, base: batchBase(out, file, sha256, 'detect', options) };
    // What a worker SIGKILLed while writing leaves behind.
    const staging = path.join(out, '.iriscope-partial', 'job-1');
    await fs.mkdir(staging, { recursive: true });
    await fs.writeFile(path.join(staging, `.${path.basename(data.base)}.detect.coco.json.4242.0badc0de.partial`), 'half');

    const first = await runBatchJob(engine, 'job-1', data, ctx);
    expect(first.skipped).toBe(false);
    expect(path.basename(data.base)).toMatch(new RegExp(`^scene\\.jpg\\.${sha256.slice(0, 12)}-[0-9a-f]{8}$`));
    expect((await fs.readdir(out)).sort()).toEqual(['.iriscope-partial', `${path.basename(data.base)}.detect-record.json`, `${path.basename(data.base)}.detect.coco.json`]);
    expect(await fs.readdir(path.join(out, '.iriscope-partial'))).toEqual([]);
    const record = JSON.parse(await fs.readFile(first.record, 'utf8'));
    expect(record).toMatchObject({ file, input_sha256: sha256, task: 'detect', exports: first.outputs });

    const stamp = (await fs.stat(first.record)).mtimeMs;
    const again = await runBatchJob(engine, 'job-2', data, ctx);
    expect(again).toEqual({ record: first.record, skipped: true, outputs: first.outputs });
    expect((await fs.stat(first.record)).mtimeMs).toBe(stamp);
  });

  it('refuses a file that changed after it was queued', async () => {
    const file = path.join(dir, 'changing.jpg');
    await fs.copyFile(path.join(AERIAL, 'tile-3000004.jpg'), file);
    const sha256 = await sha256File(file);
    await fs.copyFile(path.join(AERIAL, 'tile-3000012.jpg'), file);
    const data = { run: 'r', task: 'detect' as const, file, sha256, options, base: batchBase(dir, file, sha256, 'detect', options) };
    await expect(runBatchJob(engine, 'job-3', data, ctx)).rejects.toMatchObject({ code: 'BAD_REQUEST', message: expect.stringContaining('changed after it was queued') });
  });
});
