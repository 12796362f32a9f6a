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
import { assertNoProblems, launchBrowser, openPage, openSignedIn } from './lib/browser.mjs';
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

  // A folder `name` of `n` small files ("photo_01.jpg"…) under the root, made with the API.
  async function album(name, n, fileName = (i) => `photo_${String(i).padStart(2, '0')}.jpg`,
                       bytes = 100) {
    const login = await apiLogin(server.url, admin.email, admin.password);
    const auth = { cookie: login.cookie, csrf: login.csrf };
    const made = await apiCall(server.url, 'POST', '/api/v1/nodes/root/folders',
                               { ...auth, body: { path: name } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    for (let i = 1; i <= n; i += 1) {
      const r = await fetch(`${server.url}/api/v1/nodes/${made.body.id}/content?path=${
        encodeURIComponent(fileName(i))}`, { method: 'PUT', body: 'x'.repeat(bytes + i),
        headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf } });
      assert.equal(r.status, 201);
    }
    return made.body;
  }
  const kPhone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };
  const fileRow = (page, name) => page.locator(`table.file-table tr[data-id][data-name="${name}"]`);

  test('Back closes the "⋯" sheet or a dialog and stays in the folder; closed otherwise, ' +
       'they leave no history entry behind', async () => {
    await album('Back album', 3);
    const { context, page, problems } = await openSignedIn(browser, server.url, admin, kPhone);
    try {
      await page.goto('/files/Back%20album');
      await fileRow(page, 'photo_01.jpg').waitFor();
      const here = page.url();
      const sheet = page.getByRole('menu', { name: 'Actions for photo_01.jpg' });
      const menuButton = page.getByRole('button', { name: 'More actions for photo_01.jpg' });
      // The sheet: Back closes it, the folder stays.
      await menuButton.tap();
      await sheet.waitFor();
      await page.goBack();
      await sheet.waitFor({ state: 'detached' });
      assert.equal(page.url(), here);
      await fileRow(page, 'photo_01.jpg').waitFor();
      // The Move dialog opened from the sheet: Back closes it (nothing moved), the folder stays.
      await menuButton.tap();
      await sheet.getByRole('menuitem', { name: 'Move' }).tap();
      const move = page.getByRole('dialog', { name: /Move/ });
      await move.waitFor();
      await page.goBack();
      await move.waitFor({ state: 'detached' });
      await page.waitForTimeout(300);
      assert.equal(page.url(), here);
      await fileRow(page, 'photo_01.jpg').waitFor();
      // New folder, closed with Cancel: no entry left behind, so Back leaves the folder.
      await page.getByRole('button', { name: 'New folder' }).tap();
      const ask = page.getByRole('dialog', { name: 'New folder' });
      await ask.waitFor();
      await ask.getByRole('button', { name: 'Cancel' }).tap();
      await ask.waitFor({ state: 'detached' });
      // The sheet closed by a choice: none either.
      await menuButton.tap();
      await sheet.getByRole('menuitem', { name: 'Rename' }).tap();
      const rename = page.getByRole('dialog', { name: /Rename/ });
      await rename.waitFor();
      await rename.getByRole('button', { name: 'Cancel' }).tap();
      await rename.waitFor({ state: 'detached' });
      await page.waitForTimeout(300);
      assert.ok(!(await page.evaluate(() => history.state?.nimbusOverlay)), 'no overlay entry');
      assert.equal(page.url(), here);
      await page.goBack();
      await page.waitForURL(`${server.url}/`);
      await page.getByRole('heading', { name: 'Files', level: 1 }).waitFor();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('after Delete on a phone, the message and its Undo are on the screen (no "Ctrl+Z"); ' +
       'the same after a Restore in the trash', async () => {
    await album('Long album', 24);
    const { context, page, problems } = await openSignedIn(browser, server.url, admin, kPhone);
    try {
      await page.goto('/files/Long%20album');
      const last = fileRow(page, 'photo_24.jpg');
      await last.scrollIntoViewIfNeeded();
      await last.getByRole('checkbox').tap();
      await page.getByRole('button', { name: 'Delete', exact: true }).tap();
      await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).tap();
      const message = page.locator('.files-page .form-message', { hasText: 'to the trash' });
      await message.waitFor();
      assert.ok(await page.evaluate(() => window.scrollY) > 500, 'still scrolled down the list');
      const inView = (loc) => loc.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
      });
      assert.ok(await inView(message), 'the message is on the screen');
      const undo = message.getByRole('button', { name: 'Undo' });
      assert.ok(await inView(undo), 'Undo is on the screen');
      assert.doesNotMatch(await message.innerText(), /Ctrl|Cmd/);
      await undo.tap();
      await fileRow(page, 'photo_24.jpg').waitFor();

      // The trash: a Restore lower down says where it went, on the screen.
      await last.scrollIntoViewIfNeeded();
      await last.getByRole('checkbox').tap();
      await page.getByRole('button', { name: 'Delete', exact: true }).tap();
      await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).tap();
      await message.waitFor();
      await page.goto('/trash');
      const restore = page.getByRole('button', { name: /^Restore photo_24\.jpg/ });
      await restore.scrollIntoViewIfNeeded();
      await restore.tap();
      const restored = page.locator('.trash-page .form-message', { hasText: 'Restored' });
      await restored.waitFor();
      assert.ok(await inView(restored), 'the trash message is on the screen');
      await restored.getByRole('button', { name: 'Dismiss' }).tap();
      await restored.waitFor({ state: 'hidden' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a folder on a phone: the list starts high, upright and on its side; names get the ' +
       'width; the uploads panel keeps the end of a name; the usage page does not scroll sideways',
       async () => {
    const long = (i) => `IMG_2024_summer_holiday_at_grandmas_${String(i).padStart(2, '0')}.jpg`;
    await album('Layout album', 3, long, 50000);  // Among the usage page's largest files.
    const { context, page, problems } = await openSignedIn(browser, server.url, admin, kPhone);
    try {
      for (const [width, height, most] of [[390, 844, 420], [844, 390, 300]]) {
        await page.setViewportSize({ width, height });
        await page.goto('/files/Layout%20album');
        const first = fileRow(page, long(1));
        await first.waitFor();
        const top = await first.evaluate((el) => el.getBoundingClientRect().top);
        assert.ok(top <= most, `${width}x${height}: the first row starts at ${top} px`);
        assert.ok(top + 40 <= height, `${width}x${height}: a row on the screen`);
      }
      await page.setViewportSize({ width: 390, height: 844 });
      const first = fileRow(page, long(1));
      const share = await first.evaluate((tr) => tr.querySelector('.col-name').offsetWidth /
                                                 tr.offsetWidth);
      assert.ok(share >= 0.6, `the name column has ${Math.round(share * 100)} % of the row`);
      assert.match(await first.locator('.row-size').innerText(), /KB/);
      const lines = await first.locator('a.node-link').evaluate((a) =>
        Math.round(a.getBoundingClientRect().height / parseFloat(getComputedStyle(a).lineHeight)));
      assert.ok(lines <= 2, `the name takes ${lines} lines`);
      // The uploads panel: the end of a long name shows (the part where photos differ).
      await page.route('**/api/v1/nodes/*/content?*', () => {});  // Held: stays in progress.
      await page.locator('input.upload-files-input').setInputFiles({
        name: long(7), mimeType: 'image/jpeg', buffer: Buffer.from('seven') });
      const upload = page.locator('.upload-list .upload', { hasText: long(7) });
      const tail = upload.locator('.upload-name-tail');
      await tail.waitFor();
      assert.ok((await tail.innerText()).endsWith('s_07.jpg'));
      const fits = await tail.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.right <= el.closest('.upload').getBoundingClientRect().right;
      });
      assert.ok(fits, 'the end of the name is in the row');
      await page.unroute('**/api/v1/nodes/*/content?*');
      await page.goto('/usage');
      await page.getByRole('link', { name: long(1) }).waitFor();
      const widths = await page.evaluate(() => [document.documentElement.scrollWidth,
                                                document.documentElement.clientWidth]);
      assert.ok(widths[0] <= widths[1], `the usage page is ${widths[0]} px on ${widths[1]} px`);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
  // The box of `loc` lies on the screen (not behind "Menu", not below the fold).
  const onScreen = (loc) => loc.evaluate((el) => {
    const r = el.getBoundingClientRect();
    return r.width > 0 && r.height > 0 && r.top >= 0 && r.left >= 0 &&
           r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  });

  test('a first visit on a phone: Sign up and Log in on the landing page itself', async () => {
    const { context, page, problems } = await openPage(browser, server.url, kPhone);
    try {
      await page.goto('/');
      await page.locator('#app[data-ready="true"]').waitFor();
      const main = page.locator('main');
      const signup = main.getByRole('link', { name: 'Sign up', exact: true });
      const login = main.getByRole('link', { name: 'Log in', exact: true });
      await signup.waitFor();
      assert.ok(await onScreen(signup), 'Sign up is on the screen');
      assert.ok(await onScreen(login), 'Log in is on the screen');
      // The header's own links are folded behind "Menu" meanwhile (nothing opened here).
      assert.equal(await page.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded'),
                   'false');
      await signup.tap();
      await page.waitForURL(`${server.url}/signup`);
      await page.goBack();
      await login.tap();
      await page.waitForURL(`${server.url}/login`);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('an empty folder on a phone says to use "Upload files" (nothing to drop there); an ' +
       'empty root names what is shared with the person, with a link to "Shared with me"',
       async () => {
    const newbie = { email: `phone-newbie-${process.pid}@example.com`,
                     password: 'a long enough passphrase 7', name: 'Newbie' };
    await apiSignupConfirmed(server.url, server.dataDir, newbie);
    const { context, page, problems } = await openSignedIn(browser, server.url, newbie, kPhone);
    try {
      const empty = page.locator('table.file-table td.empty');
      await empty.waitFor();
      // Nothing shared yet: the root says only how to fill it, for a touch screen.
      assert.equal(await empty.innerText(),
                   'This folder is empty. Use "Upload files" above to add some.');
      // The admin shares a folder: the empty root says so, with the way there.
      const login = await apiLogin(server.url, admin.email, admin.password);
      const auth = { cookie: login.cookie, csrf: login.csrf };
      const folder = await apiCall(server.url, 'POST', '/api/v1/nodes/root/folders',
                                   { ...auth, body: { path: 'For the newbie' } });
      assert.equal(folder.status, 201, JSON.stringify(folder.body));
      const share = await apiCall(server.url, 'POST', '/api/v1/shares', { ...auth, body: {
        node_id: folder.body.id, email: newbie.email, permission: 'read' } });
      assert.equal(share.status, 201, JSON.stringify(share.body));
      await page.reload();
      const note = empty.locator('.empty-shared');
      await note.waitFor();
      assert.equal(await note.innerText(),
                   '1 item shared with you by others is in Shared with me.');
      assert.doesNotMatch(await empty.innerText(), /Drop/);
      await note.getByRole('link', { name: 'Shared with me' }).tap();
      await page.waitForURL(`${server.url}/shared`);
      await page.getByText('For the newbie').first().waitFor();
      // A folder of my own, not the root: no word about shares; on a computer, drops.
      const mine = await apiLogin(server.url, newbie.email, newbie.password);
      const made = await apiCall(server.url, 'POST', '/api/v1/nodes/root/folders', {
        cookie: mine.cookie, csrf: mine.csrf, body: { path: 'Empty one' } });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      await page.goto('/files/Empty%20one');
      await empty.waitFor();
      assert.equal(await empty.innerText(),
                   'This folder is empty. Use "Upload files" above to add some.');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
    const desk = await openSignedIn(browser, server.url, newbie);
    try {
      await desk.page.goto('/files/Empty%20one');
      const empty = desk.page.locator('table.file-table td.empty');
      await empty.waitFor();
      assert.equal(await empty.innerText(),
                   'This folder is empty. Drop files or folders here to upload.');
      assertNoProblems(desk.problems);
    } finally {
      await desk.context.close();
    }
  });
});
