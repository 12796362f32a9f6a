// The billing banners in a real browser against the real server (issue 7): with 860 MiB of the
// free 1 GB held (one file, sent through the API), the files page shows no usage banner; an
// upload from the page that takes usage past 85 % brings "Your storage is 85% full" with a
// Change plan link at once (the quota bar's /me refresh), without a reload. After an upgrade to
// 10 GB left unpaid and `nimbus job run billing` (billing.grace_days = 0), every page shows the
// past-due banner with what is due and since when, the usage banner is gone (10 GB plan), an
// upload from the page fails with the server's 402 sentence, and "Pay invoices" opens /invoices.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { serverBinary, startServer } from './lib/server.mjs';

const kMiB = 2 ** 20;
const kEnv = { NIMBUS_BILLING_GRACE_DAYS: '0' };

// PUT /api/v1/nodes/root/content?path=<name> streaming the file at `file` with its length
// declared (node:http: fetch cannot send a stream with a Content-Length).
function putFile(baseUrl, auth, name, file, size) {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/api/v1/nodes/root/content?path=${encodeURIComponent(name)}`, {
      method: 'PUT',
      headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf, 'Content-Length': String(size),
                 'Content-Type': 'application/octet-stream', Accept: 'application/json' },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', reject);
    createReadStream(file).pipe(req);
  });
}

// Runs `nimbus <args> --data <dataDir>` with `env`; resolves to { code, stdout, stderr }.
function nimbus(args, dataDir, env) {
  return new Promise((resolve) => {
    execFile(serverBinary(), [...args, '--data', dataDir], { env: { ...process.env, ...env } },
             (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 1) : 0, stdout, stderr }));
  });
}

describe('billing banners', () => {
  let server;
  let browser;
  let dir;
  const ann = { email: `ann-banner-${process.pid}@example.com`, password: 'a long enough passphrase 7',
                name: 'Ann Banner' };
  let annApi;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'nimbus-banner-'));
    server = await startServer({ env: kEnv });
    browser = await launchBrowser();
    await apiSignup(server.url, ann);
    const login = await apiLogin(server.url, ann.email, ann.password);
    annApi = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('usage past 85 % and a past-due account show their banners with what to do', async () => {
    // 860 MiB of 1 GiB: 83 %, no banner yet.
    const big = path.join(dir, 'big.bin');
    await writeFile(big, '');
    await truncate(big, 860 * kMiB);
    const put = await putFile(server.url, annApi, 'big.bin', big, 860 * kMiB);
    assert.equal(put.status, 201, put.body);

    const { context, page, problems } = await openSignedIn(browser, server.url, ann);
    try {
      const usage = page.getByRole('region', { name: 'Storage almost full' });
      const pastDue = page.getByRole('alert', { name: 'Account past due' });
      await page.locator('section.quota .quota-text').waitFor();
      assert.equal(await usage.count(), 0, 'no usage banner at 83 %');
      assert.equal(await pastDue.count(), 0);

      // 20 MiB more from the page: 880 MiB is 85.9 % of 1 GiB.
      const more = path.join(dir, 'more.bin');
      await writeFile(more, Buffer.alloc(20 * kMiB, 7));
      await page.locator('input.upload-files-input').setInputFiles(more);
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByText('1 of 1 uploaded').waitFor({ timeout: 60000 });
      await usage.waitFor({ timeout: 10000 });
      assert.equal(await usage.innerText(),
                   'Your storage is 85% full. Free some space or choose a larger plan. Change plan');
      assert.equal(await usage.getByRole('link', { name: 'Change plan' }).getAttribute('href'),
                   '/plan');

      // Upgrade to 10 GB, leave the invoice unpaid, run the billing job: past due at once.
      const plan = await apiCall(server.url, 'PUT', '/api/v1/plan', { ...annApi,
                                                                       body: { size_gb: 10 } });
      assert.equal(plan.status, 200, JSON.stringify(plan.body));
      assert.equal(plan.body.invoice?.status, 'open');
      const job = await nimbus(['job', 'run', 'billing'], server.dataDir, kEnv);
      assert.equal(job.code, 0, `${job.stdout}\n${job.stderr}`);
      // The server caches a profile for a second: the job's change (another process) shows
      // within that (the page may have just filled the cache with the state before the job).
      let me;
      for (let i = 0; i < 50; i += 1) {
        me = await apiCall(server.url, 'GET', '/api/v1/me', annApi);
        if (me.body.billing?.state === 'past_due') break;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(me.body.billing?.state, 'past_due', JSON.stringify(me.body));
      const since = new Date(me.body.billing.past_due_since);
      // The server's sentence says the day in UTC; the banner in the browser's locale, as the
      // invoices page does, and the amount as the plan page does.
      const day = `${since.getUTCDate()} ${since.toLocaleString('en-GB', { month: 'short',
        timeZone: 'UTC' }).slice(0, 3)} ${since.getUTCFullYear()}`;
      const [shownDay, shownDue] = await page.evaluate((iso) => [
        new Date(iso).toLocaleDateString(undefined, { dateStyle: 'medium' }),
        new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' }).format(1),
      ], me.body.billing.past_due_since);

      await page.reload();
      await pastDue.waitFor();
      assert.equal(await pastDue.innerText(),
                   `Your account is past due: ${shownDue} unpaid since ${shownDay}. Uploads, ` +
                   'copies and ' +
                   'restores are paused; your files are safe. Pay invoices');
      assert.equal(await usage.count(), 0, '880 MiB of 10 GB needs no usage banner');

      // An upload from the page is refused with the server's sentence.
      const small = path.join(dir, 'small.txt');
      await writeFile(small, 'hello');
      await page.locator('input.upload-files-input').setInputFiles(small);
      const failed = panel.locator('.upload-failure p').first();
      await failed.waitFor();
      assert.equal(await failed.innerText(),
                   '"small.txt" was not uploaded: ' +
                   `Your account is past due: 1.00 USD has been unpaid since ${day}, so ` +
                   'uploads, copies and restores are paused until it is paid. Your files stay ' +
                   'safe and you can still open, download, share and delete them. The invoices ' +
                   'page says how to pay.');
      // A refused upload does not look finished: no progress bar (its bytes were all sent).
      assert.equal(await panel.locator('li.upload[data-state="failed"] progress').isVisible(),
                   false);
      assert.equal(await pastDue.count(), 1, 'the banner stays');

      await pastDue.getByRole('link', { name: 'Pay invoices' }).click();
      await page.waitForURL('**/invoices');
      // The page says how to pay (no payment_instructions configured: ask the administrator).
      await page.locator('.payment-howto')
          .getByText('Ask the administrator of this server how to pay.', { exact: false }).waitFor();
      await pastDue.waitFor();  // On every signed-in page.
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
