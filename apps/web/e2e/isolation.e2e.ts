import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  apiCall,
  apiSignIn,
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

describe('two users on one browser', () => {
  it('the second user sees none of the first user’s tasks: not listed, not found by search, not counted, not by id', async () => {
    const { page, context } = await openPage(browser, baseUrl);
    const first = uniqueEmail('first');
    const second = uniqueEmail('second');
    const secret = 'Quarterly numbers for the board, first user only';

    await registerThroughUi(page, 'First User', first);
    await createTaskThroughUi(page, { title: secret });
    await createTaskThroughUi(page, { title: 'Another private task' });
    expect(await listedTitles(page)).toHaveLength(2);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in**');

    // Same tab, same service worker: nothing of the first user's may survive the sign-out.
    const leftInCaches = await page.evaluate(async () => {
      const texts: string[] = [];
      for (const name of await caches.keys()) {
        if (!name.startsWith('crewdesk-api')) continue;
        const cache = await caches.open(name);
        for (const request of await cache.keys()) texts.push(await (await cache.match(request))!.text());
      }
      return texts.join('\n');
    });
    expect(leftInCaches).not.toContain(secret);

    await registerThroughUi(page, 'Second User', second);
    await page.getByRole('heading', { name: 'No tasks yet' }).waitFor();
    expect(await listedTitles(page)).toEqual([]);

    await page.getByRole('searchbox', { name: 'Search tasks' }).fill('quarterly');
    await page.getByRole('heading', { name: 'No tasks match' }).waitFor();
    expect(await page.getByText(secret).count()).toBe(0);

    await page.getByRole('link', { name: 'Dashboard' }).click();
    await page.getByTestId('stat-total').waitFor();
    expect(await page.getByTestId('stat-total').locator('.stat-value').textContent()).toBe('0');

    // Straight to the API with the second user's token: the first user's task is a 404.
    const firstToken = await apiSignIn(baseUrl, first);
    const mine = await apiCall<{ items: { id: string; title: string }[] }>(baseUrl, firstToken, 'GET', '/api/v1/tasks');
    const secretId = mine.body.items.find((t) => t.title === secret)?.id;
    expect(secretId).toBeDefined();
    const secondToken = await apiSignIn(baseUrl, second);
    expect((await apiCall(baseUrl, secondToken, 'GET', `/api/v1/tasks/${secretId}`)).status).toBe(404);
    expect(
      (await apiCall(baseUrl, secondToken, 'PATCH', `/api/v1/tasks/${secretId}`, { status: 'completed' })).status,
    ).toBe(404);

    await context.close();
  });
});
