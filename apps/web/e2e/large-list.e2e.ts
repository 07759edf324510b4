import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser, openPage, PHONE, registerThroughUi, uniqueEmail } from './support';

const baseUrl = inject('baseUrl');
let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
});

describe('a 10,000-task list in a real browser', () => {
  it('keeps at most 60 rows in the DOM at the top, the middle and the end, on desktop and phone', async () => {
    // Routing needs the service worker out of the way, or it would answer the list itself.
    const { page, context } = await openPage(browser, baseUrl, { serviceWorkers: 'block' });
    await registerThroughUi(page, 'Lars Large', uniqueEmail('large'));
    const ownerId = '01900000-0000-7000-8000-000000000001';
    const items = Array.from({ length: 10_000 }, (_, i) => {
      const at = new Date(Date.UTC(2025, 0, 1) + i * 60_000).toISOString();
      return {
        id: `01900000-0000-7000-9000-${String(i).padStart(12, '0')}`,
        title: `Bulk task ${i + 1}`,
        description: i % 3 === 0 ? 'With a description line' : '',
        status: i % 4 === 0 ? 'completed' : 'pending',
        priority: (['low', 'medium', 'high'] as const)[i % 3],
        dueDate: null,
        leadId: null,
        ownerId,
        createdAt: at,
        updatedAt: at,
        completedAt: null,
      };
    });
    // The server pages by 50; here it answers every task at once, which is the worst case for the DOM.
    await page.route(/\/api\/v1\/tasks\?/, (route) =>
      route.request().method() === 'GET' ? route.fulfill({ json: { items, nextCursor: null } }) : route.continue(),
    );
    await page.reload();
    await page.getByRole('button', { name: 'Bulk task 1', exact: true }).waitFor();

    const rows = page.getByTestId('task-row');
    const scroller = page.getByTestId('task-scroll');
    for (const size of [null, PHONE]) {
      if (size) await page.setViewportSize(size);
      await scroller.evaluate((el) => el.scrollTo(0, 0));
      await page.getByRole('button', { name: 'Bulk task 1', exact: true }).waitFor();
      expect(await rows.count()).toBeLessThanOrEqual(60);

      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight / 2));
      await page.getByRole('button', { name: 'Bulk task 5000', exact: true }).waitFor();
      expect(await rows.count()).toBeLessThanOrEqual(60);
      expect(await page.getByRole('button', { name: 'Bulk task 1', exact: true }).count()).toBe(0);

      await scroller.evaluate((el) => el.scrollTo(0, el.scrollHeight));
      await page.getByRole('button', { name: 'Bulk task 10000', exact: true }).waitFor();
      expect(await rows.count()).toBeLessThanOrEqual(60);
      expect(await page.locator('[role="listitem"]').count()).toBeLessThanOrEqual(60);
    }
    await context.close();
  });
});
