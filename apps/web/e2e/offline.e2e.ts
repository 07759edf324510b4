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
  it('the app shell still opens from the service worker, says it is offline and lists the tasks last loaded; it notices the connection is back', async () => {
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

    // The connection returns: the app notices by itself, with no reload: the banner goes, the
    // session is restored, actions are enabled again and the list is fetched afresh.
    const refetched = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v1/tasks' && r.ok());
    await context.setOffline(false);
    await page.getByText('You are offline.').waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(await page.getByRole('button', { name: 'New task' }).isEnabled()).toBe(true);
    await refetched;

    // A save attempted as the connection drops says it is waiting, then that it was saved, once.
    await page.getByRole('button', { name: 'New task' }).click();
    const dialog = page.getByRole('dialog', { name: 'New task' });
    await dialog.getByLabel('Title').fill('Written in a tunnel');
    await context.setOffline(true);
    await dialog.getByRole('button', { name: 'Create task' }).click();
    await dialog.getByText('Not saved yet: waiting for the connection.').waitFor();
    await checkPage(page, 'task-dialog-waiting', () => dialog.getByText('Not saved yet').waitFor(), ['desktop']);
    await context.setOffline(false);
    await dialog.waitFor({ state: 'hidden' });
    await page.getByText('Saved: the connection is back').waitFor();
    await page.getByRole('button', { name: 'Written in a tunnel', exact: true }).waitFor();
    expect((await listedTitles(page)).filter((t) => t === 'Written in a tunnel')).toHaveLength(1);
    await context.close();
  });
});
