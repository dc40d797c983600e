/**
 * The Colorize tool in Debian's Chromium against `iriscope serve`, with the
 * real engine and the shipped PIC model: open a gray photo, see the instant
 * preview, sample 4 colorizations, see 4 different images in the gallery
 * beside the original (zoom and pan synchronized), compare one with the
 * before/after divider, resample with the seed, add more samples, export one
 * at full resolution. Screenshots land in test-results/screenshots/.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PHOTO, tempDir } from '../helpers/fixtures';
import { openThroughBrowser, screenshot, startAppSession, type AppSession } from '../helpers/serve';

let session: AppSession;
let page: Page;
let files: string;
let pageErrors: string[] = [];

beforeAll(async () => {
  const root = await tempDir('iriscope-e2e-colorize-');
  files = path.join(root, 'files');
  await fs.mkdir(files);
  // A true black-and-white photo (one band), with EXIF to keep on export.
  await sharp(SAMPLE_PHOTO).toColourspace('b-w').withExif({ IFD0: { Copyright: 'Iriscope e2e' } }).jpeg({ quality: 92 }).toFile(path.join(files, 'nagasaki-gray.jpg'));
  session = await startAppSession(root);
  ({ page, pageErrors } = session);
});

afterAll(async () => {
  await session?.close();
});

const cells = () => page.getByTestId('gallery-cell');
const thumbs = () => page.getByTestId('colorize-sample');

/** Raw RGB of the middle of an element's screenshot (where the photo is), downscaled, to compare what is on screen. */
async function shot(locator: ReturnType<Page['getByTestId']>): Promise<Buffer> {
  const png = await locator.screenshot();
  const { width, height } = await sharp(png).metadata();
  const region = { left: Math.round(width * 0.25), top: Math.round(height * 0.3), width: Math.round(width * 0.5), height: Math.round(height * 0.4) };
  return sharp(png).extract(region).resize(64, 48, { fit: 'fill' }).removeAlpha().raw().toBuffer();
}
const meanDiff = (a: Buffer, b: Buffer) => a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / a.length;
const colourfulness = (a: Buffer) => {
  let s = 0;
  for (let i = 0; i < a.length; i += 3) s += Math.abs(a[i] - a[i + 1]) + Math.abs(a[i + 1] - a[i + 2]);
  return s / (a.length / 3);
};

