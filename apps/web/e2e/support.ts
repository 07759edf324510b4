import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import axe from 'axe-core';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterEach, expect } from 'vitest';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Debian's Chromium, installed by .ci/run with apt; the suite never downloads a browser. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const SCREENSHOT_DIR = join(REPO_ROOT, 'test-results/screenshots');

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 760 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

export interface OpenPage {
  context: BrowserContext;
  page: Page;
  /** Content-Security-Policy violations the browser reported on this page. */
  cspViolations: string[];
}

/** Pages opened by this test file and still open, for evidence after a failure. */
const openedPages = new Set<Page>();

export async function openPage(browser: Browser, baseURL: string, options: BrowserContextOptions = {}) {
  const context = await browser.newContext({ baseURL, viewport: DESKTOP, locale: 'en-US', ...options });
  const page = await context.newPage();
  openedPages.add(page);
  page.once('close', () => openedPages.delete(page));
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { context, page, cspViolations } satisfies OpenPage;
}

let counter = 0;
/** An address no other test (or earlier run against the same server) uses. */
export function uniqueEmail(who: string) {
  counter++;
  return `${who}-${Date.now().toString(36)}-${counter}-${Math.random().toString(36).slice(2, 7)}@example.com`;
}
export const PASSWORD = 'correct horse battery staple';
/** The admin the leads server creates at start (ADMIN_EMAIL). */
export const LEADS_ADMIN_EMAIL = 'leads-admin@example.com';
export const IMPORTS_ADMIN_EMAIL = 'imports-admin@example.com';

export async function registerThroughUi(page: Page, name: string, email: string, password = PASSWORD) {
  await page.goto('/register');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.waitForURL('**/tasks');
  await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
}

export async function signInThroughUi(page: Page, email: string, password = PASSWORD) {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // Agents land on My leads, everyone else on Tasks.
  await page.waitForURL(/\/(tasks|leads)$/);
}

export async function createTaskThroughUi(
  page: Page,
  task: { title: string; description?: string; priority?: 'low' | 'medium' | 'high' },
) {
  await page.getByRole('button', { name: 'New task' }).click();
  const dialog = page.getByRole('dialog', { name: 'New task' });
  await dialog.getByLabel('Title').fill(task.title);
  if (task.description) await dialog.getByLabel('Description').fill(task.description);
  if (task.priority) await dialog.getByLabel('Priority').selectOption(task.priority);
  await dialog.getByRole('button', { name: 'Create task' }).click();
  await dialog.waitFor({ state: 'hidden' });
  await taskRow(page, task.title).waitFor();
}

export const taskRow = (page: Page, title: string) =>
  page.getByTestId('task-row').filter({ has: page.getByRole('button', { name: title, exact: true }) });

/** The titles of the task rows in the DOM, in order. */
export const listedTitles = (page: Page) => page.locator('[data-testid="task-row"] .task-title').allTextContents();

/** Signs in through the API from Node and returns the access token (for setting up data). */
export async function apiSignIn(baseUrl: string, email: string, password = PASSWORD): Promise<string> {
  const res = await fetch(`${baseUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!res.ok) throw new Error(`login as ${email} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export async function apiRegister(baseUrl: string, name: string, email: string, password = PASSWORD) {
  const res = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, email, password }),
  });
  if (res.status !== 201) throw new Error(`register ${email} failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

export async function apiCall<T>(baseUrl: string, token: string, method: string, path: string, body?: unknown) {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (res.status === 204 ? null : await res.json()) as T };
}

/** Saves `<name>-desktop.png` (1280×800) and `<name>-phone.png` (375×760) under test-results/screenshots. */
export async function screenshotBoth(
  page: Page,
  name: string,
  ready?: () => Promise<unknown>,
  sizes: readonly ('desktop' | 'phone')[] = ['desktop', 'phone'],
) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  for (const size of sizes) {
    await page.setViewportSize(size === 'desktop' ? DESKTOP : PHONE);
    await ready?.();
    await page.screenshot({
      path: join(SCREENSHOT_DIR, `${name}-${size}.png`),
      fullPage: true,
      animations: 'disabled',
    });
  }
  await page.setViewportSize(DESKTOP);
}

type AxeViolation = { id: string; impact?: string | null; help: string; nodes: { target: unknown[] }[] };

/**
 * Runs axe-core in the page and returns its serious and critical violations, described one per
 * line (rule, impact, what it asks, the first elements it found). The page's context must bypass
 * the app's CSP, which rightly refuses the injected script.
 */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
  const loaded = await page.evaluate(() => 'axe' in window);
  if (!loaded) await page.addScriptTag({ content: axe.source });
  const violations = await page.evaluate(async () => {
    const results = await (window as unknown as { axe: typeof axe }).axe.run(document, {
      resultTypes: ['violations'],
    });
    return results.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target as unknown[] })),
    }));
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => JSON.stringify(n.target))
          .join(', ')}${v.nodes.length > 3 ? ` and ${v.nodes.length - 3} more` : ''}`,
    );
}

/**
 * Axe at both sizes (the phone layout has its own menu) and in the dark colour scheme, no sideways
 * scrolling at 375 px, plus the screenshots: `<name>-desktop.png`, `<name>-phone.png` and `<name>-desktop-dark.png`.
 */
export async function checkPage(
  page: Page,
  name: string,
  ready: () => Promise<unknown>,
  sizes: readonly ('desktop' | 'phone')[] = ['desktop', 'phone'],
) {
  const found: string[] = [];
  const runs = [
    ...sizes.map((size) => ({ size, scheme: 'light' as const })),
    { size: sizes[0]!, scheme: 'dark' as const },
  ];
  for (const { size, scheme } of runs) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.setViewportSize(size === 'desktop' ? DESKTOP : PHONE);
    await ready();
    found.push(...(await seriousA11yViolations(page)).map((v) => `${size} ${scheme}: ${v}`));
    // A phone screen never scrolls sideways: wide content scrolls inside its own box.
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    if (size === 'phone' && width > PHONE.width) found.push(`phone: the page scrolls sideways (${width} px wide)`);
    if (scheme === 'dark') {
      mkdirSync(SCREENSHOT_DIR, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${size}-dark.png`), fullPage: true });
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await screenshotBoth(page, name, ready, sizes);
  expect(found, `serious or critical problems on ${name}`).toEqual([]);
}

/**
 * After a failed test, keeps what each open page showed: a screenshot and its visible text under
 * test-results/failures/ (.ci/run copies them), so a failure on CI can be read afterwards.
 */
export function keepEvidenceOnFailure() {
  afterEach(async ({ task }) => {
    if (task.result?.state !== 'fail') return;
    const dir = join(REPO_ROOT, 'test-results/failures');
    mkdirSync(dir, { recursive: true });
    const slug = task.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60);
    for (const [i, page] of [...openedPages].entries()) {
      if (page.isClosed()) continue;
      await page.screenshot({ path: join(dir, `${slug}-${i}.png`), fullPage: true }).catch(() => {});
      const text = await page
        .locator('body')
        .innerText({ timeout: 2_000 })
        .catch((err: Error) => `(no text: ${err.message})`);
      writeFileSync(join(dir, `${slug}-${i}.txt`), `${page.url()}\n\n${text}`);
    }
  });
}
