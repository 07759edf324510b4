import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  apiCall,
  apiRegister,
  apiSignIn,
  checkPage,
  launchBrowser,
  openPage,
  PASSWORD,
  uniqueEmail,
  type OpenPage,
} from './support';

// Every page, signed out and then as the first admin: axe-core finds no serious or critical
// violation at 1280×800 or at 375×760, and a screenshot of each size goes to test-results/screenshots.
const baseUrl = inject('baseUrl');
const setupToken = inject('setupToken');
const adminEmail = uniqueEmail('admin');
let browser: Browser;
let open: OpenPage;
let page: Page;

const heading = (name: string) => () => page.getByRole('heading', { name, level: 1 }).waitFor();
const quiet = async () => {
  // Nothing left loading: no spinner, no pending lazy chunk.
  await page.waitForLoadState('networkidle');
  await page.locator('.spinner').first().waitFor({ state: 'detached' });
};

beforeAll(async () => {
  browser = await launchBrowser();
  // The app's CSP (script-src 'self') refuses axe's injected script; only this context bypasses it.
  open = await openPage(browser, baseUrl, { bypassCSP: true });
  page = open.page;
  // The live event stream stays open for as long as a page is, so the network would never be idle.
  await page.route('**/api/v1/events/stream', (route) => route.abort());
});
afterAll(async () => {
  await browser?.close();
});

describe('signed out', () => {
  it('the sign-in page has no serious accessibility violations, empty and with validation errors', async () => {
    await page.goto('/sign-in');
    await checkPage(page, 'sign-in', heading('Sign in'));

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Enter your password').waitFor();
    await checkPage(page, 'sign-in-errors', () => page.getByText('Enter your password').waitFor());
  });

  it('the register page has no serious accessibility violations', async () => {
    await page.goto('/register');
    await checkPage(page, 'register', heading('Create your account'));
  });

  it('the setup page (one-time link) has no serious accessibility violations, and creates the first admin', async () => {
    await page.goto(`/setup?token=${encodeURIComponent(setupToken)}`);
    await checkPage(page, 'setup', heading('Create the first admin'));

    await page.getByLabel('Name').fill('Ada Admin');
    await page.getByLabel('Email').fill(adminEmail);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create admin' }).click();
    // The first admin lands on Get started (with no agent yet; other test files may have signed
    // members up on this server, which ticks "Invite the team").
    await page.waitForURL('**/get-started');
    await page.getByText(/[01] of 3 done\./).waitFor();
    // A fresh load, so that "the network is idle" is this page's.
    await page.goto('/get-started');
    await checkPage(page, 'get-started', async () => {
      await page.getByText(/[01] of 3 done\./).waitFor();
      await quiet();
    });
  });
});

