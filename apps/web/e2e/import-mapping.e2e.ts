import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Download, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  apiCall,
  apiSignIn,
  IMPORTS_ADMIN_EMAIL,
  keepEvidenceOnFailure,
  launchBrowser,
  openPage,
  PASSWORD,
  screenshotBoth,
  signInThroughUi,
} from './support';

// An admin's first real file, on a server of its own (no DEFAULT_PHONE_REGION): they set India as the
// workspace's phone country, upload a file headed "Customer, Contact Number, Remarks, City" (which
// used to stop at "The file has no FirstName column"), match Customer to First name and keep City as
// a notes line, download the problem rows before confirming, confirm, download them again from the
// history, and upload the same file again to be told what that import wrote.
const baseUrl = inject('importsUrl');

const HEADER = 'Customer,Contact Number,Remarks,City';
const ROWS = [
  'Ravi,098450 12345,Wants a demo,Pune', // a local number: India is the default country
  'Meena,call me maybe,,Mumbai', // not a phone number
  'Arjun,919845012347,"=HYPERLINK(""x"")",Delhi', // a spreadsheet number without its +
];

function customerFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'crewdesk-e2e-imports-'));
  const path = join(dir, 'customers.csv');
  writeFileSync(path, `${[HEADER, ...ROWS].join('\r\n')}\r\n`);
  return path;
}

/** Light and dark, desktop and phone. */
async function shots(page: Page, name: string) {
  await screenshotBoth(page, name);
  await page.emulateMedia({ colorScheme: 'dark' });
  await screenshotBoth(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light' });
}

const downloaded = async (download: Download) => readFileSync((await download.path())!, 'utf8');

// UTF-8 with a BOM (Excel reads accented names right), built by the page before confirming and
// served by the server after: the same bytes.
const PROBLEM_ROWS = [
  '\uFEFFRow,Problem,Customer,Contact Number,Remarks,City',
  '3,"Not a phone number: ""call me maybe""",Meena,call me maybe,,Mumbai',
  '',
].join('\r\n');

let browser: Browser;
let admin: Page;

beforeAll(async () => {
  browser = await launchBrowser();
  admin = (await openPage(browser, baseUrl)).page;
});
afterAll(async () => {
  await browser?.close();
});
keepEvidenceOnFailure();

describe('importing a file with its own column names', () => {
  it('matches the columns, reports the problem rows before and after confirming, and says what a re-upload wrote', async () => {
    const token = await apiSignIn(baseUrl, IMPORTS_ADMIN_EMAIL);
    const agent = await apiCall(baseUrl, token, 'POST', '/api/v1/agents', {
      name: 'Asha',
      email: 'asha@example.com',
      mobile: '+91 98450 00001',
      password: PASSWORD,
    });
    expect(agent.status).toBe(201);

    await signInThroughUi(admin, IMPORTS_ADMIN_EMAIL);
    await admin.getByRole('link', { name: 'Settings' }).first().click();
    const workspace = admin.getByRole('region', { name: 'Workspace' });
    await workspace.getByLabel('Default phone country').selectOption('IN');
    await workspace.getByRole('button', { name: 'Save workspace settings' }).click();
    await workspace.getByText('081234 56789 becomes +91 81234 56789', { exact: false }).waitFor();
    await shots(admin, 'settings-workspace');
    await admin.getByRole('button', { name: 'Dismiss' }).click();

    await admin.getByRole('link', { name: 'Import' }).click();
    const hint = admin.getByTestId('phone-hint');
    await hint.waitFor();
    expect(await hint.textContent()).toContain('local India numbers such as 081234 56789');
    expect(await admin.getByTestId('import-hint').textContent()).toContain('First name');
    await admin.getByLabel('Lead file').setInputFiles(customerFile());
    await admin.locator('.preview table').waitFor();
    await admin.getByRole('button', { name: 'Check file' }).click();

    const mapping = admin.getByTestId('column-mapping');
    await mapping.waitFor();
    expect(await mapping.getByRole('alert').textContent()).toBe('Choose the column that holds First name.');
    expect(await admin.getByLabel('Import “Contact Number” as').inputValue()).toBe('phone');
    expect(await admin.getByLabel('Import “Remarks” as').inputValue()).toBe('notes');
    expect(await admin.getByTestId('not-imported').textContent()).toBe('Not imported: Customer, City');
    expect(await admin.getByRole('button', { name: 'Confirm import' }).isDisabled()).toBe(true);
    await shots(admin, 'import-mapping');

    await admin.getByLabel('Import “Customer” as').selectOption('firstName');
    await admin.getByLabel('Import “City” as').selectOption('appendToNotes');
    await admin.getByRole('button', { name: 'Check again' }).click();
    const report = admin.getByTestId('import-report');
    await report.getByTestId('report-valid').getByText('2').waitFor();
    expect(await report.getByTestId('report-invalid').locator('.stat-value').textContent()).toBe('1');
    expect(await report.getByTestId('report-error').allTextContents()).toEqual([
      '3Contact NumberNot a phone number: "call me maybe"',
    ]);
    expect(await admin.getByTestId('not-imported').textContent()).toBe('Every column is imported.');

    const [before] = await Promise.all([
      admin.waitForEvent('download'),
      report.getByRole('button', { name: 'Download problem rows' }).click(),
    ]);
    expect(await downloaded(before)).toBe(PROBLEM_ROWS);
    await shots(admin, 'import-checked');

    await admin.getByRole('button', { name: 'Confirm import' }).click();
    await admin.getByTestId('import-done').waitFor();
    const leads = await apiCall<{ items: { firstName: string; phone: string; notes: string }[] }>(
      baseUrl,
      token,
      'GET',
      '/api/v1/leads?limit=10',
    );
    expect(leads.body.items.map((l) => [l.firstName, l.phone, l.notes]).sort()).toEqual([
      ['Arjun', '+919845012347', '=HYPERLINK("x")\nCity: Delhi'],
      ['Ravi', '+919845012345', 'Wants a demo\nCity: Pune'],
    ]);

    const history = admin.getByRole('region', { name: 'Recent imports' });
    const [after] = await Promise.all([
      admin.waitForEvent('download'),
      history.getByRole('button', { name: 'Download the problem rows of customers.csv' }).click(),
    ]);
    expect(await downloaded(after)).toBe(PROBLEM_ROWS);
    await shots(admin, 'import-history');

    // The same file again: what that import wrote, and no plan to confirm.
    await admin.getByLabel('Lead file').setInputFiles(customerFile());
    await admin.getByRole('button', { name: 'Check file' }).click();
    const again = admin.getByTestId('imported-before');
    await again.waitFor();
    expect(await again.textContent()).toContain('2 leads created, 1 row skipped');
    expect(await admin.getByTestId('distribution').count()).toBe(0);
    expect(await admin.getByRole('button', { name: 'Confirm import' }).count()).toBe(0);
    await shots(admin, 'import-imported-before');
  });
});
