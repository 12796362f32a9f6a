// Issue 7 "Admin" in a real browser against the real server: on the admin page an admin sets
// a user's plan with the number field + Set (5 GB is refused with the server's sentence; 30 GB
// is set without an invoice), and the Billing page (/admin/billing, linked from the admin page)
// shows the categories' users and allocated GB, and this month's revenue once the user upgrades
// by themselves. The admin page also lists the background jobs with their schedules.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// One mirrored pair per category, with room for the plans of this test.
function disksToml() {
  let text = '';
  for (const [id, category] of [['a', 'A'], ['b', 'B'], ['c', 'C'], ['d', 'D'], ['e', 'E']]) {
    for (const mirror of [false, true]) {
      const [self, other] = mirror ? [`${id}1m`, `${id}1`] : [`${id}1`, `${id}1m`];
      text += `[[disk]]\nid = "${self}"\ncategory = "${category}"\n` +
              `uri = "file:disks/${self}"\ncapacity = "300GiB"\nmirror = "${other}"\n` +
              (mirror ? 'role = "mirror"\n' : '') + '\n';
    }
  }
  return text;
}

describe('admin billing', () => {
  let server;
  let browser;
  let configDir;
  const password = 'a long enough passphrase 7';
  const ada = { email: `ada-${process.pid}@example.com`, password, name: 'Ada Admin' };
  const bob = { email: `bob-${process.pid}@example.com`, password, name: 'Bob User' };
  let bobApi;

  before(async () => {
    configDir = await mkdtemp(path.join(tmpdir(), 'nimbus-e2e-config-'));
    await writeFile(path.join(configDir, 'disks.toml'), disksToml());
    server = await startServer({ args: ['--config', configDir] });
    browser = await launchBrowser();
    await apiSignup(server.url, ada);  // The first account of a server is its admin.
    await apiSignup(server.url, bob);
    const login = await apiLogin(server.url, bob.email, bob.password);
    bobApi = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (configDir) await rm(configDir, { recursive: true, force: true });
  });

  const bobGet = async (p) => {
    const r = await apiCall(server.url, 'GET', p, bobApi);
    assert.equal(r.status, 200, `GET ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  test('an admin sets a plan from the users list; the billing page shows it', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, ada);
    try {
      await page.goto('/admin');
      // The jobs panel: every job with its schedule, last and next run.
      const jobs = page.locator('section[aria-labelledby="jobs-h"]');
      const purge = jobs.locator('tr[data-job="trash-purge"]');
      await purge.waitFor();
      const purgeCells = await purge.locator('td').allInnerTexts();
      assert.equal(purgeCells[0], 'daily 03:00');
      assert.match(purgeCells[2], /never run|ok/);
      assert.notEqual(purgeCells[3], '—', 'next run shown');
      await jobs.locator('tr[data-job="disk-health"]').waitFor();
      const row = page.locator('tr', { hasText: bob.email });
      await row.waitFor();
      const field = row.getByLabel(`Plan of ${bob.name} in GB`);

      // 5 GB is no plan: the server's sentence shows under the field, nothing changes.
      await field.fill('5');
      await row.getByRole('button', { name: 'Set' }).click();
      await row.getByRole('alert').getByText('whole number of GB from 10 to 100').waitFor();
      assert.equal((await bobGet('/api/v1/plan')).size_gb, 1);

      await field.fill('30');
      await row.getByRole('button', { name: 'Set' }).click();
      await row.getByText('30 GB (C), not charged for this period; invoiced from the next one.')
          .waitFor();
      // The row's plan column follows at once (it used to keep the old plan).
      assert.match(await row.locator('.user-plan').innerText(), /^30 GB \(C\)/);
      const plan = await bobGet('/api/v1/plan');
      assert.equal(plan.size_gb, 30);
      assert.equal(plan.category, 'C');
      assert.equal((await bobGet('/api/v1/invoices')).items.length, 0, 'no invoice');

      // The billing page: Bob in C with 30 GB, Ada in A; no revenue yet.
      await page.getByRole('link', { name: 'Billing: revenue and disk categories' }).click();
      await page.waitForURL(`${server.url}/admin/billing`);
      const categories = page.locator('table', { hasText: 'per disk category' });
      const c = categories.locator('tr[data-category="C"]');
      await c.waitFor();
      assert.deepEqual(await c.locator('td').allInnerTexts(), ['1', '30 GB', '300 GB']);
      assert.deepEqual(await categories.locator('tr[data-category="A"] td').allInnerTexts(),
                       ['1', '1 GB', '300 GB']);
      await page.getByText('No invoices yet.').waitFor();

      // Bob's own upgrade 30 → 40 GB is invoiced: this month's row shows its total.
      const up = await apiCall(server.url, 'PUT', '/api/v1/plan', { ...bobApi,
                                                                      body: { size_gb: 40 } });
      assert.equal(up.status, 200, JSON.stringify(up.body));
      const invoice = up.body.invoice;
      assert.ok(invoice && invoice.total > 0, JSON.stringify(up.body));
      await page.reload();
      const month = invoice.issued_at.slice(0, 7);
      const revenue = page.locator(`tr[data-month="${month}"]`);
      await revenue.waitFor();
      const money = new Intl.NumberFormat(await page.evaluate(() => navigator.language),
                                          { style: 'currency', currency: invoice.currency })
          .format(invoice.total / 100);
      const cells = await revenue.locator('td').allInnerTexts();
      assert.equal(cells[0], money, 'invoiced');
      assert.equal(cells[2], '1', 'one invoice');
      // It came by bank transfer: the admin marks it paid here (only the CLI could).
      const openRow = page.locator(`tr[data-invoice="${invoice.number}"]`);
      await openRow.getByRole('button', { name: `Mark paid ${invoice.number}` }).click();
      await page.getByText(`${invoice.number} is paid;`).first().waitFor();
      assert.equal((await bobGet(`/api/v1/invoices/${invoice.id}`)).status, 'paid');
      await page.getByText('Every invoice is paid.').waitFor();

      // A gift (a family member's space), set in the users list: never invoiced.
      await page.goto('/admin');
      const giftRow = page.locator('tr', { hasText: bob.email });
      await giftRow.getByLabel('Gift').check();
      await giftRow.getByRole('button', { name: 'Set' }).click();
      await giftRow.getByText('40 GB (C), a gift: never invoiced.').waitFor();
      const given = await bobGet('/api/v1/plan');
      assert.equal(given.complimentary, true);
      assert.equal(given.monthly_price, 0);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the billing page is not there for a user who is not an admin', async () => {
    const { context, page } = await openSignedIn(browser, server.url, bob);
    try {
      await page.goto('/admin/billing');
      await page.getByRole('heading', { name: 'Page not found' }).waitFor();
      assert.equal(await page.locator('table').count(), 0);
    } finally {
      await context.close();
    }
  });
});
