// Every page of the web app on a phone-sized screen (360 px wide) in a real browser: nothing
// makes the page wider than the screen (wide tables scroll inside their own box, except those
// drawn as cards on a phone, "Shared with me" and the admin's users, which must fit). An admin
// with a long name, a folder and a file with long names, and the disk cards with their long
// locations are on screen, search results with long paths, and a folder with a long name that
// someone shares with the admin.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('phone screens', () => {
  let server;
  let browser;
  const admin = { email: `phone-admin-${process.pid}@example.com`,
                  password: 'a long enough passphrase 7',
                  name: 'Phone Person With A Rather Long Display Name' };

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    // The first account: an admin. Confirmed, so that things can be shared with it.
    await apiSignupConfirmed(server.url, server.dataDir, admin);
    const login = await apiLogin(server.url, admin.email, admin.password);
    const auth = { cookie: login.cookie, csrf: login.csrf };
    const folder = await apiCall(server.url, 'POST', '/api/v1/nodes/root/folders',
                                 { ...auth, body: { path: 'Quarterly reports and other very ' +
                                                          'long folder names 2026' } });
    assert.equal(folder.status, 201, JSON.stringify(folder.body));
    const name = 'a-file-name-without-any-spaces-that-goes-on-and-on-and-on-2026-11-26.txt';
    const put = await fetch(`${server.url}/api/v1/nodes/root/content?path=${name}`, {
      method: 'PUT', body: 'hello', headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf } });
    assert.equal(put.status, 201);
    // Someone else shares a folder with a long name with the admin.
    const owner = { email: `phone-owner-with-a-long-address-${process.pid}@example.com`,
                    password: admin.password, name: 'Owner With A Long Name Too' };
    await apiSignup(server.url, owner);
    const ownerLogin = await apiLogin(server.url, owner.email, owner.password);
    const ownerAuth = { cookie: ownerLogin.cookie, csrf: ownerLogin.csrf };
    const shared = await apiCall(server.url, 'POST', '/api/v1/nodes/root/folders',
                                 { ...ownerAuth, body: { path: 'Shared-quarterly-reports-' +
                                                               'without-spaces-2026' } });
    assert.equal(shared.status, 201, JSON.stringify(shared.body));
    const share = await apiCall(server.url, 'POST', '/api/v1/shares', { ...ownerAuth, body: {
      node_id: shared.body.id, email: admin.email, permission: 'edit' } });
    assert.equal(share.status, 201, JSON.stringify(share.body));
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('no page is wider than a 360 px screen', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, admin);
    try {
      await page.setViewportSize({ width: 360, height: 740 });
      for (const [path, heading] of [
        ['/', 'Files'], ['/trash', 'Trash'], ['/usage', 'Storage usage'],
        ['/shared', 'Shared with me'], ['/shared-by-me', 'Shared by me'], ['/plan', 'Plan'],
        ['/invoices', 'Invoices'], ['/settings', 'Settings'], ['/admin', 'Admin'],
        ['/admin/billing', 'Billing'], ['/about', 'About Nimbus'], ['/search?q=report', 'Search']]) {
        await page.goto(path);
        await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
        await page.waitForLoadState('networkidle');
        const { scroll, width, wide } = await page.evaluate(() => {
          const w = document.documentElement.clientWidth;
          const beyond = [...document.querySelectorAll('body *')].filter((e) => {
            const box = e.getBoundingClientRect();
            return box.width > 0 && box.right > w + 1 &&
                   !e.closest('.table-wrap:not(:has(.table-cards))');
          });
          return { scroll: document.documentElement.scrollWidth, width: w,
                   wide: beyond.slice(0, 3).map((e) => `<${e.tagName.toLowerCase()} class="${
                     e.className}">${e.textContent.slice(0, 40)}`) };
        });
        assert.ok(scroll <= width, `${path}: the page is ${scroll} px wide on a ${width} px ` +
                                   `screen; beyond the edge: ${wide.join(', ')}`);
      }
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
