/**
 * Screenshots of the Detect tool on a huge GeoTIFF, for the README and the
 * issue notes (not a test): `iriscope serve` + Debian's Chromium, the real
 * engine and the best installed ODGI model.
 *
 *   node --import tsx scripts/screenshots/detect-huge.ts <scene.tif> [out-dir]
 *
 * Writes detect-huge-fit.png (whole scene with boxes) and detect-huge-zoom.png
 * (zoomed to the first detection of the list).
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchChromium, openThroughBrowser, startServe } from '../../test/helpers/serve';

const scene = path.resolve(process.argv[2] ?? '');
const out = path.resolve(process.argv[3] ?? 'test-results/screenshots');
await fs.mkdir(out, { recursive: true });
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'iriscope-shots-'));
const served = await startServe(root);
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await page.goto(served.openUrl);
  await openThroughBrowser(page, path.dirname(scene), path.basename(scene));
  await page.waitForSelector('[data-testid=viewer][data-state=ready]', { timeout: 600_000 });
  await page.getByTestId('tool-tab-detect').click();
  const started = Date.now();
  await page.getByTestId('detect-run').click();
  await page.locator('[data-testid=job][data-state=succeeded]').filter({ hasText: 'Detecting objects in' }).first().waitFor({ timeout: 600_000 });
  console.log(`detection done in the UI after ${((Date.now() - started) / 1000).toFixed(1)} s: ${await page.getByTestId('detect-count').textContent()}, ${await page.getByTestId('detect-summary').textContent()}`);
  await page.waitForTimeout(1500);
  await page.screenshot({ path: path.join(out, 'detect-huge-fit.png') });
  await page.getByTestId('detect-row').first().click();
  await page.waitForTimeout(2500);
  await page.screenshot({ path: path.join(out, 'detect-huge-zoom.png') });
} finally {
  await browser.close();
  await served.stop();
}
