/**
 * The Faces tool in Debian's Chromium against `iriscope serve`, with the real
 * engine and models: open a group photo, find the faces, see boxes and
 * cards linked both ways, move the threshold, export, and a photo without
 * faces. Screenshots land in test-results/screenshots/.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/fixtures';
import { openThroughBrowser, screenshot, startAppSession, type AppSession, type Served } from '../helpers/serve';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'faces');
let served: Served;
let session: AppSession;
let page: Page;
let files: string;
let pageErrors: string[] = [];

beforeAll(async () => {
  const root = await tempDir('iriscope-e2e-faces-');
  files = path.join(root, 'files');
  await fs.mkdir(files);
  for (const name of ['scratch-group.jpg', 'drums-no-faces.jpg']) await fs.copyFile(path.join(FIXTURES, name), path.join(files, name));
  session = await startAppSession(root);
  ({ served, page, pageErrors } = session);
});

afterAll(async () => {
  await session?.close();
});

const cards = () => page.getByTestId('face-card');
const boxes = () => page.getByTestId('face-box');
const viewer = () => page.getByTestId('viewer');

describe('Faces tool', () => {
  it('finds the 8 faces of a group photo: boxes on the image, a card per face', async () => {
    await page.goto(served.openUrl);
    await openThroughBrowser(page, files, 'scratch-group.jpg');
    await expect.poll(() => viewer().getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    await expect.poll(async () => Number(await viewer().getAttribute('data-tiles-loaded')), { timeout: 120_000 }).toBeGreaterThan(0);
    await page.getByTestId('tool-tab-faces').click();
    await expect.poll(() => page.getByTestId('faces-run').textContent()).toBe('Find faces');
    await page.getByTestId('faces-run').click();
    await expect.poll(() => page.locator('[data-testid=job][data-state=succeeded]').filter({ hasText: 'Finding faces in scratch-group.jpg' }).count(), { timeout: 120_000 }).toBe(1);
    await expect.poll(() => cards().count(), { timeout: 120_000 }).toBe(8);
    await expect.poll(() => boxes().count()).toBe(8);
    expect(await page.getByTestId('faces-overlay').getAttribute('data-faces')).toBe('8');
    expect(await page.getByTestId('faces-count').textContent()).toBe('8 faces');
    // Cards carry the crop, age, gender with probability and the expression bars.
    const first = cards().first();
    expect(await first.locator('img.face-thumb').getAttribute('src')).toMatch(/^data:image\/jpeg;base64,/);
    expect(await first.textContent()).toMatch(/\d+–\d+ y(Female|Male) \d+%/);
    expect(await first.locator('.expression').count()).toBe(7);
    // Boxes sit over the image where the faces are: every box lies inside the viewer, with a sensible size.
    const area = (await viewer().boundingBox())!;
    for (const box of await boxes().locator('rect.face-rect').all()) {
      const b = (await box.boundingBox())!;
      expect(b.x).toBeGreaterThanOrEqual(area.x);
      expect(b.x + b.width).toBeLessThanOrEqual(area.x + area.width);
      expect(b.width).toBeGreaterThan(8);
      expect(b.width).toBeLessThan(120);
    }
    await page.waitForTimeout(400);
    await screenshot(page, '10-faces-group');
    expect(pageErrors).toEqual([]);
  });

  it('links cards and boxes: hover a card lights its box, click a box selects its card, click a card zooms to the face', async () => {
    expect(await cards().evaluateAll((all) => all.map((c) => Number(c.getAttribute('data-face-id'))))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    await cards().nth(2).hover();
    await expect.poll(() => page.locator('[data-testid=face-box][data-face-id="3"]').getAttribute('class')).toContain('active');
    expect(await page.locator('[data-testid=face-box][data-face-id="2"]').getAttribute('class')).not.toContain('active');
    await page.locator('[data-testid=face-box][data-face-id="5"] rect.face-rect').click({ force: true });
    await expect.poll(() => page.locator('[data-testid=face-card][data-face-id="5"]').getAttribute('class')).toContain('selected');

    const zoomBefore = await page.getByTestId('zoom-readout').textContent();
    await page.locator('[data-testid=face-card][data-face-id="7"]').click();
    await expect.poll(() => page.getByTestId('zoom-readout').textContent(), { timeout: 120_000 }).not.toBe(zoomBefore);
    // The selected face ends up large and near the middle of the view (once the zoom animation has run).
    const area = (await viewer().boundingBox())!;
    const placement = async () => {
      const face = (await page.locator('[data-testid=face-box][data-face-id="7"] rect.face-rect').boundingBox())!;
      return {
        large: face.width > 100,
        centredX: Math.abs(face.x + face.width / 2 - (area.x + area.width / 2)) < area.width * 0.2,
        centredY: Math.abs(face.y + face.height / 2 - (area.y + area.height / 2)) < area.height * 0.2,
      };
    };
    await expect.poll(placement).toEqual({ large: true, centredX: true, centredY: true });
    await screenshot(page, '11-faces-zoomed');
    await page.keyboard.press('0');
  });

  it('re-filters at once when the threshold moves, without running again', async () => {
    const jobsBefore = await page.getByTestId('job').count();
    await page.getByTestId('faces-threshold').fill('0.5');
    await expect.poll(() => cards().count()).toBeGreaterThan(8);
    await expect.poll(() => boxes().count()).toBe(await cards().count());
    await page.getByTestId('faces-threshold').fill('0.9');
    await expect.poll(() => cards().count()).toBeLessThan(8);
    await page.getByTestId('faces-threshold').fill('0.65');
    await expect.poll(() => cards().count()).toBe(8);
    expect(await page.getByTestId('job').count()).toBe(jobsBefore);
  });

  it('exports the annotated image, JSON and CSV to a chosen folder, and asks before replacing (the original is never overwritten)', async () => {
    for (const [button, ext] of [['faces-export-json', 'json'], ['faces-export-csv', 'csv'], ['faces-export-image', 'jpg']] as const) {
      await page.getByTestId(button).click();
      const dialog = page.getByRole('dialog', { name: /Export/ });
      await expect.poll(() => dialog.isVisible()).toBe(true);
      expect(await page.getByTestId('export-name').inputValue()).toBe(`scratch-group.faces.${ext}`);
      await page.getByTestId('export-folder').fill(files);
      await page.getByTestId('export-folder').press('Enter');
      await page.getByTestId('export-save').click();
      await expect.poll(() => page.getByTestId('faces-export-status').textContent(), { timeout: 120_000 }).toContain(`scratch-group.faces.${ext}`);
      await expect.poll(() => dialog.isVisible()).toBe(false);
    }
    const record = JSON.parse(await fs.readFile(path.join(files, 'scratch-group.faces.json'), 'utf8'));
    expect(record.faces).toHaveLength(8);
    expect((await fs.readFile(path.join(files, 'scratch-group.faces.csv'), 'utf8')).trim().split('\r\n')).toHaveLength(9);
    const annotated = await sharp(path.join(files, 'scratch-group.faces.jpg')).metadata();
    expect([annotated.format, annotated.width, annotated.height]).toEqual(['jpeg', 1440, 1080]);

    // Naming the original: the dialog asks first, and the engine still refuses to write over it.
    const original = path.join(files, 'scratch-group.jpg');
    const before = await fs.readFile(original);
    await page.getByTestId('faces-export-image').click();
    await page.getByTestId('export-folder').fill(files);
    await page.getByTestId('export-folder').press('Enter');
    await page.getByTestId('export-name').fill('scratch-group.jpg');
    await expect.poll(() => page.getByTestId('export-entry').filter({ hasText: 'scratch-group.jpg' }).count()).toBeGreaterThan(0);
    await page.getByTestId('export-save').click();
    await expect.poll(() => page.getByTestId('export-replace').isVisible()).toBe(true);
    await page.getByTestId('export-replace-confirm').click();
    // The error shows above the dialog, which stays open.
    const error = page.getByRole('dialog', { name: /Export/ }).getByTestId('error');
    await expect.poll(() => error.last().textContent()).toContain('never overwrites the original');
    expect(await error.last().isVisible()).toBe(true);
    expect((await fs.readFile(original)).equals(before)).toBe(true);
    await screenshot(page, '12-faces-export-refused');
    await page.getByTestId('export-dialog').getByRole('button', { name: 'Cancel' }).click();
    await screenshot(page, '12-faces-exported');
  });

  it('says so when a photo has no faces', async () => {
    await openThroughBrowser(page, files, 'drums-no-faces.jpg');
    await expect.poll(() => viewer().getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    await expect.poll(() => page.getByTestId('faces-run').textContent()).toBe('Find faces');
    await page.getByTestId('faces-run').click();
    await expect.poll(() => page.getByTestId('faces-count').textContent(), { timeout: 120_000 }).toBe('0 faces');
    expect(await boxes().count()).toBe(0);
    await expect.poll(() => page.getByText('No faces at this threshold.').isVisible()).toBe(true);
    // Back on the group photo, its faces are still there.
    await page.getByTestId('image-tab').filter({ hasText: 'scratch-group.jpg' }).locator('.tab-label').click();
    await expect.poll(() => cards().count(), { timeout: 120_000 }).toBe(8);
    expect(pageErrors).toEqual([]);
  });
});
