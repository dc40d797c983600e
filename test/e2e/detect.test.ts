/**
 * The Detect tool in Debian's Chromium against `iriscope serve`, with the real
 * engine and the installed ODGI model: a 10,240 x 8,192 px aerial scene (made
 * here from the committed CI tiles, objects on 10 of its 80 tiles) is opened,
 * the cascade runs with progress, boxes appear over the zoomable image, the
 * list pans the view to a detection, the thresholds re-filter without a new
 * run, crops can be shown, a run can be cancelled, and the detections are
 * exported. Screenshots land in test-results/screenshots/.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp, { type OverlayOptions } from 'sharp';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from '../../electron/common/http-client';
import { aerialTiles, AERIAL, odgiModelDirs } from '../helpers/detect';
import { tempDir } from '../helpers/fixtures';
import { launchChromium, openThroughBrowser, screenshot, startServe, type Served } from '../helpers/serve';

const COLS = 10;
const ROWS = 8;
const T = 1024;
let served: Served;
let browser: Browser;
let page: Page;
let files: string;
const truth: Array<[number, number, number, number]> = [];
const pageErrors: string[] = [];

/** The scene: CI tiles with objects at fixed cells, the empty tiles (flipped, rotated) everywhere else. */
async function writeScene(file: string): Promise<void> {
  const tiles = aerialTiles();
  const full = tiles.filter((t) => t.boxes.length > 0).slice(0, 10);
  const empty = tiles.filter((t) => t.boxes.length === 0);
  const cells = [3, 12, 19, 26, 34, 41, 47, 58, 66, 73];
  const layers: OverlayOptions[] = [];
  for (let cell = 0; cell < COLS * ROWS; cell++) {
    const x = (cell % COLS) * T;
    const y = Math.floor(cell / COLS) * T;
    const at = cells.indexOf(cell);
    if (at >= 0 && full[at]) {
      layers.push({ input: path.join(AERIAL, full[at].file), left: x, top: y });
      for (const b of full[at].boxes) truth.push([b[0] + x, b[1] + y, b[2] + x, b[3] + y]);
    } else {
      const e = empty[cell % empty.length];
      let img = sharp(path.join(AERIAL, e.file)).rotate((cell % 4) * 90);
      if (cell % 3 === 1) img = img.flop();
      layers.push({ input: await img.toBuffer(), left: x, top: y });
    }
  }
  await sharp({ create: { width: COLS * T, height: ROWS * T, channels: 3, background: '#5a6b48' }, limitInputPixels: false })
    .composite(layers)
    .tiff({ tile: true, tileWidth: 512, tileHeight: 512, compression: 'jpeg', quality: 90 })
    .toFile(file);
}

beforeAll(async () => {
  if (!odgiModelDirs().length) return;
  const root = await tempDir('iriscope-e2e-detect-');
  files = path.join(root, 'files');
  await fs.mkdir(files);
  await writeScene(path.join(files, 'aerial-scene.tif'));
  // Trying a model not installed in models/ yet: it becomes a user model of this server.
  const extra = process.env.DETECT_EXTRA_MODEL;
  if (extra) await fs.cp(extra, path.join(root, 'data', 'models', path.basename(extra)), { recursive: true });
  served = await startServe(root);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
  });
});

afterAll(async () => {
  await browser?.close();
  await served?.stop();
});

const viewer = () => page.getByTestId('viewer');
const overlay = () => page.getByTestId('detect-overlay');
const rows = () => page.getByTestId('detect-row');
const boxesDrawn = async () => Number(await overlay().getAttribute('data-boxes'));

