import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  checkPage,
  createTaskThroughUi,
  launchBrowser,
  listedTitles,
  openPage,
  registerThroughUi,
  uniqueEmail,
} from './support';

const baseUrl = inject('baseUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('without a connection', () => {
  it('the app shell still opens from the service worker, says it is offline and lists the tasks last loaded', async () => {
    // bypassCSP only so axe can be injected at the end.
    const { page, context } = await openPage(browser, baseUrl, { bypassCSP: true });
    await registerThroughUi(page, 'Olga Offline', uniqueEmail('offline'));
    await createTaskThroughUi(page, { title: 'Read this on the train' });
    await createTaskThroughUi(page, { title: 'And this one too' });

    // Wait for the service worker to be installed and in control, then load the list through it once.
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
    });
    await page.reload();
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await page.getByRole('button', { name: 'And this one too', exact: true }).waitFor();

    await context.setOffline(true);
    await page.reload();

    await page.getByRole('heading', { name: 'Tasks', level: 1 }).waitFor();
    await page.getByText('You are offline.').waitFor();
    await page.getByRole('button', { name: 'Read this on the train', exact: true }).waitFor();
    expect(await listedTitles(page)).toEqual(['And this one too', 'Read this on the train']);
    // Read-only until the connection is back.
    expect(await page.getByRole('button', { name: 'New task' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Complete “Read this on the train”' }).isDisabled()).toBe(true);
    // The server really was out of reach: the session could not be refreshed.
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await checkPage(page, 'tasks-offline', () => page.getByText('You are offline.').waitFor());

    await context.setOffline(false);
    await context.close();
  });
});
