/**
 * Screenshots of a long session (issue #12: 10+ jobs, 8+ tabs, 12 samples),
 * at 1280×800 and 1920×1080, for the notes (not a test): `iriscope serve` +
 * Debian's Chromium, the real engine and models.
 *
 *   node --import tsx scripts/screenshots/long-session.ts [out-dir]
 *
 * Writes <out-dir>/<width>x<height>/NN-name.png (default
 * test-results/screenshots/long-session). Takes about 3 minutes on 2 cores.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import type { Page } from 'playwright-core';
import { REPO_ROOT, SAMPLES_DIR } from '../../test/helpers/fixtures';
import { launchChromium, startServe } from '../../test/helpers/serve';

const out = path.resolve(process.argv[2] ?? path.join(REPO_ROOT, 'test-results', 'screenshots', 'long-session'));
const VIEWPORTS = [
  { width: 1280, height: 800 },
  { width: 1920, height: 1080 },
];

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-long-session-'));
const files = path.join(root, 'files');
await fs.mkdir(files, { recursive: true });
// A gray photo to colorize, the samples, and a few more photos: 9 tabs.
await sharp(path.join(SAMPLES_DIR, 'nagasaki-boats.jpg')).resize(900).toColourspace('b-w').jpeg({ quality: 90 }).toFile(path.join(files, 'harbour-1865-gray.jpg'));
for (const name of ['mariachi-band.jpg', 'aerial-car-park.jpg', 'dust-bowl-home.jpg', 'french-alpine-landscape.jpg', 'march-pastoral.jpg', 'airplane-from-above.jpg']) {
  await fs.copyFile(path.join(SAMPLES_DIR, name), path.join(files, name));
}
await fs.copyFile(path.join(REPO_ROOT, 'test', 'fixtures', 'faces', 'scratch-group.jpg'), path.join(files, 'boardwalk-group-photo-with-a-long-name.jpg'));
await fs.copyFile(path.join(REPO_ROOT, 'test', 'fixtures', 'faces', 'musicians-ireland.jpg'), path.join(files, 'musicians-ireland.jpg'));

const served = await startServe(root);
const browser = await launchChromium();
const page = await browser.newPage({ viewport: VIEWPORTS[0] });
const errors: string[] = [];
page.on('pageerror', (e) => errors.push(e.message));

let n = 0;
async function shot(name: string): Promise<void> {
  n++;
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    // Layout and tiles settle after a resize.
    await page.waitForTimeout(900);
    const dir = path.join(out, `${viewport.width}x${viewport.height}`);
    await fs.mkdir(dir, { recursive: true });
    await page.screenshot({ path: path.join(dir, `${String(n).padStart(2, '0')}-${name}.png`) });
  }
  await page.setViewportSize(VIEWPORTS[0]);
}

/** Opens a file by typing its path in the Open dialog. */
async function open(p: Page, file: string): Promise<void> {
  await p.getByTestId('open-button').click();
  const input = p.getByTestId('path-input');
  await input.fill(file);
  await input.press('Enter');
  try {
    await p.getByTestId('file-browser').waitFor({ state: 'hidden' });
  } catch (error) {
    await p.screenshot({ path: path.join(out, 'failed-open.png') });
    throw error;
  }
}

/** Waits until the job list shows a finished job with this title. */
const waitJob = (title: string) => page.locator('[data-testid=job][data-state=succeeded]').filter({ hasText: title }).first().waitFor({ state: 'attached', timeout: 600_000 });

/** Polls a condition read through Playwright (the page's CSP allows no evaluated strings). */
async function until(condition: () => Promise<boolean>, timeout = 60_000): Promise<void> {
  const end = Date.now() + timeout;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('timed out waiting for the page');
    await new Promise((r) => setTimeout(r, 200));
  }
}

