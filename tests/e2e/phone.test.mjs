// Every page of the web app on a phone-sized screen (360 px wide) in a real browser: nothing
// makes the page wider than the screen (wide tables scroll inside their own box, except those
// drawn as cards on a phone, "Shared with me" and the admin's users, which must fit). An admin
// with a long name, a folder and a file with long names, and the disk cards with their long
// locations are on screen, search results with long paths, and a folder with a long name that
// someone shares with the admin. The header's links fold behind "Menu" on a phone and fit on
// one line on a laptop.
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

  test('a deep folder folds its breadcrumbs: Files / … / parent / current; … opens them',
       async () => {
    const levels = Array.from({ length: 12 }, (_, i) => `Level ${i + 1} of a deep tree`);
    const login = await apiLogin(server.url, admin.email, admin.password);
    const made = await apiCall(server.url, 'POST', '/api/v1/nodes/root/folders', {
      cookie: login.cookie, csrf: login.csrf, body: { path: levels.join('/') } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const { context, page, problems } = await openSignedIn(browser, server.url, admin);
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`/files/${levels.map(encodeURIComponent).join('/')}`);
      const crumbs = page.getByRole('navigation', { name: 'Breadcrumbs' });
      await crumbs.getByRole('link', { name: levels[11] }).waitFor();
      assert.deepEqual(await crumbs.getByRole('link').allInnerTexts(),
                       ['Files', levels[10], levels[11]]);
      assert.ok((await crumbs.boundingBox()).height <= 120, 'a few lines at most');
      await crumbs.getByRole('button', { name: 'Show the 10 folders between' }).click();
      assert.equal(await crumbs.getByRole('link').count(), 13);
      assert.equal(await page.evaluate(() => document.activeElement?.textContent),
                   levels[0]);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the header: behind "Menu" on a phone, one line on a laptop', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, admin);
    try {
      const header = page.locator('header.site-header');
      const menu = page.getByRole('button', { name: 'Menu' });
      const nav = page.getByRole('navigation', { name: 'Main' });
      await page.setViewportSize({ width: 390, height: 844 });
      await menu.waitFor();
      assert.ok((await header.boundingBox()).height <= 80, 'the header is one short line');
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.equal(await nav.isVisible(), false);
      // Opened: every link; Escape closes it and focus is back on the button.
      await menu.click();
      assert.equal(await menu.getAttribute('aria-expanded'), 'true');
      for (const name of ['Files', 'Shared with me', 'Trash', 'About']) {
        assert.ok(await nav.getByRole('link', { name, exact: true }).isVisible(), name);
      }
      assert.ok(await page.getByRole('navigation', { name: 'Account' })
          .getByRole('button', { name: 'Log out' }).isVisible());
      await page.keyboard.press('Escape');
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');
      assert.equal(await nav.isVisible(), false);
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Menu');
      // A link chosen in it: that page, the menu closed.
      await menu.click();
      await nav.getByRole('link', { name: 'Trash' }).click();
      await page.getByRole('heading', { name: 'Trash', level: 1 }).waitFor();
      assert.equal(await menu.getAttribute('aria-expanded'), 'false');

      // 1280 px: no "Menu", every link on one line (the admin's long name is cut short).
      await page.setViewportSize({ width: 1280, height: 800 });
      await nav.waitFor();
      assert.equal(await menu.isVisible(), false);
      const tops = await header.evaluate((el) => [...el.querySelectorAll(
        'a.nav-link:not([hidden]), .nav-button')].map((a) => Math.round(a.getBoundingClientRect().top)));
      assert.equal(new Set(tops).size, 1, `the links are on ${new Set(tops).size} lines`);
      assert.ok((await header.boundingBox()).height <= 80);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
