import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, stopServer, type Server } from './global-setup';
import {
  apiCall,
  apiSignIn,
  checkPage,
  keepEvidenceOnFailure,
  launchBrowser,
  LEADS_ADMIN_EMAIL,
  openPage,
  PASSWORD,
  PHONE,
  SCREENSHOT_DIR,
  screenshotBoth,
  signInThroughUi,
} from './support';

// The everyday leads screens on a server of their own (DEFAULT_PHONE_REGION=IN): an admin reassigns
// two leads at once and undoes it; an agent on a 375×760 phone lands on My leads, finds a Call link
// big enough for a thumb, adds a note, makes a follow-up for tomorrow morning and finds it in Tasks,
// linked back to the lead. Screenshots of each changed screen in light and dark. The server starts
// with this file (not in the global setup) so that it costs nothing when the file is not run.
let server: Server;
let baseUrl: string;
const AGENTS = [
  { name: 'Asha', email: 'asha@example.com', mobile: '+91 98450 12345' },
  { name: 'Ravi', email: 'ravi@example.com', mobile: '+91 98450 67890' },
];
const LEADS_CSV = [
  'First Name,Phone,Notes',
  'José,98450 11111,Met at the expo',
  'Zoë,98450 22222,',
  'Amir,98450 33333,Wants a quote',
  'Inés,98450 44444,',
].join('\r\n');

interface ListedLead {
  id: string;
  firstName: string;
  phone: string;
  agentName: string | null;
}

let browser: Browser;
let adminToken: string;
keepEvidenceOnFailure();

/** Light at both sizes (or the ones given), then dark at the first. */
async function shots(page: Page, name: string, ready: () => Promise<unknown>, sizes: ('desktop' | 'phone')[]) {
  await screenshotBoth(page, name, ready, sizes);
  await page.emulateMedia({ colorScheme: 'dark' });
  if (sizes[0] === 'phone') await page.setViewportSize(PHONE);
  await ready();
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${sizes[0]}-dark.png`), fullPage: true });
  await page.emulateMedia({ colorScheme: 'light' });
}
const leadsOf = async (agentName: string) =>
  (await apiCall<{ items: ListedLead[] }>(baseUrl, adminToken, 'GET', '/api/v1/leads?sort=name')).body.items.filter(
    (l) => l.agentName === agentName,
  );

beforeAll(async () => {
  server = await startServer('phone', {
    ADMIN_EMAIL: LEADS_ADMIN_EMAIL,
    ADMIN_PASSWORD: PASSWORD,
    DEFAULT_PHONE_REGION: 'IN',
  });
  baseUrl = server.url;
  adminToken = await apiSignIn(baseUrl, LEADS_ADMIN_EMAIL);
  for (const a of AGENTS) {
    const res = await apiCall(baseUrl, adminToken, 'POST', '/api/v1/agents', { ...a, password: PASSWORD });
    expect(res.status).toBe(201);
  }
  const form = new FormData();
  form.append('file', new Blob([LEADS_CSV], { type: 'text/csv' }), 'expo.csv');
  const res = await fetch(`${baseUrl}/api/v1/lead-imports`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken}` },
    body: form,
  });
  expect(res.status, await res.clone().text()).toBe(202);
  const { id } = (await res.json()) as { id: string };
  for (let i = 0; i < 100; i++) {
    const done = await apiCall<{ status: string }>(baseUrl, adminToken, 'GET', `/api/v1/lead-imports/${id}`);
    if (done.body.status === 'completed') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  if (server) await stopServer(server);
});

