// Live refresh of the file browser (web/js/files/live_refresh.js): a tab notices what another
// tab, a script or a colleague changed in the folder it shows, without a reload. Changes show
// when the window gets the focus back and every few seconds while the tab is visible (the
// interval is made short here through localStorage "nimbus.refreshMs"; none while hidden); an
// unrelated selection and the focus stay, and a look that finds nothing new touches nothing.
// The folder renamed or moved elsewhere shows its new path; deleted, the nearest folder left
// shows with a note. Nothing moves while a dialog or a row's menu is open (the look comes once
// it closes); failures of a look say nothing, and a 401 goes to the login page as any request
// does. A folder shared with me and the trash follow too.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// 4xx answers on purpose (a folder looked at after its delete, the 401s once signed out) and
// the requests refused while the network is "down" or the server "fails".
const kExpected = new RegExp(['Failed to load resource: the server responded with a status ' +
                              'of (4\\d\\d|500)', 'net::ERR_CONNECTION_REFUSED'].join('|'));

describe('live refresh', () => {
  let server;
  let browser;
  let api;  // { cookie, csrf }: a session of the user's own, beside the browsers'.
  const password = 'a long enough passphrase 7';
  const user = { email: `live-${process.pid}@example.com`, password, name: 'Liv Live' };
  const colleague = { email: `colleague-${process.pid}@example.com`, password, name: 'Col League' };

  const call = async (method, p, body) => {
    const r = await apiCall(server.url, method, p, { ...api, body });
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const put = async (parentId, name, body = `${name}\n`) => {
    const r = await fetch(
      `${server.url}/api/v1/nodes/${parentId}/content?path=${encodeURIComponent(name)}`,
      { method: 'PUT', body, headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
    const text = await r.text();
    assert.equal(r.status, 201, `${name}: ${text}`);
    return JSON.parse(text);
  };
  // Makes the folders of `p` (from the root); resolves to the deepest one.
  const mkdir = (p) => call('POST', '/api/v1/nodes/root/folders', { path: p });
  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
  const heading = (page) => page.locator('main h1');
  const crumbs = (page) => page.getByRole('navigation', { name: 'Breadcrumbs' });
  const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  // A signed-in tab of `who` whose looks come every `ms` (the next one after the current wait).
  async function tab(who = user, ms = 400) {
    const session = await openSignedIn(browser, server.url, who);
    await session.page.evaluate((v) => localStorage.setItem('nimbus.refreshMs', String(v)), ms);
    return session;
  }
  // The window gets the focus back (a tab switch, Alt+Tab).
  const focusBack = (page) => page.evaluate(() => window.dispatchEvent(new Event('focus')));
  // The tab is hidden (another tab in front, the window minimised) or shown again.
  const setHidden = (page, hidden) => page.evaluate((on) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true,
                                                         get: () => (on ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
  // Counts the listing requests of `page` from now on: { count() }.
  function listingRequests(page) {
    let n = 0;
    page.on('request', (r) => {
      if (/\/api\/v1\/(nodes\/[^/]+\/children|trash)\b/.test(r.url())) n += 1;
    });
    return { count: () => n };
  }

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await apiSignup(server.url, user);
    await apiSignupConfirmed(server.url, server.dataDir, colleague);
    const login = await apiLogin(server.url, user.email, user.password);
    api = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('what another tab uploads, renames and deletes shows once the window gets the focus ' +
       'back; the selection and the focus stay; a look that finds nothing new touches nothing',
       async () => {
    const folder = await mkdir('Focus');
    for (const name of ['keep.txt', 'old.txt', 'gone.txt']) await put(folder.id, name);
    // This tab looks only when it gets the focus back (the interval is far off).
    const a = await tab(user, 600000);
    const b = await tab();
    try {
      await a.page.goto('/files/Focus');
      await row(a.page, 'gone.txt').waitFor();
      await row(a.page, 'keep.txt').getByRole('checkbox').check();
      await row(a.page, 'old.txt').getByRole('checkbox').focus();

      // The other tab uploads a file and renames one; a script deletes another.
      await b.page.goto('/files/Focus');
      await b.page.locator('input.upload-files-input').setInputFiles(
        { name: 'new.txt', mimeType: 'text/plain', buffer: Buffer.from('new\n') });
      await row(b.page, 'new.txt').waitFor();
      await row(b.page, 'old.txt').getByRole('checkbox').check();
      await b.page.getByRole('button', { name: 'Rename', exact: true }).click();
      const rename = b.page.getByRole('dialog', { name: 'Rename "old.txt"' });
      await rename.getByLabel('New name').fill('renamed.txt');
      await rename.getByLabel('New name').press('Enter');
      await row(b.page, 'renamed.txt').waitFor();
      await call('DELETE', `/api/v1/nodes/${(await b.page.evaluate(() =>
        document.querySelector('tr[data-name="gone.txt"]').dataset.id))}`);
      assert.equal(await row(a.page, 'new.txt').count(), 0, 'nothing before the focus comes back');

      await focusBack(a.page);
      await row(a.page, 'new.txt').waitFor();
      await row(a.page, 'renamed.txt').waitFor();
      await row(a.page, 'old.txt').waitFor({ state: 'detached' });
      await row(a.page, 'gone.txt').waitFor({ state: 'detached' });
      assert.equal(await row(a.page, 'keep.txt').getByRole('checkbox').isChecked(), true,
                   'the unrelated selection stays');
      assert.equal(await a.page.locator('.selection-count').textContent(), '1 selected');
      // The focus was on the renamed file's row: it is on that row still.
      assert.equal(await a.page.evaluate(() => document.activeElement?.closest('tr')?.dataset.name),
                   'renamed.txt');

      // Nothing new: the list is read again, and nothing on the page changes.
      await a.page.evaluate(() => {
        window.mutations = 0;
        new MutationObserver((records) => { window.mutations += records.length; })
          .observe(document.body, { subtree: true, childList: true, attributes: true,
                                    characterData: true });
      });
      await pause(600);  // Past the "one look per tab switch" window.
      const looked = a.page.waitForResponse((r) => r.url().includes('/children'));
      const quota = a.page.waitForResponse((r) => r.url().endsWith('/api/v1/me'));
      await focusBack(a.page);
      await looked;
      await quota;
      await pause(300);
      assert.equal(await a.page.evaluate(() => window.mutations), 0, 'no change to the page');
      assertNoProblems(a.problems, kExpected);
      assertNoProblems(b.problems, kExpected);
    } finally {
      await a.context.close();
      await b.context.close();
    }
  });

  test('while the tab is visible the list is looked at every few seconds; never while it is ' +
       'hidden, and at once when it shows again', async () => {
    const folder = await mkdir('Poll');
    await put(folder.id, 'first.txt');
    const { context, page, problems } = await tab(user, 400);
    try {
      await page.goto('/files/Poll');
      await row(page, 'first.txt').waitFor();
      await row(page, 'first.txt').getByRole('checkbox').check();
      await put(folder.id, 'second.txt');
      await row(page, 'second.txt').waitFor({ timeout: 5000 });

      await setHidden(page, true);
      await pause(500);  // A look under way as the tab was hidden ends.
      const requests = listingRequests(page);
      await put(folder.id, 'third.txt');
      await pause(2000);
      assert.equal(requests.count(), 0, 'no request while hidden');
      assert.equal(await row(page, 'third.txt').count(), 0);
      await setHidden(page, false);
      await row(page, 'third.txt').waitFor({ timeout: 2000 });
      assert.equal(await row(page, 'first.txt').getByRole('checkbox').isChecked(), true);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('the folder renamed or moved elsewhere: the heading, breadcrumbs, title and URL follow',
       async () => {
    const q1 = await mkdir('Projects/Q1');
    const archive = await mkdir('Archive');
    await put(q1.id, 'plan.txt');
    await call('POST', `/api/v1/nodes/${q1.id}/folders`, { path: 'Sub' });
    const { context, page, problems } = await tab();
    try {
      await page.goto('/files/Projects/Q1');
      await row(page, 'plan.txt').getByRole('checkbox').check();

      await call('PATCH', `/api/v1/nodes/${q1.id}`, { name: 'Q1 2025' });
      await heading(page).getByText('Q1 2025', { exact: true }).waitFor({ timeout: 5000 });
      await crumbs(page).getByRole('link', { name: 'Q1 2025' }).waitFor();
      assert.equal(new URL(page.url()).pathname, '/files/Projects/Q1%202025');
      assert.equal(await page.title(), 'Q1 2025 · Nimbus');
      assert.equal(await row(page, 'plan.txt').getByRole('checkbox').isChecked(), true);

      await call('PATCH', `/api/v1/nodes/${q1.id}`, { parent_id: archive.id });
      await crumbs(page).getByRole('link', { name: 'Archive' }).waitFor({ timeout: 5000 });
      assert.equal(await crumbs(page).getByRole('link', { name: 'Projects' }).count(), 0);
      assert.equal(new URL(page.url()).pathname, '/files/Archive/Q1%202025');
      // The rows' links lead to the new place too.
      assert.equal(await row(page, 'Sub').locator('a.node-link').getAttribute('href'),
                   '/files/Archive/Q1%202025/Sub');
      assert.equal(await row(page, 'plan.txt').getByRole('checkbox').isChecked(), true);
      // The URL shown works (a reload shows the same folder).
      await page.reload();
      await row(page, 'plan.txt').waitFor();
      assert.equal(await heading(page).textContent(), 'Q1 2025');
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('the folder deleted elsewhere: a note, and the nearest folder left shows', async () => {
    const deep = await mkdir('Old/Deep');
    await put(deep.id, 'x.txt');
    const inner = await mkdir('Attic/Box/Inner');
    const box = (await apiCall(server.url, 'GET', '/api/v1/resolve?path=%2FAttic%2FBox', api)).body;
    const { context, page, problems } = await tab();
    try {
      await page.goto('/files/Old/Deep');
      await row(page, 'x.txt').waitFor();
      await call('DELETE', `/api/v1/nodes/${deep.id}`);
      await page.getByText('The folder "Deep" was deleted elsewhere; showing "Old" instead.')
          .waitFor({ timeout: 5000 });
      assert.equal(new URL(page.url()).pathname, '/files/Old');
      assert.equal(await heading(page).textContent(), 'Old');
      assert.equal(await page.getByText('This folder could not be shown').count(), 0);

      // Its parent deleted with it: the nearest folder left on the way up.
      await page.goto('/files/Attic/Box/Inner');
      await page.getByText('This folder is empty.').waitFor();
      assert.ok(inner.id);
      await call('DELETE', `/api/v1/nodes/${box.id}`);
      await page.getByText('The folder "Inner" was deleted elsewhere; showing "Attic" instead.')
          .waitFor({ timeout: 5000 });
      assert.equal(new URL(page.url()).pathname, '/files/Attic');
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('an open rename dialog and a row\'s open menu are not disturbed: the look waits until ' +
       'they close', async () => {
    const folder = await mkdir('Dialog');
    await put(folder.id, 'draft.txt');
    const { context, page, problems } = await tab(user, 300);
    try {
      await page.goto('/files/Dialog');
      await row(page, 'draft.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Rename', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Rename "draft.txt"' });
      const field = dialog.getByLabel('New name');
      await field.fill('half typ');
      await field.evaluate((i) => i.setSelectionRange(2, 4));
      await put(folder.id, 'arrived.txt');
      await pause(1500);  // Five intervals.
      assert.equal(await row(page, 'arrived.txt').count(), 0, 'the list waits');
      assert.deepEqual(await field.evaluate((i) => [i.value, i.selectionStart, i.selectionEnd,
                                                    document.activeElement === i]),
                       ['half typ', 2, 4, true]);
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      await row(page, 'arrived.txt').waitFor({ timeout: 3000 });

      await row(page, 'draft.txt').getByRole('button', { name: 'More actions for draft.txt' })
          .click();
      const menu = page.getByRole('menu', { name: 'Actions for draft.txt' });
      await menu.waitFor();
      await put(folder.id, 'later.txt');
      await pause(1500);
      assert.equal(await row(page, 'later.txt').count(), 0, 'the list waits');
      assert.equal(await menu.isVisible(), true);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('role')),
                   'menuitem');
      await page.keyboard.press('Escape');
      await row(page, 'later.txt').waitFor({ timeout: 3000 });
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('the viewer open, or files being uploaded into the folder, hold the look too',
       async () => {
    const folder = await mkdir('Held');
    await put(folder.id, 'read me.txt', 'Some text to read.\n');
    const { context, page, problems } = await tab(user, 300);
    try {
      await page.goto('/files/Held');
      await row(page, 'read me.txt').locator('a.node-link').click();
      const viewer = page.getByRole('dialog', { name: 'read me.txt' });
      await viewer.getByText('Some text to read.').waitFor();
      await put(folder.id, 'while viewing.txt');
      await pause(1500);
      assert.equal(await row(page, 'while viewing.txt').count(), 0, 'the list waits');
      await page.keyboard.press('Escape');
      await row(page, 'while viewing.txt').waitFor({ timeout: 3000 });
      // The viewer gave the focus back to its file's row: the look left it there.
      assert.equal(await page.evaluate(() => document.activeElement?.closest('tr')?.dataset.name),
                   'read me.txt');

      // An upload into this folder, held on its way to the server.
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      await page.route('**/api/v1/nodes/*/content?*', async (route) => {
        if (route.request().method() !== 'PUT') return route.continue();
        await held;
        return route.continue();
      });
      await page.locator('input.upload-files-input').setInputFiles(
        { name: 'big upload.txt', mimeType: 'text/plain', buffer: Buffer.from('upload\n') });
      await page.locator('.upload-panel').getByText('big upload.txt').first().waitFor();
      await put(folder.id, 'while uploading.txt');
      await pause(1500);
      assert.equal(await row(page, 'while uploading.txt').count(), 0, 'the list waits');
      release();
      await row(page, 'big upload.txt').waitFor({ timeout: 5000 });
      await row(page, 'while uploading.txt').waitFor({ timeout: 3000 });
      await page.unroute('**/api/v1/nodes/*/content?*');
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a look that fails (network down, server error) says nothing and changes nothing; a ' +
       'session ended elsewhere goes to the login page', async () => {
    const folder = await mkdir('Quiet');
    await put(folder.id, 'here.txt');
    const { context, page, problems } = await tab(user, 300);
    try {
      await page.goto('/files/Quiet');
      await row(page, 'here.txt').getByRole('checkbox').check();
      const shown = () => page.locator('section.files-page').innerHTML();
      const before = await shown();
      await put(folder.id, 'meanwhile.txt');
      const offline = (route) => route.abort('connectionrefused');
      const broken = (route) => route.fulfill({
        status: 500, contentType: 'application/json',
        body: JSON.stringify({ error: { code: 'internal', message: 'Boom.' } }) });
      for (const fail of [offline, broken]) {
        await page.route('**/api/v1/**', fail);
        let tried = 0;
        const count = (r) => { if (r.url().includes('/api/v1/')) tried += 1; };
        page.on('request', count);
        await pause(1500);  // Five intervals.
        page.off('request', count);
        assert.ok(tried > 0, 'the looks were tried');
        assert.equal(await shown(), before, 'the page is as it was');
        assert.equal(await page.getByRole('alert').count(), 0, 'no error shown');
        await page.unroute('**/api/v1/**');
      }
      await row(page, 'meanwhile.txt').waitFor({ timeout: 3000 });
      assert.equal(await row(page, 'here.txt').getByRole('checkbox').isChecked(), true);

      // Logged out in another tab: the next look finds the session gone.
      const other = await context.newPage();
      await other.goto('/files');
      await other.locator('section.files-page').waitFor();
      await other.getByRole('navigation', { name: 'Account' })
          .getByRole('button', { name: 'Log out' }).click();
      await other.waitForURL((u) => u.pathname === '/login' || u.pathname === '/');
      await other.close();
      await page.waitForURL((u) => u.pathname === '/login', { timeout: 5000 });
      assert.equal(new URL(page.url()).searchParams.get('next'), '/files/Quiet');
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a folder shared with me follows its owner\'s changes: new files, a rename, a delete',
       async () => {
    const team = await mkdir('Team');
    const sub = await call('POST', `/api/v1/nodes/${team.id}/folders`, { path: 'Sub' });
    await put(team.id, 'notes.txt');
    await call('POST', '/api/v1/shares', { node_id: team.id, email: colleague.email,
                                           permission: 'edit' });
    const { context, page, problems } = await tab(colleague);
    try {
      await page.goto(`/shared/${team.id}`);
      await row(page, 'notes.txt').getByRole('checkbox').check();
      await put(team.id, 'agenda.txt');
      await row(page, 'agenda.txt').waitFor({ timeout: 5000 });
      assert.equal(await row(page, 'notes.txt').getByRole('checkbox').isChecked(), true);

      await call('PATCH', `/api/v1/nodes/${team.id}`, { name: 'Team 2025' });
      await heading(page).getByText('Team 2025', { exact: true }).waitFor({ timeout: 5000 });
      await crumbs(page).getByRole('link', { name: 'Team 2025' }).waitFor();
      assert.equal(await page.title(), 'Team 2025 · Nimbus');

      await page.goto(`/shared/${sub.id}`);
      await page.getByText('This folder is empty.').waitFor();
      await call('DELETE', `/api/v1/nodes/${sub.id}`);
      await page.getByText('The folder "Sub" was deleted elsewhere, or moved out of the share; ' +
                           'showing "Team 2025" instead.').waitFor({ timeout: 5000 });
      assert.equal(new URL(page.url()).pathname, `/shared/${team.id}`);
      await row(page, 'agenda.txt').waitFor();
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('the trash follows deletes and restores made elsewhere; the selection stays', async () => {
    const folder = await mkdir('Bin');
    const first = await put(folder.id, 'first.txt');
    const second = await put(folder.id, 'second.txt');
    await call('DELETE', `/api/v1/nodes/${first.id}`);
    const { context, page, problems } = await tab();
    const item = (name) => page.locator('li.trash-item').filter({ hasText: name });
    try {
      await page.goto('/trash');
      await item('first.txt').getByRole('checkbox').check();
      await call('DELETE', `/api/v1/nodes/${second.id}`);
      await item('second.txt').waitFor({ timeout: 5000 });
      assert.equal(await item('first.txt').getByRole('checkbox').isChecked(), true);
      const trash = await call('GET', '/api/v1/trash');
      const id = trash.items.find((i) => i.name === 'second.txt').id;
      await item('second.txt').getByRole('button', { name: /^Restore / }).focus();
      await call('POST', `/api/v1/trash/${id}/restore`);
      await item('second.txt').waitFor({ state: 'detached', timeout: 5000 });
      assert.equal(await item('first.txt').getByRole('checkbox').isChecked(), true);
      // The focus was on the row that went: it is on the row now at its place.
      assert.equal(await page.evaluate(() => document.activeElement?.closest('li')?.textContent
                                              .includes('first.txt')), true);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });
});