// Without an installed ODGI model there is nothing to run (test/engine/pipelines/detect/shipped-models.test.ts fails loudly then).
describe.skipIf(!odgiModelDirs().length)('Detect tool', () => {
  it('opens a 10k px scene, runs the cascade with progress, and draws the boxes over the image', async () => {
    await page.goto(served.openUrl);
    await openThroughBrowser(page, files, 'aerial-scene.tif');
    await expect.poll(() => viewer().getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    await expect.poll(async () => Number(await viewer().getAttribute('data-tiles-loaded')), { timeout: 120_000 }).toBeGreaterThan(0);
    await page.getByTestId('tool-tab-detect').click();
    await expect.poll(() => page.getByTestId('detect-run').textContent()).toBe('Detect objects');
    // Every progress line the panel shows, recorded in the page as it changes.
    await page.evaluate(`(() => {
      const seen = (window.detectMessages = []);
      new MutationObserver(() => {
        const text = document.querySelector('[data-testid=detect-progress-message]')?.textContent;
        if (text && seen[seen.length - 1] !== text) seen.push(text);
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    })()`);
    await page.getByTestId('detect-run').click();
    await expect.poll(() => page.locator('[data-testid=job][data-state=succeeded]').filter({ hasText: 'Detecting objects in aerial-scene.tif' }).count(), { timeout: 150_000 }).toBe(1);
    // Progress named the stage: 80 stage-1 tiles take seconds, so the panel showed it while they ran.
    // (React may render only the last of updates that arrive together, so quick later stages are checked
    // in the engine's own test, test/engine/pipelines/detect/detect-service.test.ts.)
    const messages = (await page.evaluate('window.detectMessages')) as string[];
    expect(messages.some((m) => /^Stage 1: \d+ of 80 tiles$/.test(m)), messages.join(' | ')).toBe(true);
    await expect.poll(() => page.getByTestId('detect-count').textContent(), { timeout: 120_000 }).toMatch(/^\d+ objects?$/);
    const count = Number((await page.getByTestId('detect-count').textContent())!.split(' ')[0]);
    expect(count).toBeGreaterThan(0);
    expect(await page.getByTestId('detect-summary').textContent()).toMatch(/^80 tiles · \d+ crops · [\d.]+% read at full res/);
    await expect.poll(boxesDrawn).toBe(count);
    expect(Number(await page.getByTestId('detect-list').getAttribute('data-count'))).toBe(count);
    await page.waitForTimeout(500);
    await screenshot(page, '30-detect-scene');
    expect(pageErrors).toEqual([]);
  });

  it('pans and zooms to a detection from the list; the box is on an object of the scene', async () => {
    const zoomBefore = await page.getByTestId('zoom-readout').textContent();
    const first = rows().first();
    const label = await first.locator('.detect-row-pos').textContent();
    const [cx, cy] = label!.split(',').map((v) => Number(v.trim()));
    await first.click();
    await expect.poll(() => page.getByTestId('zoom-readout').textContent(), { timeout: 120_000 }).not.toBe(zoomBefore);
    await expect.poll(() => first.getAttribute('class')).toContain('selected');
    await page.waitForTimeout(900);
    // The best detection sits on a ground-truth object of the scene (pixel coordinates survive the trip).
    const onObject = truth.some((b) => cx >= b[0] - 4 && cx <= b[2] + 4 && cy >= b[1] - 4 && cy <= b[3] + 4);
    expect(onObject, `detection centre ${cx},${cy}`).toBe(true);
    await screenshot(page, '31-detect-zoomed');
    await page.keyboard.press('0');
  });

  it('re-filters at once with the score slider and re-applies γ without a new stage 1', async () => {
    const all = await boxesDrawn();
    await page.getByTestId('detect-score').fill('0.9');
    await expect.poll(boxesDrawn).toBeLessThan(all);
    await page.getByTestId('detect-score').fill(String(await page.getByTestId('detect-score').getAttribute('min')));
    await expect.poll(boxesDrawn).toBeGreaterThanOrEqual(all);
    await page.getByTestId('detect-score').fill('0.3');

    const summary = await page.getByTestId('detect-summary').textContent();
    const crops = Number(/· (\d+) crops/.exec(summary!)![1]);
    await page.getByTestId('detect-gamma').fill('1');
    await expect.poll(() => page.getByTestId('detect-summary').textContent(), { timeout: 120_000 }).toMatch(/· (\d+) crops/);
    await expect.poll(async () => Number(/· (\d+) crops/.exec((await page.getByTestId('detect-summary').textContent())!)![1]), { timeout: 120_000 }).toBeLessThanOrEqual(Math.min(crops, 80));
    await expect.poll(() => page.getByTestId('detect-refilter-state').textContent()).toContain('without re-running stage 1');
    // One re-filtering job, no new detection run.
    expect(await page.locator('[data-testid=job]').filter({ hasText: 'Detecting objects in aerial-scene.tif' }).count()).toBe(1);
    expect(await page.locator('[data-testid=job]').filter({ hasText: 'Re-filtering detections' }).count()).toBeGreaterThanOrEqual(1);

    await page.getByTestId('detect-show-crops').check();
    await expect.poll(async () => Number(await overlay().getAttribute('data-crops'))).toBeGreaterThan(0);
    await page.waitForTimeout(300);
    await screenshot(page, '32-detect-crops');
    await page.getByTestId('detect-show-crops').uncheck();
    await page.getByTestId('detect-gamma').fill(String(6));
  });

  it('cancels a run from the panel and keeps the earlier result', async () => {
    await expect.poll(() => page.getByTestId('detect-refilter-state').textContent(), { timeout: 120_000 }).not.toContain('Applying');
    const before = await boxesDrawn();
    // A run that is still waiting for the inference lane: cancelling it cannot race with its end
    // (a running second detection can finish before the click lands on a fast machine). The lane is
    // held by a real colorization of the 84 Mpx scene, minutes of work, stopped afterwards.
    const client = createHttpClient({ baseUrl: served.url, token: served.token });
    const scene = await client.openImage({ path: path.join(files, 'aerial-scene.tif') });
    const blocker = await client.colorize({ imageId: scene.id, samples: 8 });
    try {
      await page.getByTestId('detect-run').click();
      await expect.poll(() => page.locator('[data-testid=job][data-state=queued]').filter({ hasText: 'Detecting objects in aerial-scene.tif' }).count()).toBe(1);
      await page.getByTestId('detect-cancel').click();
      await expect.poll(() => page.getByTestId('detect-cancelled').isVisible().catch(() => false), { timeout: 120_000 }).toBe(true);
      expect(await page.locator('[data-testid=job][data-state=cancelled]').filter({ hasText: 'Detecting objects in aerial-scene.tif' }).count()).toBe(1);
      expect(await boxesDrawn()).toBe(before);
    } finally {
      await client.cancelJob({ jobId: blocker.id, hard: true });
      client.close();
    }
  });

  it('exports COCO to a chosen folder through the export dialog', async () => {
    await page.getByTestId('detect-export-coco').click();
    await expect.poll(() => page.getByTestId('export-name').inputValue()).toBe('aerial-scene.coco.json');
    await page.getByTestId('export-folder').fill(files);
    await page.getByTestId('export-folder').press('Enter');
    await page.getByTestId('export-save').click();
    await expect.poll(() => page.getByTestId('detect-export-status').textContent(), { timeout: 120_000 }).toContain(path.join(files, 'aerial-scene.coco.json'));
    const coco = JSON.parse(await fs.readFile(path.join(files, 'aerial-scene.coco.json'), 'utf8'));
    expect(coco.images[0]).toMatchObject({ width: COLS * T, height: ROWS * T });
    expect(coco.annotations.length).toBe(await boxesDrawn());
    // GeoJSON is offered only for georeferenced images.
    expect(await page.getByTestId('detect-export-geojson').isDisabled()).toBe(true);
    await screenshot(page, '33-detect-exported');
    expect(pageErrors).toEqual([]);
  });

  it('takes a typed ground resolution for an image without georeferencing, and refuses text that is not one', async () => {
    const field = page.getByTestId('detect-gsd');
    const note = page.getByTestId('detect-gsd-note');
    // The scene is a plain tiled TIFF: nothing read, the model's range named.
    expect(await field.inputValue()).toBe('');
    expect(await note.textContent()).toMatch(/^Unknown: the image is read as it is; type it if it is not 10–16 cm\/px\.$/);
    await field.fill('30 cm');
    await expect.poll(() => note.textContent()).toMatch(/^Type metres per pixel/);
    expect(await page.getByTestId('detect-run').isDisabled()).toBe(true);
    await field.fill('0.125');
    await expect.poll(() => note.textContent()).toBe('12.5 cm/px, remembered for this image.');
    expect(await page.getByTestId('detect-run').isDisabled()).toBe(false);
    expect(pageErrors).toEqual([]);
  });
});
