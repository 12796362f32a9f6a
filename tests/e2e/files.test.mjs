// The file browser in a real browser against the real server: log in, upload a folder tree
// (the folder picker) and files dropped on the list (a synthesized drop), watch the progress,
// navigate with links, breadcrumbs and the back button, rename, delete, see the deleted item in
// its folder, restore it from the trash, download a file and a folder (the bytes are checked),
// a folder larger than the free space is refused before a byte is sent, and a large file goes
// up with tus and resumes after a dropped connection and after a page reload.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// Chromium logs every 4xx answer to fetch()/XHR as a console error; some are expected here
// (an aborted chunk, a name taken), so only other console errors count.
const kExpectedHttpError = /Failed to load resource: (the server responded with a status of 4\d\d|net::ERR_)/;

function assertNoProblems(problems) {
  assert.deepEqual(problems.cspViolations, [], 'CSP violations');
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors');
  assert.deepEqual(problems.consoleErrors.filter((e) => !kExpectedHttpError.test(e)), [],
                   'console errors');
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

describe('file browser', () => {
  let server;
  let browser;
  let tmp;
  let api;  // { cookie, csrf } of a second session of the same user, for checks.
  let skipReason = null;
  const user = { email: `files-${process.pid}@example.com`, password: 'a long enough passphrase 7',
                 name: 'Fiona Files' };

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    tmp = await mkdtemp(path.join(tmpdir(), 'nimbus-files-e2e-'));
    await apiSignup(server.url, user);
    const login = await apiLogin(server.url, user.email, user.password);
    api = { cookie: login.cookie, csrf: login.csrf };
    const probe = await apiCall(server.url, 'GET', '/api/v1/nodes/root', api);
    if (probe.status === 503) {
      skipReason = `the Files API is not built yet (GET /api/v1/nodes/root: 503 ${
        JSON.stringify(probe.body)})`;
    }
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const call = (method, p, body) => apiCall(server.url, method, p, { ...api, body });
  const resolve = async (p) => call('GET', `/api/v1/resolve?path=${encodeURIComponent(p)}`);

  // A fresh browser context, logged in through the form: it lands on the file browser ("/").
  const logIn = () => openSignedIn(browser, server.url, user);

  // The row of the item called `name` in the file list.
  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);

  test('upload a folder tree, navigate, rename, delete, restore, download', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const top = path.join(tmp, 'Holiday 2026');
    await mkdir(path.join(top, 'day 1', 'raw'), { recursive: true });
    const files = {
      'notes #1.txt': Buffer.from('Packing list: towel, sunscreen, 100% fun\n'),
      'day 1/beach.bin': randomBytes(300 * 1024),
      'day 1/raw/IMG_0001.bin': randomBytes(50 * 1024),
    };
    for (const [rel, bytes] of Object.entries(files)) await writeFile(path.join(top, rel), bytes);

    const { context, page, problems } = await logIn();
    try {
      assert.equal(new URL(page.url()).pathname, '/');
      assert.equal(await page.locator('main h1').innerText(), 'Files');
      assert.equal(await page.title(), 'Files · Nimbus');
      // Signed in, "/" is the file list: one entry for it, "Files", marked as the current page.
      const nav = page.getByRole('navigation', { name: 'Main' });
      assert.deepEqual(await nav.getByRole('link').allInnerTexts(),
                       ['Files', 'Shared with me', 'Shared by me', 'Trash', 'About']);
      assert.equal(await nav.getByRole('link', { name: 'Files' }).getAttribute('aria-current'),
                   'page');

      // Folder upload: progress rows show up, then every file is done.
      await page.locator('input.upload-folder-input').setInputFiles(top);
      const panel = page.getByRole('region', { name: 'Uploads' });
      // (Rows with a progress bar each; finished ones fold into a "3 done" line at once.)
      await panel.locator('li.upload progress').first().waitFor({ state: 'attached' });
      await panel.getByText('3 of 3 uploaded').waitFor({ timeout: 30000 });
      await row(page, 'Holiday 2026').waitFor();
      for (const [rel, bytes] of Object.entries(files)) {
        const r = await resolve(`/Holiday 2026/${rel}`);
        assert.equal(r.status, 200, `${rel}: ${JSON.stringify(r.body)}`);
        assert.equal(r.body.size, bytes.length, rel);
        assert.equal(r.body.checksum_sha256, sha256(bytes), rel);
      }

      // Navigate: folder links, breadcrumbs, the back button; the URL follows the folder.
      await row(page, 'Holiday 2026').locator('a.node-link').click();
      await row(page, 'day 1').waitFor();
      assert.equal(new URL(page.url()).pathname, '/files/Holiday%202026');
      await row(page, 'day 1').locator('a.node-link').click();
      await row(page, 'raw').waitFor();
      const crumbs = page.getByRole('navigation', { name: 'Breadcrumbs' });
      assert.deepEqual(await crumbs.getByRole('link').allInnerTexts(),
                       ['Files', 'Holiday 2026', 'day 1']);
      await page.goBack();
      await row(page, 'notes #1.txt').waitFor();
      await crumbs.getByRole('link', { name: 'Files' }).click();
      await row(page, 'Holiday 2026').waitFor();
      assert.equal(await crumbs.count(), 0);  // At the root the title alone says "Files".
      await page.goBack();
      await row(page, 'notes #1.txt').waitFor();
      assert.equal(new URL(page.url()).pathname, '/files/Holiday%202026');

      // Download a file: the same bytes come back.
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download notes #1.txt' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'notes #1.txt');
      assert.deepEqual(await readFile(await download.path()), files['notes #1.txt']);

      // Download a folder: a zip with the same files.
      const [zip] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download day 1' }).click(),
      ]);
      const listing = execFileSync('python3', ['-c', [
        'import sys, zipfile, hashlib',
        'z = zipfile.ZipFile(sys.argv[1])',
        'for n in sorted(z.namelist()):',
        '  if not n.endswith("/"): print(n, hashlib.sha256(z.read(n)).hexdigest())',
      ].join('\n'), await zip.path()], { encoding: 'utf8' });
      // The zip unpacks to the folder itself, as Dropbox's does.
      assert.match(listing, new RegExp(`^day 1/beach\\.bin ${sha256(files['day 1/beach.bin'])}`, 'm'));
      assert.match(listing, new RegExp(`^day 1/raw/IMG_0001\\.bin ${sha256(files['day 1/raw/IMG_0001.bin'])}`, 'm'));

      // Rename with the dialog.
      await row(page, 'notes #1.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Rename', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByLabel('New name').fill('packing list.txt');
      await dialog.getByRole('button', { name: 'Rename' }).click();
      await row(page, 'packing list.txt').waitFor();
      assert.equal((await resolve('/Holiday 2026/packing list.txt')).status, 200);
      assert.equal((await resolve('/Holiday 2026/notes #1.txt')).status, 404);

      // Delete: the row goes; "show deleted items" shows it greyed in this folder.
      await row(page, 'packing list.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).click();
      await page.getByText('Moved "packing list.txt" to the trash.').waitFor();
      await row(page, 'packing list.txt').waitFor({ state: 'detached' });
      await page.getByLabel('Show deleted items').check();
      const greyed = page.locator('tr.row-deleted', { hasText: 'packing list.txt' });
      await greyed.waitFor();
      assert.match(await greyed.innerText(), /purges in \d+ days/);

      // The trash page: where it came from, when it goes; restore says where it went.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Trash' })
          .click();
      const item = page.locator('.trash-list li', { hasText: 'packing list.txt' });
      await item.waitFor();
      assert.match(await item.innerText(), /from \/Holiday 2026/);
      assert.match(await item.innerText(), /Purges in 30 days/);
      await item.getByRole('button', { name: 'Restore packing list.txt to /Holiday 2026' }).click();
      await page.getByText('Restored "packing list.txt" to /Holiday 2026/packing list.txt.')
          .waitFor();
      await page.getByRole('link', { name: 'Open the folder' }).click();
      await row(page, 'packing list.txt').waitFor();
      assert.equal(new URL(page.url()).pathname, '/files/Holiday%202026');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('files dropped on the list upload into the folder; a row dragged onto a folder moves',
       async (t) => {
    if (skipReason) return t.skip(skipReason);
    const { context, page, problems } = await logIn();
    try {
      const mk = await call('POST', '/api/v1/nodes/root/folders', { path: 'Drop box' });
      assert.equal(mk.status, 201, JSON.stringify(mk.body));
      await page.reload();
      await row(page, 'Drop box').waitFor();
      // A synthesized drop: a DataTransfer with two files, as the desktop would hand over.
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['first dropped file\n'], 'dropped one.txt',
                              { type: 'text/plain', lastModified: Date.UTC(2019, 6, 14, 7, 30) }));
        dt.items.add(new File([new Uint8Array(4096).fill(7)], 'dropped two.bin'));
        // Over the tus threshold (16 MiB): a resumable upload keeps the date too.
        dt.items.add(new File([new Uint8Array(16 * 1024 * 1024 + 1)], 'dropped video.mp4',
                              { type: 'video/mp4', lastModified: Date.UTC(2018, 4, 1, 10, 0) }));
        const zone = document.querySelector('.drop-zone');
        zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await row(page, 'dropped one.txt').waitFor();
      await row(page, 'dropped two.bin').waitFor();
      const one = await resolve('/dropped one.txt');
      assert.equal(one.body.checksum_sha256, sha256(Buffer.from('first dropped file\n')));
      // It keeps its own date, as the desktop had it.
      assert.equal(one.body.modified_at, '2019-07-14T07:30:00.000Z');
      await row(page, 'dropped video.mp4').waitFor();
      const video = await resolve('/dropped video.mp4');
      assert.equal(video.body.size, 16 * 1024 * 1024 + 1);
      assert.equal(video.body.modified_at, '2018-05-01T10:00:00.000Z');

      // Drag the row onto the folder row.
      await row(page, 'dropped one.txt').dragTo(row(page, 'Drop box'));
      await page.getByText('Moved 1 item to').waitFor();
      assert.equal((await resolve('/Drop box/dropped one.txt')).status, 200);
      await row(page, 'dropped one.txt').waitFor({ state: 'detached' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a dropped folder tree is uploaded with its empty folders', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const { context, page, problems } = await logIn();
    try {
      // Chromium gives a synthesized drop no FileSystemEntry objects, so the drop carries
      // stand-ins with the same interface (webkitGetAsEntry, createReader, readEntries in
      // batches, file()) around real File objects; everything after the drop is the real thing.
      await page.evaluate(() => {
        const file = (name, text) => ({ name, isFile: true, isDirectory: false,
          file: (ok) => ok(new File([text], name)) });
        const dir = (name, children) => ({ name, isFile: false, isDirectory: true,
          createReader() {
            let calls = 0;
            return { readEntries(ok) {
              const batch = children.slice(calls * 2, calls * 2 + 2);  // Batches of 2.
              calls += 1;
              setTimeout(() => ok(batch), 0);
            } };
          } });
        const tree = dir('Dropped tree', [
          file('top.txt', 'top level\n'),
          dir('empty', []),
          dir('nested', [dir('also empty', []), file('deep.txt', 'deep down\n'),
                         dir('more', [file('x.txt', 'x\n')])]),
        ]);
        const dt = { types: ['Files'], files: [],
                     items: [{ kind: 'file', webkitGetAsEntry: () => tree, getAsFile: () => null }] };
        const zone = document.querySelector('.drop-zone');
        for (const type of ['dragover', 'drop']) {
          const e = new DragEvent(type, { bubbles: true, cancelable: true });
          Object.defineProperty(e, 'dataTransfer', { value: dt });
          zone.dispatchEvent(e);
        }
      });
      await page.getByRole('region', { name: 'Uploads' }).getByText(/^\d+ of \d+ uploaded$/)
          .waitFor();
      await row(page, 'Dropped tree').waitFor();
      await page.waitForFunction(() => !document.querySelector('.upload[data-state="uploading"], .upload[data-state="queued"]'));
      for (const p of ['/Dropped tree/empty', '/Dropped tree/nested/also empty']) {
        const r = await resolve(p);
        assert.equal(r.status, 200, p);
        assert.equal(r.body.type, 'folder', p);
      }
      const deep = await resolve('/Dropped tree/nested/more/x.txt');
      assert.equal(deep.body.checksum_sha256, sha256(Buffer.from('x\n')));
      assert.equal((await resolve('/Dropped tree/top.txt')).body.size, 10);
      assert.equal((await resolve('/Dropped tree/nested/deep.txt')).body.size, 10);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('sort, select all, copy and move with the folder picker, usage, delete forever',
       async (t) => {
    if (skipReason) return t.skip(skipReason);
    for (const folder of ['Projects', 'Archive']) {
      const r = await call('POST', '/api/v1/nodes/root/folders', { path: folder });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const report = Buffer.from('quarterly numbers\n'.repeat(500));
    const put = await fetch(`${server.url}/api/v1/nodes/root/content?path=report.txt`, {
      method: 'PUT', body: report,
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf },
    });
    assert.equal(put.status, 201);

    const { context, page, problems } = await logIn();
    try {
      await page.goto('/files');
      await row(page, 'report.txt').waitFor();
      // Sort by size (largest first), then back to names; the URL keeps the order.
      await page.getByRole('button', { name: 'Size' }).click();
      await page.locator('th[aria-sort="descending"]', { hasText: 'Size' }).waitFor();
      assert.match(page.url(), /\?sort=size&order=desc$/);
      await page.getByRole('button', { name: /^Name/ }).click();
      await page.locator('th[aria-sort="ascending"]', { hasText: 'Name' }).waitFor();

      // Ctrl+A selects every row; Escape clears.
      await row(page, 'report.txt').getByRole('checkbox').focus();
      await page.keyboard.press('Control+a');
      const total = await page.locator('table.file-table tr[data-id]').count();
      await page.getByText(`${total} selected`).waitFor();
      await page.keyboard.press('Escape');
      assert.equal(await page.locator('tr[data-id].selected').count(), 0);
      // Arrow keys move between rows; Shift+arrow selects as it goes.
      const names = await page.locator('table.file-table tr[data-id]').evaluateAll(
          (rows) => rows.map((r) => r.dataset.name));
      await row(page, names[0]).getByRole('checkbox').focus();
      await page.keyboard.press('ArrowDown');
      assert.equal(await page.evaluate(
          () => document.activeElement?.closest('tr[data-id]')?.dataset.name), names[1]);
      await page.keyboard.press('Shift+ArrowUp');
      await page.getByText('2 selected').waitFor();
      await page.keyboard.press('Escape');

      // Rename from the keyboard (Space, F2, Enter): focus comes back to the renamed row, not
      // to the top of the page; and back again.
      const focusedRowName = () => page.evaluate(
          () => document.activeElement?.closest('tr[data-id]')?.dataset.name ?? null);
      for (const [from, to] of [['report.txt', 'report-k.txt'], ['report-k.txt', 'report.txt']]) {
        await row(page, from).getByRole('checkbox').focus();
        if (!(await row(page, from).getByRole('checkbox').isChecked())) {
          await page.keyboard.press('Space');
        }
        await page.keyboard.press('F2');
        await page.getByRole('dialog').getByLabel('New name').fill(to);
        await page.keyboard.press('Enter');
        await page.getByText(`Renamed "${from}" to "${to}".`).waitFor();
        await row(page, to).waitFor();
        assert.equal(await focusedRowName(), to, `focus after renaming ${from}`);
      }
      await page.keyboard.press('Escape');

      // Copy with the picker, then move a second time onto the same name: the API's message.
      await row(page, 'report.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Copy', exact: true }).click();
      let dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Projects', exact: true }).click();
      await dialog.getByText('Target: /Projects').waitFor();
      await dialog.getByRole('button', { name: 'Copy here' }).click();
      await page.getByText('Copied 1 item to /Projects.').waitFor();
      const copy = await resolve('/Projects/report.txt');
      assert.equal(copy.body.checksum_sha256, sha256(report));

      await row(page, 'report.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Move', exact: true }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Projects', exact: true }).click();
      await dialog.getByText('Target: /Projects').waitFor();
      await dialog.getByRole('button', { name: 'Move here' }).click();
      const alert = page.locator('main .form-message[role="alert"]');
      await alert.waitFor();
      assert.match(await alert.innerText(), /^1 could not be moved: "report\.txt": \S/);
      assert.equal((await resolve('/report.txt')).status, 200, 'nothing moved');

      // Move into Archive works.
      await page.getByRole('button', { name: 'Move', exact: true }).click();
      dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Archive', exact: true }).click();
      await dialog.getByText('Target: /Archive').waitFor();
      await dialog.getByRole('button', { name: 'Move here' }).click();
      await page.getByText('Moved 1 item to /Archive.').waitFor();
      assert.equal((await resolve('/Archive/report.txt')).status, 200);
      // Focus is on a row of the list, not lost on the page (the Move button, disabled once
      // nothing is selected, let go of it).
      await page.waitForFunction(() => document.activeElement?.closest('tr[data-id]') !== null);

      // The usage chart: by top-level folder, trash and free.
      await page.getByRole('link', { name: 'What uses space?' }).click();
      await page.getByRole('heading', { name: 'Storage usage' }).waitFor();
      const byFolder = page.getByRole('table', { name: 'Usage by folder' });
      for (const label of ['Projects', 'Archive', 'Trash', 'Free']) {
        await byFolder.getByRole('rowheader', { name: label, exact: true }).waitFor();
      }
      assert.ok(await page.getByRole('img', { name: /^Files .* free / }).isVisible());

      // Delete, then delete forever from the trash, then empty it.
      await page.goto('/files/Archive');
      await row(page, 'report.txt').getByRole('checkbox').check();
      await page.keyboard.press('Delete');
      await page.keyboard.press('Enter');  // The dialog's first button: Move to trash.
      await page.getByText('Moved "report.txt" to the trash.').waitFor();
      // Focus stays in the file list after a delete (it moves there once the row is gone, which
      // may come a moment after the message on a busy machine).
      await page.waitForFunction(() => !!document.activeElement?.closest('table.file-table'),
                                 null, { timeout: 5000 });
      // An item deleted elsewhere (another tab, another device) while listed here: renaming it
      // says so, and its row goes.
      await page.goto('/files/Projects');
      await row(page, 'report.txt').waitFor();
      const gone = await call('DELETE', `/api/v1/nodes/${copy.body.id}`);
      assert.equal(gone.status, 200, JSON.stringify(gone.body));
      await row(page, 'report.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Rename', exact: true }).click();
      await page.getByRole('dialog').getByLabel('New name').fill('ghost.txt');
      await page.getByRole('dialog').getByRole('button', { name: 'Rename' }).click();
      await page.locator('main .form-message[role="alert"]').waitFor();
      await row(page, 'report.txt').waitFor({ state: 'detached' });
      assert.equal(await page.locator('tr[data-id].selected').count(), 0);
      await page.goto('/trash');
      await page.locator('.trash-list li').nth(1).waitFor();
      await page.getByRole('button', { name: 'Delete report.txt forever' }).first().click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete forever' }).click();
      await page.getByText('"report.txt" was deleted for good.').waitFor();
      // Focus goes to the same button of the item now in that place.
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
                   'Delete report.txt forever');
      await page.getByRole('button', { name: 'Empty trash' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete everything forever' })
          .click();
      await page.getByText('The trash is empty.', { exact: true }).first().waitFor();
      const trash = await call('GET', '/api/v1/trash');
      assert.deepEqual(trash.body.items, []);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a folder of 230 items lists 200 and loads the rest with "Load more"', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const mk = await call('POST', '/api/v1/nodes/root/folders', { path: 'Many' });
    assert.equal(mk.status, 201, JSON.stringify(mk.body));
    for (let i = 0; i < 230; i += 10) {
      await Promise.all(Array.from({ length: 10 }, async (_, j) => {
        const name = `item ${String(i + j).padStart(3, '0')}.txt`;
        const r = await fetch(`${server.url}/api/v1/nodes/${mk.body.id}/content?path=${
          encodeURIComponent(name)}`, { method: 'PUT', body: `${name}\n`,
          headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
        assert.equal(r.status, 201, name);
      }));
    }
    const { context, page, problems } = await logIn();
    try {
      await row(page, 'Many').locator('a.node-link').click();
      await row(page, 'item 000.txt').waitFor();
      assert.equal(await page.locator('table.file-table tr[data-id]').count(), 200);
      await page.getByRole('button', { name: 'Load more' }).click();
      await row(page, 'item 229.txt').waitFor();
      assert.equal(await page.locator('table.file-table tr[data-id]').count(), 230);
      assert.equal(await page.getByRole('button', { name: 'Load more' }).isVisible(), false);
      // Ticking the last row leaves the actions on the selection in sight: they stick to the
      // top of the window (on a desktop and on a phone).
      const bar = page.getByRole('toolbar', { name: 'File actions for the selected items' });
      for (const [width, height] of [[1280, 800], [390, 844]]) {
        await page.setViewportSize({ width, height });
        const last = row(page, 'item 229.txt').getByRole('checkbox');
        await last.scrollIntoViewIfNeeded();
        await last.check();
        await page.getByText('1 selected').waitFor();
        const box = await bar.boundingBox();
        assert.ok(box && box.y >= -1 && box.y + box.height <= height / 3,
                  `${width} px: the selection's toolbar is at ${JSON.stringify(box)}`);
        assert.ok(await bar.getByRole('button', { name: 'Delete' }).isEnabled());
        assert.ok(await page.evaluate(() => window.scrollY) > 2000, 'the page is scrolled down');
        await last.uncheck();
      }
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('search by name from the file browser: folders first, a file\'s folder one click away',
       async (t) => {
    if (skipReason) return t.skip(skipReason);
    const mk = await call('POST', '/api/v1/nodes/root/folders', { path: 'Searching/Invoices 2026' });
    assert.equal(mk.status, 201, JSON.stringify(mk.body));
    const put = await fetch(`${server.url}/api/v1/nodes/${mk.body.id}/content?path=${
      encodeURIComponent('invoice-042.pdf')}`, { method: 'PUT', body: 'pdf',
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
    assert.equal(put.status, 201);
    const { context, page, problems } = await logIn();
    try {
      const box = page.getByRole('search').getByRole('searchbox', { name: 'Search your files by name' });
      await box.fill('INVOICE');
      await box.press('Enter');
      await page.waitForURL(`${server.url}/search?q=INVOICE`);
      const results = page.getByRole('list', { name: 'Search results' });
      await results.getByRole('link', { name: 'invoice-042.pdf' }).waitFor();
      assert.deepEqual(await results.locator('a.node-link').allInnerTexts(),
                       ['Invoices 2026', 'invoice-042.pdf']);
      assert.equal(await page.title(), 'Search: INVOICE · Nimbus');
      // The file's folder is one click away; the search box is there again.
      await results.getByRole('listitem').filter({ hasText: 'invoice-042.pdf' })
          .getByRole('link', { name: '/Searching/Invoices 2026' }).click();
      await row(page, 'invoice-042.pdf').waitFor();
      await page.getByRole('searchbox', { name: 'Search your files by name' }).fill('no such name');
      await page.getByRole('search').getByRole('button', { name: 'Search' }).click();
      await page.getByText('Nothing in your files or shared with you is named like ' +
                           '"no such name".').waitFor();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('keys typed in the search box edit its text; a taken name asks replace or keep both',
       async (t) => {
    if (skipReason) return t.skip(skipReason);
    const put = (p, body) => fetch(`${server.url}/api/v1/nodes/root/content?path=${
      encodeURIComponent(p)}`, { method: 'PUT', body,
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
    assert.equal((await put('Keys/keep me.txt', 'old')).status, 201);
    const { context, page, problems } = await logIn();
    try {
      await row(page, 'Keys').locator('a.node-link').click();
      await row(page, 'keep me.txt').getByRole('checkbox').check();
      // Delete and F2 typed in the search box edit the text; they do not delete or rename the
      // ticked file.
      const box = page.getByRole('searchbox', { name: 'Search your files by name' });
      await box.fill('inv oice');
      for (let i = 0; i < 5; i += 1) await box.press('ArrowLeft');
      await box.press('Delete');
      await box.press('F2');
      assert.equal(await box.inputValue(), 'invoice');
      assert.equal(await page.getByRole('dialog').count(), 0, 'no dialog opened');
      assert.equal((await resolve('/Keys/keep me.txt')).status, 200);
      await box.fill('');

      // Uploading a name the folder holds asks first. Cancel sends nothing, and the panel's
      // summary says it was cancelled.
      const again = path.join(tmp, 'keep me.txt');
      await writeFile(again, 'new bytes');
      await page.locator('input.upload-files-input').setInputFiles(again);
      const ask = page.getByRole('dialog', { name: '"keep me.txt" already exists here' });
      await ask.getByRole('button', { name: 'Cancel' }).click();
      await ask.waitFor({ state: 'detached' });
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByRole('status').getByText('0 uploaded, 1 cancelled').waitFor();
      assert.equal((await resolve('/Keys/keep me.txt')).body.size, 3);
      // Keep both: the new file gets a free name, which its row in the panel says.
      await page.locator('input.upload-files-input').setInputFiles(again);
      await ask.getByRole('button', { name: 'Keep both' }).click();
      // Finished rows fold into one line; opened, it shows the new name.
      await panel.getByText('1 done, 1 cancelled (1 saved under a new name)').click();
      await panel.getByText('Done · 9 bytes · saved as "keep me (1).txt"').waitFor();
      await row(page, 'keep me (1).txt').waitFor();
      assert.equal((await resolve('/Keys/keep me.txt')).body.size, 3);
      // Replace: the same node gets the new bytes.
      await page.locator('input.upload-files-input').setInputFiles(again);
      await ask.getByRole('button', { name: 'Replace' }).click();
      await panel.getByText('2 uploaded, 1 cancelled').waitFor();
      const replaced = await resolve('/Keys/keep me.txt');
      assert.equal(replaced.body.size, 9);
      assert.equal(replaced.body.checksum_sha256, sha256(Buffer.from('new bytes')));
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('new folder and rename keep their dialog open on a refusal; a move to the same folder ' +
       'says so', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const mk = await call('POST', '/api/v1/nodes/root/folders', { path: 'Dialogs/my.folder.v2' });
    assert.equal(mk.status, 201, JSON.stringify(mk.body));
    const gone = await fetch(`${server.url}/api/v1/nodes/root/content?path=${
      encodeURIComponent('Dialogs/gone.txt')}`, { method: 'PUT', body: 'x',
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
    assert.equal(gone.status, 201);
    const { context, page, problems } = await logIn();
    try {
      await row(page, 'Dialogs').locator('a.node-link').click();
      await row(page, 'my.folder.v2').waitFor();
      // Download of a file deleted elsewhere meanwhile: said, and the list catches up.
      const goneId = (await gone.json()).id;
      assert.equal((await call('DELETE', `/api/v1/nodes/${goneId}`)).status, 200);
      await row(page, 'gone.txt').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Download', exact: true }).click();
      await page.getByText('"gone.txt" was deleted or moved elsewhere meanwhile; the list is ' +
                           'refreshed.').waitFor();
      await row(page, 'gone.txt').waitFor({ state: 'detached' });
      // New folder: a taken name and a name of spaces are said in the dialog, which stays.
      await page.getByRole('button', { name: 'New folder' }).click();
      const dialog = page.getByRole('dialog', { name: 'New folder' });
      await dialog.getByLabel('Folder name').fill('my.folder.v2');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.getByRole('alert').getByText('already exists').waitFor();
      assert.equal(await dialog.getByLabel('Folder name').inputValue(), 'my.folder.v2');
      await dialog.getByLabel('Folder name').fill('   ');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.getByRole('alert').getByText('Type a name for the folder.').waitFor();
      await dialog.getByLabel('Folder name').fill('fresh');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await row(page, 'fresh').waitFor();
      assert.equal(await page.getByRole('dialog').count(), 0);
      // Rename of a folder selects its whole name ("my.folder.v2" has no extension).
      await row(page, 'my.folder.v2').getByRole('checkbox').check();
      await page.keyboard.press('F2');
      const rename = page.getByRole('dialog', { name: 'Rename "my.folder.v2"' });
      const selected = await rename.getByLabel('New name').evaluate(
        (i) => i.value.slice(i.selectionStart, i.selectionEnd));
      assert.equal(selected, 'my.folder.v2');
      await rename.getByRole('button', { name: 'Cancel' }).click();
      // Move to the folder it is in: nothing moves, and the message says so.
      await page.getByRole('button', { name: 'Move', exact: true }).click();
      const picker = page.getByRole('dialog');
      await picker.getByRole('button', { name: 'Dialogs', exact: true }).click();
      await picker.getByText('Target: /Dialogs').waitFor();
      await picker.getByRole('button', { name: 'Move here' }).click();
      await page.getByText('"my.folder.v2" is already in /Dialogs.').waitFor();
      // Two items ticked download as one zip of them.
      await row(page, 'fresh').getByRole('checkbox').check();
      const [both] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download', exact: true }).click(),
      ]);
      assert.equal(both.suggestedFilename(), 'Dialogs (2 items).zip');
      const zipPath = path.join(tmp, 'two.zip');
      await both.saveAs(zipPath);
      const names = execFileSync('python3', ['-c',
        'import sys, zipfile; print(sorted(zipfile.ZipFile(sys.argv[1]).namelist()))', zipPath],
        { encoding: 'utf8' }).trim();
      assert.equal(names, "['fresh/', 'my.folder.v2/']");

      // The server out of reach: the new folder's dialog stays open with the name typed and
      // says so; once the server answers, Create makes it.
      await page.route('**/api/v1/nodes/*/folders', (route) => route.abort('connectionrefused'));
      await page.getByRole('button', { name: 'New folder' }).click();
      await dialog.getByLabel('Folder name').fill('made offline');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await dialog.getByRole('alert').getByText('Could not reach the server').waitFor();
      assert.equal(await dialog.getByLabel('Folder name').inputValue(), 'made offline');
      await page.unroute('**/api/v1/nodes/*/folders');
      await dialog.getByRole('button', { name: 'Create' }).click();
      await row(page, 'made offline').waitFor();
      // "Could not reach the server" of a failed action goes once a request gets through again
      // (here the look at the list when the window gets the focus back).
      await page.route('**/api/v1/nodes/*', (route) => route.abort('connectionrefused'));
      await row(page, 'fresh').getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Download', exact: true }).click();
      const offline = page.locator('main .form-message[role="alert"]');
      await offline.getByText('Could not reach the server').waitFor();
      await page.unroute('**/api/v1/nodes/*');
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await offline.waitFor({ state: 'hidden' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the file list fits a phone and a desktop screen: long names wrap, no sideways scrolling',
       async (t) => {
    if (skipReason) return t.skip(skipReason);
    const name = 'A rather long file name that has to wrap on a phone screen – résumé.txt';
    // 245 bytes without a space: it must wrap on a desktop screen too.
    const unbroken = `${'é'.repeat(120)}x.txt`;
    for (const n of [name, unbroken]) {
      const r = await fetch(`${server.url}/api/v1/nodes/root/content?path=${
        encodeURIComponent(`Phone/${n}`)}`, { method: 'PUT', body: 'x',
        headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
      assert.equal(r.status, 201);
    }
    const { context, page, problems } = await logIn();
    try {
      await page.setViewportSize({ width: 390, height: 800 });
      await row(page, 'Phone').locator('a.node-link').click();
      await row(page, name).waitFor();
      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth,
                                                  screen: window.innerWidth }));
      assert.ok(widths.page <= widths.screen, `page ${widths.page} px wide on a ${
        widths.screen} px screen`);
      // The name, the size and the actions (one "⋯" menu) stay visible; the date's column gives
      // way (the date shows under the name: a11y.test.mjs).
      await row(page, name).locator('a.node-link').waitFor({ state: 'visible' });
      assert.equal(await row(page, name).getByRole('button', { name: 'More actions for A rather' })
          .isVisible(), true);
      assert.equal(await row(page, name).locator('.col-modified').isVisible(), false);
      // A desktop screen: the unbroken name wraps, its row's actions stay on the screen.
      await page.setViewportSize({ width: 1280, height: 800 });
      const wide = await page.evaluate(() => ({ page: document.documentElement.scrollWidth,
                                                screen: window.innerWidth }));
      assert.ok(wide.page <= wide.screen, `page ${wide.page} px wide on a ${wide.screen} px screen`);
      const share = row(page, unbroken).getByRole('button', { name: 'Share' });
      const box = await share.boundingBox();
      assert.ok(box && box.x + box.width <= wide.screen, 'Share of the long name is on the screen');
      // Inside a folder whose name has no space: its heading and breadcrumb wrap, and so does
      // the title of the delete dialog.
      const folderName = 'F'.repeat(200);
      const mk = await call('POST', '/api/v1/nodes/root/folders', { path: `Phone/${folderName}/in` });
      assert.equal(mk.status, 201, JSON.stringify(mk.body));
      await page.reload();
      await row(page, folderName).locator('a.node-link').click();
      await row(page, 'in').waitFor();
      for (const width of [390, 1280]) {
        await page.setViewportSize({ width, height: 800 });
        const w = await page.evaluate(() => document.documentElement.scrollWidth);
        assert.ok(w <= width, `inside the long-named folder: page ${w} px wide on ${width} px`);
      }
      await page.goBack();
      await row(page, folderName).getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      const fits = await dialog.evaluate((d) => d.scrollWidth <= d.clientWidth);
      assert.ok(fits, 'the delete dialog\'s title wraps inside the dialog');
      await dialog.getByRole('button', { name: 'Cancel' }).click();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('on a phone a row\'s actions are one "⋯" menu; names and badges do not split; the ' +
       'same menu on a desktop', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const spaced = 'Summer holiday photos from the beach at Saint-Malo 2026.jpg';
    const ids = {};
    for (const n of ['IMG_0001.jpg', spaced]) {
      const r = await fetch(`${server.url}/api/v1/nodes/root/content?path=${
        encodeURIComponent(`Rows/${n}`)}`, { method: 'PUT', body: `bytes of ${n}`,
        headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
      assert.equal(r.status, 201);
      ids[n] = (await r.json()).id;
    }
    // A public link makes the photo "Shared" (its badge).
    const link = await call('POST', '/api/v1/links', { node_id: ids['IMG_0001.jpg'] });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const { context, page, problems } = await logIn();
    try {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto('/files/Rows');
      const img = row(page, 'IMG_0001.jpg');
      await img.locator('.badge-shared').waitFor();
      // Share and Download give way to one menu button.
      assert.equal(await img.getByRole('button', { name: 'Share IMG_0001.jpg' }).isVisible(), false);
      assert.equal(await img.getByRole('link', { name: 'Download IMG_0001.jpg' }).isVisible(),
                   false);
      const more = img.getByRole('button', { name: 'More actions for IMG_0001.jpg' });
      assert.ok(await more.isVisible());
      // Each word of a name, and the badge, on one line (a name wraps between its words).
      const splitWords = (tr) => tr.evaluate((el) => {
        const split = [];
        for (const node of [el.querySelector('a.node-link'), el.querySelector('.badge')]) {
          const text = [...(node?.childNodes ?? [])].find((n) => n.nodeType === Node.TEXT_NODE);
          if (!text) continue;
          let at = 0;
          for (const word of text.data.split(' ')) {
            const range = document.createRange();
            range.setStart(text, at);
            range.setEnd(text, at + word.length);
            if (range.getClientRects().length > 1) split.push(word);
            at += word.length + 1;
          }
        }
        return split;
      });
      assert.deepEqual(await splitWords(img), []);
      assert.deepEqual(await splitWords(row(page, spaced)), []);

      // The menu: its entries, the arrow keys, Escape (focus back on the button), a click
      // elsewhere.
      await more.click();
      const menu = page.getByRole('menu', { name: 'Actions for IMG_0001.jpg' });
      assert.deepEqual(await menu.getByRole('menuitem').allInnerTexts(),
                       ['Open', 'Download', 'Share', 'Rename', 'Move', 'Copy', 'Delete']);
      const focused = () => page.evaluate(() => document.activeElement?.textContent);
      assert.equal(await focused(), 'Open');
      await page.keyboard.press('ArrowDown');
      assert.equal(await focused(), 'Download');
      await page.keyboard.press('End');
      assert.equal(await focused(), 'Delete');
      const sheet = await menu.boundingBox();
      assert.ok(sheet.x >= 0 && sheet.x + sheet.width <= 390 && sheet.y + sheet.height <= 844,
                `the menu is on the screen: ${JSON.stringify(sheet)}`);
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'detached' });
      assert.equal(await more.getAttribute('aria-expanded'), 'false');
      assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')),
                   'More actions for IMG_0001.jpg');
      assert.equal(await page.locator('tr[data-id].selected').count(), 0);
      await more.click();
      await page.locator('main h1').click();
      await menu.waitFor({ state: 'detached' });
      // Download and Rename from the menu, no box ticked.
      await more.click();
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        menu.getByRole('menuitem', { name: 'Download' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'IMG_0001.jpg');
      await more.click();
      await menu.getByRole('menuitem', { name: 'Rename' }).click();
      const rename = page.getByRole('dialog', { name: 'Rename "IMG_0001.jpg"' });
      await rename.getByLabel('New name').fill('IMG_0001 beach.jpg');
      await rename.getByRole('button', { name: 'Rename' }).click();
      await row(page, 'IMG_0001 beach.jpg').waitFor();

      // A desktop keeps Share and Download in the row, and has the same menu: Delete there.
      await page.setViewportSize({ width: 1280, height: 800 });
      const other = row(page, spaced);
      assert.ok(await other.getByRole('link', { name: `Download ${spaced}` }).isVisible());
      await other.getByRole('button', { name: `More actions for ${spaced}` }).click();
      await page.getByRole('menu').getByRole('menuitem', { name: 'Delete' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Move to trash' }).click();
      await page.getByText(`Moved "${spaced}" to the trash.`).waitFor();
      await other.waitFor({ state: 'detached' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('space for some files only: the person may send those that fit, the rest are named; ' +
       'when none fits, nothing is sent', async (t) => {
    if (skipReason) return t.skip(skipReason);
    const big = path.join(tmp, 'Too big');
    await mkdir(big, { recursive: true });
    await writeFile(path.join(big, 'small.txt'), 'tiny\n');
    await writeFile(path.join(big, 'huge.bin'), '');
    await truncate(path.join(big, 'huge.bin'), 2 * 1024 ** 3);  // Sparse: no disk used.

    const { context, page, problems } = await logIn();
    try {
      const sent = [];
      page.on('request', (r) => {
        if (r.method() !== 'GET') sent.push(`${r.method()} ${r.url()}`);
      });
      const me = await call('GET', '/api/v1/me');
      const { quota_bytes: quota, used_bytes: used, trash_bytes: trash } = me.body.usage;
      assert.ok(2 * 1024 ** 3 > quota - used - trash, 'the test file must not fit');
      // One of the two fits: asked first; Cancel sends nothing.
      await page.locator('input.upload-folder-input').setInputFiles(big);
      const ask = page.getByRole('dialog', { name: 'Not enough free space for all of them' });
      await ask.waitFor();
      assert.match(await ask.locator('p').first().innerText(), new RegExp(
        '^This folder needs 2\\.0 GB but only [\\d.]+ (MB|GB|KB|bytes) is free\\. 1 of the 2 ' +
        'files fit \\(5 bytes\\); left out for lack of space: "Too big/huge\\.bin" \\(2\\.0 GB\\)\\.'));
      await ask.getByRole('button', { name: 'Cancel' }).click();
      await ask.waitFor({ state: 'detached' });
      assert.deepEqual(sent, [], 'no upload request was made');
      assert.equal((await resolve('/Too big')).status, 404);
      // Again: the file that fits goes up, the page names the one left out and why.
      await page.locator('input.upload-folder-input').setInputFiles(big);
      await ask.getByRole('button', { name: 'Upload the 1 file that fits (5 bytes)' }).click();
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded').waitFor();
      const alert = page.locator('main .form-message[role="alert"]');
      assert.match(await alert.innerText(),
                   /^Not uploaded, for lack of free space: "Too big\/huge\.bin" \(2\.0 GB\)\./);
      assert.equal((await resolve('/Too big/small.txt')).body.size, 5);
      assert.equal((await resolve('/Too big/huge.bin')).status, 404);
      // Nothing fits: nothing sent; the file is named (picked from a phone's gallery, which
      // one was it?) and the way out is the same as for the files left out above.
      sent.length = 0;
      await page.locator('input.upload-files-input').setInputFiles(path.join(big, 'huge.bin'));
      await alert.getByText(new RegExp(
        '^"huge\\.bin" needs 2\\.0 GB but only [\\d.]+ (MB|GB|KB|bytes) is free\\. Free up ' +
        'some space \\(empty the trash, delete files\\) or change your plan, then upload it ' +
        'again\\.$')).waitFor();
      assert.deepEqual(sent, [], 'no upload request was made');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a large file goes up with tus and resumes after a dropped connection and a reload',
       async (t) => {
    if (skipReason) return t.skip(skipReason);
    const bytes = randomBytes(20 * 1024 * 1024 + 12345);  // Above the 16 MiB threshold.
    const file = path.join(tmp, 'big video.bin');
    await writeFile(file, bytes);

    const { context, page, problems } = await logIn();
    try {
      // Cut the connection of the second chunk once (the browser sees a network error).
      const patches = [];
      let cut = false;
      await page.route('**/api/v1/uploads/**', async (route) => {
        const req = route.request();
        if (req.method() === 'PATCH') {
          patches.push(Number(req.headers()['upload-offset']));
          if (patches.length === 2 && !cut) {
            cut = true;
            return route.abort('connectionreset');
          }
        }
        return route.continue();
      });
      await page.locator('input.upload-files-input').setInputFiles(file);
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByText('1 of 1 uploaded').waitFor({ timeout: 60000 });
      assert.ok(cut, 'a chunk was cut');
      // The chunks start small (256 KiB) and grow with the speed measured; the cut one is sent
      // again from the server's offset.
      assert.deepEqual(patches.slice(0, 3), [0, 262144, 262144],
                       'the cut chunk is sent again from the server\'s offset');
      assert.ok(patches.every((o, i) => !i || o - patches[i - 1] <= 8388608), `${patches}`);
      const node = await resolve('/big video.bin');
      assert.equal(node.body.size, bytes.length);
      assert.equal(node.body.checksum_sha256, sha256(bytes));
      await page.unroute('**/api/v1/uploads/**');

      // After a page reload: the upload is remembered; choosing the file again resumes it.
      // Leaving while it runs asks first (accepted here); once it only waits to be resumed, or
      // is done, leaving asks nothing.
      const prompts = [];
      page.on('dialog', (d) => {
        prompts.push(d.type());
        d.accept().catch(() => {});
      });
      const again = path.join(tmp, 'second video.bin');
      await writeFile(again, bytes);
      const offsets = [];
      let reloaded = false;
      await page.route('**/api/v1/uploads/**', async (route) => {
        const req = route.request();
        if (req.method() === 'PATCH') {
          offsets.push(Number(req.headers()['upload-offset']));
          if (offsets.length === 2 && !reloaded) {
            reloaded = true;
            await route.abort('connectionreset');
            await page.reload();
            return undefined;
          }
        }
        return route.continue();
      });
      await page.locator('input.upload-files-input').setInputFiles(again);
      await page.waitForFunction(() => document.readyState === 'complete' &&
                                       document.querySelector('.upload-resumable li'));
      // Listed with where it goes, how far it got, and how to continue.
      assert.match(await page.locator('.upload-resumable').innerText(),
                   /second video\.bin\s+to \/second video\.bin\s+256 KB of \d+(\.\d)? MB sent .*choose the same file again/);
      assert.deepEqual(prompts, ['beforeunload'], 'the reload during the upload asked first');
      await page.reload();
      await page.locator('.upload-resumable li').waitFor();
      await page.locator('input.upload-files-input').setInputFiles(again);
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
          .waitFor({ timeout: 60000 });
      assert.equal(offsets[2], 262144, `resumed at the first chunk's end: ${offsets}`);
      const second = await resolve('/second video.bin');
      assert.equal(second.body.checksum_sha256, sha256(bytes));
      await page.reload();
      await page.locator('section.files-page').waitFor();
      assert.deepEqual(prompts, ['beforeunload'], 'no question once nothing runs');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
