// What a family found using Nimbus on laptops and phones (QA family, second pass): a move offers
// Undo (and Ctrl+Z) as a delete does, and says which items could not go back; a copy that takes
// seconds says "Copying…" and leaves the page usable; an upload signed out in another tab
// pauses and goes on once signed in again; a file already there with the same bytes is "already
// there", not a conflict; an upload whose folder was deleted says so and "Upload again" makes the
// folder again; a refusal for space in the middle of an upload offers to discard an unfinished
// upload of the same file that holds it.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('family (second pass)', () => {
  let server;
  let browser;
  const password = 'a long enough passphrase 7';
  const mia = { email: `mia-${process.pid}@example.com`, password, name: 'Mia' };
  let api;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await apiSignupConfirmed(server.url, server.dataDir, mia);
    const l = await apiLogin(server.url, mia.email, mia.password);
    api = { cookie: l.cookie, csrf: l.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const call = (method, p, body) => apiCall(server.url, method, p, { ...api, body });
  const folder = async (p) => {
    const r = await call('POST', '/api/v1/nodes/root/folders', { path: p });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const putFile = async (folderId, name, body) => {
    const r = await fetch(`${server.url}/api/v1/nodes/${folderId}/content?${
      new URLSearchParams({ path: name })}`, { method: 'PUT', body,
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
    const text = await r.text();
    assert.equal(r.status, 201, text);
    return JSON.parse(text);
  };
  const names = async (id) => (await call('GET', `/api/v1/nodes/${id}/children`))
      .body.items.map((n) => n.name).sort();
  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
  const message = (page) => page.locator('main .page-message');
  const uploads = (page) => page.getByRole('region', { name: 'Uploads' });
  const settled = (page) => page.waitForFunction(() => !document.querySelector(
    '.upload[data-state="uploading"], .upload[data-state="queued"], .upload[data-state="conflict"]'),
  null, { timeout: 60000 });

  // Drops files made in the page ([{ name, text, lastModified }]) on the file list.
  const dropFiles = (page, files) => page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const { name, text, size, lastModified } of list) {
      dt.items.add(new File([text ?? new Uint8Array(size)], name, { lastModified }));
    }
    const zone = document.querySelector('.drop-zone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);

  test('a move offers Undo (and Ctrl+Z), which puts the items back by id; one that cannot go ' +
       'back stays, and the message says why', async () => {
    const home = await folder('Moves');
    const photos = await folder('Moves/Photos');
    for (const n of ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg']) await putFile(home.id, n, n);
    const { context, page, problems } = await openSignedIn(browser, server.url, mia);
    try {
      await page.goto('/files/Moves');
      await row(page, 'a.jpg').waitFor();
      // Three ticked, moved with the dialog; Undo puts them back.
      for (const n of ['a.jpg', 'b.jpg', 'c.jpg']) await row(page, n).getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Move', exact: true }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Photos', exact: true }).click();
      await dialog.getByText('Target: /Moves/Photos').waitFor();
      await dialog.getByRole('button', { name: 'Move here' }).click();
      await message(page).getByText('Moved 3 items to /Moves/Photos.').waitFor();
      assert.match(await message(page).innerText(), /Undo \((Ctrl|Cmd)\+Z\)/);
      await row(page, 'a.jpg').waitFor({ state: 'detached' });
      assert.deepEqual(await names(photos.id), ['a.jpg', 'b.jpg', 'c.jpg']);
      await message(page).getByRole('button', { name: 'Undo' }).click();
      await message(page).getByText('Moved 3 items back to /Moves.').waitFor();
      await row(page, 'a.jpg').waitFor();
      assert.deepEqual(await names(photos.id), []);
      assert.deepEqual(await names(home.id), ['Photos', 'a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg']);

      // Dragged onto the folder, then Ctrl+Z: the same, by keyboard.
      await row(page, 'd.jpg').dragTo(row(page, 'Photos'));
      await message(page).getByText('Moved 1 item to /Moves/Photos.').waitFor();
      await row(page, 'd.jpg').waitFor({ state: 'detached' });
      await page.keyboard.press('Control+z');
      await message(page).getByText('Moved "d.jpg" back to /Moves.').waitFor();
      await row(page, 'd.jpg').waitFor();
      await page.waitForFunction(() => document.activeElement?.closest('tr')?.dataset.name ===
                                       'd.jpg');

      // Two moved; meanwhile (another tab) a new "d.jpg" is put where it was: that one stays,
      // said in a sentence, and the other goes back.
      for (const n of ['d.jpg', 'e.jpg']) await row(page, n).getByRole('checkbox').check();
      await page.getByRole('button', { name: 'Move', exact: true }).click();
      await dialog.getByRole('button', { name: 'Photos', exact: true }).click();
      await dialog.getByText('Target: /Moves/Photos').waitFor();
      await dialog.getByRole('button', { name: 'Move here' }).click();
      await message(page).getByText('Moved 2 items to /Moves/Photos.').waitFor();
      await putFile(home.id, 'd.jpg', 'another d');
      await message(page).getByRole('button', { name: 'Undo' }).click();
      const alert = page.locator('main .page-message[role="alert"]');
      await alert.waitFor();
      assert.match(await alert.innerText(), /Moved "e\.jpg" back to \/Moves\. "d\.jpg" stays in \/Moves\/Photos: an item named "d\.jpg" is in \/Moves now\./);
      assert.deepEqual(await names(photos.id), ['d.jpg']);

      // The folder it came from deleted meanwhile: it stays where it is.
      const old = await folder('Moves/Old');
      const f = await putFile(old.id, 'f.jpg', 'f');
      await page.goto('/files/Moves/Old');
      await row(page, 'f.jpg').dragTo(page.locator('nav.breadcrumbs a', { hasText: 'Moves' }));
      await message(page).getByText('Moved 1 item to /Moves.').waitFor();
      assert.equal((await call('DELETE', `/api/v1/nodes/${old.id}`)).status, 200);
      await page.keyboard.press('Control+z');
      await alert.getByText('"f.jpg" stays in /Moves: the folder /Moves/Old was deleted.').waitFor();
      assert.equal((await call('GET', `/api/v1/nodes/${f.id}`)).body.parent_id, home.id);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('an upload whose name is taken by a file with the same bytes (dropped from two tabs) is ' +
       '"already there": nothing is asked; one with other bytes of the same size is asked ' +
       'about', async () => {
    const top = await folder('Twice');
    await putFile(top.id, 'song.mp3', 'la la la, the same bytes');
    await putFile(top.id, 'notes.txt', 'twelve bytes');
    const { context, page, problems } = await openSignedIn(browser, server.url, mia);
    try {
      await page.goto('/files/Twice');
      await row(page, 'song.mp3').waitFor();
      // Another date than the file there: only its bytes tell it is the same.
      await dropFiles(page, [{ name: 'song.mp3', text: 'la la la, the same bytes',
                               lastModified: Date.UTC(2001, 0, 1) }]);
      await settled(page);
      await uploads(page).getByText('0 uploaded, 1 already there').waitFor();
      // Its row (among the finished ones, folded) says so.
      assert.equal(await uploads(page).locator('.upload[data-already="true"] .upload-status')
          .textContent(), 'Already there (the same file, byte for byte)');
      assert.equal(await page.getByRole('dialog').count(), 0, 'nothing asked');
      assert.equal(await uploads(page).locator('.upload-failure').count(), 0, 'not an error');
      assert.deepEqual(await names(top.id), ['notes.txt', 'song.mp3']);

      await dropFiles(page, [{ name: 'notes.txt', text: 'other twelve', lastModified: Date.UTC(2001, 0, 1) }]);
      const ask = page.getByRole('dialog', { name: '"notes.txt" already exists here' });
      await ask.waitFor();
      await ask.getByRole('button', { name: 'Cancel' }).click();
      assert.deepEqual(await names(top.id), ['notes.txt', 'song.mp3']);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a resumable upload whose folder is deleted on the way (410 upload_failed) says the ' +
       'folder was deleted, and "Upload again" makes it again and sends the file', async () => {
    const holiday = await folder('Holiday');
    const trip = await folder('Holiday/Trip');
    const { context, page, problems } = await openSignedIn(browser, server.url, mia);
    try {
      // The chunks wait until the folder is deleted (in another tab); the first time only.
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      let seen;
      const first = new Promise((resolve) => { seen = resolve; });
      let holding = true;
      await page.route('**/api/v1/uploads/*', async (route) => {
        if (holding && route.request().method() === 'PATCH') {
          seen();
          await held;
        }
        await route.continue();
      });
      await page.goto('/files/Holiday');
      await row(page, 'Trip').waitFor();
      // Dropped on the folder's row: it goes into Trip, over the tus threshold (16 MiB).
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(17 * 1024 * 1024)], 'clip.bin'));
        const target = document.querySelector('tr[data-name="Trip"]');
        target.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
        target.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
      });
      await first;
      assert.equal((await call('DELETE', `/api/v1/nodes/${trip.id}`)).status, 200);
      holding = false;
      release();
      const failure = uploads(page).locator('.upload-failure');
      await failure.waitFor({ timeout: 60000 });
      assert.equal(await failure.locator('p').first().innerText(),
                   'The folder "Trip" was deleted while uploading: "clip.bin" was not uploaded. ' +
                   'Upload again to make /Holiday/Trip again and send it there.');
      await failure.getByRole('button', { name: 'Upload again' }).click();
      await settled(page);
      await uploads(page).getByText('1 of 1 uploaded').waitFor();
      const again = await call('GET', `/api/v1/resolve?path=${encodeURIComponent('/Holiday/Trip/clip.bin')}`);
      assert.equal(again.status, 200, JSON.stringify(again.body));
      assert.equal(again.body.size, 17 * 1024 * 1024);
      assert.deepEqual(await names(holiday.id), ['Trip']);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a refusal for space in the middle of an upload, where an unfinished upload of the same ' +
       'file holds space, offers to discard it and start again', async () => {
    const clips = await folder('Clips');
    const b64 = (text) => Buffer.from(text).toString('base64');
    // The phone died after 1 MB of 40 MB of "clip.bin".
    const created = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Length': String(40 * 1024 * 1024),
                 'Upload-Metadata': `parent_id ${b64(clips.id)},path ${b64('clip.bin')},` +
                                    `on_conflict ${b64('fail')}` } });
    assert.equal(created.status, 201, await created.text());
    const patched = await fetch(`${server.url}${created.headers.get('Location')}`, {
      method: 'PATCH', body: Buffer.alloc(1024 * 1024, 7),
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' } });
    assert.equal(patched.status, 204, await patched.text());
    const { context, page, problems } = await openSignedIn(browser, server.url, mia);
    try {
      // The check before sending passes; the space is gone by the time the bytes arrive (the
      // server's 507), the first time.
      let refused = 0;
      await page.route('**/api/v1/nodes/*/content?*', async (route) => {
        if (route.request().method() !== 'PUT' || refused++) return route.continue();
        return route.fulfill({ status: 507, contentType: 'application/json', body: JSON.stringify(
          { error: { code: 'quota_exceeded', message: 'There is not enough space left in your plan.' } }) });
      });
      await page.goto('/files/Clips');
      await page.getByRole('heading', { name: 'Clips', level: 1 }).waitFor();
      await page.locator('input.upload-files-input').setInputFiles({
        name: 'clip.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 << 20, 7) });
      const failure = uploads(page).locator('.upload-failure');
      await failure.getByRole('button', { name: 'Discard the unfinished upload and start again' })
          .waitFor();
      assert.equal(await failure.locator('p').first().innerText(),
                   'Not uploaded: There is not enough space left in your plan. Of that space, an ' +
                   'earlier upload of "clip.bin" into this folder, cut off at 1.0 MB of 40.0 MB, ' +
                   'still holds 40.0 MB (started on this or another device).');
      await failure.getByRole('button', { name: 'Discard the unfinished upload and start again' })
          .click();
      await settled(page);
      await uploads(page).getByText('1 of 1 uploaded').waitFor();
      assert.deepEqual((await call('GET', '/api/v1/uploads')).body.uploads, []);
      assert.deepEqual(await names(clips.id), ['clip.bin']);
      assertNoProblems(problems, /status of (4\d\d|507)/);
    } finally {
      await context.close();
    }
  });

  test('uploads signed out in another tab pause with a note, and go on once signed in again ' +
       'in another tab (a resumable one from its offset)', async () => {
    const trip = await folder('Signed out');
    const { context, page, problems } = await openSignedIn(browser, server.url, mia);
    try {
      // The first chunk of the large file goes; then nothing goes until the session is ended.
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      let patches = 0;
      const offsets = [];
      let holding = true;
      let waiting = 0;
      await page.route('**/api/v1/**', async (route) => {
        const r = route.request();
        if (r.method() === 'PATCH' && r.url().includes('/uploads/')) {
          offsets.push(Number(r.headers()['upload-offset']));
          patches += 1;
        }
        const content = r.method() === 'PUT' || (r.method() === 'PATCH' && patches > 1 &&
                                                  r.url().includes('/uploads/'));
        if (holding && content) {
          waiting += 1;
          await held;
        }
        await route.continue();
      });
      await page.goto('/files/Signed%20out');
      await page.getByRole('heading', { name: 'Signed out', level: 1 }).waitFor();
      await dropFiles(page, [{ name: 'film.mp4', size: 17 * 1024 * 1024 },
                             { name: 'a.txt', text: 'a' }, { name: 'b.txt', text: 'b' }]);
      while (waiting < 3) await new Promise((r) => setTimeout(r, 100));
      // Logged out in another tab (the same browser: the cookie goes for every tab).
      const other = await context.newPage();
      await other.goto('/files/');
      await other.getByRole('button', { name: /Log out/ }).click();
      await other.waitForURL(/\/(login)?(\?.*)?$/);
      holding = false;
      release();
      const note = uploads(page).locator('.upload-signed-out');
      await note.getByText('You were signed out — sign in again to finish 3 uploads.').waitFor();
      assert.equal(await uploads(page).locator('.upload-failure').count(), 0, 'not failures');
      assert.equal(await uploads(page).locator('.upload[data-state="paused"]').count(), 3);
      assert.equal(await note.getByRole('link', { name: 'Sign in' }).getAttribute('href'),
                   '/login?next=%2Ffiles%2FSigned%2520out');
      // Signed in again in the other tab; this one notices when it gets the focus back.
      await other.goto('/login');
      await other.getByLabel('Email', { exact: true }).fill(mia.email);
      await other.getByLabel('Password', { exact: true }).fill(mia.password);
      await other.getByRole('button', { name: 'Log in' }).click();
      await other.locator('section.files-page').waitFor();
      await page.evaluate(() => window.dispatchEvent(new Event('focus')));
      await settled(page);
      await uploads(page).getByText('3 of 3 uploaded').waitFor();
      assert.ok(await note.isHidden());
      assert.deepEqual(await names(trip.id), ['a.txt', 'b.txt', 'film.mp4']);
      const film = await call('GET', `/api/v1/resolve?path=${encodeURIComponent('/Signed out/film.mp4')}`);
      assert.equal(film.body.size, 17 * 1024 * 1024);
      // The large file went on from where the server had it, not from its start.
      assert.equal(offsets[0], 0);
      assert.ok(offsets.slice(1).every((o) => o > 0), `offsets ${offsets}`);
      assertNoProblems(problems, /status of 401|status of 4\d\d/);
    } finally {
      await context.close();
    }
  });

  test('a copy that takes a while says "Copying…" while the page stays usable, then ' +
       '"Copied"', async () => {
    const top = await folder('Copies');
    await folder('Copies/Backup');
    await putFile(top.id, 'big video.mp4', 'pretend this is large');
    const { context, page, problems } = await openSignedIn(browser, server.url, mia);
    try {
      // The server takes 2 s for the copy.
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      await page.route('**/api/v1/nodes/*/copy', async (route) => {
        await held;
        await route.continue();
      });
      await page.goto('/files/Copies');
      await page.getByRole('button', { name: 'More actions for big video.mp4' }).click();
      await page.getByRole('menuitem', { name: 'Copy' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByRole('button', { name: 'Backup', exact: true }).click();
      await dialog.getByText('Target: /Copies/Backup').waitFor();
      await dialog.getByRole('button', { name: 'Copy here' }).click();
      await page.getByRole('status').getByText('Copying "big video.mp4"…').waitFor();
      // The page is not locked meanwhile: a row can be ticked, a toolbar button used.
      await row(page, 'Backup').getByRole('checkbox').check();
      assert.ok(await page.getByRole('button', { name: 'New folder' }).isEnabled());
      assert.ok(await page.getByRole('button', { name: 'Rename' }).isEnabled());
      release();
      await message(page).getByText('Copied 1 item to /Copies/Backup.').waitFor();
      assert.equal((await call('GET', `/api/v1/resolve?path=${
        encodeURIComponent('/Copies/Backup/big video.mp4')}`)).status, 200);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
