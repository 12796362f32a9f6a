// Keyboard-only and screen-reader use of the web app in a real browser against the real server
// (the accessibility QA pass 16a): where focus goes after sorting, removing, restoring,
// creating and going up a folder; what status regions say (a new sort order, a copy, a copy
// saved under another name, deleted items shown, search results); colour contrast computed
// from the CSS variables (dark danger buttons, the focus ring); the date and the sort order on
// a 640 px screen; accessible names (sort buttons, sessions, Gift boxes); toolbars with arrow
// keys; Tab going round inside modal dialogs; Ctrl+Z after a delete.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openPage, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// WCAG contrast ratio of two colours [r, g, b] (0-255).
function contrast(a, b) {
  const lum = (rgb) => {
    const [r, g, bl] = rgb.map((v) => {
      const c = v / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

// In the page: the computed colours named by `exprs` (CSS colour expressions, var() allowed,
// e.g. 'var(--bg)'), as [r, g, b] with alpha composited over the previous one's result when
// `over` is true (a translucent selected row over the page background).
function resolveColours(exprs) {
  const parse = (text) => {
    let m = /^rgba?\(([^)]+)\)/.exec(text);
    if (m) {
      const [r, g, b, a = 1] = m[1].split(/[\s,/]+/).filter(Boolean).map(Number);
      return [r, g, b, a];
    }
    m = /^color\(srgb ([^)]+)\)/.exec(text);
    if (m) {
      const [r, g, b, a = 1] = m[1].split(/[\s/]+/).filter(Boolean).map(Number);
      return [r * 255, g * 255, b * 255, a];
    }
    throw new Error(`unknown colour ${text}`);
  };
  const probe = document.createElement('div');
  document.body.append(probe);
  let under = [255, 255, 255];
  const out = exprs.map((expr) => {
    probe.style.backgroundColor = '';
    probe.style.backgroundColor = expr;
    const [r, g, b, a] = parse(getComputedStyle(probe).backgroundColor);
    under = [r, g, b].map((v, i) => v * a + under[i] * (1 - a));
    return under;
  });
  probe.remove();
  return out;
}

describe('keyboard and screen reader', () => {
  let server;
  let browser;
  let auth;
  const owner = { email: `a11y-${process.pid}@example.com`, password: 'a long enough passphrase 7',
                  name: 'Ada Access' };
  const friends = [1, 2].map((i) => ({ email: `a11y-friend${i}-${process.pid}@example.com`,
                                       password: 'a long enough passphrase 7',
                                       name: `Friend Number ${i}` }));

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await apiSignupConfirmed(server.url, server.dataDir, owner);  // The first account: admin.
    for (const f of friends) await apiSignupConfirmed(server.url, server.dataDir, f);
    const login = await apiLogin(server.url, owner.email, owner.password);
    auth = { cookie: login.cookie, csrf: login.csrf };
    for (const p of ['Documents/inner', 'Photos']) {
      assert.equal((await call('POST', '/api/v1/nodes/root/folders', { path: p })).status, 201);
    }
    const files = { 'notes.txt': 'n'.repeat(10), 'readme.md': 'r'.repeat(300),
                    'b.txt': 'b'.repeat(2000), 'red.png': 'not really a png',
                    'Photos/red.png': 'an older red', 'Documents/report.txt': 'report' };
    for (const [p, body] of Object.entries(files)) await put(p, body);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const call = (method, p, body) => apiCall(server.url, method, p, { ...auth, body });
  async function put(p, body) {
    const r = await fetch(`${server.url}/api/v1/nodes/root/content?path=${encodeURIComponent(p)}`,
                          { method: 'PUT', body,
                            headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf } });
    assert.equal(r.status, 201, p);
    return r.json();
  }
  const logIn = (options) => openSignedIn(browser, server.url, owner, options);
  const row = (page, name) => page.locator(`table.file-table tr[data-id][data-name="${name}"]`);
  const focusedRow = (page) => page.evaluate(
    () => document.activeElement?.closest('tr[data-id]')?.dataset.name ?? null);
  const active = (page) => page.evaluate(() => {
    const el = document.activeElement;
    return { tag: el?.tagName, name: el?.getAttribute('aria-label') ?? el?.textContent?.trim(),
             className: el?.className };
  });
  // What the page's (or the open dialog's) status region last said.
  const announced = (page, text) => page.locator('.announcer').getByText(text, { exact: true })
      .waitFor({ state: 'attached' });

  test('sorting from the keyboard keeps focus on the header button and announces the order; ' +
       'toolbars take arrow keys', async () => {
    const { context, page, problems } = await logIn();
    try {
      // The arrows are for the eye: the buttons are named "Name", "Size", "Modified".
      const size = page.getByRole('button', { name: 'Size', exact: true });
      assert.equal(await page.getByRole('button', { name: 'Name', exact: true }).count(), 1);
      await size.focus();
      await page.keyboard.press('Enter');
      await page.locator('th.col-size[aria-sort="descending"]').waitFor();
      await announced(page, 'Sorted by Size, descending');
      assert.equal(await size.evaluate((b) => b === document.activeElement), true,
                   'focus stays on the Size button');
      // Enter again turns the order round: the button still has the focus.
      await page.keyboard.press('Enter');
      await page.locator('th.col-size[aria-sort="ascending"]').waitFor();
      await announced(page, 'Sorted by Size, ascending');
      assert.equal(await size.evaluate((b) => b === document.activeElement), true);
      assert.match(page.url(), /\?sort=size&order=asc$/);

      // A toolbar is one Tab stop; the arrow keys move inside it.
      const toolbar = page.getByRole('toolbar', { name: 'File actions', exact: true });
      assert.equal(await toolbar.evaluate(
        (t) => [...t.querySelectorAll('button, input')].filter((el) => el.tabIndex === 0).length), 1);
      await toolbar.getByRole('button', { name: 'New folder' }).focus();
      await page.keyboard.press('ArrowRight');
      assert.equal((await active(page)).name, 'Upload files');
      await page.keyboard.press('End');
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'show-deleted');
      await page.keyboard.press('ArrowRight');
      assert.equal((await active(page)).name, 'New folder');
      // Only the control used last stays a Tab stop.
      assert.equal(await toolbar.getByRole('button', { name: 'New folder' })
          .evaluate((b) => b.tabIndex), 0);
      assert.equal(await toolbar.getByRole('button', { name: 'Upload files' })
          .evaluate((b) => b.tabIndex), -1);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('contrast: dark danger buttons, and the light focus ring against white, the page and a ' +
       'selected row', async () => {
    const dark = await openPage(browser, server.url, { colorScheme: 'dark' });
    try {
      await dark.page.goto('/login');
      await dark.page.locator('#app[data-ready="true"]').waitFor();
      const colours = await dark.page.evaluate(() => {
        const b = document.createElement('button');
        b.className = 'button button-danger';
        b.textContent = 'Delete';
        document.querySelector('main').append(b);
        const style = getComputedStyle(b);
        return [style.backgroundColor, style.color];
      });
      const [bg, text] = await dark.page.evaluate(resolveColours, colours);
      const ratio = contrast(bg, text);
      assert.ok(ratio >= 4.5, `dark danger button text: ${ratio.toFixed(2)}:1`);
    } finally {
      await dark.context.close();
    }

    const { context, page, problems } = await logIn({ colorScheme: 'light' });
    try {
      // A selected row, its checkbox focused from the keyboard (the ring shows).
      await row(page, 'notes.txt').getByRole('checkbox').check();
      await row(page, 'readme.md').getByRole('checkbox').focus();
      await page.keyboard.press('ArrowUp');
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('ArrowUp');
      const ring = await page.evaluate(() => {
        const el = document.activeElement;
        const style = getComputedStyle(el);
        return { visible: el.matches(':focus-visible'), colour: style.outlineColor,
                 width: parseFloat(style.outlineWidth), row: el.closest('tr').className };
      });
      assert.ok(ring.visible && ring.width >= 2, JSON.stringify(ring));
      assert.match(ring.row, /selected/);
      const rowBg = await row(page, 'notes.txt').evaluate((tr) => getComputedStyle(tr)
        .backgroundColor);
      const [[outline], [surface], [pageBg, selected]] = await Promise.all([
        page.evaluate(resolveColours, [ring.colour]),
        page.evaluate(resolveColours, ['var(--surface)']),
        page.evaluate(resolveColours, ['var(--bg)', rowBg]),
      ]);
      for (const [what, colour] of [['white surface', surface], ['page background', pageBg],
                                    ['selected row', selected]]) {
        const ratio = contrast(outline, colour);
        assert.ok(ratio >= 3, `focus ring against the ${what}: ${ratio.toFixed(2)}:1`);
      }
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('share dialog: revoke and delete keep focus in their list; a past expiry marks the date ' +
       'field; Copy keeps focus and says so; Tab goes round', async () => {
    const notes = await call('GET', `/api/v1/resolve?path=${encodeURIComponent('/notes.txt')}`);
    for (const f of friends) {
      const r = await call('POST', '/api/v1/shares', { node_id: notes.body.id, email: f.email,
                                                       permission: 'read' });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    assert.equal((await call('POST', '/api/v1/links', { node_id: notes.body.id })).status, 201);
    const { context, page, problems } = await logIn();
    try {
      await row(page, 'notes.txt').getByRole('button', { name: 'Share notes.txt' }).click();
      const dialog = page.getByRole('dialog', { name: 'Share "notes.txt"' });
      const people = dialog.getByRole('list', { name: 'People with access' });
      await people.getByText(friends[1].email, { exact: true }).waitFor();

      // Revoke the first person (asked first: the confirmation opens on Cancel, Shift+Tab goes
      // to "Stop sharing"): focus goes to the next person's first control.
      await dialog.getByRole('button', { name: `Revoke access of ${friends[0].email}` }).focus();
      await page.keyboard.press('Enter');
      const ask = page.getByRole('dialog',
                                 { name: `Stop sharing "notes.txt" with ${friends[0].email}?` });
      await ask.waitFor();
      assert.equal((await active(page)).name, 'Cancel');
      await page.keyboard.press('Shift+Tab');
      assert.equal((await active(page)).name, 'Stop sharing');
      await page.keyboard.press('Enter');
      await dialog.getByText(`${friends[0].email} no longer has access.`).waitFor();
      assert.equal((await active(page)).name, `Permission of ${friends[1].email}`);

      // Copy: the focus stays on the button and "copied" is said inside the dialog.
      const links = dialog.getByRole('list', { name: 'Public links' });
      const copy = links.getByRole('button', { name: 'Copy' });
      await copy.focus();
      await page.keyboard.press('Enter');
      await dialog.locator('.announcer').getByText('Public link copied').waitFor();
      assert.equal(await copy.evaluate((b) => b === document.activeElement), true);

      // Delete the only link: focus goes to the list (nothing left to focus in it).
      await links.getByRole('button', { name: /^Delete the link/ }).focus();
      await page.keyboard.press('Enter');
      await links.getByText('No public link.').waitFor();
      assert.equal(await links.evaluate((ul) => ul === document.activeElement), true);

      // A date in the past: the error is under the date field, linked to it, which has focus.
      const expiry = dialog.getByLabel('Expires on (optional)');
      await expiry.fill('2020-01-01');
      await expiry.press('Enter');
      await page.waitForFunction(() => document.querySelector('input[name="link-expiry"]')
        ?.getAttribute('aria-invalid') === 'true');
      const described = await expiry.evaluate((input) => input.getAttribute('aria-describedby')
        .split(' ').map((id) => document.getElementById(id)?.textContent).join(' '));
      assert.match(described, /expir/i);
      assert.equal(await expiry.evaluate((i) => i === document.activeElement), true);
      assert.equal(await dialog.getByRole('alert').count(), 0, 'no error at the top');

      // Tab from the last control goes round to the first, Shift+Tab the other way.
      const done = dialog.getByRole('button', { name: 'Done' });
      await done.focus();
      await page.keyboard.press('Tab');
      assert.equal(await page.evaluate(() => document.activeElement?.name), 'email',
                   'Tab from Done went round to the email field');
      await page.keyboard.press('Shift+Tab');
      assert.equal(await done.evaluate((b) => b === document.activeElement), true);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('settings: each session\'s Sign out has its own name; signing one out keeps focus in the ' +
       'list', async () => {
    for (let i = 0; i < 2; i += 1) await apiLogin(server.url, owner.email, owner.password);
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/settings');
      const list = page.getByRole('list', { name: 'Sessions' });
      const buttons = list.getByRole('button', { name: /^Sign out/ });
      await buttons.first().waitFor();
      const names = await buttons.evaluateAll((all) => all.map((b) => b.getAttribute('aria-label')));
      assert.ok(names.length >= 2, JSON.stringify(names));
      assert.equal(new Set(names).size, names.length, JSON.stringify(names));
      assert.match(names[0], /last seen .+, IP /);
      await buttons.first().focus();
      await page.keyboard.press('Enter');
      await page.getByText('That session was signed out.').waitFor();
      await page.waitForFunction((n) => document.querySelectorAll(
        'ul[aria-label="Sessions"] button').length === n - 1, names.length);
      assert.equal(await list.evaluate((ul) => ul.contains(document.activeElement) &&
                                               document.activeElement.tagName === 'BUTTON'), true,
                   'focus on the next Sign out');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('delete then Ctrl+Z, and an inline Restore, focus the restored row; "Show deleted ' +
       'items" says how many', async () => {
    const { context, page, problems } = await logIn();
    try {
      await row(page, 'readme.md').getByRole('checkbox').focus();
      await page.keyboard.press('Space');
      await page.keyboard.press('Delete');
      await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).waitFor();
      await page.keyboard.press('Enter');
      const status = page.getByRole('status').filter({ hasText: 'Moved "readme.md" to the trash.' });
      await status.waitFor();
      assert.match(await status.innerText(), /Undo \((Ctrl|Cmd)\+Z\)/);
      await row(page, 'readme.md').waitFor({ state: 'detached' });
      await page.keyboard.press('Control+z');
      await row(page, 'readme.md').waitFor();
      await page.getByText('Restored.').waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('tr')?.dataset.name ===
                                       'readme.md');

      // Deleted elsewhere: "Show deleted items" says how many it shows; Restore focuses the row.
      const b = await call('GET', `/api/v1/resolve?path=${encodeURIComponent('/b.txt')}`);
      assert.equal((await call('DELETE', `/api/v1/nodes/${b.body.id}`)).status, 200);
      await page.reload();
      await row(page, 'notes.txt').waitFor();
      await page.getByLabel('Show deleted items').check();
      await announced(page, '1 deleted item shown, after the other items');
      await page.getByRole('button', { name: 'Restore b.txt' }).focus();
      await page.keyboard.press('Enter');
      await row(page, 'b.txt').waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('tr')?.dataset.name ===
                                       'b.txt');
      await page.getByLabel('Show deleted items').uncheck();
      await announced(page, 'Deleted items hidden');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('search says one short summary; its results are no live region', async () => {
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/search?q=red');
      const list = page.getByRole('list', { name: 'Search results' });
      await list.waitFor();
      const regions = await page.evaluate(() => [...document.querySelectorAll(
        'main [aria-live], main [role="status"], main [role="alert"]')]
        .filter((el) => el.textContent.trim())
        .map((el) => el.textContent.trim()));
      assert.deepEqual(regions, ['2 matches for "red".']);
      assert.equal(await list.evaluate((ul) => Boolean(ul.closest('[aria-live], [role="status"]'))),
                   false);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('at 640 px and on a phone the date shows under the name and "Sort by" sorts by date',
       async () => {
    const { context, page, problems } = await logIn();
    try {
      for (const width of [640, 390]) {
        await page.setViewportSize({ width, height: 800 });
        const date = row(page, 'notes.txt').locator('.row-date');
        assert.equal(await date.isVisible(), true, `${width} px: the date is shown`);
        assert.match(await date.innerText(), /^Modified \S/);
        assert.equal(await row(page, 'notes.txt').locator('.col-modified').isVisible(), false);
        assert.equal(await page.getByLabel('Sort by').isVisible(), true);
      }
      await page.getByLabel('Sort by').selectOption({ label: 'Modified (oldest first)' });
      await page.locator('th.col-modified[aria-sort="ascending"]').waitFor({ state: 'attached' });
      assert.match(page.url(), /\?sort=modified&order=asc$/);
      await announced(page, 'Sorted by Modified, ascending');
      // A desktop: the column is back, the list and the under-name date go.
      await page.setViewportSize({ width: 1280, height: 800 });
      assert.equal(await row(page, 'notes.txt').locator('.row-date').isVisible(), false);
      assert.equal(await page.getByLabel('Sort by').isVisible(), false);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('going up focuses the row of the folder left; other page changes focus the heading',
       async () => {
    const { context, page, problems } = await logIn();
    try {
      const heading = (text) => page.waitForFunction((t) => document.activeElement?.tagName ===
        'H1' && document.activeElement.textContent === t, text);
      await row(page, 'Documents').locator('a.node-link').focus();
      await page.keyboard.press('Enter');
      await heading('Documents');
      // Up with the breadcrumb: the Documents row.
      await page.getByRole('navigation', { name: 'Breadcrumbs' })
          .getByRole('link', { name: 'Files' }).click();
      await page.waitForFunction(() => document.activeElement?.closest('tr')?.dataset.name ===
                                       'Documents');
      // Down two levels, then Back: the row of the folder just left.
      await row(page, 'Documents').locator('a.node-link').click();
      await row(page, 'inner').locator('a.node-link').click();
      await heading('inner');
      await page.goBack();
      await page.waitForFunction(() => document.activeElement?.closest('tr')?.dataset.name ===
                                       'inner');
      // Another page: its heading.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' })
          .click();
      await heading('Trash');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('New folder focuses its row; a copy saved under another name says so; the quota is read ' +
       'once; Tab goes round in a dialog', async () => {
    const { context, page, problems } = await logIn();
    try {
      await page.getByRole('button', { name: 'New folder' }).click();
      const ask = page.getByRole('dialog', { name: 'New folder' });
      await ask.getByLabel('Folder name').fill('Fresh');
      // Tab from Cancel (the last control) comes back to the field.
      await ask.getByRole('button', { name: 'Cancel' }).focus();
      await page.keyboard.press('Tab');
      assert.equal(await ask.getByLabel('Folder name').evaluate((i) => i === document.activeElement),
                   true);
      await page.keyboard.press('Enter');
      await row(page, 'Fresh').waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('tr')?.dataset.name ===
                                       'Fresh');

      await row(page, 'red.png').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Copy', exact: true }).click();
      const picker = page.getByRole('dialog');
      await picker.getByRole('button', { name: 'Photos', exact: true }).click();
      await picker.getByText('Target: /Photos').waitFor();
      await picker.getByRole('button', { name: 'Copy here' }).click();
      await page.getByRole('status').getByText(
        'Copied 1 item to /Photos. The name was taken: saved "red.png" as "red (1).png".').waitFor();

      const bar = page.locator('.quota svg');
      await bar.waitFor();
      assert.equal(await bar.getAttribute('aria-hidden'), 'true');
      assert.equal(await bar.getAttribute('role'), null);
      assert.match(await page.locator('.quota-text').innerText(), /used/);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('admin: each Gift box is named after its user', async () => {
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/admin');
      for (const f of friends) {
        await page.getByRole('checkbox', { name: `Gift for ${f.name}` }).waitFor();
      }
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
