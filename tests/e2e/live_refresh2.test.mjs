// Live refresh beyond the file browser (web/js/files/live_refresh.js, liveRows): "Shared with
// me", "Shared by me" and search results notice what another person or session changed without
// a reload, once the window gets the focus back (the timed looks are put far off here, so each
// change shows only because of the focus). Only the rows that changed are drawn again: a row
// left as it was is the same element (an open activity panel stays open), the keyboard focus
// stays on the same control, and a look that finds nothing new touches nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('live refresh of shares and search', () => {
  let server;
  let browser;
  let owner;  // { cookie, csrf }: the owner's session of its own, beside the browsers'.
  let other;  // The same for the colleague.
  const password = 'a long enough passphrase 7';
  const user = { email: `live2-${process.pid}@example.com`, password, name: 'Liv Live' };
  const colleague = { email: `col2-${process.pid}@example.com`, password, name: 'Col League' };

  const call = async (auth, method, p, body) => {
    const r = await apiCall(server.url, method, p, { ...auth, body });
    assert.ok(r.status < 300, `${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const mkdir = (auth, p) => call(auth, 'POST', '/api/v1/nodes/root/folders', { path: p });
  const put = async (auth, parentId, name) => {
    const r = await fetch(
      `${server.url}/api/v1/nodes/${parentId}/content?path=${encodeURIComponent(name)}`,
      { method: 'PUT', body: `${name}\n`,
        headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf } });
    const text = await r.text();
    assert.equal(r.status, 201, `${name}: ${text}`);
    return JSON.parse(text);
  };
  const share = (auth, nodeId, email, permission = 'read') =>
    call(auth, 'POST', '/api/v1/shares', { node_id: nodeId, email, permission });
  const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

  // A signed-in tab of `who` that looks again only when it gets the focus back.
  async function tab(who) {
    const session = await openSignedIn(browser, server.url, who);
    await session.page.evaluate(() => localStorage.setItem('nimbus.refreshMs', '600000'));
    return session;
  }
  // The window gets the focus back (a tab switch, Alt+Tab); the next one may come after the
  // "one look per tab switch" window (500 ms).
  const focusBack = async (page) => {
    await pause(600);
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
  };
  // Marks the element of `locator`; kept(locator) tells whether it is the same element still.
  const mark = (locator) => locator.evaluate((el) => { el.liveKept = true; });
  const kept = (locator) => locator.evaluate((el) => el.liveKept === true);
  // From now on, counts the changes to the page (window.mutations).
  const watchMutations = (page) => page.evaluate(() => {
    window.mutations = 0;
    new MutationObserver((records) => { window.mutations += records.length; })
      .observe(document.body, { subtree: true, childList: true, attributes: true,
                                characterData: true });
  });
  // A focus that finds nothing new: the list is read again (`url`) and nothing changes.
  async function lookChangesNothing(page, url) {
    await watchMutations(page);
    const looked = page.waitForResponse((r) => url.test(r.url()));
    await focusBack(page);
    await looked;
    await pause(300);
    assert.equal(await page.evaluate(() => window.mutations), 0, 'no change to the page');
  }

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    for (const u of [user, colleague]) await apiSignupConfirmed(server.url, server.dataDir, u);
    const login = async (u) => {
      const l = await apiLogin(server.url, u.email, u.password);
      return { cookie: l.cookie, csrf: l.csrf };
    };
    owner = await login(user);
    other = await login(colleague);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('"Shared with me" shows a new share and drops a revoked one once the window gets the ' +
       'focus back; the other rows and the focus stay', async () => {
    const plans = await mkdir(owner, 'Plans');
    const photos = await mkdir(owner, 'Photos');
    await share(owner, plans.id, colleague.email, 'edit');
    const { context, page, problems } = await tab(colleague);
    const row = (name) => page.locator(`table.shared-table tbody tr[data-name="${name}"]`);
    try {
      await page.goto('/shared');
      await row('Plans').waitFor();
      await mark(row('Plans'));
      await row('Plans').getByRole('button', { name: 'Leave Plans' }).focus();

      const photosShare = await share(owner, photos.id, colleague.email);
      await pause(300);
      assert.equal(await row('Photos').count(), 0, 'nothing before the focus comes back');
      await focusBack(page);
      await row('Photos').waitFor({ timeout: 5000 });
      assert.equal(await row('Photos').locator('.badge').innerText(), 'Can view');
      assert.ok(await kept(row('Plans')), 'the row that did not change is not drawn again');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
                   'Leave Plans');

      await call(owner, 'DELETE', `/api/v1/shares/${photosShare.id}`);
      await focusBack(page);
      await row('Photos').waitFor({ state: 'detached', timeout: 5000 });
      assert.ok(await kept(row('Plans')));
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
                   'Leave Plans');

      await lookChangesNothing(page, /\/api\/v1\/shares\?/);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('"Shared by me" shows shares and public links made in another session, and drops those ' +
       'revoked there; an open activity panel stays open', async () => {
    const docs = await mkdir(owner, 'Docs');
    const music = await mkdir(owner, 'Music');
    await share(owner, docs.id, colleague.email);
    const { context, page, problems } = await tab(user);
    const people = page.getByRole('list', { name: 'Shared with people' });
    const links = page.getByRole('list', { name: 'Public links' });
    const shareRow = (name) => people.locator('li.share-item').filter({ hasText: name });
    const linkRow = (name) => links.locator('li.link-item').filter({ hasText: name });
    try {
      await page.goto('/shared-by-me');
      await shareRow('Docs').waitFor();
      await links.getByText('You have no public links.').waitFor();
      await mark(shareRow('Docs'));
      const activity = shareRow('Docs').getByRole('button', {
        name: `Activity of the share of Docs with ${colleague.email}` });
      await activity.click();
      await shareRow('Docs').getByRole('region', { name: /^Activity of the share of Docs/ })
          .waitFor();
      await activity.focus();

      // Another session (another tab, the phone) shares Music and makes a link to Docs.
      const musicShare = await share(owner, music.id, colleague.email, 'edit');
      const link = await call(owner, 'POST', '/api/v1/links', { node_id: docs.id });
      await pause(300);
      assert.equal(await shareRow('Music').count(), 0, 'nothing before the focus comes back');
      await focusBack(page);
      await shareRow('Music').waitFor({ timeout: 5000 });
      await linkRow('Docs').waitFor({ timeout: 5000 });
      assert.equal(await links.getByText('You have no public links.').count(), 0);
      assert.ok(await kept(shareRow('Docs')), 'the row that did not change is not drawn again');
      assert.equal(await activity.getAttribute('aria-expanded'), 'true');
      assert.equal(await shareRow('Docs').getByRole('region').count(), 1);
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
                   `Activity of the share of Docs with ${colleague.email}`);

      // Revoked and deleted there: gone here.
      await call(owner, 'DELETE', `/api/v1/shares/${musicShare.id}`);
      await call(owner, 'DELETE', `/api/v1/links/${link.id}`);
      await focusBack(page);
      await shareRow('Music').waitFor({ state: 'detached', timeout: 5000 });
      await links.getByText('You have no public links.').waitFor({ timeout: 5000 });
      assert.ok(await kept(shareRow('Docs')));

      await lookChangesNothing(page, /\/api\/v1\/(shares|links)\?/);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('search results follow files made, renamed and deleted elsewhere and a folder shared ' +
       'meanwhile; the count, the other rows and the focus stay right', async () => {
    const folder = await mkdir(owner, 'Quarter');
    await put(owner, folder.id, 'report-a.txt');
    const b = await put(owner, folder.id, 'report-b.txt');
    const z = await put(owner, folder.id, 'report-z.txt');
    const { context, page, problems } = await tab(user);
    const results = page.getByRole('list', { name: 'Search results' });
    const result = (name) => results.locator('li[data-id]')
        .filter({ has: page.getByRole('link', { name, exact: true }) });
    try {
      await page.goto('/search?q=report');
      await page.getByRole('status').getByText('3 matches for "report".').waitFor();
      await mark(result('report-a.txt'));
      await result('report-b.txt').getByRole('link', { name: 'report-b.txt', exact: true }).focus();

      await put(owner, folder.id, 'report-c.txt');
      await call(owner, 'PATCH', `/api/v1/nodes/${b.id}`, { name: 'report-final.txt' });
      await call(owner, 'DELETE', `/api/v1/nodes/${z.id}`);
      const theirs = await mkdir(other, 'report-shared');
      await share(other, theirs.id, user.email);
      await pause(300);
      assert.equal(await result('report-c.txt').count(), 0, 'nothing before the focus comes back');
      await focusBack(page);
      await page.getByRole('status').getByText('4 matches for "report".')
          .waitFor({ timeout: 5000 });
      for (const name of ['report-a.txt', 'report-c.txt', 'report-final.txt', 'report-shared']) {
        assert.equal(await result(name).count(), 1, name);
      }
      assert.equal(await result('report-b.txt').count(), 0);
      assert.equal(await result('report-z.txt').count(), 0);
      assert.match(await result('report-shared').innerText(), /shared by Col League/);
      assert.ok(await kept(result('report-a.txt')),
                'the row that did not change is not drawn again');
      // The focus was on the renamed file's link: it is on that file's link still.
      assert.equal(await page.evaluate(() => document.activeElement?.textContent),
                   'report-final.txt');

      await lookChangesNothing(page, /\/api\/v1\/search\?/);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
