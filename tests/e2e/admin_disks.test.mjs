// Disks in trouble, in a real browser against the real server (the default disk layout: pairs
// a1/a1m … e1/e1m and the spares spare1, spare2; disks failed and replaced through the admin
// API). The admin page's warning (QA pass 17, finding 7): a failed disk whose mirror serves
// offers heal and a replace onto a spare; a disk once replaced is retired (a quiet line, a grey
// badge), neither trouble nor a spare; a pair whose two disks failed is said first, as users
// locked out. A Download whose disks are out of reach (finding 12) shows the server's sentence
// instead of a download the browser drops as "canceled". The replace offered needs a spare big
// enough for what the failed disk holds (else: attach one of at least that size); once no spare
// is left, a warning says so, with the attach command.
//
// The tests run in order on one server, each going on from the disks the one before left.
// Health rounds are an hour apart, so no round attaches the spares while a pair is down.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('disks in trouble', () => {
  let server;
  let browser;
  let adminApi;
  const password = 'a long enough passphrase 7';
  const ada = { email: `ada-${process.pid}@example.com`, password, name: 'Ada Admin' };
  const bob = { email: `bob-${process.pid}@example.com`, password, name: 'Bob User' };
  const notes = 'Notes of Bob, on the pair a1/a1m.\n';

  before(async () => {
    server = await startServer({ env: { NIMBUS_DISKS_HEALTH_INTERVAL_S: '3600' } });
    browser = await launchBrowser();
    await apiSignup(server.url, ada);  // The first account of a server is its admin.
    await apiSignup(server.url, bob);
    const admin = await apiLogin(server.url, ada.email, ada.password);
    adminApi = { cookie: admin.cookie, csrf: admin.csrf };
    // Bob's files: on the free plan's pair, a1/a1m.
    const login = await apiLogin(server.url, bob.email, bob.password);
    const me = await apiCall(server.url, 'GET', '/api/v1/me',
                             { cookie: login.cookie, csrf: login.csrf });
    for (const [p, body] of [['notes.txt', notes], ['Docs/plan.txt', 'The plan.\n']]) {
      const r = await fetch(`${server.url}/api/v1/nodes/${me.body.root_id}/content?path=` +
                            `${encodeURIComponent(p)}&on_conflict=fail`, {
        method: 'PUT', body, headers: { Cookie: login.cookie, 'X-CSRF-Token': login.csrf },
      });
      assert.equal(r.status, 201, `upload ${p}: ${await r.text()}`);
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // POST to the admin disk API; `expect` is the status it must answer.
  async function disk(path, body, expect = 200) {
    const r = await apiCall(server.url, 'POST', `/api/v1/admin/disks/${path}`,
                            { ...adminApi, body });
    assert.equal(r.status, expect, `POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  }

  const row = (page, name) => page.locator(`table.file-table tr[data-id][data-name="${name}"]`);

  // The admin page (loaded again), once its disk cards are drawn: the warning is drawn with
  // them.
  async function showAdmin(page) {
    await page.goto('/admin');
    await page.getByRole('article', { name: 'Disk a1', exact: true }).waitFor();
  }

  async function openAdmin() {
    const session = await openSignedIn(browser, server.url, ada);
    await showAdmin(session.page);
    return session;
  }

  test('Download gets a file and a folder as a zip while the disks serve', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, bob);
    try {
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download notes.txt' }).click(),
      ]);
      assert.equal(await file.failure(), null);
      assert.equal(file.suggestedFilename(), 'notes.txt');
      assert.equal(await readFile(await file.path(), 'utf8'), notes);
      await row(page, 'Docs').getByRole('button', { name: 'More actions for Docs' }).click();
      const [zip] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('menu', { name: 'Actions for Docs' })
            .getByRole('menuitem', { name: 'Download' }).click(),
      ]);
      assert.equal(await zip.failure(), null);
      assert.equal(zip.suggestedFilename(), 'Docs.zip');
      assert.equal((await readFile(await zip.path())).subarray(0, 2).toString(), 'PK');
      assert.equal(await page.getByRole('alert').count(), 0);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('admin page: a failed disk is rebuilt on a spare; once replaced it is retired, ' +
       'neither trouble nor a spare', async () => {
    await disk('a1/fail');
    const { context, page, problems } = await openAdmin();
    try {
      let warning = page.getByRole('alert').filter({ hasText: 'Disk a1 has failed' });
      await warning.waitFor();
      assert.match(await warning.innerText(), /its mirror a1m serves its users alone/);
      assert.equal(await warning.getByLabel('Command to heal a1').inputValue(),
                   'nimbus admin disk heal a1');
      assert.equal(await warning.getByLabel('Command to replace a1').inputValue(),
                   'nimbus admin disk replace a1 --with spare1');
      assert.match(await warning.innerText(), /Spare disks: spare1, spare2\./);
      // Spares are there: no warning about them.
      assert.equal(await page.locator('.disk-no-spare').count(), 0);

      // Only a spare with room for what a1 holds (its allocated bytes, 2 GB here) is offered:
      // the disks API answers smaller spares (the default layout's are all alike).
      const failed = (await apiCall(server.url, 'GET', '/api/v1/admin/disks/a1', adminApi))
          .body.disk;
      const holds = Math.max(Number(failed.allocated_bytes), Number(failed.used_bytes));
      assert.ok(holds >= 2 ** 30, `a1 holds ${holds} bytes`);
      const withCapacities = async (capacities) => {
        await page.unroute('**/api/v1/admin/disks');
        await page.route('**/api/v1/admin/disks', async (route) => {
          const response = await route.fetch();
          const body = await response.json();
          for (const d of body.disks) {
            if (d.id in capacities) d.capacity_bytes = capacities[d.id];
          }
          await route.fulfill({ response, json: body });
        });
        await showAdmin(page);
        await warning.waitFor();
      };
      await withCapacities({ spare1: holds - 1, spare2: holds });
      assert.equal(await warning.getByLabel('Command to replace a1').inputValue(),
                   'nimbus admin disk replace a1 --with spare2');
      await withCapacities({ spare1: holds - 1, spare2: 2 ** 20 });
      const noFit = warning.locator('.disk-no-fit');
      assert.equal(await noFit.innerText(),
                   'No spare is big enough (a1 holds 2.0 GB): attach a spare of at least 2.0 GB ' +
                   'with nimbus admin disk attach …, then rebuild a1 on it:');
      assert.equal(await warning.getByLabel('Command to attach a spare for a1').inputValue(),
                   'nimbus admin disk attach ID --uri URI');
      assert.doesNotMatch(await warning.getByLabel('Command to replace a1').inputValue(),
                          /spare[12]/);
      await page.unroute('**/api/v1/admin/disks');

      // Replaced: a1 is a "spare" in role, still "failed" in state, and nobody is on it.
      const replaced = await disk('a1/replace', { with: 'spare1' }, 202);
      assert.equal(replaced.replaced, 'a1');
      await showAdmin(page);
      const a1 = page.getByRole('article', { name: 'Disk a1', exact: true });
      assert.equal(await a1.locator('.badge').innerText(), 'retired');
      assert.equal(await page.locator('.disk-alert').count(), 0,
                   'no warning: a1m and spare1 serve');
      const note = page.locator('.disk-retired');
      assert.match(await note.innerText(),
                   /^Retired: a1 \(replaced; out of service, no user's files are placed on it\)/);
      assert.equal(await note.locator('code').innerText(), 'nimbus admin disk heal a1');

      // Another disk fails: the spare offered is the unused one, never the retired a1.
      await disk('b1/fail');
      await showAdmin(page);
      warning = page.getByRole('alert').filter({ hasText: 'Disk b1 has failed' });
      await warning.waitFor();
      assert.equal(await warning.getByLabel('Command to replace b1').inputValue(),
                   'nimbus admin disk replace b1 --with spare2');
      assert.match(await warning.innerText(), /Spare disks: spare2\./);
      assert.doesNotMatch(await warning.innerText(), /\ba1\b/);
      assert.equal(await warning.locator('.disk-trouble').count(), 1);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('admin page: both disks of a pair failed is said first, as users locked out',
       async () => {
    // Bob's pair is now a1m and spare1, rebuilt by the replace (at once, in the background):
    // both are put out of service.
    for (let i = 0; i < 150; i += 1) {
      const shown = await apiCall(server.url, 'GET', '/api/v1/admin/disks/spare1', adminApi);
      if (shown.body?.disk?.state === 'healthy') break;
      await new Promise((resolve) => { setTimeout(resolve, 200); });
    }
    await disk('a1m/fail');
    await disk('spare1/fail', undefined, 409);  // The last working copy: refused without force.
    await disk('spare1/fail?force=1');
    const { context, page, problems } = await openAdmin();
    try {
      const warning = page.getByRole('alert').filter({ has: page.locator('#disk-alert-h') });
      await warning.waitFor();
      assert.equal(await warning.getByRole('heading', { level: 2 }).innerText(),
                   'Users of disks a1m and spare1 cannot reach their files');
      const items = warning.locator('.disk-trouble');
      assert.equal(await items.count(), 2);
      const first = await items.nth(0).innerText();
      assert.match(first, /^a1m and its mirror spare1 have both failed\. The 2 users of /);
      assert.match(first, / cannot reach their files right now\./);
      assert.doesNotMatch(first, /serves/);
      assert.equal(await items.nth(0).getByLabel('Command to heal a1m').inputValue(),
                   'nimbus admin disk heal a1m');
      assert.equal(await items.nth(0).getByLabel('Command to heal spare1').inputValue(),
                   'nimbus admin disk heal spare1');
      // Nothing to rebuild either from: no replace for them.
      assert.equal(await items.nth(0).getByLabel(/^Command to replace/).count(), 0);
      assert.match(await items.nth(1).innerText(),
                   /^b1 failed: its mirror b1m serves its users alone/);
      const users = await page.getByRole('heading', { name: 'Users', level: 2, exact: true })
          .boundingBox();
      assert.ok((await warning.boundingBox()).y < users.y, 'the warning is above the users');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('admin page: once no spare is left, a warning says what that stops, with the attach ' +
       'command', async () => {
    // b1 (failed, its mirror serving) is rebuilt on spare2, the last spare.
    const replaced = await disk('b1/replace', { with: 'spare2' }, 202);
    assert.equal(replaced.replaced, 'b1');
    const { context, page, problems } = await openAdmin();
    try {
      const banner = page.getByRole('status').filter({ has: page.locator('#disk-no-spare-h') });
      await banner.waitFor();
      assert.equal(await banner.getByRole('heading', { level: 2 }).innerText(),
                   'No spare disk is left');
      assert.match(await banner.innerText(), new RegExp('A failed disk cannot be rebuilt, and a ' +
                   'full category cannot grow, until a spare disk is attached\\.'));
      assert.equal(await banner.getByLabel('Command to attach a spare disk').inputValue(),
                   'nimbus admin disk attach ID --uri URI');
      // The Copy button is reached by keyboard, after the command.
      await banner.getByLabel('Command to attach a spare disk').focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Copy');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a Download while the disks are out of reach shows the server\'s sentence', async () => {
    // Bob's pair is down (the test before): reading metadata works, reading bytes does not.
    const { context, page, problems } = await openSignedIn(browser, server.url, bob);
    let downloads = 0;
    page.on('download', () => { downloads += 1; });
    try {
      const said = /^Your files are out of reach right now: the disks that hold them are out of /;
      const alert = page.locator('.page-message[role="alert"]');
      // Each way to download: the row's link, the row's menu (a folder: its zip), and the
      // ticked items (one zip of them).
      const ways = [
        () => page.getByRole('link', { name: 'Download notes.txt' }).click(),
        async () => {
          await row(page, 'Docs').getByRole('button', { name: 'More actions for Docs' }).click();
          await page.getByRole('menu', { name: 'Actions for Docs' })
              .getByRole('menuitem', { name: 'Download' }).click();
        },
        async () => {
          await row(page, 'Docs').getByRole('checkbox').check();
          await row(page, 'notes.txt').getByRole('checkbox').check();
          await page.getByRole('toolbar', { name: 'File actions for the selected items' })
              .getByRole('button', { name: 'Download' }).click();
        },
      ];
      for (const start of ways) {
        // Each answer names its request: the message shown must be this one's.
        const [refusal] = await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/content')),
          start(),
        ]);
        assert.equal(refusal.status(), 503);
        const id = refusal.headers()['x-request-id'];
        await alert.filter({ hasText: `(request id ${id})` }).waitFor();
        assert.match(await alert.innerText(), said);
      }
      assert.equal(downloads, 0, 'no download handed to the browser');
      assertNoProblems(problems, /status of 503/);
    } finally {
      await context.close();
    }
  });
});
