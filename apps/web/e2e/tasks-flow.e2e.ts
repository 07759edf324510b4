import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTaskThroughUi,
  launchBrowser,
  listedTitles,
  openPage,
  registerThroughUi,
  taskRow,
  uniqueEmail,
  type OpenPage,
} from './support';

const baseUrl = inject('baseUrl');
let browser: Browser;
let open: OpenPage;

const tasks = [
  { title: 'Call the supplier about the late pallets', priority: 'high' as const },
  { title: 'Send the March invoice', description: 'Net 30, to accounts payable' },
  { title: 'Book the team offsite', priority: 'low' as const },
  { title: 'Chase the unpaid invoice from February', priority: 'high' as const },
];
const email = uniqueEmail('flow');

async function openDashboard() {
  const { page } = open;
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
  await page.getByTestId('stat-total').waitFor();
}
async function dashboardNumbers() {
  const read = async (id: string) => (await open.page.getByTestId(id).locator('.stat-value').textContent())?.trim();
  return {
    total: await read('stat-total'),
    pending: await read('stat-pending'),
    completed: await read('stat-completed'),
  };
}

beforeAll(async () => {
  browser = await launchBrowser();
  open = await openPage(browser, baseUrl);
});
afterAll(async () => {
  await browser?.close();
});

// One user's session, step by step: each test continues where the previous one left the page.
describe('a new user working through their tasks', () => {
  it('registering signs the user in and opens an empty task list', async () => {
    const { page } = open;
    await registerThroughUi(page, 'Flo Flow', email);

    expect(new URL(page.url()).pathname).toBe('/tasks');
    await page.getByRole('heading', { name: 'No tasks yet' }).waitFor();
    expect(await page.locator('.topbar .user-name').textContent()).toBe('Flo Flow');
  });

  it('shows each created task in the list straight away, newest first', async () => {
    const { page } = open;
    for (const task of tasks) await createTaskThroughUi(page, task);

    expect(await listedTitles(page)).toEqual(tasks.map((t) => t.title).reverse());
    await expect(taskRow(page, 'Send the March invoice').textContent()).resolves.toContain('Net 30');
  });

  it('search narrows the list to the matching tasks and keeps the words in the URL', async () => {
    const { page } = open;
    await page.getByRole('searchbox', { name: 'Search tasks' }).fill('invoice');
    await page.waitForURL(/[?&]q=invoice/);
    await expect
      .poll(async () => (await listedTitles(page)).sort())
      .toEqual(['Chase the unpaid invoice from February', 'Send the March invoice']);

    await page.getByRole('searchbox', { name: 'Search tasks' }).fill('');
    await expect.poll(async () => (await listedTitles(page)).length).toBe(tasks.length);
  });

  it('completing a task ticks it, and the dashboard moves it from pending to completed', async () => {
    const { page } = open;
    await openDashboard();
    expect(await dashboardNumbers()).toEqual({ total: '4', pending: '4', completed: '0' });

    await page.getByRole('link', { name: 'Tasks' }).click();
    const complete = page.getByRole('button', { name: 'Complete “Book the team offsite”' });
    await complete.click();
    const reopen = page.getByRole('button', { name: 'Reopen “Book the team offsite”' });
    await reopen.waitFor();
    expect(await reopen.getAttribute('aria-pressed')).toBe('true');
    await expect.poll(() => taskRow(page, 'Book the team offsite').getAttribute('class')).toContain('done');

    // The numbers follow once the server has the change (they may show the cached ones first).
    await openDashboard();
    await expect.poll(dashboardNumbers).toEqual({ total: '4', pending: '3', completed: '1' });
  });

  it('a reload keeps the user signed in through the HttpOnly refresh cookie, with no token in storage', async () => {
    const { page, context } = open;
    await page.reload();
    await page.getByRole('heading', { name: 'Dashboard', level: 1 }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    expect(await page.getByTestId('stat-completed').locator('.stat-value').textContent()).toBe('1');

    const stored = await page.evaluate(
      () => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }),
    );
    expect(stored).not.toMatch(/eyJ/); // no JWT in web storage
    const cookies = await context.cookies();
    const refresh = cookies.filter((c) => c.path === '/api/v1/auth');
    expect(refresh).toHaveLength(1);
    expect(refresh[0]).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  });

  it('signing out returns to sign-in, drops the refresh cookie, and a reload does not sign back in', async () => {
    const { page, context } = open;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in**');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect((await context.cookies()).filter((c) => c.path === '/api/v1/auth')).toEqual([]);

    await page.goto('/tasks');
    await page.waitForURL('**/sign-in?next=%2Ftasks');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByText('Send the March invoice').count()).toBe(0);
  });

  it('ran all of the above under the server’s Content-Security-Policy without a single violation', () => {
    expect(open.cspViolations).toEqual([]);
  });
});