describe('the leads screens people use every day', () => {
  it('an admin sees the count, moves two leads in one step, and Undo puts them back', async () => {
    const { page, context } = await openPage(browser, baseUrl);
    await signInThroughUi(page, LEADS_ADMIN_EMAIL);
    await page.goto('/leads');
    await page.getByTestId('lead-count').getByText('4 leads').waitFor();
    // Phones are shown as people read them, never as E.164.
    const phones = await page.getByTestId('lead-phone').allTextContents();
    expect(
      phones.every((p) => /^\+91 \d{5} \d{5}$/.test(p)),
      phones.join(),
    ).toBe(true);
    await shots(page, 'leads-admin', () => page.getByTestId('lead-row').first().waitFor(), ['desktop', 'phone']);

    const ashas = await leadsOf('Asha');
    expect(ashas).toHaveLength(2);
    for (const l of ashas) await page.getByRole('checkbox', { name: `Select ${l.firstName}` }).check();
    await page.getByRole('combobox', { name: 'Reassign to' }).selectOption({ label: 'Ravi' });
    await page.getByRole('button', { name: 'Reassign 2' }).click();
    await page.getByText('2 leads moved to Ravi').waitFor();
    expect(await leadsOf('Ravi')).toHaveLength(4);
    await shots(page, 'leads-reassigned-undo', () => page.getByRole('button', { name: 'Undo' }).waitFor(), ['desktop']);
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.getByText('Undone: 2 leads back where they were').waitFor();
    expect((await leadsOf('Asha')).map((l) => l.id).sort()).toEqual(ashas.map((l) => l.id).sort());

    await page.getByRole('searchbox', { name: 'Search leads' }).fill('nobody');
    await page.getByRole('heading', { name: 'No leads match' }).waitFor();
    await shots(page, 'leads-no-match', () => page.getByRole('button', { name: 'Clear filters' }).waitFor(), [
      'desktop',
      'phone',
    ]);
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.getByTestId('lead-count').getByText('4 leads').waitFor();

    // Before an agent is deactivated, the dialog says who would take their open leads.
    await page.goto('/admin/agents');
    await page.getByRole('cell', { name: '+91 98450 12345' }).waitFor();
    await page.getByTestId('agent-row').filter({ hasText: 'Ravi' }).getByRole('button', { name: 'Deactivate' }).click();
    const dialog = page.getByRole('dialog', { name: 'Deactivate Ravi?' });
    await dialog.getByTestId('redistribution-plan').getByText('2 leads to Asha').waitFor();
    await shots(page, 'agents-deactivate-plan', () => dialog.getByTestId('redistribution-plan').waitFor(), ['desktop']);
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await context.close();
  });

  it('an agent on a phone lands on My leads, calls, adds a note and follows up tomorrow morning', async () => {
    // bypassCSP: the app's CSP rightly refuses axe's injected script (checkPage).
    const { page, context } = await openPage(browser, baseUrl, {
      viewport: PHONE,
      hasTouch: true,
      isMobile: true,
      bypassCSP: true,
    });
    await signInThroughUi(page, AGENTS[0]!.email);
    expect(new URL(page.url()).pathname).toBe('/leads');
    await page.getByRole('heading', { name: 'My leads', level: 1 }).waitFor();
    const mine = await leadsOf('Asha');
    const lead = mine[0]!;
    const row = page.getByTestId('lead-row').filter({ hasText: lead.firstName });
    const call = row.getByRole('link', { name: `Call ${lead.firstName}` });
    expect(await call.getAttribute('href')).toBe(`tel:${lead.phone}`);
    const box = (await call.boundingBox())!;
    expect(box.width).toBeGreaterThanOrEqual(44);
    expect(box.height).toBeGreaterThanOrEqual(44);
    const followBox = (await row.getByRole('button', { name: `Follow up with ${lead.firstName}` }).boundingBox())!;
    expect(Math.min(followBox.width, followBox.height)).toBeGreaterThanOrEqual(44);
    // Nothing on the phone screen scrolls sideways.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    // No serious accessibility violation, light and dark, and the screenshots.
    await checkPage(page, 'my-leads', () => row.waitFor(), ['phone', 'desktop']);

    await row.getByRole('link', { name: lead.firstName, exact: true }).click();
    await page.getByRole('heading', { name: lead.firstName, level: 1 }).waitFor();
    await page.getByLabel('Add a note').fill('No answer, try Friday');
    await page.getByRole('button', { name: 'Add note' }).click();
    const timeline = page.getByTestId('notes-timeline');
    await timeline.getByText('No answer, try Friday').waitFor();
    expect(await timeline.locator('li').first().textContent()).toContain('Asha');

    await page.getByRole('button', { name: 'Follow up', exact: true }).click();
    const ask = page.getByRole('dialog', { name: `Follow up with ${lead.firstName}` });
    await shots(page, 'follow-up-when', () => ask.getByRole('button', { name: /Tomorrow morning/ }).waitFor(), [
      'phone',
    ]);
    await ask.getByRole('button', { name: /Tomorrow morning/ }).click();
    await page.getByText(`Task created: “Follow up with ${lead.firstName}”`).waitFor();
    await page.getByTestId('follow-ups').getByText(`Follow up with ${lead.firstName}`).waitFor();
    await checkPage(page, 'lead-detail', () => page.getByTestId('follow-ups').waitFor(), ['phone', 'desktop']);

    // The task is due at 09:00 tomorrow, browser time.
    const agentToken = await apiSignIn(baseUrl, AGENTS[0]!.email);
    const tasks = await apiCall<{ items: { title: string; leadId: string; dueDate: string }[] }>(
      baseUrl,
      agentToken,
      'GET',
      '/api/v1/tasks',
    );
    const task = tasks.body.items.find((t) => t.leadId === lead.id)!;
    const expected = await page.evaluate(() => {
      const d = new Date();
      return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1, 9).toISOString();
    });
    expect(new Date(task.dueDate).toISOString()).toBe(expected);

    // The list shows the latest note; Tasks shows the follow-up, linked back to the lead.
    await page.goto('/leads');
    await row.getByTestId('lead-latest-note').getByText('No answer, try Friday').waitFor();
    await page.goto('/tasks');
    const link = page.getByTestId('task-lead-link').getByText(`Lead: ${lead.firstName}`);
    await link.waitFor();
    await shots(page, 'tasks-follow-up', () => link.waitFor(), ['phone', 'desktop']);
    await link.click();
    await page.waitForURL(`**/leads/${lead.id}`);
    await page.getByRole('heading', { name: lead.firstName, level: 1 }).waitFor();
    await context.close();
  });
});
