/**
 * The workspace as work piles up (issue #12), in Debian's Chromium against
 * `iriscope serve`: many jobs never shrink the viewer and can be cleared;
 * many tabs keep the active one in view; the Open dialog opens a typed file
 * path and can show all files; exports start in Pictures (never beside a
 * sample, never in the app), create a missing folder, ask before replacing,
 * download in the browser, and their errors show above the dialog; the start
 * screen says which sample suits which tool; Settings offers only this
 * platform's providers and confirms a change.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLES_DIR, tempDir } from '../helpers/fixtures';
import { screenshot, startAppSession, type AppSession } from '../helpers/serve';

let session: AppSession;
let page: Page;
let files: string;
const NAMES = ['01-harbour.jpg', '02-dust-bowl.jpg', '03-alps.jpg', '04-pastoral.jpg', '05-airplane.jpg', '06-band.jpg', '07-car-park.jpg', '08-harbour-again-with-a-long-name.jpg', '09-last.jpg'];

beforeAll(async () => {
  const root = await tempDir('iriscope-e2e-workspace-');
  files = path.join(root, 'files');
  await fs.mkdir(files);
  const sources = ['nagasaki-boats.jpg', 'dust-bowl-home.jpg', 'french-alpine-landscape.jpg', 'march-pastoral.jpg', 'airplane-from-above.jpg', 'mariachi-band.jpg', 'aerial-car-park.jpg', 'nagasaki-boats.jpg', 'dust-bowl-home.jpg'];
  // Small copies: nine images open quickly even on a loaded machine.
  await Promise.all(NAMES.map((name, i) => sharp(path.join(SAMPLES_DIR, sources[i])).resize(480).jpeg({ quality: 85 }).toFile(path.join(files, name))));
  await fs.writeFile(path.join(files, 'notes.txt'), 'Not an image.\n');
  session = await startAppSession(root);
  page = session.page;
});

afterAll(async () => {
  await session?.close();
});

const viewerHeight = async () => (await page.getByTestId('viewer').boundingBox())?.height ?? 0;
const tabs = () => page.getByRole('tablist', { name: 'Open images' }).getByRole('tab');

/** Opens a file by typing its path in the Open dialog (no clicking through folders). */
async function openTyped(file: string): Promise<void> {
  await page.getByTestId('open-button').click();
  const dialog = page.getByRole('dialog', { name: 'Open images' });
  await expect.poll(() => dialog.isVisible()).toBe(true);
  await page.getByTestId('path-input').fill(file);
  await page.getByTestId('path-input').press('Enter');
  await expect.poll(() => dialog.count(), { timeout: 120_000 }).toBe(0);
}