try {
  await page.goto(served.openUrl);
  await page.getByTestId('sample').first().waitFor();
  await page.getByTestId('provider-status').filter({ hasText: /^Inference/ }).waitFor({ timeout: 60_000 });
  await page.waitForTimeout(800);
  await shot('start');

  // Nine images, opened one after another by typed path.
  for (const name of (await fs.readdir(files)).sort()) await open(page, path.join(files, name));
  await page.getByTestId('image-tab').nth(8).waitFor({ state: 'attached' });
  await page.getByRole('tab', { name: 'harbour-1865-gray.jpg' }).click();
  await page.waitForSelector('[data-testid=viewer][data-state=ready]');

  // Colorize: 12 samples.
  await page.getByTestId('tool-tab-colorize').click();
  await page.getByTestId('colorize-samples').fill('12');
  await page.getByTestId('colorize-run').click();
  await page.getByTestId('colorize-progress').waitFor();
  await until(async () => Number((await page.getByTestId('colorize-progress').getByRole('progressbar').getAttribute('aria-valuenow').catch(() => '0')) ?? 0) >= 20, 300_000);
  await shot('colorize-running');
  await waitJob('Colorizing harbour-1865-gray.jpg');
  await page.getByTestId('gallery-cell').nth(12).waitFor();
  await page.waitForTimeout(2500);
  await shot('colorize-12-samples');
  await page.getByTestId('colorize-sample').nth(4).click();
  await page.getByTestId('colorize-view-compare').click();
  await page.waitForSelector('[data-testid=colorize-compare][data-loaded=true]');
  await page.waitForTimeout(1500);
  await shot('colorize-before-after');

  // Faces on the group photo.
  await page.getByRole('tab', { name: 'mariachi-band.jpg' }).click();
  await page.getByTestId('tool-tab-faces').click();
  await page.waitForSelector('[data-testid=viewer][data-state=ready]');
  await page.getByTestId('faces-run').click();
  await waitJob('Finding faces in mariachi-band.jpg');
  await page.getByTestId('face-card').first().waitFor();
  await page.waitForTimeout(1000);
  await shot('faces-group');

  // Detect on the real aerial car park, then on an old photo (the panel warns).
  await page.getByRole('tab', { name: 'aerial-car-park.jpg' }).click();
  await page.getByTestId('tool-tab-detect').click();
  await page.waitForSelector('[data-testid=viewer][data-state=ready]');
  await page.getByTestId('detect-run').click();
  await waitJob('Detecting objects in aerial-car-park.jpg');
  await page.getByTestId('detect-count').waitFor();
  await page.waitForTimeout(1200);
  await shot('detect-car-park');
  // The sample itself (a copy is just a photo): the panel warns it is not an aerial image.
  await open(page, path.join(SAMPLES_DIR, 'airplane-from-above.jpg'));
  await page.getByTestId('tool-fit-note').waitFor();
  await page.waitForTimeout(600);
  await shot('detect-wrong-sample');

  // More jobs: faces on two more photos; then the job list.
  for (const name of ['boardwalk-group-photo-with-a-long-name.jpg', 'musicians-ireland.jpg']) {
    await page.getByRole('tab', { name }).click();
    await page.getByTestId('tool-tab-faces').click();
    await page.waitForSelector('[data-testid=viewer][data-state=ready]');
    await page.getByTestId('faces-run').click();
    await waitJob(`Finding faces in ${name}`);
  }
  await page.getByTestId('jobs-indicator').click();
  await page.waitForTimeout(500);
  await shot('jobs-open');
  await page.getByTestId('jobs-indicator').click();

  // Export dialog, and an error toast over it.
  await page.getByTestId('faces-export-json').click();
  await page.getByTestId('export-dialog').waitFor();
  await page.waitForTimeout(600);
  await shot('export-dialog');
  await page.getByTestId('export-folder').fill(path.join(files, 'mariachi-band.jpg', 'inside-a-file'));
  await page.getByTestId('export-folder').press('Enter');
  await page.getByTestId('export-save').click();
  await page.getByTestId('export-dialog').getByTestId('error').waitFor({ timeout: 30_000 });
  await page.waitForTimeout(400);
  await shot('export-error-over-dialog');
  await page.keyboard.press('Escape');

  // Settings.
  await page.getByTestId('settings-button').click();
  await page.getByTestId('settings').waitFor();
  await page.waitForTimeout(600);
  await shot('settings');
  await page.keyboard.press('Escape');

  console.log(`wrote ${n} shots × ${VIEWPORTS.length} sizes to ${out}${errors.length ? `\npage errors:\n${errors.join('\n')}` : ''}`);
} finally {
  await browser.close();
  await served.stop();
}