describe('Colorize tool', () => {
  it('samples 4 colorizations of a gray photo and shows them as a gallery beside the original', async () => {
    await page.goto(session.served.openUrl);
    await openThroughBrowser(page, files, 'nagasaki-gray.jpg');
    await expect.poll(() => page.getByTestId('viewer').getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    await page.getByTestId('tool-tab-colorize').click();
    // The instant one-pass preview appears before any sampling.
    await expect.poll(() => page.getByTestId('colorize-preview').locator('img').getAttribute('src'), { timeout: 120_000 }).toMatch(/^data:image\/jpeg;base64,/);
    await screenshot(page, '20-colorize-preview');

    await page.getByTestId('colorize-samples').fill('4');
    await page.getByTestId('colorize-run').click();
    await expect.poll(() => page.getByTestId('colorize-progress').isVisible(), { timeout: 120_000 }).toBe(true);
    await expect.poll(() => page.locator('[data-testid=job][data-state=succeeded]').filter({ hasText: 'Colorizing nagasaki-gray.jpg' }).count(), { timeout: 120_000 }).toBe(1);
    await expect.poll(() => thumbs().count(), { timeout: 120_000 }).toBe(4);
    expect(await page.getByTestId('colorize-count').textContent()).toBe('4 samples');
    // The gallery: the original and 4 samples, each drawing its own tiles.
    await expect.poll(() => cells().count()).toBe(5);
    for (let i = 0; i < 5; i++) await expect.poll(async () => Number(await cells().nth(i).getAttribute('data-tiles-loaded')), { timeout: 120_000 }).toBeGreaterThan(0);
    expect(await cells().evaluateAll((all) => all.map((c) => c.getAttribute('data-index')))).toEqual(['-1', '0', '1', '2', '3']);
    await page.waitForTimeout(800);
    await screenshot(page, '21-colorize-gallery');

    // Four different colour images, and a gray original.
    const images = await Promise.all([0, 1, 2, 3, 4].map((i) => shot(cells().nth(i).locator('.gallery-canvas'))));
    expect(colourfulness(images[0])).toBeLessThan(2);
    for (let i = 1; i <= 4; i++) {
      expect(colourfulness(images[i])).toBeGreaterThan(4);
      for (let j = i + 1; j <= 4; j++) expect(meanDiff(images[i], images[j])).toBeGreaterThan(2);
    }
    const seed = await page.getByTestId('colorize-seed').inputValue();
    expect(seed).toMatch(/^\d+$/);
    expect(await thumbs().evaluateAll((all) => all.map((t) => t.getAttribute('data-seed')))).toEqual([seed, seed, seed, seed]);
    expect(pageErrors).toEqual([]);
  });

  it('zooms and pans every sample together', async () => {
    const before = await cells().evaluateAll((all) => all.map((c) => Number(c.getAttribute('data-zoom'))));
    const target = cells().nth(2).locator('.gallery-canvas');
    const box = (await target.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.35, box.y + box.height * 0.55);
    for (let i = 0; i < 6; i++) await page.mouse.wheel(0, -240);
    // Zoom animates (slower on a loaded machine): wait until it has settled past 2x, then compare the cells.
    const zooms = () => cells().evaluateAll((all) => all.map((c) => Number(c.getAttribute('data-zoom'))));
    await expect.poll(async () => (await zooms())[2], { timeout: 120_000 }).toBeGreaterThan(before[2] * 2);
    // Every cell follows the one under the mouse (within 2%), once the animation has settled.
    const spread = async () => {
      const z = await zooms();
      return Math.max(...z.map((v) => Math.abs(v - z[2]) / z[2]));
    };
    await expect.poll(spread).toBeLessThan(0.02);
    // Pan by dragging another cell: all follow.
    const other = (await cells().nth(4).locator('.gallery-canvas').boundingBox())!;
    const a = await shot(cells().nth(0).locator('.gallery-canvas'));
    await page.mouse.move(other.x + other.width / 2, other.y + other.height / 2);
    await page.mouse.down();
    await page.mouse.move(other.x + other.width / 2 - 80, other.y + other.height / 2 - 40, { steps: 8 });
    await page.mouse.up();
    await expect.poll(async () => meanDiff(a, await shot(cells().nth(0).locator('.gallery-canvas')))).toBeGreaterThan(3);
    await screenshot(page, '22-colorize-gallery-zoomed');
  });

  it('compares a sample with the original using the before/after divider', async () => {
    await thumbs().nth(2).click();
    await page.getByTestId('colorize-view-compare').click();
    const compare = page.getByTestId('colorize-compare');
    await expect.poll(() => compare.getAttribute('data-loaded'), { timeout: 120_000 }).toBe('true');
    await page.keyboard.press('0');
    await page.waitForTimeout(900);
    const viewer = page.getByTestId('viewer');
    const area = (await viewer.boundingBox())!;
    const handle = page.getByTestId('colorize-compare-handle');
    // Drag the divider to 30% of the stage: left of it the gray original, right of it colour.
    const h = (await handle.boundingBox())!;
    await page.mouse.move(h.x + h.width / 2, h.y + h.height / 2);
    await page.mouse.down();
    await page.mouse.move(area.x + area.width * 0.3, h.y + h.height / 2, { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => Number(await compare.getAttribute('data-split'))).toBeCloseTo(0.3, 1);
    const colourIn = async (x0: number, x1: number) => {
      const png = await page.screenshot({ clip: { x: area.x, y: area.y + area.height * 0.3, width: area.width, height: area.height * 0.4 } });
      const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
      let s = 0;
      let n = 0;
      for (let y = 0; y < info.height; y++) {
        for (let x = Math.round(x0 * info.width); x < Math.round(x1 * info.width); x++) {
          const i = (y * info.width + x) * 3;
          s += Math.abs(data[i] - data[i + 1]) + Math.abs(data[i + 1] - data[i + 2]);
          n++;
        }
      }
      return s / n;
    };
    // Left of the divider gray, right of it colour (polled: tiles and the fit animation settle on their own time).
    await expect.poll(() => colourIn(0.4, 0.8)).toBeGreaterThan(4);
    await expect.poll(() => colourIn(0.12, 0.26)).toBeLessThan(2);
    await screenshot(page, '23-colorize-before-after');
    // With the sample over the photo, 1:1 is the photo's actual pixels and the readout follows (it went stale here).
    await page.keyboard.press('1');
    await expect.poll(() => page.getByTestId('zoom-readout').textContent(), { timeout: 120_000 }).toBe('100%');
    await page.keyboard.press('0');
    await expect.poll(() => page.getByTestId('zoom-readout').textContent(), { timeout: 120_000 }).not.toBe('100%');
  });

  it('resamples with the same seed (same images) and adds more samples', async () => {
    const firstThumbs = await thumbs().evaluateAll((all) => all.map((t) => t.querySelector('img')!.getAttribute('src')));
    await page.getByTestId('colorize-resample').click();
    await expect.poll(() => page.locator('[data-testid=job][data-state=succeeded]').filter({ hasText: 'Colorizing nagasaki-gray.jpg' }).count(), { timeout: 120_000 }).toBe(2);
    await expect.poll(async () => (await thumbs().evaluateAll((all) => all.map((t) => t.querySelector('img')!.getAttribute('src')))).join(), { timeout: 120_000 }).toBe(firstThumbs.join());
    await page.getByTestId('colorize-samples').fill('2');
    await page.getByTestId('colorize-more').click();
    await expect.poll(() => thumbs().count(), { timeout: 120_000 }).toBe(6);
    const seeds = await thumbs().evaluateAll((all) => all.map((t) => t.getAttribute('data-seed')));
    expect(new Set(seeds).size).toBe(2);
    await page.getByTestId('colorize-view-gallery').click();
    await expect.poll(() => cells().count()).toBe(7);
  });

  it('exports the chosen sample at full resolution to a chosen folder, keeping its EXIF', async () => {
    await thumbs().nth(1).click();
    await page.getByTestId('colorize-export').click();
    const seed = await thumbs().nth(1).getAttribute('data-seed');
    const name = `nagasaki-gray.colorized-s${seed}-2.jpg`;
    await expect.poll(() => page.getByTestId('export-name').inputValue()).toBe(name);
    await page.getByTestId('export-folder').fill(files);
    await page.getByTestId('export-folder').press('Enter');
    await page.getByTestId('export-save').click();
    const expected = path.join(files, name);
    await expect.poll(() => page.getByTestId('colorize-export-status').textContent(), { timeout: 120_000 }).toContain(expected);
    const meta = await sharp(expected).metadata();
    expect([meta.format, meta.width, meta.height, meta.channels]).toEqual(['jpeg', 1024, 819, 3]);
    expect(meta.exif?.toString('latin1')).toContain('Iriscope e2e');
    await page.waitForTimeout(300);
    await screenshot(page, '24-colorize-exported');
    expect(pageErrors).toEqual([]);
  });
});
