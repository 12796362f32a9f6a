// Everyday flows of the file browser and the trash that a QA pass with real Chromium found
// broken (pass 18): the session ended in another tab closes an open dialog before the login
// page shows (and a folder gone meanwhile lands on the files with a note); a double click on a
// row opens it; "New folder" with "Q1/Reports" says what it made; the Move and Copy pickers open
// at the folder one is in; a 400-character name is said once, shortened; and the trash keeps a
// deleted folder's tree together when a file deleted from it is restored.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// Chromium logs every 4xx answer to fetch() as a console error: some are expected here (the
// 401s once signed out, a name refused, a path looked up that is not there).
const kExpected = /Failed to load resource: the server responded with a status of 4\d\d/;

describe('everyday flows', () => {
  let server;
  let browser;
  let api;  // { cookie, csrf }: a session of its own, beside the browser's.
  const user = { email: `flows-${process.pid}@example.com`, password: 'a long enough passphrase 7',
                 name: 'Flo Flows' };

  const call = (method, p, body) => apiCall(server.url, method, p, { ...api, body });
  const put = async (parentId, name, body = `${name}\n`) => {
    const r = await fetch(
      `${server.url}/api/v1/nodes/${parentId}/content?path=${encodeURIComponent(name)}`,
      { method: 'PUT', body, headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
    const text = await r.text();
    assert.equal(r.status, 201, `${name}: ${text}`);
    return JSON.parse(text);
  };
  const mkdir = async (p) => {
    const r = await call('POST', '/api/v1/nodes/root/folders', { path: p });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const resolve = (p) => call('GET', `/api/v1/resolve?path=${encodeURIComponent(p)}`);
  const names = async (id) => {
    const r = await call('GET', `/api/v1/nodes/${id}/children?limit=1000`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.items.map((n) => n.name).sort();
  };
  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
  const logIn = () => openSignedIn(browser, server.url, user);
  const focusedRowName = (page) =>
    page.evaluate(() => document.activeElement?.closest('tr')?.dataset.name ?? null);

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await apiSignup(server.url, user);
    const login = await apiLogin(server.url, user.email, user.password);
    api = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test('the session ended in another tab: an open dialog closes before the login page shows; ' +
       'back to a folder renamed meanwhile, the files show with a note', async () => {
    const people = await mkdir('Office/People');
    await put(people.id, 'handbook.txt');
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/files/Office/People');
      await row(page, 'handbook.txt').waitFor();
      // Tab A, same browser: Log out.
      const tabA = await context.newPage();
      await tabA.goto('/files');
      await tabA.locator('section.files-page').waitFor();
      await tabA.getByRole('navigation', { name: 'Account' })
          .getByRole('button', { name: 'Log out' }).click();
      await tabA.waitForURL((u) => u.pathname === '/login' || u.pathname === '/');
      await tabA.close();

      // Tab B renames: the server says the session is gone.
      await page.bringToFront();
      await row(page, 'handbook.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Rename', exact: true }).click();
      const rename = page.getByRole('dialog', { name: 'Rename "handbook.txt"' });
      await rename.getByLabel('New name').fill('handbook 2025.txt');
      await rename.getByLabel('New name').press('Enter');
      await page.waitForURL((u) => u.pathname === '/login');
      assert.equal(new URL(page.url()).searchParams.get('next'), '/files/Office/People');
      await page.getByRole('heading', { name: 'Log in', level: 1 }).waitFor();
      await page.locator('dialog[open]').waitFor({ state: 'detached' });
      assert.equal(await page.locator('dialog').count(), 0, 'no dialog over the login page');

      // Meanwhile the folder was renamed elsewhere: logging in again lands on the files, with
      // a note, not on an error page. The Log in button takes the click (nothing covers it).
      const r = await call('PATCH', `/api/v1/nodes/${people.id}`, { name: 'Staff' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await page.getByLabel('Email', { exact: true }).fill(user.email);
      await page.getByLabel('Password', { exact: true }).fill(user.password);
      await page.getByRole('button', { name: 'Log in' }).click({ timeout: 5000 });
      await page.waitForURL((u) => u.pathname === '/files');
      await page.getByText('The folder /Office/People is no longer there (renamed, moved or ' +
                           'deleted), so here are your files.').waitFor();
      await row(page, 'Office').waitFor();
      assert.equal(await page.getByText('This folder could not be shown').count(), 0);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a double click on a row opens it: a folder anywhere on its row, a file in the viewer; ' +
       'a single click still only selects', async () => {
    const dbl = await mkdir('Dbl/Inside');
    await put(dbl.id, 'deep.txt');
    await put((await resolve('/Dbl')).body.id, 'note.txt', 'A short note.\n');
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/files/Dbl');
      await row(page, 'note.txt').waitFor();
      // One click on the Size cell selects the row and stays.
      await row(page, 'Inside').locator('td.col-size').click();
      await page.getByText('1 selected').waitFor();
      assert.equal(new URL(page.url()).pathname, '/files/Dbl');
      assert.equal(await row(page, 'Inside').getAttribute('aria-selected'), 'true');

      // A double click on a file's Modified cell opens it in the viewer.
      await row(page, 'note.txt').locator('td.col-modified').dblclick();
      const viewer = page.getByRole('dialog');
      await viewer.getByRole('heading', { level: 2, name: 'note.txt' }).waitFor();
      await viewer.locator('pre').getByText('A short note.').waitFor();
      await page.keyboard.press('Escape');
      await viewer.waitFor({ state: 'detached' });

      // The checkbox still ticks and unticks (a double click there opens nothing).
      const check = row(page, 'note.txt').getByRole('checkbox');
      await check.dblclick();
      assert.equal(await page.getByRole('dialog').count(), 0);
      assert.equal(new URL(page.url()).pathname, '/files/Dbl');

      // A double click on a folder's Modified cell opens the folder.
      await row(page, 'Inside').locator('td.col-modified').dblclick();
      await page.waitForURL((u) => u.pathname === '/files/Dbl/Inside');
      await row(page, 'deep.txt').waitFor();
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('"New folder" with "Q1/Reports" makes both and says so; its first folder takes the focus',
       async () => {
    const base = await mkdir('Nest');
    await mkdir('Nest/Had');
    const { context, page, problems } = await logIn();
    const make = async (name) => {
      await page.getByRole('button', { name: 'New folder' }).click();
      const ask = page.getByRole('dialog', { name: 'New folder' });
      await ask.getByLabel('Folder name').fill(name);
      await ask.getByLabel('Folder name').press('Enter');
      await ask.waitFor({ state: 'detached' });
    };
    try {
      await page.goto('/files/Nest');
      await row(page, 'Had').waitFor();
      await make('Q1/Reports');
      await page.getByText('Created "Reports" in the new folder "Q1".').waitFor();
      await row(page, 'Q1').waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('tr')?.dataset.name === 'Q1');
      assert.equal((await resolve('/Nest/Q1/Reports')).status, 200, 'nested creation kept');

      await make('A/B/C');
      await page.getByText('Created the folders A/B/C.').waitFor();
      await make('Had/Sub');
      await page.getByText('Created "Sub" in "Had".').waitFor();
      assert.equal(await focusedRowName(page), 'Had');
      assert.deepEqual(await names(base.id), ['A', 'Had', 'Q1']);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('the Move and Copy pickers open at the folder one is in; their breadcrumbs go up',
       async () => {
    const office = await mkdir('Desk/Office');
    await mkdir('Desk/Office/Sub');
    await mkdir('Elsewhere');
    await put(office.id, 'memo.txt');
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/files/Desk/Office');
      await row(page, 'memo.txt').getByRole('checkbox').check();

      // Copy into the same folder: "memo (1).txt".
      await page.getByRole('button', { name: 'Copy', exact: true }).click();
      let picker = page.getByRole('dialog');
      await picker.getByText('Target: /Desk/Office', { exact: true }).waitFor();
      await picker.locator('.picker-list').getByRole('button', { name: 'Sub' }).waitFor();
      await picker.getByRole('button', { name: 'Copy here' }).click();
      await picker.waitFor({ state: 'detached' });
      await row(page, 'memo (1).txt').waitFor();
      assert.deepEqual(await names(office.id), ['Sub', 'memo (1).txt', 'memo.txt']);

      // Move: it opens here too; the breadcrumb "Files" goes up to the top.
      await row(page, 'memo.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Move', exact: true }).click();
      picker = page.getByRole('dialog');
      await picker.getByText('Target: /Desk/Office', { exact: true }).waitFor();
      await picker.getByRole('navigation', { name: 'Folder path in the dialog' })
          .getByRole('button', { name: 'Files' }).click();
      await picker.getByText('Target: /', { exact: true }).waitFor();
      await picker.locator('.picker-list').getByRole('button', { name: 'Elsewhere' }).click();
      await picker.getByText('Target: /Elsewhere', { exact: true }).waitFor();
      await picker.getByRole('button', { name: 'Move here' }).click();
      await page.getByText('Moved 1 item to /Elsewhere.').waitFor();
      assert.equal((await resolve('/Elsewhere/memo.txt')).status, 200);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a name of 400 characters is said once, shortened in the middle: upload, New folder',
       async () => {
    const long = `${'Z'.repeat(400)}.txt`;
    await mkdir('Long');
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/files/Long');
      await page.locator('section.files-page').waitFor();
      await page.locator('input.upload-files-input').setInputFiles({
        name: long, mimeType: 'text/plain', buffer: Buffer.from('z') });
      const panel = page.getByRole('region', { name: 'Uploads' });
      const failure = panel.locator('.upload-failure p').first();
      await failure.waitFor();
      const said = await failure.innerText();
      // The server's sentence, which quotes the name: shown alone, the name cut in its middle.
      assert.match(said, /^Not uploaded: In the path, the part 'Z{39}…Z{15}\.txt' is not a valid /);
      assert.match(said, /255 bytes/);
      assert.equal(said.split('…').length - 1, 1, `the name once: ${said}`);

      // New folder: the refusal under the field is shortened too.
      await page.getByRole('button', { name: 'New folder' }).click();
      const ask = page.getByRole('dialog', { name: 'New folder' });
      await ask.getByLabel('Folder name').fill('F'.repeat(300));
      await ask.getByLabel('Folder name').press('Enter');
      const error = ask.locator('.field-error');
      await error.waitFor();
      const text = await error.innerText();
      assert.ok(!text.includes('F'.repeat(41)), text);
      assert.match(text, /'F{39}…F{19}' is not a valid name/);
      await ask.getByRole('button', { name: 'Cancel' }).click();
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('trash: a file whose folder is in the trash too says so, and its Restore brings the ' +
       'folder back first: one folder, with everything in it', async () => {
    const alpha = await mkdir('Projects/Alpha');
    const jan = await put(alpha.id, 'jan.txt');
    await put(alpha.id, 'feb.txt');
    const projects = (await resolve('/Projects')).body;
    assert.equal((await call('DELETE', `/api/v1/nodes/${jan.id}`)).status, 200);
    assert.equal((await call('DELETE', `/api/v1/nodes/${projects.id}`)).status, 200);
    const { context, page, problems } = await logIn();
    try {
      await page.goto('/trash');
      const item = (name) => page.locator('li.trash-item', {
        has: page.locator('strong', { hasText: new RegExp(`^\\W*${name}$`) }) });
      await item('jan.txt').waitFor();
      await item('jan.txt').getByText('Its folder "Projects" is in the trash too: Restore brings ' +
                                      'the folder back first, to keep them together.').waitFor();
      assert.equal(await item('Projects').locator('.trash-folder-note').count(), 0);

      await item('jan.txt').getByRole('button', { name: /^Restore jan\.txt/ }).click();
      await page.getByText('Restored "jan.txt" to /Projects/Alpha/jan.txt, with its folder ' +
                           '"Projects".').waitFor();
      await page.getByText('The trash is empty.').waitFor();
      const root = await call('GET', '/api/v1/nodes/root');
      assert.deepEqual((await names(root.body.id)).filter((n) => n.startsWith('Projects')),
                       ['Projects'], 'one folder, no "Projects (restored)"');
      assert.deepEqual(await names((await resolve('/Projects/Alpha')).body.id),
                       ['feb.txt', 'jan.txt']);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });
});
