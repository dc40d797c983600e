/**
 * Starts the real `iriscope serve` (the CLI, as a user would) with its own
 * data and cache folders, and Debian's Chromium driven by playwright-core.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './fixtures';

export interface Served {
  url: string;
  openUrl: string;
  /** The session token, for a test's own API client beside the browser. */
  token: string;
  dataDir: string;
  cacheDir: string;
  /** The server's home folder (with a Pictures folder): exports default there, never into the real home. */
  homeDir: string;
  stop(): Promise<void>;
}

export async function startServe(root: string): Promise<Served> {
  const dataDir = path.join(root, 'data');
  const cacheDir = path.join(root, 'cache');
  const homeDir = path.join(root, 'home');
  await fs.mkdir(path.join(homeDir, 'Pictures'), { recursive: true });
  const child: ChildProcess = spawn(process.execPath, [path.join(REPO_ROOT, 'bin', 'iriscope.mjs'), 'serve', '--port', '0'], {
    cwd: REPO_ROOT,
    env: { ...process.env, IRISCOPE_DATA_DIR: dataDir, IRISCOPE_CACHE_DIR: cacheDir, HOME: homeDir, USERPROFILE: homeDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr!.on('data', (d) => (output += d));
  const openUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start:\n${output}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      output += d;
      const match = /(http:\/\/127\.0\.0\.1:\d+\/\?token=\w+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
  });
  return {
    url: openUrl.replace(/\?token=.*$/, ''),
    openUrl,
    token: new URL(openUrl).searchParams.get('token')!,
    dataDir,
    cacheDir,
    homeDir,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const SCREENSHOTS = path.join(REPO_ROOT, 'test-results', 'screenshots');

export async function screenshot(page: Page, name: string): Promise<void> {
  await fs.mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** Opens files through the in-app file browser, as a person would. */
export async function openThroughBrowser(page: Page, folder: string, name: string): Promise<void> {
  await page.getByTestId('open-button').click();
  const input = page.getByTestId('path-input');
  await input.fill(folder);
  await input.press('Enter');
  try {
    await page.getByTestId('browser-entry').filter({ hasText: name }).first().dblclick();
  } catch (error) {
    // What the browser showed instead, for whoever reads the failure.
    await screenshot(page, `failed-open-${name}`).catch(() => undefined);
    throw error;
  }
}

export interface AppSession {
  served: Served;
  browser: Browser;
  page: Page;
  /** Uncaught page errors and console errors (failed resource loads aside). */
  pageErrors: string[];
  close(): Promise<void>;
}

/** `iriscope serve` + Chromium + one 1440×900 page collecting its errors. */
export async function startAppSession(root: string): Promise<AppSession> {
  const served = await startServe(root);
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) pageErrors.push(m.text());
  });
  return {
    served,
    browser,
    page,
    pageErrors,
    close: async () => {
      await browser.close();
      await served.stop();
    },
  };
}
