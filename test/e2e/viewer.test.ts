/**
 * The whole app in Debian's Chromium against `iriscope serve`: the start
 * screen, opening a photo, a 20,000 × 20,000 image zoomed and panned tile by
 * tile, a cancelled pyramid build, drag and drop, and bad files.
 * Screenshots land in test-results/screenshots/.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PHOTO, tempDir, writeLyingTiffHeader, writeMosaicTiff, writeTextAsPng, writeTruncatedJpeg } from '../helpers/fixtures';
import { openThroughBrowser, screenshot, startAppSession, type AppSession, type Served } from '../helpers/serve';

let served: Served;
let session: AppSession;
let page: Page;
let files: string;
const tileRequests: string[] = [];
let pageErrors: string[] = [];

beforeAll(async () => {
  const root = await tempDir('iriscope-e2e-');
  files = path.join(root, 'files');
  await fs.mkdir(files);
  await Promise.all([
    writeMosaicTiff(path.join(files, 'aerial-20k.tif'), 20_000, 20_000),
    sharp(SAMPLE_PHOTO).jpeg({ quality: 92 }).toFile(path.join(files, 'harbour.jpg')),
    writeTruncatedJpeg(path.join(files, 'truncated.jpg')),
    writeTextAsPng(path.join(files, 'notes.png')),
    writeLyingTiffHeader(path.join(files, 'claims-100k.tif'), 100_000, 100_000),
  ]);
  await fs.copyFile(path.join(files, 'aerial-20k.tif'), path.join(files, 'aerial-copy.tif'));
  session = await startAppSession(root);
  ({ served, page, pageErrors } = session);
  page.on('request', (r) => {
    if (r.url().includes('/api/tile/')) tileRequests.push(r.url());
  });
}, 600_000);

afterAll(async () => {
  await session?.close();
});

const viewer = () => page.getByTestId('viewer');
const tilesLoaded = async () => Number(await viewer().getAttribute('data-tiles-loaded'));

describe('Iriscope in a browser', () => {
  it('shows the start screen with the sample images and where inference runs', async () => {
    await page.goto(served.openUrl);
    await expect.poll(() => page.getByTestId('sample').count()).toBeGreaterThanOrEqual(4);
    await expect.poll(() => page.getByTestId('provider-status').textContent(), { timeout: 120_000 }).toMatch(/Inference: CPU|Inference: .*GPU/);
    await page.waitForTimeout(500);
    await screenshot(page, '01-start');
  });

  it('opens a photo from the file browser and draws its tiles', async () => {
    await openThroughBrowser(page, files, 'harbour.jpg');
    await expect.poll(() => viewer().getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    await expect.poll(tilesLoaded, { timeout: 120_000 }).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('inspector').textContent()).toContain('1,024 × 819 px');
    await page.waitForTimeout(600);
    await screenshot(page, '02-photo');
  });

  it('opens a 20,000 × 20,000 image: pyramid progress, then zoom and pan fetch new tiles only', async () => {
    await openThroughBrowser(page, files, 'aerial-20k.tif');
    await expect.poll(() => page.getByTestId('preparing').isVisible(), { timeout: 120_000 }).toBe(true);
    await expect.poll(() => page.getByTestId('job').first().getAttribute('data-state'), { timeout: 120_000 }).toMatch(/running|succeeded/);
    await screenshot(page, '03-huge-preparing');
    await expect.poll(() => viewer().getAttribute('data-state'), { timeout: 240_000, interval: 1000 }).toBe('ready');
    await expect.poll(tilesLoaded, { timeout: 120_000 }).toBeGreaterThan(0);
    await page.waitForTimeout(1000);
    await screenshot(page, '04-huge-fit');

    const zoomBefore = await page.getByTestId('zoom-readout').textContent();
    const loadedBefore = await tilesLoaded();
    const box = (await viewer().boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.45);
    for (let i = 0; i < 8; i++) {
      await page.mouse.wheel(0, -300);
      await page.waitForTimeout(150);
    }
    await expect.poll(tilesLoaded, { timeout: 120_000 }).toBeGreaterThan(loadedBefore);
    await expect.poll(() => page.getByTestId('zoom-readout').textContent()).not.toBe(zoomBefore);

    const loadedAfterZoom = await tilesLoaded();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.6);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.25, { steps: 12 });
    await page.mouse.up();
    await expect.poll(tilesLoaded, { timeout: 120_000 }).toBeGreaterThan(loadedAfterZoom);
    await page.waitForTimeout(1200);
    await screenshot(page, '05-huge-zoomed-panned');

    expect(await viewer().getAttribute('data-tiles-failed')).toBe('0');
    // The page fetched a few hundred 256 px tiles at most, never the 400 Mpx image.
    expect(tileRequests.length).toBeGreaterThan(10);
    expect(tileRequests.length).toBeLessThan(600);
    await expect.poll(() => page.getByTestId('cursor').textContent()).toMatch(/x \d+, y \d+/);
  });

  it('cancels a pyramid build from the viewer and leaves nothing half-written', async () => {
    await openThroughBrowser(page, files, 'aerial-copy.tif');
    await expect.poll(() => page.getByTestId('preparing').isVisible(), { timeout: 120_000 }).toBe(true);
    await page.getByTestId('preparing').getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => viewer().getAttribute('data-state'), { timeout: 120_000 }).toBe('cancelled');
    await expect.poll(() => page.getByText('Preparation cancelled').isVisible()).toBe(true);
    await expect.poll(() => page.locator('[data-testid=job][data-state=cancelled]').count()).toBeGreaterThan(0);
    await screenshot(page, '06-cancelled');
    // The job reports cancelled at once; the killed builder's partial file goes when it has exited.
    const left = () => fs.readdir(path.join(served.cacheDir, 'pyramids'));
    await expect.poll(async () => (await left()).filter((f) => f.includes('.partial'))).toEqual([]);
    expect((await left()).filter((f) => f.endsWith('.tif'))).toHaveLength(2);
  });

  it('opens a file dropped onto the window', async () => {
    const bytes = [...(await sharp(SAMPLE_PHOTO).resize(400).png().toBuffer())];
    const transfer = await page.evaluateHandle((data) => {
      const dt = new (globalThis as unknown as { DataTransfer: new () => { items: { add(file: unknown): void } } }).DataTransfer();
      dt.items.add(new File([new Uint8Array(data)], 'dropped-boats.png', { type: 'image/png' }));
      return dt;
    }, bytes);
    await page.dispatchEvent('.app', 'dragover', { dataTransfer: transfer });
    await page.dispatchEvent('.app', 'drop', { dataTransfer: transfer });
    await expect.poll(() => page.getByTestId('image-tab').filter({ hasText: 'dropped-boats.png' }).count(), { timeout: 120_000 }).toBe(1);
    await expect.poll(() => viewer().getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
  });

  it('explains bad files: truncated, not an image, an absurd header, a file that vanished', async () => {
    await openThroughBrowser(page, files, 'truncated.jpg');
    await expect.poll(() => page.getByTestId('error').last().textContent(), { timeout: 120_000 }).toContain('"truncated.jpg" is damaged or incomplete');
    await openThroughBrowser(page, files, 'notes.png');
    await expect.poll(() => page.getByTestId('error').last().textContent()).toContain('"notes.png" is not an image Iriscope can read: it contains text, not image data.');
    await openThroughBrowser(page, files, 'claims-100k.tif');
    await expect.poll(() => page.getByTestId('error').last().textContent()).toContain('claims 100,000 × 100,000 px');

    // Open from the recent list a photo that was deleted meanwhile.
    await fs.rm(path.join(files, 'harbour.jpg'));
    await page.getByRole('button', { name: /Recent/ }).click();
    await page.getByRole('menuitem', { name: /harbour\.jpg/ }).click();
    await expect.poll(() => page.getByTestId('error').last().textContent()).toContain('"harbour.jpg" does not exist.');
    await page.waitForTimeout(300);
    await screenshot(page, '07-errors');
    // Nothing crashed: the page kept working and the engine still answers.
    expect(pageErrors).toEqual([]);
    expect(await page.getByTestId('image-tab').count()).toBeGreaterThanOrEqual(3);
  });
});
