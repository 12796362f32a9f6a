// What a family found using Nimbus (QA family): on a phone an open row menu is above the page's
// message; an upload into a folder someone shares with me is checked against the owner's free
// space before any byte goes, naming the owner, and the files left out are listed in natural
// name order; files dropped anywhere on the page upload into the folder shown (the browser
// never opens them itself), and a folder shared to view only says why nothing is uploaded; a
// file picked again whose earlier upload was cut off is offered "Discard … and start again";
// the quota line says "0.99 GB free of 1.0 GB", not "1018 MB free of 1.0 GB".
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

const kPhone = { viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true };

describe('family', () => {
  let server;
  let browser;
  const password = 'a long enough passphrase 7';
  const lea = { email: `lea-${process.pid}@example.com`, password, name: 'Léa' };
  const tom = { email: `tom-${process.pid}@example.com`, password, name: 'Tom' };
  let leaApi;
  let tomApi;
  let party;  // Léa's folder shared with Tom to edit.
  let album;  // Léa's folder shared with Tom to view.

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    for (const u of [lea, tom]) await apiSignupConfirmed(server.url, server.dataDir, u);
    const login = async (u) => {
      const l = await apiLogin(server.url, u.email, u.password);
      return { cookie: l.cookie, csrf: l.csrf };
    };
    leaApi = await login(lea);
    tomApi = await login(tom);
    const share = async (name, permission) => {
      const folder = await apiCall(server.url, 'POST', '/api/v1/nodes/root/folders',
                                   { ...leaApi, body: { path: name } });
      assert.equal(folder.status, 201, JSON.stringify(folder.body));
      const s = await apiCall(server.url, 'POST', '/api/v1/shares', { ...leaApi, body: {
        node_id: folder.body.id, email: tom.email, permission } });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      return folder.body;
    };
    party = await share('Soirée #1', 'edit');
    album = await share('Album', 'read');
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const call = (auth, method, p, body) => apiCall(server.url, method, p, { ...auth, body });
  const putFile = (auth, folderId, name, body) => fetch(`${server.url}/api/v1/nodes/${
    folderId}/content?${new URLSearchParams({ path: name })}`, { method: 'PUT', body,
    headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf } });
  const names = async (auth, id) => (await call(auth, 'GET', `/api/v1/nodes/${id}/children`))
      .body.items.map((n) => n.name).sort();
  const settled = (page) => page.waitForFunction(() => !document.querySelector(
    '.upload[data-state="uploading"], .upload[data-state="queued"], .upload[data-state="conflict"]'),
  null, { timeout: 60000 });

  // Drops files made in the page ({ name, size }) on the element `selector`, as the desktop
  // hands them; resolves to whether the page turned the browser's own handling off.
  const dropFiles = (page, selector, files) => page.evaluate(({ sel, list }) => {
    const dt = new DataTransfer();
    for (const { name, size } of list) dt.items.add(new File(['x'.repeat(size)], name));
    const el = document.querySelector(sel);
    const over = new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true });
    el.dispatchEvent(over);
    const drop = new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true });
    el.dispatchEvent(drop);
    return over.defaultPrevented && drop.defaultPrevented;
  }, { sel: selector, list: files });

  test('a file picked again whose earlier upload was cut off elsewhere: the refusal says that ' +
       'upload holds the space, and offers to discard it and start again', async () => {
    const folder = (await call(tomApi, 'POST', '/api/v1/nodes/root/folders', { path: 'Clips' })).body;
    const b64 = (text) => Buffer.from(text).toString('base64');
    // The phone died after 1 MB of 40 MB.
    const created = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { Cookie: tomApi.cookie, 'X-CSRF-Token': tomApi.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Length': String(40 * 1024 * 1024),
                 'Upload-Metadata': `parent_id ${b64(folder.id)},path ${b64('clip.bin')},` +
                                    `on_conflict ${b64('fail')}` } });
    assert.equal(created.status, 201, await created.text());
    const patched = await fetch(`${server.url}${created.headers.get('Location')}`, {
      method: 'PATCH', body: Buffer.alloc(1024 * 1024, 7),
      headers: { Cookie: tomApi.cookie, 'X-CSRF-Token': tomApi.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' } });
    assert.equal(patched.status, 204, await patched.text());
    const { context, page, problems } = await openSignedIn(browser, server.url, tom);
    try {
      // 1 MB free besides what the unfinished upload holds.
      await page.route('**/api/v1/me', async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        const u = body.usage;
        u.quota_bytes = u.used_bytes + u.trash_bytes + (u.reserved_bytes ?? 0) + 1024 * 1024;
        await route.fulfill({ response, json: body });
      });
      await page.goto('/files/Clips');
      await page.getByRole('heading', { name: 'Clips', level: 1 }).waitFor();
      await page.locator('input.upload-files-input').setInputFiles({
        name: 'clip.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 << 20, 7) });
      const ask = page.getByRole('dialog', { name: 'An unfinished upload of this file holds the space' });
      await ask.waitFor();
      assert.match(await ask.innerText(), /"clip\.bin" needs 2\.0 MB but only 1\.0 MB is free\. Of that space, an earlier upload of "clip\.bin" into this folder, cut off at 1\.0 MB of 40\.0 MB, still holds 40\.0 MB/);
      await ask.getByRole('button', { name: 'Discard the unfinished upload and start again' }).click();
      // Done when the person sees it done: the summary says so (in full: "0 of 1 uploaded"
      // holds "1 uploaded", and the file is queued only once the discard is answered, so no
      // upload in progress proves nothing yet) and the file is in the folder's list.
      await page.getByRole('region', { name: 'Uploads' })
          .getByText('1 of 1 uploaded', { exact: true }).waitFor({ timeout: 60000 });
      await page.locator('table.file-table tr[data-id][data-name="clip.bin"]').waitFor();
      assert.deepEqual((await call(tomApi, 'GET', '/api/v1/uploads')).body.uploads, []);
      assert.deepEqual(await names(tomApi, folder.id), ['clip.bin']);
      assertNoProblems(problems);
    } finally {
      // A GET /api/v1/me still being rewritten (the quota after the upload) would fail as the
      // context closes, outside the test.
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await context.close();
    }
  });

  test('the quota line gives the free space in the unit of the plan', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, tom, kPhone);
    try {
      // 6 MB used of 1 GB: 1018 MB free.
      await page.route('**/api/v1/me', async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        Object.assign(body.usage, { quota_bytes: 2 ** 30, used_bytes: 6 * 2 ** 20, trash_bytes: 0,
                                    reserved_bytes: 0 });
        await route.fulfill({ response, json: body });
      });
      await page.goto('/files/');
      await page.locator('.quota-text').getByText('0.99 GB free of 1.0 GB').waitFor();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('on a phone, an open row menu is above the message of the last action', async () => {
    const home = (await call(tomApi, 'GET', '/api/v1/nodes/root')).body;
    assert.equal((await putFile(tomApi, home.id, 'selfie 2.jpg', 'jpeg')).status, 201);
    const { context, page, problems } = await openSignedIn(browser, server.url, tom, kPhone);
    try {
      await page.getByRole('button', { name: 'More actions for selfie 2.jpg' }).click();
      await page.getByRole('menuitem', { name: 'Rename' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('textbox').fill('selfie 2 moi.jpg');
      await dialog.getByRole('button', { name: 'Rename' }).click();
      const note = page.locator('.page-message');
      await note.getByText(/Renamed/).waitFor();
      await page.getByRole('button', { name: 'More actions for selfie 2 moi.jpg' }).click();
      // What a tap on each entry of the sheet would hit: the entry itself.
      const hits = await page.evaluate(() => [...document.querySelectorAll('.row-menu-item')]
          .map((item) => {
            const box = item.getBoundingClientRect();
            const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
            return `${item.textContent}: ${hit === item ? 'ok' : hit?.className}`;
          }));
      assert.deepEqual(hits.filter((h) => !h.endsWith(': ok')), [], 'entries covered');
      // The message is back once the menu is closed.
      await page.keyboard.press('Escape');
      await page.locator('.row-menu').waitFor({ state: 'detached' });
      assert.ok(await note.getByText(/Renamed/).isVisible());
      await page.getByRole('button', { name: 'More actions for selfie 2 moi.jpg' }).click();
      await page.getByRole('menuitem', { name: 'Copy' }).click({ timeout: 3000 });
      await page.getByRole('dialog').waitFor();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('an upload into a folder shared with me is checked against the owner\'s free space ' +
       'before any byte goes; the files left out come in natural name order', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, tom);
    try {
      // Léa has 50 bytes free (her real answer, with less free space).
      const asked = [];
      await page.route('**/api/v1/nodes/*/space', async (route) => {
        const response = await route.fetch();
        const body = await response.json();
        asked.push({ status: response.status(), owner: body.owner?.name });
        body.free_bytes = 50;
        await route.fulfill({ response, json: body });
      });
      const sent = [];
      page.on('request', (r) => {
        if (['PUT', 'POST'].includes(r.method())) sent.push(new URL(r.url()).pathname);
      });
      await page.goto(`/shared/${party.id}`);
      await page.getByRole('heading', { name: 'Soirée #1', level: 1 }).waitFor();
      await dropFiles(page, '.drop-zone', [{ name: 'VID_10.mp4', size: 100 },
                                           { name: 'note.txt', size: 10 },
                                           { name: 'VID_9.mp4', size: 100 },
                                           { name: 'VID_1.mp4', size: 100 }]);
      const ask = page.getByRole('dialog', { name: 'Not enough free space for all of them' });
      await ask.waitFor();
      const text = await ask.innerText();
      assert.match(text, /Léa's space has only 50 bytes free/);
      assert.match(text, /left out for lack of space: "VID_1\.mp4" \(100 bytes\), "VID_9\.mp4" \(100 bytes\), "VID_10\.mp4" \(100 bytes\)/);
      assert.deepEqual(sent, [], 'nothing sent before the answer');
      assert.deepEqual(asked, [{ status: 200, owner: 'Léa' }]);
      await ask.getByRole('button', { name: 'Upload the 1 file that fits (10 bytes)' }).click();
      await settled(page);
      await page.getByText(/Not uploaded, for lack of free space: "VID_1\.mp4".*Ask Léa/).waitFor();
      assert.deepEqual(await names(leaApi, party.id), ['note.txt']);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('files dropped anywhere on the page upload into the folder shown; to view only, a drop ' +
       'says why nothing is uploaded', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, tom);
    try {
      const made = await call(tomApi, 'POST', '/api/v1/nodes/root/folders', { path: 'Dropped' });
      await page.goto('/files/Dropped');
      await page.getByRole('heading', { name: 'Dropped', level: 1 }).waitFor();
      // The header, the heading, the toolbar: each takes the drop, and the browser does not
      // open the file itself.
      assert.ok(await dropFiles(page, '.site-header', [{ name: 'header.jpg', size: 5 }]));
      assert.ok(await dropFiles(page, '.files-head h1', [{ name: 'title.jpg', size: 5 }]));
      assert.ok(await dropFiles(page, '.files-page > .toolbar', [{ name: 'bar.jpg', size: 5 }]));
      // In full: "0 of 3 uploaded" holds "3 uploaded".
      await page.getByRole('region', { name: 'Uploads' })
          .getByText(/^(3 of 3 uploaded|3 uploaded)$/).waitFor({ timeout: 60000 });
      await page.waitForFunction(async (id) => (await (await fetch(
        `/api/v1/nodes/${id}/children`)).json()).items.length === 3, made.body.id);
      assert.deepEqual(await names(tomApi, made.body.id), ['bar.jpg', 'header.jpg', 'title.jpg']);

      await page.goto(`/shared/${album.id}`);
      await page.getByRole('heading', { name: 'Album', level: 1 }).waitFor();
      assert.ok(await dropFiles(page, '.files-head', [{ name: 'photo.jpg', size: 5 }]));
      await page.getByRole('alert')
          .getByText('You can only view this folder: uploads are not allowed here.').waitFor();
      assert.ok(await dropFiles(page, '.drop-zone', [{ name: 'photo.jpg', size: 5 }]));
      assert.deepEqual(await names(leaApi, album.id), []);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
