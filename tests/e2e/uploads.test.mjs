// Uploads in a real browser against the real server: a folder uploaded again asks once what to
// do with the files that exist (Skip leaves them alone, Replace replaces them); a single file
// whose name is taken asks even when its row is not among those loaded; each file goes into
// its folder by id, so a folder renamed during the upload keeps receiving them; a folder
// deleted during the upload stops the rest, told in one sentence; a lost connection is waited
// out; unfinished resumable uploads are listed on the usage page and can be discarded. A folder
// dropped again sends (and counts against the free space) only what is not there yet; an NFD
// name is not "saved under a new name"; refused names make one notice with the bad characters
// shown; "Upload folder" says that empty folders are left out. The panel's counters agree with
// each other; Retry is offered only for failures that sending again may change.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// 4xx answers are expected here (409 name_taken, 404 of a deleted folder), and network errors
// while offline.
const kExpected = /Failed to load resource: (the server responded with a status of 4\d\d|net::ERR_)/;
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const b64 = (text) => Buffer.from(text).toString('base64');

describe('uploads', () => {
  let server;
  let browser;
  let tmp;
  let api;
  const user = { email: `uploads-${process.pid}@example.com`,
                 password: 'a long enough passphrase 7', name: 'Ulla Uploads' };

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    tmp = await mkdtemp(path.join(tmpdir(), 'nimbus-uploads-e2e-'));
    await apiSignup(server.url, user);
    const login = await apiLogin(server.url, user.email, user.password);
    api = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const call = (method, p, body) => apiCall(server.url, method, p, { ...api, body });
  const resolve = (p) => call('GET', `/api/v1/resolve?path=${encodeURIComponent(p)}`);
  const putFile = (folderId, name, body) => fetch(`${server.url}/api/v1/nodes/${folderId}/content?${
    new URLSearchParams({ path: name })}`, { method: 'PUT', body,
    headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
  const mkdirApi = async (p) => {
    const r = await call('POST', '/api/v1/nodes/root/folders', { path: p });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const children = async (id) => (await call('GET', `/api/v1/nodes/${id}/children?limit=1000`))
      .body.items.map((n) => n.name).sort();
  // A folder tree on disk: { 'a.txt': 'text', 'sub/b.txt': … }.
  const tree = async (root, files) => {
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
      await writeFile(path.join(root, rel), text);
    }
    return root;
  };
  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
  const settled = (page) => page.waitForFunction(() => !document.querySelector(
    '.upload[data-state="uploading"], .upload[data-state="queued"], .upload[data-state="conflict"]'),
  null, { timeout: 60000 });
  const openFolder = async (page, p) => {
    await page.goto(`/files/${p.split('/').map(encodeURIComponent).join('/')}`);
    await page.locator('section.files-page').waitFor();
  };
  // Holds every file PUT for `ms` (so an upload runs long enough to act during it); records URLs.
  const slowPuts = async (page, ms, urls = []) => {
    await page.route('**/api/v1/nodes/*/content?*', async (route) => {
      if (route.request().method() === 'PUT') urls.push(new URL(route.request().url()));
      await sleep(ms);
      await route.continue().catch(() => {});
    });
    return urls;
  };

  test('a folder uploaded again asks once: Skip keeps the old files, Replace replaces them',
       async () => {
    const parent = await mkdirApi('Again');
    const src = await tree(path.join(tmp, 'again-1', 'Conf'),
                           { 'a.txt': 'old a\n', 'b.txt': 'old b\n', 'sub/c.txt': 'old c\n' });
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Again');
      await page.locator('input.upload-folder-input').setInputFiles(src);
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByText('3 of 3 uploaded').waitFor();
      // The same folder with new contents and one new file.
      const again = await tree(path.join(tmp, 'again-2', 'Conf'),
                               { 'a.txt': 'new a!\n', 'b.txt': 'new b!\n', 'sub/c.txt': 'new c!\n',
                                 'sub/d.txt': 'brand new\n' });
      await page.locator('input.upload-folder-input').setInputFiles(again);
      const ask = page.getByRole('dialog');
      await ask.getByText(/already exists/).first().waitFor();
      // The question is for the whole upload: its count grows to every file that exists.
      await ask.getByText('Do this for all 3 conflicts').waitFor();
      assert.equal(await ask.getByRole('checkbox').isChecked(), true);
      await ask.getByRole('button', { name: 'Skip' }).click();
      await settled(page);
      await panel.getByText('4 uploaded, 3 skipped').waitFor();
      assert.equal(await page.getByRole('dialog').count(), 0, 'asked once');
      const conf = (await resolve('/Again/Conf')).body;
      assert.deepEqual(await children(conf.id), ['a.txt', 'b.txt', 'sub']);
      assert.equal((await resolve('/Again/Conf/a.txt')).body.checksum_sha256,
                   sha256(Buffer.from('old a\n')));
      assert.equal((await resolve('/Again/Conf/sub/c.txt')).body.checksum_sha256,
                   sha256(Buffer.from('old c\n')));
      assert.equal((await resolve('/Again/Conf/sub/d.txt')).status, 200, 'the new file went up');

      // Again, now Replace: the same nodes get the new bytes; no "a (1).txt" copies. The file
      // sent last time (same size and date) is already there: not asked about, not sent.
      await page.locator('input.upload-folder-input').setInputFiles(again);
      await ask.getByText('Do this for all 3 conflicts').waitFor();
      await ask.getByRole('button', { name: 'Replace' }).click();
      await settled(page);
      await panel.getByText('7 uploaded, 3 skipped, 1 already there').waitFor();
      assert.deepEqual(await children(conf.id), ['a.txt', 'b.txt', 'sub']);
      for (const [rel, text] of [['a.txt', 'new a!\n'], ['b.txt', 'new b!\n'],
                                 ['sub/c.txt', 'new c!\n']]) {
        const node = (await resolve(`/Again/Conf/${rel}`)).body;
        assert.equal(node.checksum_sha256, sha256(Buffer.from(text)), rel);
      }
      assert.equal(parent.name, 'Again');
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a taken name asks even when its row is not loaded (250 files, 200 rows shown)',
       async () => {
    const big = await mkdirApi('Big');
    for (let i = 0; i < 250; i += 25) {
      await Promise.all(Array.from({ length: 25 }, async (_, j) => {
        const name = `file${String(i + j).padStart(3, '0')}.txt`;
        assert.equal((await putFile(big.id, name, `${name}\n`)).status, 201, name);
      }));
    }
    const local = path.join(tmp, 'file249.txt');
    // Another size than the file there: a file of the same size and date is "already there".
    await writeFile(local, 'a replacement\n');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Big');
      await row(page, 'file000.txt').waitFor();
      assert.equal(await row(page, 'file249.txt').count(), 0, 'not among the loaded rows');
      await page.locator('input.upload-files-input').setInputFiles(local);
      const ask = page.getByRole('dialog', { name: '"file249.txt" already exists here' });
      await ask.waitFor();
      // One file: no "for all" box; Cancel sends nothing more, and the summary says it was
      // cancelled (it does not just vanish from the count).
      assert.equal(await ask.getByRole('checkbox').isVisible(), false);
      await ask.getByRole('button', { name: 'Cancel' }).click();
      await ask.waitFor({ state: 'detached' });
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByRole('status').getByText('0 uploaded, 1 cancelled').waitFor();
      assert.equal((await resolve('/Big/file249.txt')).body.size, 'file249.txt\n'.length);
      // Keep both: the new file gets a free name, which its row says.
      await page.locator('input.upload-files-input').setInputFiles(local);
      await ask.getByRole('button', { name: 'Keep both' }).click();
      await panel.getByText('1 uploaded, 1 cancelled').waitFor();
      await panel.getByText('1 done, 1 cancelled (1 saved under a new name)').click();
      await panel.getByText('Done · 14 bytes · saved as "file249 (1).txt"').waitFor();
      assert.equal((await resolve('/Big/file249 (1).txt')).body.checksum_sha256,
                   sha256(Buffer.from('a replacement\n')));
      // Replace, which says plainly that the current file is gone for good.
      await page.locator('input.upload-files-input').setInputFiles(local);
      await ask.getByText('Replace overwrites the current file for good: it cannot be recovered',
                          { exact: false }).waitFor();
      await ask.getByRole('button', { name: 'Replace (the current file is overwritten for good)',
                                      exact: true }).click();
      await panel.getByText('2 uploaded, 1 cancelled').waitFor();
      assert.equal((await resolve('/Big/file249.txt')).body.checksum_sha256,
                   sha256(Buffer.from('a replacement\n')));
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('files go into their folder by id: a folder renamed during the upload gets them all',
       async () => {
    await mkdirApi('Renames');
    const files = {};
    for (let i = 0; i < 12; i += 1) files[`part ${i % 2}/f${String(i).padStart(2, '0')}.txt`] = `${i}\n`;
    const src = await tree(path.join(tmp, 'renames', 'Moving'), files);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Renames');
      const urls = await slowPuts(page, 300);
      await page.locator('input.upload-folder-input').setInputFiles(src);
      const panel = page.getByRole('region', { name: 'Uploads' });
      await page.waitForFunction(() => /^[1-9]\d* of 12 uploaded/.test(
        document.querySelector('.upload-summary')?.textContent ?? ''));
      const moving = (await resolve('/Renames/Moving')).body;
      const renamed = await call('PATCH', `/api/v1/nodes/${moving.id}`, { name: 'Renamed' });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
      await panel.getByText('12 of 12 uploaded').waitFor({ timeout: 60000 });
      // Every file is in the renamed folder; no folder of the old name came back.
      assert.deepEqual(await children((await resolve('/Renames')).body.id), ['Renamed']);
      for (const part of ['part 0', 'part 1']) {
        const folder = (await resolve(`/Renames/Renamed/${part}`)).body;
        assert.equal((await children(folder.id)).length, 6, part);
      }
      // Each PUT names the file's folder by id and the file by its name alone.
      const part0 = (await resolve('/Renames/Renamed/part 0')).body.id;
      const part1 = (await resolve('/Renames/Renamed/part 1')).body.id;
      assert.equal(urls.length, 12);
      for (const url of urls) {
        const folderId = decodeURIComponent(url.pathname.split('/')[4]);
        assert.ok([part0, part1].includes(folderId), url.pathname);
        assert.match(url.searchParams.get('path'), /^f\d\d\.txt$/);
      }
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a folder deleted during the upload: one sentence, the rest not sent, failures counted',
       async () => {
    const target = await mkdirApi('Doomed');
    const files = {};
    for (let i = 0; i < 30; i += 1) files[`f${String(i).padStart(2, '0')}.txt`] = `${i}\n`;
    const src = await tree(path.join(tmp, 'doomed', 'Lots'), files);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Doomed');
      const urls = await slowPuts(page, 300);
      await page.locator('input.upload-folder-input').setInputFiles(src);
      await page.waitForFunction(() => /^[1-9]\d* of 30 uploaded/.test(
        document.querySelector('.upload-summary')?.textContent ?? ''));
      assert.equal((await call('DELETE', `/api/v1/nodes/${target.id}`)).status, 200);
      await settled(page);
      const panel = page.getByRole('region', { name: 'Uploads' });
      const notice = panel.locator('.upload-failure');
      await notice.waitFor();
      assert.equal(await notice.count(), 1, 'one notice for one cause');
      const summary = await panel.locator('.upload-summary').innerText();
      const [, done, failed] = /^(\d+) uploaded, (\d+) failed$/.exec(summary) ?? [];
      assert.ok(done && failed, summary);
      assert.equal(Number(done) + Number(failed), 30);
      // "Upload again" makes the folder again where it was (family2.test.mjs sends them).
      assert.equal(await notice.locator('p').first().innerText(),
                   `The folder "Doomed" was deleted while uploading: ${failed} files were not ` +
                   'uploaded. Upload again to make /Doomed again and send them there.');
      // Only the files in flight when it went were sent after it; the rest were not.
      assert.ok(urls.length <= Number(done) + 3 + 3, `${urls.length} PUTs for ${done} done`);
      await notice.getByRole('button', { name: 'Clear' }).click();
      await notice.waitFor({ state: 'detached' });
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('offline: the upload waits for the connection and goes on once it is back',
       async () => {
    const local = path.join(tmp, 'while offline.txt');
    await writeFile(local, 'sent after the outage\n');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await slowPuts(page, 1000);
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: 'while offline.txt' });
      await item.locator('.upload-status', { hasText: /of/ }).waitFor();
      await context.setOffline(true);
      await item.getByText('Waiting for the connection…').waitFor({ timeout: 15000 });
      await item.getByRole('button', { name: 'Retry upload of while offline.txt now' }).waitFor();
      await sleep(1500);
      assert.equal(await item.getAttribute('data-state'), 'uploading', 'it did not give up');
      await context.setOffline(false);
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
          .waitFor({ timeout: 15000 });
      assert.equal((await resolve('/while offline.txt')).body.size, 22);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a dropped connection: the countdown ticks and "Retry now" sends at once', async () => {
    const local = path.join(tmp, 'flaky.txt');
    await writeFile(local, 'third time lucky\n');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      let tries = 0;
      await page.route('**/api/v1/nodes/*/content?*', async (route) => {
        tries += 1;
        if (tries <= 3) return route.abort('connectionreset');
        return route.continue();
      });
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: 'flaky.txt' });
      // Pauses of 1, 2, then 4 s: the last counts down second by second.
      const status = item.locator('.upload-status');
      await status.getByText('Connection lost; retrying in 4 s…').waitFor();
      await status.getByText('Connection lost; retrying in 3 s…').waitFor();
      await item.getByRole('button', { name: 'Retry upload of flaky.txt now' }).click();
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
          .waitFor({ timeout: 2500 });
      assert.equal(tries, 4);
      assert.equal((await resolve('/flaky.txt')).body.checksum_sha256,
                   sha256(Buffer.from('third time lucky\n')));
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('an answer lost after the server saved the file: no conflict with itself, no copy',
       async () => {
    const local = path.join(tmp, 'answer lost.txt');
    const text = 'saved, but the answer never came back\n';
    await writeFile(local, text);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      let puts = 0;
      await page.route('**/api/v1/nodes/*/content?*', async (route) => {
        if (route.request().method() !== 'PUT') return route.continue();
        puts += 1;
        if (puts > 1) return route.continue();
        // The server gets the whole body and saves the file; the browser never sees the answer.
        // (Playwright does not pass an XHR's File body on: the same bytes are given here.)
        const saved = await route.fetch({ postData: Buffer.from(text) });
        assert.equal(saved.status(), 201);
        return route.abort('connectionreset');
      });
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: 'answer lost.txt' });
      await item.getByRole('button', { name: 'Retry upload of answer lost.txt now' }).click();
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
          .waitFor({ timeout: 5000 });
      // No conflict was asked, the file was not sent again and no "(1)" copy was made.
      assert.equal(await page.locator('.upload[data-state="conflict"]').count(), 0);
      assert.equal(puts, 1);
      const names = await children((await resolve('/')).body.id);
      assert.ok(names.includes('answer lost.txt'));
      assert.ok(!names.includes('answer lost (1).txt'), names.join(', '));
      assert.equal((await resolve('/answer lost.txt')).body.checksum_sha256,
                   sha256(Buffer.from(text)));
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('two tabs send the same big file to one folder: one waits, both end well, one file',
       async () => {
    const local = path.join(tmp, 'scan.tiff');
    const bytes = randomBytes(17 * 1024 * 1024);  // Over 16 MiB: a resumable (tus) upload.
    await writeFile(local, bytes);
    await mkdirApi('Two tabs');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      const other = await context.newPage();  // The same browser: one storage, one lock manager.
      for (const tab of [page, other]) {
        await openFolder(tab, 'Two tabs');
        // Slow chunks, so that both tabs are at it together.
        await tab.route('**/api/v1/uploads/**', async (route) => {
          await sleep(400);
          await route.continue().catch(() => {});
        });
      }
      await page.locator('input.upload-files-input').setInputFiles(local);
      await other.locator('input.upload-files-input').setInputFiles(local);
      const waiting = (tab) => tab.locator('.upload-list .upload', { hasText: 'scan.tiff' })
          .getByText('Waiting: another tab is uploading this file to the same place…').waitFor();
      await Promise.any([waiting(page), waiting(other)]);
      for (const tab of [page, other]) {
        await tab.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
            .waitFor({ timeout: 60000 });
        assert.equal(await tab.locator('.upload[data-state="conflict"]').count(), 0);
      }
      const folder = (await resolve('/Two tabs')).body;
      assert.deepEqual(await children(folder.id), ['scan.tiff']);
      assert.equal((await resolve('/Two tabs/scan.tiff')).body.checksum_sha256, sha256(bytes));
      assert.deepEqual((await call('GET', '/api/v1/uploads')).body.uploads, []);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a folder of many files lists 50 waiting rows and one line for the rest', async () => {
    const files = {};
    for (let i = 0; i < 80; i += 1) files[`Many/f${String(i).padStart(2, '0')}.txt`] = `n${i}\n`;
    const src = await tree(path.join(tmp, 'many'), files);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await slowPuts(page, 300);
      // The counters as the page shows them after each change, to compare with each other.
      await page.evaluate(() => {
        window.__counts = [];
        const text = (sel) => {
          const el = document.querySelector(sel);
          return el && !el.hidden && !el.closest('[hidden]') ? el.textContent : '';
        };
        new MutationObserver(() => window.__counts.push({
          summary: text('.upload-summary'), finished: text('.upload-finished summary'),
          more: text('.upload-more'),
        })).observe(document.body, { subtree: true, childList: true, characterData: true });
      });
      await page.locator('input.upload-folder-input').setInputFiles(path.join(src, 'Many'));
      const panel = page.getByRole('region', { name: 'Uploads' });
      // 80 files, 3 at a time: 50 waiting rows at most, the others told in one line.
      await panel.getByText(/^\d+ more files waiting$/).waitFor();
      const waiting = await page.locator('.upload-list .upload[data-state="queued"]').count();
      assert.ok(waiting <= 50, `${waiting} waiting rows`);
      await panel.getByText('80 of 80 uploaded').waitFor({ timeout: 60000 });
      assert.equal(await panel.getByText(/more files? waiting/).count(), 0);
      // Every state shown agrees with itself: "N of 80 uploaded · S sending, W waiting" with
      // N + S + W = 80, "N done" below, and no more files waiting than are in progress (QA saw
      // "294 of 300 uploaded · 6 in progress" beside "270 done").
      const counts = await page.evaluate(() => window.__counts);
      let compared = 0;
      for (const c of counts) {
        const m = /^(\d+) of 80 uploaded(?: · (?:(\d+) sending)?(?:, )?(?:(\d+) waiting)?)?$/
            .exec(c.summary);
        if (!m) continue;
        const [done, active] = [Number(m[1]), Number(m[2] ?? 0) + Number(m[3] ?? 0)];
        assert.equal(done + active, 80, JSON.stringify(c));
        if (c.finished) assert.equal(c.finished, `${done} done`, JSON.stringify(c));
        const more = /^(\d+) more files? waiting$/.exec(c.more);
        if (more) assert.ok(Number(more[1]) <= active, JSON.stringify(c));
        compared += c.finished ? 1 : 0;
      }
      assert.ok(compared > 10, `${compared} states compared`);
      const folder = (await resolve('/Many')).body;
      assert.equal((await children(folder.id)).length, 80);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('an unfinished upload shows on the usage page; Discard frees its space', async () => {
    const folder = await mkdirApi('Later');
    const size = 40 * 1024 * 1024;
    const created = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Length': String(size),
                 'Upload-Metadata': `parent_id ${b64(folder.id)},path ${b64('movie.mkv')},` +
                                    `on_conflict ${b64('fail')}` },
    });
    assert.equal(created.status, 201, await created.text());
    const location = created.headers.get('Location');
    const patched = await fetch(`${server.url}${location}`, {
      method: 'PATCH', body: Buffer.alloc(1024 * 1024, 7),
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' },
    });
    assert.equal(patched.status, 204, await patched.text());
    assert.equal((await call('GET', '/api/v1/me')).body.usage.reserved_bytes, size);

    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      // The file browser's panel lists it too, with its folder and a Discard button.
      const notice = page.locator('.upload-resumable');
      await notice.getByText('to /Later/movie.mkv').waitFor();
      await notice.getByRole('button', { name: 'Discard movie.mkv' }).waitFor();

      await page.goto('/usage');
      const list = page.getByRole('list', { name: 'Unfinished uploads' });
      const item = list.getByRole('listitem').filter({ hasText: 'movie.mkv' });
      await item.waitFor();
      assert.match(await item.innerText(), /to \/Later\/movie\.mkv/);
      assert.match(await item.innerText(), /1\.0 MB of 40\.0 MB sent/);
      assert.match(await item.innerText(), /expires in (23|24) hours/);
      // The summary names every part, so the numbers add up.
      assert.match(await page.locator('.usage-page .lead').innerText(),
                   /used by files, .* by the trash, 40\.0 MB held by unfinished uploads, .* free/);
      // Discard asks first; Cancel keeps it.
      await item.getByRole('button', { name: 'Discard movie.mkv' }).click();
      const confirm = page.getByRole('dialog', { name: 'Discard the upload of "movie.mkv"?' });
      await confirm.getByRole('button', { name: 'Cancel' }).click();
      assert.equal((await call('GET', '/api/v1/uploads')).body.uploads.length, 1);
      await item.getByRole('button', { name: 'Discard movie.mkv' }).click();
      await confirm.getByRole('button', { name: 'Discard' }).click();
      await page.getByText('Discarded the upload of "movie.mkv".').waitFor();
      await list.waitFor({ state: 'detached' });
      assert.deepEqual((await call('GET', '/api/v1/uploads')).body.uploads, []);
      assert.equal((await call('GET', '/api/v1/me')).body.usage.reserved_bytes, 0);
      assert.doesNotMatch(await page.locator('.usage-page .lead').innerText(), /unfinished/);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  // Drops files made in the page ({ name, text }) on the file list, as the desktop hands them.
  const dropFiles = (page, files) => page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const { name, text } of list) dt.items.add(new File([text], name, { type: 'text/plain' }));
    const zone = document.querySelector('.drop-zone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);

  test('a folder dropped again after an interrupted copy: what is there already is neither ' +
       'counted against the free space, sent nor asked about', async () => {
    const parent = await mkdirApi('Reimport');
    const src = await tree(path.join(tmp, 'reimport', 'Import'),
                           { 'disk.img': 'd'.repeat(80000), 'sub/notes.txt': 'old notes\n' });
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Reimport');
      await page.locator('input.upload-folder-input').setInputFiles(src);
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByText('2 of 2 uploaded').waitFor();
      // The copy went on on the desktop: a new file, and the notes changed.
      await writeFile(path.join(src, 'video.mp4'), 'v'.repeat(60000));
      await writeFile(path.join(src, 'sub/notes.txt'), 'new notes, longer\n');
      // 100 kB free: the new file fits, not with disk.img counted again.
      await page.route('**/api/v1/me', async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        const u = body.usage;
        u.quota_bytes = u.used_bytes + u.trash_bytes + (u.reserved_bytes ?? 0) + 100000;
        await route.fulfill({ response, json: body });
      });
      const puts = [];
      const listed = [];
      page.on('request', (r) => {
        const url = new URL(r.url());
        if (r.method() === 'PUT') puts.push(url.searchParams.get('path'));
        if (r.method() === 'GET' && url.pathname.endsWith('/children')) {
          listed.push(url.pathname.split('/')[4]);
        }
      });
      await page.locator('input.upload-folder-input').setInputFiles(src);
      // Only the changed file is asked about.
      const ask = page.getByRole('dialog', { name: '"Import/sub/notes.txt" already exists' });
      await ask.waitFor();
      assert.equal(await page.getByRole('dialog', { name: /Not enough free space/ }).count(), 0);
      await ask.getByRole('button', { name: 'Skip' }).click();
      await settled(page);
      await panel.getByText('3 uploaded, 1 skipped, 1 already there').waitFor();
      // disk.img is not sent (notes.txt was tried once with on_conflict=fail: the server's 409
      // is what asked).
      assert.deepEqual(puts.filter((p) => p !== 'notes.txt'), ['video.mp4']);
      await panel.locator('.upload-finished summary').click();
      await panel.locator('.upload[data-state="skipped"]', { hasText: 'Import/disk.img' })
          .getByText('Skipped: already there').waitFor();
      // One listing per folder of the upload (not a request per file).
      const imp = (await resolve('/Reimport/Import')).body;
      const sub = (await resolve('/Reimport/Import/sub')).body;
      assert.equal(listed.filter((id) => id === imp.id).length, 1, listed.join(' '));
      assert.equal(listed.filter((id) => id === sub.id).length, 1, listed.join(' '));
      assert.equal((await resolve('/Reimport/Import/video.mp4')).body.size, 60000);
      assert.equal((await resolve('/Reimport/Import/sub/notes.txt')).body.checksum_sha256,
                   sha256(Buffer.from('old notes\n')));
      assert.deepEqual(await children(parent.id), ['Import']);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('photos picked again after an interrupted upload: those already there (same size and ' +
       'date) are skipped and said so; only a photo that differs is asked about', async () => {
    const folder = await mkdirApi('Picked again');
    const dir = path.join(tmp, 'picked');
    await mkdir(dir, { recursive: true });
    const names = ['Picnic_01.jpg', 'Picnic_02.jpg', 'Picnic_03.jpg'];
    const locals = names.map((n) => path.join(dir, n));
    for (const [i, local] of locals.entries()) await writeFile(local, `photo ${i}\n`.repeat(100));
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Picked again');
      await page.locator('input.upload-files-input').setInputFiles(locals.slice(0, 2));
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByText('2 of 2 uploaded').waitFor();
      // A photo of the same name that differs (another size) is still a real conflict.
      await writeFile(locals[1], 'another photo\n');
      const puts = [];
      page.on('request', (r) => {
        if (r.method() === 'PUT') puts.push(new URL(r.url()).searchParams.get('path'));
      });
      await page.locator('input.upload-files-input').setInputFiles(locals);
      const ask = page.getByRole('dialog', { name: '"Picnic_02.jpg" already exists here' });
      await ask.waitFor();
      assert.equal(await page.getByRole('dialog', { name: /Picnic_01/ }).count(), 0);
      await ask.getByRole('button', { name: 'Skip' }).click();
      await settled(page);
      await panel.getByText('3 uploaded, 1 skipped, 1 already there').waitFor();
      await panel.locator('.upload-finished summary').click();
      await panel.locator('.upload[data-state="skipped"]', { hasText: 'Picnic_01.jpg' })
          .getByText('Skipped: already there (same size and date)').waitFor();
      assert.deepEqual(puts.filter((p) => p !== 'Picnic_02.jpg'), ['Picnic_03.jpg']);
      assert.deepEqual(await children(folder.id), names);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('a macOS (NFD) name, stored in NFC, is not "saved under a new name"', async () => {
    const dir = path.join(tmp, 'nfd');
    await mkdir(dir, { recursive: true });
    const local = path.join(dir, 'Re\u0301sume\u0301 Ju\u0308rgen.txt');
    await writeFile(local, 'cv\n');
    await mkdirApi('Accents');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Accents');
      await page.locator('input.upload-files-input').setInputFiles(local);
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByText('1 of 1 uploaded').waitFor();
      const finished = panel.locator('.upload-finished summary');
      await finished.getByText('1 done', { exact: true }).waitFor();
      await finished.click();
      assert.equal(await panel.locator('.upload[data-state="done"] .upload-status').innerText(),
                   'Done · 3 bytes');
      assert.equal((await resolve('/Accents/Résumé Jürgen.txt')).status, 200);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('refused names: one notice for all of them, their invisible characters shown',
       async () => {
    await mkdirApi('Refused');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Refused');
      await dropFiles(page, [
        { name: 'bell\u0007char.txt', text: 'a' }, { name: 'tab\tname.txt', text: 'b' },
        { name: `${'y'.repeat(296)}.txt`, text: 'c' }, { name: 'fine.txt', text: 'd' }]);
      await settled(page);
      const panel = page.getByRole('region', { name: 'Uploads' });
      await panel.getByText('1 uploaded, 3 failed').waitFor();
      const notice = panel.locator('.upload-failure');
      assert.equal(await notice.count(), 1, 'one notice for one cause');
      assert.match(await notice.locator('p').first().innerText(),
                   /^3 files have names that cannot be used, so they were not uploaded\./);
      await notice.getByText('Which files').click();
      const listed = await notice.locator('li').allInnerTexts();
      assert.equal(listed.length, 3);
      assert.ok(listed.some((t) => t.startsWith('bell␇char.txt · ')), listed.join(' | '));
      assert.ok(listed.some((t) => t.startsWith('tab␉name.txt · ')), listed.join(' | '));
      // A long name is shortened in the middle, in the list and in the server's sentence.
      assert.ok(listed.some((t) => /^y{40}…y{16}\.txt · .*'y{39}…y{15}\.txt'.*255 bytes/.test(t)),
                listed.join(' | '));
      // Nothing to send again: no Retry.
      assert.equal(await notice.getByRole('button', { name: /Retry/ }).isVisible(), false);
      assert.deepEqual(await children((await resolve('/Refused')).body.id), ['fine.txt']);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('"Upload folder" says once that empty folders are left out; a drop does not',
       async () => {
    await mkdirApi('Picked');
    const src = await tree(path.join(tmp, 'picked', 'Project'),
                           { 'a.txt': 'a\n', 'b/c.txt': 'c\n' });
    await mkdir(path.join(src, 'Empty'));
    const note = 'Empty folders are not included when a folder is chosen this way; drag the ' +
                 'folder in to keep them.';
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await openFolder(page, 'Picked');
      const panel = page.getByRole('region', { name: 'Uploads' });
      await dropFiles(page, [{ name: 'dropped.txt', text: 'x' }]);
      await panel.getByText('1 of 1 uploaded').waitFor();
      assert.equal(await panel.getByText(note).isVisible(), false, 'not for a drop');
      await page.locator('input.upload-folder-input').setInputFiles(src);
      await panel.getByText('3 of 3 uploaded').waitFor();
      await panel.getByText(note).waitFor();
      // Picked again: still said once.
      await page.locator('input.upload-folder-input').setInputFiles(src);
      await panel.getByText('3 uploaded, 2 already there').waitFor();
      assert.equal(await panel.getByText(note).count(), 1);
      assert.equal(await panel.getByText(note).isVisible(), true);
      // It goes with the files it was about.
      await panel.getByRole('button', { name: 'Clear finished' }).click();
      assert.equal(await panel.getByText(note).isVisible(), false);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('Retry only where sending again may work: not for a file larger than the whole plan ' +
       'or than uploads may be, nor a name that cannot be used; yes for a full space',
       async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    // The server's refusals (api.md's error table), answered here for chosen names.
    const answers = {
      'whole film.mov': [507, 'quota_exceeded',
                         'This upload needs 3.0 GB, more than your whole plan of 2.0 GB.'],
      'archive.tar': [413, 'too_large', 'This file is larger than an upload may be (1.0 GB).'],
      'bad name.txt': [400, 'invalid_name', 'This name cannot be used.'],
      'clip.mov': [507, 'quota_exceeded',
                   'This upload needs 30.0 MB but only 3.1 MB of your 2 GB is free.'],
    };
    try {
      await page.route('**/api/v1/nodes/*/content?*', (route) => {
        const answer = answers[new URL(route.request().url()).searchParams.get('path')];
        if (!answer) return route.continue();
        const [status, code, message] = answer;
        return route.fulfill({ status, contentType: 'application/json',
                               body: JSON.stringify({ error: { code, message } }) });
      });
      const panel = page.getByRole('region', { name: 'Uploads' });
      for (const [name, retry] of [['whole film.mov', false], ['archive.tar', false],
                                   ['bad name.txt', false], ['clip.mov', true]]) {
        await page.locator('input.upload-files-input').setInputFiles({
          name, mimeType: 'application/octet-stream', buffer: Buffer.from('a few bytes') });
        const notice = panel.locator('.upload-failure', { hasText: `"${name}" was not uploaded` });
        await notice.waitFor();
        assert.equal(await notice.getByRole('button', { name: 'Retry' }).isVisible(), retry,
                     `Retry for ${name}: ${await notice.innerText()}`);
        await notice.getByRole('button', { name: 'Clear' }).click();
        await notice.waitFor({ state: 'detached' });
      }
      assertNoProblems(problems, /Failed to load resource: the server responded with a status of (4\d\d|507)/);
    } finally {
      await context.close();
    }
  });
});
