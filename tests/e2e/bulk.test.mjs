// The file browser with a long folder and more than one tab, in a real browser against the real
// server: "select all items in this folder" loads every page, a bulk delete shows its progress
// (a few requests at a time) and ends with one summary whose Undo brings everything back; the
// trash restores the ticked items; scrolling to the end loads the next page by itself, and Back
// returns to as many rows, scrolled as far; a change made elsewhere shows once the tab is
// visible again, and acting on an item deleted elsewhere says so.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('long folders, bulk actions, other tabs', () => {
  let server;
  let browser;
  let api;  // { cookie, csrf } of a second session of the same user: the "other tab".
  const user = { email: `bulk-${process.pid}@example.com`, password: 'a long enough passphrase 7',
                 name: 'Bulk Person' };
  let big;  // The folder "Big" with 600 files.

  const call = (method, p, body) => apiCall(server.url, method, p, { ...api, body });
  const put = (parentId, name, body = `${name}\n`) => fetch(
    `${server.url}/api/v1/nodes/${parentId}/content?path=${encodeURIComponent(name)}`,
    { method: 'PUT', body, headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
  const mkdir = async (p) => {
    const r = await call('POST', '/api/v1/nodes/root/folders', { path: p });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  // Every item of a folder (all pages).
  const children = async (id) => {
    const all = [];
    let cursor = '';
    do {
      const r = await call('GET', `/api/v1/nodes/${id}/children?limit=1000${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      all.push(...r.body.items);
      cursor = r.body.next_cursor;
    } while (cursor);
    return all;
  };
  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
  const rowCount = (page) => page.locator('table.file-table tr[data-id]').count();

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await apiSignup(server.url, user);
    const login = await apiLogin(server.url, user.email, user.password);
    api = { cookie: login.cookie, csrf: login.csrf };
    big = await mkdir('Big');
    for (let i = 0; i < 600; i += 20) {
      await Promise.all(Array.from({ length: 20 }, async (_, j) => {
        const name = `f${String(i + j).padStart(3, '0')}.txt`;
        const r = await put(big.id, name);
        assert.equal(r.status, 201, name);
      }));
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('select all 600, delete with progress and one summary, then Undo', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Big');
      await row(page, 'f000.txt').waitFor();
      assert.equal(await rowCount(page), 200);
      await row(page, 'f000.txt').getByRole('checkbox').focus();
      await page.keyboard.press('Control+a');
      await page.getByText('200 selected').waitFor();
      const banner = page.locator('.select-all-banner');
      await banner.getByText('All 200 loaded items are selected.').waitFor();
      await banner.getByRole('button', { name: 'Select all items in this folder' }).click();
      await banner.getByText('All 600 items in this folder are selected.').waitFor();
      await page.getByText('600 selected').waitFor();
      assert.equal(await rowCount(page), 600);

      // What the progress line says, and how many DELETEs run at once.
      await page.evaluate(() => {
        window.__progress = [];
        const box = document.querySelector('.bulk-progress');
        new MutationObserver(() => {
          const text = box.querySelector('.bulk-progress-text').textContent;
          if (!box.hidden && text) window.__progress.push(text);
        }).observe(box, { subtree: true, childList: true, characterData: true,
                          attributes: true });
      });
      let inFlight = 0;
      let most = 0;
      let deletes = 0;
      const isDelete = (r) => r.method() === 'DELETE' && r.url().includes('/api/v1/nodes/');
      page.on('request', (r) => {
        if (!isDelete(r)) return;
        deletes += 1;
        inFlight += 1;
        most = Math.max(most, inFlight);
      });
      const settle = (r) => {
        if (isDelete(r)) inFlight -= 1;
      };
      page.on('requestfinished', settle);
      page.on('requestfailed', settle);

      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      const dialog = page.getByRole('dialog', { name: 'Delete 600 items?' });
      assert.match(await dialog.innerText(), /You can restore them from the trash\./);
      await dialog.getByRole('button', { name: 'Move to trash' }).click();
      // While it runs the toolbar waits: Delete cannot open a second confirmation.
      await page.locator('.bulk-progress').waitFor();
      assert.equal(await page.getByRole('button', { name: 'Delete', exact: true }).isDisabled(),
                   true);
      await page.keyboard.press('Delete');
      assert.equal(await page.getByRole('dialog').count(), 0);
      const summary = page.locator('main .form-message');
      await summary.getByText('600 items moved to the trash.').waitFor({ timeout: 60000 });
      assert.equal(await summary.count(), 1, 'one summary');
      assert.doesNotMatch(await summary.innerText(), /could not|does not exist/);
      const seen = await page.evaluate(() => window.__progress);
      assert.ok(seen.some((t) => /^Deleting [\d,]+ of 600…$/.test(t)), seen.join(' | '));
      assert.equal(deletes, 600);
      assert.ok(most > 1 && most <= 6, `at most 6 DELETEs at once (saw ${most})`);
      await page.getByText('This folder is empty.').waitFor();
      assert.equal((await children(big.id)).length, 0);

      // The folder's deleted items come in pages too.
      await page.getByLabel('Show deleted items').check();
      await page.locator('tr.row-deleted').nth(199).waitFor();
      assert.equal(await page.locator('tr.row-deleted').count(), 200);
      await page.getByRole('button', { name: 'Load more' }).click();
      await page.locator('tr.row-deleted').nth(399).waitFor();
      await page.getByLabel('Show deleted items').uncheck();

      await summary.getByRole('button', { name: 'Undo' }).click();
      await summary.getByText('600 items restored.').waitFor({ timeout: 60000 });
      assert.equal((await children(big.id)).length, 600);
      await row(page, 'f000.txt').waitFor();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the trash restores or deletes forever the ticked items', async () => {
    const folder = await mkdir('Few');
    const ids = {};
    for (const name of ['a.txt', 'b.txt', 'c.txt', 'd.txt']) {
      const r = await put(folder.id, name);
      assert.equal(r.status, 201);
      ids[name] = (await r.json()).id;
      assert.equal((await call('DELETE', `/api/v1/nodes/${ids[name]}`)).status, 200);
    }
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/trash');
      const list = page.getByRole('list', { name: 'Deleted items' });
      await list.getByText('d.txt').waitFor();
      await page.getByRole('checkbox', { name: 'Select a.txt' }).check();
      await page.getByRole('checkbox', { name: 'Select c.txt', exact: true }).click({
        modifiers: ['Shift'] });
      await page.getByText('3 selected').waitFor();  // a, b, c: a range with Shift.
      await page.getByRole('checkbox', { name: 'Select b.txt' }).uncheck();
      await page.getByRole('button', { name: 'Restore selected' }).click();
      await page.getByText('2 items restored.').waitFor();
      const restored = (await children(folder.id)).map((n) => n.name).sort();
      assert.deepEqual(restored, ['a.txt', 'c.txt']);
      await list.getByText('a.txt').waitFor({ state: 'detached' });

      await page.getByRole('checkbox', { name: 'Select b.txt' }).check();
      await page.getByRole('checkbox', { name: 'Select d.txt' }).check();
      await page.getByRole('button', { name: 'Delete forever selected' }).click();
      await page.getByRole('dialog', { name: 'Delete 2 items forever?' })
          .getByRole('button', { name: 'Delete forever' }).click();
      await page.getByText('2 items deleted for good.').waitFor();
      const trash = await call('GET', '/api/v1/trash');
      assert.deepEqual(trash.body.items.filter((i) => ids[i.name]), []);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('scrolling to the end loads more rows; Back returns to the same rows and place',
       async () => {
    await mkdir('Elsewhere');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Big');
      await row(page, 'f000.txt').waitFor();
      assert.equal(await rowCount(page), 200);
      // The rows already there stay the same elements: the next page is appended.
      await row(page, 'f000.txt').evaluate((tr) => {
        tr.dataset.marked = 'yes';
      });
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await row(page, 'f399.txt').waitFor();
      await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
      await row(page, 'f599.txt').waitFor();
      assert.equal(await rowCount(page), 600);
      assert.equal(await row(page, 'f000.txt').getAttribute('data-marked'), 'yes');
      assert.equal(await page.getByRole('button', { name: 'Load more' }).isVisible(), false);

      // Back to a long folder: the 600 rows again, f450 still at the top of the screen.
      await row(page, 'f450.txt').evaluate((tr) => tr.scrollIntoView({ block: 'start' }));
      await page.waitForTimeout(400);  // The place is saved once scrolling stops.
      const before = await page.evaluate(() => window.scrollY);
      // A link of the page, followed from where the page is (the router draws the next page;
      // no page load): Back draws the folder again, as it was.
      await page.getByRole('navigation', { name: 'Breadcrumbs' })
          .getByRole('link', { name: 'Files' }).evaluate((a) => a.click());
      await row(page, 'Elsewhere').locator('a.node-link').click();
      await page.getByText('This folder is empty.').waitFor();
      await page.goBack();
      await row(page, 'Elsewhere').waitFor();
      await page.goBack();
      await row(page, 'f599.txt').waitFor();
      assert.equal(await rowCount(page), 600);
      assert.equal(await row(page, 'f000.txt').getAttribute('data-marked'), null, 'drawn anew');
      await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 5, before);
      // The same after a page load elsewhere.
      await page.goto('/files/Elsewhere');
      await page.getByText('This folder is empty.').waitFor();
      await page.goBack();
      await row(page, 'f599.txt').waitFor();
      await page.waitForFunction((y) => Math.abs(window.scrollY - y) < 5, before);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('another tab\'s changes show when this tab is visible again; a stale item says so',
       async () => {
    const folder = await mkdir('Tabs');
    const made = {};
    for (const name of ['keep.txt', 'old name.txt', 'going.txt', 'stale.txt']) {
      const r = await put(folder.id, name);
      made[name] = (await r.json()).id;
    }
    const sub = await call('POST', `/api/v1/nodes/${folder.id}/folders`, { path: 'Sub' });
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Tabs');
      await row(page, 'going.txt').waitFor();
      await row(page, 'keep.txt').getByRole('checkbox').check();
      // The other tab: a new file, a rename, a delete.
      assert.equal((await put(folder.id, 'new.txt')).status, 201);
      assert.equal((await call('PATCH', `/api/v1/nodes/${made['old name.txt']}`,
                               { name: 'new name.txt' })).status, 200);
      assert.equal((await call('DELETE', `/api/v1/nodes/${made['going.txt']}`)).status, 200);
      await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
      await row(page, 'new.txt').waitFor();
      await row(page, 'new name.txt').waitFor();
      await row(page, 'going.txt').waitFor({ state: 'detached' });
      assert.equal(await row(page, 'keep.txt').getByRole('checkbox').isChecked(), true,
                   'the selection stays');

      // Rename of an item deleted elsewhere: said, and the list is refreshed.
      await page.keyboard.press('Escape');
      assert.equal((await call('DELETE', `/api/v1/nodes/${made['stale.txt']}`)).status, 200);
      await row(page, 'stale.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Rename', exact: true }).click();
      await page.getByRole('dialog').getByLabel('New name').fill('fresh.txt');
      await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
      await page.getByText('"stale.txt" was deleted or moved elsewhere meanwhile; the list is ' +
                           'refreshed.').waitFor();
      await row(page, 'stale.txt').waitFor({ state: 'detached' });

      // A row's Download link of a folder deleted elsewhere says the same.
      assert.equal((await call('DELETE', `/api/v1/nodes/${sub.body.id}`)).status, 200);
      await page.getByRole('link', { name: 'Download Sub' }).click();
      await page.getByText('"Sub" was deleted or moved elsewhere meanwhile; the list is ' +
                           'refreshed.').waitFor();
      await row(page, 'Sub').waitFor({ state: 'detached' });

      // Its page, opened from a stale link, points to the trash.
      await page.goto('/files/Tabs/Sub');
      await page.getByText("Nothing exists at '/Tabs/Sub'.").waitFor();
      await page.getByRole('link', { name: 'see the Trash' }).click();
      await page.getByRole('heading', { name: 'Trash', level: 1 }).waitFor();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the move picker has the focus on its folders; "Skip to file list"; the delete ' +
       'confirmation warns of public links only when there are some', async () => {
    await mkdir('Pick/Inner/Deep');
    await mkdir('Plain');
    const inner = await put((await mkdir('Linked')).id, 'inner.txt');
    const link = await call('POST', '/api/v1/links', { node_id: (await inner.json()).id });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const r = await put((await mkdir('Picked')).id, 'x.txt');
    assert.equal(r.status, 201);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Picked');
      await row(page, 'x.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Move', exact: true }).click();
      // It opens at the folder the person is in (no folders there), "Files" goes up.
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Target: /Picked', { exact: true }).waitFor();
      const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim());
      await page.waitForFunction(() => document.activeElement?.closest('.picker-list'));
      await dialog.getByRole('navigation', { name: 'Folder path in the dialog' })
          .getByRole('button', { name: 'Files' }).click();
      await dialog.getByText('Target: /', { exact: true }).waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('.picker-list'));
      await dialog.getByRole('button', { name: 'Pick', exact: true }).focus();
      await page.keyboard.press('Enter');
      await dialog.getByText('Target: /Pick').waitFor();
      await page.waitForFunction(() => document.activeElement?.textContent?.trim() === 'Inner');
      assert.equal(await focused(), 'Inner');
      await page.keyboard.press('Escape');
      // The dialog's history entry goes with it (Back would close it): gone before another
      // page is loaded.
      const settledHistory = () => page.waitForFunction(() => !history.state?.nimbusOverlay);
      await settledHistory();

      // A folder holding a file with a public link warns; a plain folder does not.
      await page.goto('/files');
      for (const [name, warned] of [['Linked', true], ['Plain', false]]) {
        await row(page, name).getByRole('checkbox').check();
        await page.getByRole('button', { name: 'Delete', exact: true }).click();
        const confirm = page.getByRole('dialog', { name: `Delete "${name}"?` });
        await confirm.waitFor();
        assert.equal(/Public links/.test(await confirm.innerText()), warned, name);
        await confirm.getByRole('button', { name: 'Cancel' }).click();
        await page.keyboard.press('Escape');
      }
      await settledHistory();

      // The skip link comes first with Tab and takes the focus to the list.
      await page.goto('/files/Picked');
      await row(page, 'x.txt').waitFor();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Tab');
      const skip = page.getByRole('link', { name: 'Skip to file list' });
      assert.equal(await skip.evaluate((a) => a === document.activeElement), true);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
                   'Select x.txt');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('all items of a folder download as the folder\'s zip, without a look-up per item',
       async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Big');
      await row(page, 'f000.txt').waitFor();
      await page.locator('#file-list thead input[type=checkbox]').check();
      const banner = page.locator('.select-all-banner');
      await banner.getByRole('button', { name: 'Select all items in this folder' }).click();
      await banner.getByText('All 600 items in this folder are selected.').waitFor();
      let lookups = 0;
      page.on('request', (r) => {
        if (r.method() === 'GET' && /\/api\/v1\/nodes\/[^/?]+$/.test(new URL(r.url()).pathname)) {
          lookups += 1;
        }
      });
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('toolbar', { name: 'File actions for the selected items' })
            .getByRole('button', { name: 'Download' }).click(),
      ]);
      // The folder's own zip: no ?only= list of 600 ids (20,000 made a URL the server refused).
      assert.equal(new URL(download.url()).pathname, `/api/v1/nodes/${big.id}/content`);
      assert.equal(new URL(download.url()).search, '');
      assert.equal(download.suggestedFilename(), 'Big.zip');
      assert.equal(lookups, 0);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('"All N items in this folder are selected" goes once those items are moved away',
       async () => {
    const away = await mkdir('Away');
    await mkdir('Archive');
    for (let i = 0; i < 202; i += 20) {
      await Promise.all(Array.from({ length: Math.min(20, 202 - i) }, async (_, j) => {
        const r = await put(away.id, `m${String(i + j).padStart(3, '0')}.txt`);
        assert.equal(r.status, 201);
      }));
    }
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Away');
      await row(page, 'm000.txt').waitFor();
      await page.locator('#file-list thead input[type=checkbox]').check();
      const banner = page.locator('.select-all-banner');
      await banner.getByRole('button', { name: 'Select all items in this folder' }).click();
      await banner.getByText('All 202 items in this folder are selected.').waitFor();
      await page.getByRole('toolbar', { name: 'File actions for the selected items' })
          .getByRole('button', { name: 'Move' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Target: /Away', { exact: true }).waitFor();  // Where one is.
      await dialog.getByRole('navigation', { name: 'Folder path in the dialog' })
          .getByRole('button', { name: 'Files' }).click();
      await dialog.locator('.picker-list').getByRole('button', { name: 'Archive' }).click();
      await dialog.getByText('Target: /Archive').waitFor();
      await dialog.getByRole('button', { name: 'Move here' }).click();
      await page.getByText('Moved 202 items to /Archive.').waitFor({ timeout: 60000 });
      await page.getByText('This folder is empty.').waitFor();
      // Gone, not merely hidden: nothing of it is left to be read out.
      assert.equal(await banner.isVisible(), false);
      assert.equal((await banner.textContent()).trim(), '');
      assert.doesNotMatch(await page.locator('.toolbar-dock').textContent(), /are selected/);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
