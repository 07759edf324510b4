import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { apiCall, apiSignIn, launchBrowser, LEADS_ADMIN_EMAIL, openPage, PASSWORD, signInThroughUi } from './support';

// The lead-distribution story in a real browser, on a server of its own: an admin creates five
// agents, checks a 23-row file (2 bad rows, 1 duplicate), reads the report, confirms; each agent
// then holds 4 leads; one agent signs in, sees only theirs, marks one contacted and makes a task of it.
const baseUrl = inject('leadsUrl');
const agents = ['Priya', 'Tomas', 'Lena', 'Kofi', 'Mei'].map((name) => ({
  name,
  email: `${name.toLowerCase()}@example.com`,
}));

function leadFile(): string {
  const rows = ['First Name,Phone,Notes'];
  for (let i = 0; i < 20; i++)
    rows.push(`Lead${String(i).padStart(2, '0')},(415) 555-${String(1000 + i)},"note ${i}, from the expo"`);
  rows.push('NoPhone,,missing phone'); // bad: phone required
  rows.push(',(415) 555-1999,missing name'); // bad: first name required
  rows.push('Again,415 555 1000,same number as Lead00'); // duplicate
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-e2e-leads-'));
  const path = join(dir, 'expo-leads.csv');
  writeFileSync(path, `${rows.join('\r\n')}\r\n`);
  return path;
}

let browser: Browser;
let admin: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  admin = (await openPage(browser, baseUrl)).page;
});
afterAll(async () => {
  await browser?.close();
});

describe('lead distribution', () => {
  it('an admin creates five agents, imports a 23-row file and each agent gets 4 of the 20 valid leads', async () => {
    await signInThroughUi(admin, LEADS_ADMIN_EMAIL);
    await admin.getByRole('link', { name: 'Agents' }).click();
    for (const [i, a] of agents.entries()) {
      await admin.getByRole('button', { name: 'New agent' }).click();
      const dialog = admin.getByRole('dialog', { name: 'New agent' });
      // As a person would, start typing once the dialog has opened and put the cursor in its first field.
      await admin.waitForFunction(() => document.activeElement?.getAttribute('name') === 'name');
      await dialog.getByLabel('Name').fill(a.name);
      await dialog.getByLabel('Email').fill(a.email);
      await dialog.getByLabel('Mobile').fill(`+1 212 200 ${String(8100 + i)}`);
      await dialog.getByLabel('Password').fill(PASSWORD);
      await dialog.getByRole('button', { name: 'Create agent' }).click();
      await admin.getByRole('cell', { name: a.name, exact: true }).waitFor();
    }
    expect(await admin.getByTestId('agent-row').count()).toBe(5);

    await admin.getByRole('link', { name: 'Import' }).click();
    await admin.getByLabel('Lead file').setInputFiles(leadFile());
    await admin.locator('.preview table').waitFor();
    await admin.getByRole('button', { name: 'Check file' }).click();
    const report = admin.getByTestId('import-report');
    await report.waitFor();
    expect(await report.getByTestId('report-total').locator('.stat-value').textContent()).toBe('23');
    expect(await report.getByTestId('report-valid').locator('.stat-value').textContent()).toBe('20');
    expect(await report.getByTestId('report-invalid').locator('.stat-value').textContent()).toBe('2');
    expect(await report.getByTestId('report-duplicate').locator('.stat-value').textContent()).toBe('1');
    const problems = await report.getByTestId('report-error').allTextContents();
    expect(problems).toHaveLength(3);
    expect(problems.join('\n')).toMatch(/Duplicate of row 2/);
    const planned = await report.getByTestId('distribution').locator('li').allTextContents();
    expect(planned.sort()).toEqual(agents.map((a) => `${a.name}: 4`).sort());

    await admin.getByRole('button', { name: 'Confirm import' }).click();
    await admin.getByTestId('import-done').waitFor();

    const token = await apiSignIn(baseUrl, LEADS_ADMIN_EMAIL);
    const list = await apiCall<{ items: { openLeads: number; totalLeads: number; name: string }[] }>(
      baseUrl,
      token,
      'GET',
      '/api/v1/agents',
    );
    expect(list.body.items.map((a) => [a.name, a.totalLeads]).sort()).toEqual(agents.map((a) => [a.name, 4]).sort());
  });

  it('an agent lands on their 4 leads, marks one contacted and turns it into a follow-up task', async () => {
    const { page, context } = await openPage(browser, baseUrl);
    await signInThroughUi(page, agents[0]!.email);
    // Agents land on My leads.
    expect(new URL(page.url()).pathname).toBe('/leads');
    await page.getByRole('heading', { name: 'My leads', level: 1 }).waitFor();
    const rows = page.getByTestId('lead-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(4);

    const first = rows.first();
    const name = (await first.locator('.lead-name').textContent())!;
    await first.getByLabel(`Status of ${name}`).selectOption('contacted');
    await page.getByText(`${name}: Contacted`).waitFor();
    await first.getByRole('button', { name: `Follow up with ${name}` }).click();
    await page
      .getByRole('dialog', { name: `Follow up with ${name}` })
      .getByRole('button', { name: /Tomorrow morning/ })
      .click();
    await page.getByText(`Task created: “Follow up with ${name}”`).waitFor();

    // The change is the server's, not only the screen's.
    const token = await apiSignIn(baseUrl, agents[0]!.email);
    const leads = await apiCall<{ items: { firstName: string; status: string }[] }>(
      baseUrl,
      token,
      'GET',
      '/api/v1/leads',
    );
    expect(leads.body.items).toHaveLength(4);
    expect(leads.body.items.find((l) => l.firstName === name)?.status).toBe('contacted');
    await page.getByRole('link', { name: 'Tasks' }).click();
    // The task row, not the "Task created" toast that may still show its title.
    await page.getByRole('button', { name: `Follow up with ${name}`, exact: true }).waitFor();
    await context.close();
  });
});
