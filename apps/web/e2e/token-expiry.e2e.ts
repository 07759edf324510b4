import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createTaskThroughUi, launchBrowser, listedTitles, openPage, registerThroughUi, uniqueEmail } from './support';

// This server issues access tokens that live 3 seconds.
const baseUrl = inject('shortTtlUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('an access token that expires while the app is open', () => {
  it('is refreshed without the user noticing: the next action succeeds, once, and no sign-in page appears', async () => {
    const { page, context } = await openPage(browser, baseUrl);
    // The live event stream refreshes an expired token by itself (the server closes it at expiry);
    // this test is about the refresh an ordinary request triggers, so the stream stays out of it.
    await page.route('**/api/v1/events/stream', (route) => route.abort());
    let accessToken = '';
    const log: string[] = [];
    page.on('response', async (res) => {
      const path = new URL(res.url()).pathname;
      if (!path.startsWith('/api/')) return;
      log.push(`${res.request().method()} ${path} ${res.status()}`);
      // The token the app holds now: from signing up, or from a refresh if the test ran slowly.
      if ((path === '/api/v1/auth/register' || path === '/api/v1/auth/refresh') && res.ok())
        accessToken = ((await res.json()) as { accessToken: string }).accessToken;
    });

    await registerThroughUi(page, 'Eve Expiry', uniqueEmail('expiry'));
    await createTaskThroughUi(page, { title: 'Written with the first token' });
    expect(accessToken).not.toBe('');

    // Wait (without touching the app) until the server refuses the token the app holds.
    await expect
      .poll(
        async () => {
          const res = await fetch(`${baseUrl}/api/v1/me`, { headers: { authorization: `Bearer ${accessToken}` } });
          return res.status;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBe(401);
    const before = log.length;

    await createTaskThroughUi(page, { title: 'Written after the token expired' });

    expect(new URL(page.url()).pathname).toBe('/tasks');
    expect(await page.getByRole('heading', { name: 'Sign in' }).count()).toBe(0);
    expect(await listedTitles(page)).toEqual(['Written after the token expired', 'Written with the first token']);
    const after = log.slice(before);
    expect(after.slice(0, 3)).toEqual([
      'POST /api/v1/tasks 401',
      'POST /api/v1/auth/refresh 200',
      'POST /api/v1/tasks 201',
    ]);
    expect(after.filter((line) => line.startsWith('POST /api/v1/auth/refresh'))).toHaveLength(1);
    expect(after.filter((line) => line.endsWith(' 401'))).toHaveLength(1);
    await context.close();
  });
});