describe('signed in as the admin', () => {
  beforeAll(async () => {
    // Something to show: a few tasks for the admin (one done, one overdue), a member and an agent.
    const token = await apiSignIn(baseUrl, adminEmail);
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    const created: { id: string }[] = [];
    for (const [title, priority, dueDate] of [
      ['Review the new lead list', 'high', null],
      ['Approve the holiday rota', 'medium', yesterday],
      ['Order printer toner', 'low', null],
      ['Welcome the new agent', 'medium', new Date(Date.now() + 3 * 86_400_000).toISOString()],
    ] as const) {
      const res = await apiCall<{ id: string }>(baseUrl, token, 'POST', '/api/v1/tasks', {
        title,
        priority,
        dueDate,
        description: title === 'Review the new lead list' ? 'Check the phone numbers before distributing' : '',
      });
      expect(res.status).toBe(201);
      created.push(res.body);
    }
    expect(
      (await apiCall(baseUrl, token, 'PATCH', `/api/v1/tasks/${created[2]!.id}`, { status: 'completed' })).status,
    ).toBe(200);
    await apiRegister(baseUrl, 'Mia Member', uniqueEmail('member'));
    const agent = await apiCall(baseUrl, token, 'POST', '/api/v1/agents', {
      name: 'Sam Agent',
      email: uniqueEmail('agent'),
      mobile: '+14155550123',
      password: PASSWORD,
    });
    expect(agent.status).toBe(201);
  });

  it('Get started ticks the steps done from real data (an agent and a member exist; no import yet)', async () => {
    await page.goto('/get-started');
    await checkPage(page, 'get-started-progress', async () => {
      await page.getByText('2 of 3 done.', { exact: false }).waitFor();
      await quiet();
    });
  });

  it('the users page has no serious accessibility violations', async () => {
    await page.goto('/admin/users');
    await checkPage(page, 'admin-users', async () => {
      await page.getByRole('table').waitFor();
      await quiet();
    });
  });

  it('the tasks page has no serious accessibility violations', async () => {
    await page.goto('/tasks');
    await checkPage(page, 'tasks', async () => {
      await page.getByRole('button', { name: 'Review the new lead list', exact: true }).waitFor();
      await quiet();
    });
  });

  it('the new-task dialog has no serious accessibility violations', async () => {
    await page.goto('/tasks');
    await page.getByRole('button', { name: 'New task' }).click();
    await checkPage(page, 'task-dialog', () => page.getByRole('dialog', { name: 'New task' }).waitFor());
    // Focus: on the first field when it opens, back on the button that opened it when it closes.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('title');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'hidden' });
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('New task');
  });

  it('the dashboard has no serious accessibility violations', async () => {
    await page.goto('/dashboard');
    await checkPage(page, 'dashboard', async () => {
      await page.getByTestId('stat-total').waitFor();
      await page.locator('.recharts-surface').first().waitFor();
      await quiet();
    });
    expect(await page.getByTestId('stat-completed').locator('.stat-value').textContent()).toBe('1');
  });

  it('the settings page has no serious accessibility violations, and names an iPhone “Safari on iOS”', async () => {
    const iphone = await fetch(`${baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent':
          'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      },
      body: JSON.stringify({ email: adminEmail, password: PASSWORD }),
    });
    expect(iphone.status).toBe(200);
    await page.goto('/settings');
    await page.getByText('Safari on iOS').waitFor();
    await checkPage(page, 'settings', async () => {
      await page.getByText('This device').waitFor();
      await quiet();
    });
  });

  // The lead-distribution pages, as the admin sees them before the first import.
  it.each([
    ['/admin/agents', 'admin-agents', 'Agents'],
    ['/admin/import', 'admin-import', 'Import leads'],
    ['/leads', 'leads', 'Leads'],
  ])('the %s page has no serious accessibility violations', async (path, name, title) => {
    await page.goto(path);
    await checkPage(page, name, async () => {
      await heading(title)();
      await quiet();
    });
  });

  it('signing in to a deactivated account says it is deactivated (light and dark)', async () => {
    const token = await apiSignIn(baseUrl, adminEmail);
    const email = uniqueEmail('gone');
    const created = await apiCall<{ id: string }>(baseUrl, token, 'POST', '/api/v1/users', {
      name: 'Gone Member',
      email,
      password: PASSWORD,
      role: 'member',
    });
    expect(created.status).toBe(201);
    expect((await apiCall(baseUrl, token, 'PATCH', `/api/v1/users/${created.body.id}`, { active: false })).status).toBe(
      200,
    );
    const signedOut = await openPage(browser, baseUrl, { bypassCSP: true });
    try {
      const p = signedOut.page;
      await p.goto('/sign-in');
      await p.getByLabel('Email').fill(email);
      await p.getByLabel('Password').fill(PASSWORD);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByText('This account has been deactivated.').waitFor();
      expect(await p.getByText(/incorrect/).count()).toBe(0);
      await checkPage(p, 'sign-in-deactivated', () => p.getByText('This account has been deactivated.').waitFor());
    } finally {
      await signedOut.context.close();
    }
  });

  it('the not-found page has no serious accessibility violations', async () => {
    await page.goto('/no-such-page');
    await checkPage(page, 'not-found', quiet);
  });

  it('the phone menu opens and has no serious accessibility violations', async () => {
    await page.goto('/tasks');
    await page.setViewportSize({ width: 375, height: 760 });
    const menu = page.getByRole('button', { name: 'Menu' });
    await menu.click();
    await checkPage(
      page,
      'phone-menu',
      async () => {
        if ((await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
        await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).waitFor();
        await quiet();
      },
      ['phone'],
    );
  });
});