describe('Workspace as work piles up', () => {
  it('opens a file whose path is typed in the Open dialog, and shows all files on request', async () => {
    await page.goto(session.served.openUrl);
    await openTyped(path.join(files, NAMES[0]));
    await expect.poll(() => tabs().count(), { timeout: 120_000 }).toBe(1);
    await expect.poll(() => page.getByTestId('viewer').getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');

    await page.getByTestId('open-button').click();
    await page.getByTestId('path-input').fill(files);
    await page.getByTestId('path-input').press('Enter');
    const entries = page.getByTestId('browser-entry');
    await expect.poll(() => entries.filter({ hasText: NAMES[1] }).count()).toBe(1);
    expect(await entries.filter({ hasText: 'notes.txt' }).count()).toBe(0);
    await page.getByTestId('browser-filter').selectOption('all');
    await expect.poll(() => entries.filter({ hasText: 'notes.txt' }).count()).toBe(1);
    await entries.filter({ hasText: 'notes.txt' }).dblclick();
    await expect.poll(() => page.getByTestId('error').last().textContent(), { timeout: 120_000 }).toContain('"notes.txt"');
  });

  it('keeps the viewer its size however many jobs run; the job list floats and clears', async () => {
    const before = await viewerHeight();
    expect(before).toBeGreaterThan(300);
    for (const name of NAMES.slice(1)) await openTyped(path.join(files, name));
    await expect.poll(() => tabs().count(), { timeout: 120_000 }).toBe(NAMES.length);
    await expect.poll(() => page.locator('[data-testid=job][data-state=succeeded]').count(), { timeout: 120_000 }).toBeGreaterThanOrEqual(NAMES.length);
    expect(Math.abs((await viewerHeight()) - before)).toBeLessThanOrEqual(1);

    // The status bar says how many; the list opens over the stage and the viewer keeps its size.
    await expect.poll(() => page.getByTestId('jobs-indicator').textContent()).toMatch(/\d+ jobs/);
    await page.getByTestId('jobs-indicator').click();
    const list = page.getByRole('region', { name: 'Jobs' });
    await expect.poll(() => list.isVisible()).toBe(true);
    expect(await list.getByRole('progressbar').count()).toBeGreaterThanOrEqual(NAMES.length);
    expect(Math.abs((await viewerHeight()) - before)).toBeLessThanOrEqual(1);
    await screenshot(page, '40-workspace-jobs');
    await page.getByTestId('jobs-clear').click();
    await expect.poll(() => page.getByTestId('job').count()).toBe(0);
    await expect.poll(() => page.getByTestId('jobs-indicator').count()).toBe(0);
  });

  it('keeps the active tab in view with many tabs, and lists them all in a menu', async () => {
    // The last opened image is active, fully visible in the strip.
    const strip = (await page.getByRole('tablist', { name: 'Open images' }).boundingBox())!;
    const inStrip = async (name: string) => {
      const box = (await tabs().filter({ hasText: name }).boundingBox())!;
      return box.x >= strip.x - 1 && box.x + box.width <= strip.x + strip.width + 1;
    };
    expect(await tabs().filter({ hasText: NAMES.at(-1)! }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => inStrip(NAMES.at(-1)!)).toBe(true);
    // The first image, from the menu: it becomes the selected tab and scrolls into view.
    await page.getByTestId('tabs-menu').click();
    await page.getByRole('menuitemradio', { name: NAMES[0] }).click();
    await expect.poll(() => tabs().filter({ hasText: NAMES[0] }).getAttribute('aria-selected')).toBe('true');
    await expect.poll(() => inStrip(NAMES[0])).toBe(true);
    // Arrow keys move between tabs.
    await tabs().filter({ hasText: NAMES[0] }).focus();
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => tabs().filter({ hasText: NAMES[1] }).getAttribute('aria-selected')).toBe('true');
    expect(await tabs().evaluateAll((all) => all.filter((t) => t.getAttribute('aria-selected') === 'true').length)).toBe(1);
    await screenshot(page, '41-workspace-tabs');
  });

  it('says on the start screen which sample suits which tool, and opens it there', async () => {
    await page.goto(session.served.openUrl);
    const samples = page.getByTestId('sample');
    await expect.poll(() => samples.count()).toBeGreaterThanOrEqual(7);
    const tools = await samples.evaluateAll((all) => all.map((s) => s.getAttribute('data-tool')));
    expect(new Set(tools)).toEqual(new Set(['colorize', 'faces', 'detect']));
    await samples.filter({ hasText: 'Car park from above' }).click();
    await expect.poll(() => page.getByTestId('tool-tab-detect').getAttribute('aria-selected'), { timeout: 120_000 }).toBe('true');
    await expect.poll(() => page.getByTestId('viewer').getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    expect(await page.getByTestId('tool-fit-note').count()).toBe(0);
  });

  it('warns in Detect on a sample made for Colorize, and offers the aerial one', async () => {
    await page.getByTestId('open-button').click();
    await page.getByTestId('path-input').fill(path.join(SAMPLES_DIR, 'airplane-from-above.jpg'));
    await page.getByTestId('path-input').press('Enter');
    await expect.poll(() => page.getByTestId('tool-fit-note').textContent(), { timeout: 120_000 }).toContain('meant for Colorize');
    await page.getByTestId('tool-fit-open').click();
    await expect.poll(() => tabs().filter({ hasText: 'aerial-car-park.jpg' }).getAttribute('aria-selected')).toBe('true');
    expect(await page.getByTestId('tool-fit-note').count()).toBe(0);
  });

  it('exports into Pictures (not beside a sample), creates a missing folder, asks before replacing, and downloads', async () => {
    await openTyped(path.join(SAMPLES_DIR, 'mariachi-band.jpg'));
    await expect.poll(() => tabs().filter({ hasText: 'mariachi-band.jpg' }).getAttribute('aria-selected'), { timeout: 120_000 }).toBe('true');
    await expect.poll(() => page.getByTestId('viewer').getAttribute('data-state'), { timeout: 120_000 }).toBe('ready');
    await page.getByTestId('tool-tab-faces').click();
    await page.getByTestId('faces-run').click();
    await expect.poll(() => page.getByTestId('faces-count').textContent(), { timeout: 120_000 }).toMatch(/^\d+ faces?$/);

    const dialog = page.getByRole('dialog', { name: /Export the faces as JSON/ });
    const pictures = path.join(session.served.homeDir, 'Pictures');
    await page.getByTestId('faces-export-json').click();
    await expect.poll(() => page.getByTestId('export-folder').inputValue()).toBe(pictures);
    expect(await page.getByTestId('export-name').inputValue()).toBe('mariachi-band.faces.json');

    // A folder that does not exist yet is created on save.
    const fresh = path.join(pictures, 'iriscope', 'faces');
    await page.getByTestId('export-folder').fill(fresh);
    await page.getByTestId('export-folder').press('Enter');
    await expect.poll(() => page.getByTestId('export-missing').isVisible()).toBe(true);
    await page.getByTestId('export-save').click();
    await expect.poll(() => page.getByTestId('faces-export-status').textContent(), { timeout: 120_000 }).toContain(path.join(fresh, 'mariachi-band.faces.json'));
    expect(JSON.parse(await fs.readFile(path.join(fresh, 'mariachi-band.faces.json'), 'utf8')).faces.length).toBeGreaterThan(0);
    expect(await page.getByTestId('toast').filter({ hasText: 'Saved mariachi-band.faces.json' }).count()).toBe(1);

    // The next export starts in that folder; the same name asks before replacing; New folder makes one.
    await page.getByTestId('faces-export-json').click();
    await expect.poll(() => page.getByTestId('export-folder').inputValue()).toBe(fresh);
    await page.getByTestId('export-save').click();
    await expect.poll(() => page.getByTestId('export-replace').isVisible()).toBe(true);
    await page.getByTestId('export-new-folder').click();
    await page.getByTestId('export-new-folder-name').fill('more');
    await page.getByTestId('export-new-folder-create').click();
    await expect.poll(() => page.getByTestId('export-folder').inputValue()).toBe(path.join(fresh, 'more'));
    expect((await fs.stat(path.join(fresh, 'more'))).isDirectory()).toBe(true);

    // A failure shows above the dialog (inside it: a modal makes the rest of the page inert); the dialog stays.
    // A folder inside a file cannot be made.
    await page.getByTestId('export-folder').fill(path.join(files, 'notes.txt', 'sub'));
    await page.getByTestId('export-folder').press('Enter');
    await page.getByTestId('export-save').click();
    const error = dialog.getByTestId('error');
    await expect.poll(() => error.last().textContent(), { timeout: 120_000 }).toContain('"notes.txt" is a file, not a folder');
    expect(await error.last().isVisible()).toBe(true);
    expect(await dialog.isVisible()).toBe(true);
    await screenshot(page, '42-workspace-export-error');

    // Download: the browser receives the file.
    const downloading = page.waitForEvent('download', { timeout: 120_000 });
    await page.getByTestId('export-download').click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe('mariachi-band.faces.json');
    const saved = path.join(files, 'downloaded.json');
    await download.saveAs(saved);
    expect(JSON.parse(await fs.readFile(saved, 'utf8')).faces.length).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('faces-export-status').textContent()).toContain('Downloaded mariachi-band.faces.json');
    // Nothing was written beside the sample, inside the app.
    expect((await fs.readdir(SAMPLES_DIR)).filter((f) => f.includes('.faces.'))).toEqual([]);
  });

  it('offers only the providers of this platform and confirms a saved change', async () => {
    await page.getByTestId('settings-button').click();
    const settings = page.getByRole('dialog', { name: 'Settings' });
    await expect.poll(() => settings.isVisible()).toBe(true);
    const options = await page.getByTestId('provider-select').locator('option').evaluateAll((all) => all.map((o) => ({ value: (o as unknown as { value: string }).value, disabled: (o as unknown as { disabled: boolean }).disabled })));
    const values = options.map((o) => o.value);
    if (process.platform === 'linux') expect(values.some((v) => v === 'dml' || v === 'coreml')).toBe(false);
    expect(options.find((o) => o.value === 'cpu')).toEqual({ value: 'cpu', disabled: false });
    // The status bar says where inference runs, with a working provider.
    const active = await page.getByTestId('provider-status').getAttribute('data-active');
    expect(active).not.toBe('');
    for (const o of options) if (o.value !== 'auto' && o.value !== active && o.disabled) expect(await page.locator(`[data-provider=${o.value}]`).textContent()).not.toContain('works');
    await page.getByTestId('threads-input').fill('1');
    await page.getByTestId('threads-input').press('Enter');
    await expect.poll(() => settings.getByTestId('toast').filter({ hasText: 'Saved: CPU threads 1' }).count(), { timeout: 120_000 }).toBe(1);
    await screenshot(page, '43-workspace-settings');
    await page.getByTestId('threads-input').fill('0');
    await page.getByTestId('threads-input').press('Enter');
    expect(session.pageErrors).toEqual([]);
  });
});
