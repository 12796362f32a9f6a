// Big uploads over flaky Wi-Fi (QA bigfiles): a stalled link says "Stalled" (no speed, no time
// left) and the chunk is given up and resumed from the server's offset well before the server's
// 30 s body timeout; after it, no time left is said until the new speed is measured, the same in
// the header and the row. A lost answer to the tus creation leaves no second upload holding
// space. "Upload the N files that fit" takes them in name order. One file too large for the free
// space, while another unfinished upload holds some, says so and offers its discard. The panel
// says "3 sending, 5 waiting".
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { startSlowLink } from './lib/slow_link.mjs';

// Network errors while the link is stalled or cut, and 4xx of aborted requests.
const kExpected = /Failed to load resource: (the server responded with a status of 4\d\d|net::ERR_)/;
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const kStalled = 'Stalled — waiting for the connection…';

describe('big files over flaky Wi-Fi', () => {
  let server;
  let browser;
  let tmp;
  let api;
  const user = { email: `maya-${process.pid}@example.com`, password: 'a long enough passphrase 7',
                 name: 'Maya' };

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    tmp = await mkdtemp(path.join(tmpdir(), 'nimbus-bigfiles-e2e-'));
    await apiSignupConfirmed(server.url, server.dataDir, user);
    const login = await apiLogin(server.url, user.email, user.password);
    api = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  const call = (method, p, body) => apiCall(server.url, method, p, { ...api, body });
  const unfinished = async () => (await call('GET', '/api/v1/uploads')).body.uploads;
  const discardAll = async () => {
    for (const u of await unfinished()) {
      await fetch(`${server.url}/api/v1/uploads/${u.id}`, { method: 'DELETE', headers: {
        Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Tus-Resumable': '1.0.0' } });
    }
  };
  const folder = async (p) => {
    const r = await call('POST', '/api/v1/nodes/root/folders', { path: p });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    return r.body;
  };
  const names = async (id) => (await call('GET', `/api/v1/nodes/${id}/children`))
      .body.items.map((n) => n.name).sort();
  const uploads = (page) => page.getByRole('region', { name: 'Uploads' });
  const quotaText = (page) => page.locator('section.quota .quota-text').innerText();
  // Polls until `fn()` is truthy (every 200 ms, at most `ms`); resolves to its value.
  const until = async (fn, ms, what) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
      const v = await fn();
      if (v) return v;
    }
    throw new Error(`not within ${ms} ms: ${what}`);
  };
  // The free space made `free` bytes (besides what is used, in the trash and held).
  const freeSpace = (page, free) => page.route('**/api/v1/me', async (route) => {
    const response = await route.fetch();
    const body = await response.json();
    const u = body.usage;
    u.quota_bytes = u.used_bytes + u.trash_bytes + (u.reserved_bytes ?? 0) + free;
    await route.fulfill({ response, json: body });
  });
  // Drops files made in the page ([{ name, size }]) on the file list, in that order.
  const dropFiles = (page, files) => page.evaluate((list) => {
    const dt = new DataTransfer();
    for (const { name, size } of list) dt.items.add(new File([new Uint8Array(size)], name));
    const zone = document.querySelector('.drop-zone');
    zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
    zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
  }, files);

  test('a stalled link: "Stalled", no speed or time left, the chunk resumed from the server\'s ' +
       'offset before the server\'s timeout; after it no old speed, the header and the row ' +
       'agree', { timeout: 60000 }, async () => {
    const link = await startSlowLink(server.url);
    const name = 'hotel clip.mp4';
    const bytes = randomBytes(18 * 1024 * 1024);  // Over 16 MiB: tus.
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    link.setRate(500 * 1024);
    const { context, page, problems } = await openSignedIn(browser, link.url, user);
    try {
      const heads = [];
      page.on('request', (r) => {
        if (r.method() === 'HEAD' && r.url().includes('/api/v1/uploads/')) heads.push(Date.now());
      });
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: name });
      const status = item.locator('.upload-status');
      const overall = page.locator('.upload-overall');
      await status.getByText(/\/s · .* left$/).waitFor({ timeout: 20000 });
      // The Wi-Fi keeps the connection and moves nothing.
      link.setRate(0);
      const stalledAt = Date.now();
      await status.getByText(kStalled).waitFor({ timeout: 15000 });
      for (const text of [await status.innerText(), await overall.innerText()]) {
        assert.match(text, / of 18\.0 MB(?: sent)? · Stalled — waiting for the connection…$/);
        assert.doesNotMatch(text, /\/s|left/);
      }
      // Given up and resumed from the server's offset (HEAD), before the server's 30 s.
      await until(() => heads.some((t) => t > stalledAt), 26000, 'a HEAD after the stall');
      const waited = heads.find((t) => t > stalledAt) - stalledAt;
      assert.ok(waited < 26000, `the HEAD came ${waited} ms after the stall`);
      // Back: the speed said is the one measured since (the minute stalled made it read "2.1
      // KB/s · 123 h 34 min left"), the same in the row and the header.
      const kAfter = 400 * 1024;
      link.setRate(kAfter);
      const seen = [];
      const speeds = [];
      let wasNoted = true;
      // The server may still hold the stalled PATCH for a while (409 until its body timeout, or
      // until its bytes arrive): the first speeds said once it goes on.
      for (const end = Date.now() + 30000; Date.now() < end && speeds.length < 6;) {
        await sleep(250);
        const [row, head] = await page.evaluate(() => [
          document.querySelector('.upload-list .upload .upload-status')?.textContent ?? '',
          document.querySelector('.upload-overall')?.textContent ?? '']);
        seen.push(`${row} | ${head}`);
        const speed = (text) => {
          const m = /· ([\d.]+) (bytes|KB|MB|GB)\/s · (.+) left/.exec(text);
          return m ? Number(m[1]) * { bytes: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]] : null;
        };
        const [r, h] = [speed(row), speed(head)];
        // Sending again after "Retrying…" / "Connection lost…": no speed said at once (the one
        // from before the stall was), only once measured anew (2 s at least).
        const noted = /Retrying|Connection lost|Stalled/.test(row);
        if (wasNoted && !noted) {
          assert.equal(r, null, `a speed said as soon as it went on: ${seen.join('\n')}`);
        }
        wasNoted = noted;
        if (r !== null && h !== null) {
          assert.ok(Math.abs(r - h) <= 0.1 * r, `the row and the header disagree: ${row} | ${head}`);
        }
        if (r !== null) speeds.push(r);
      }
      assert.ok(speeds.length > 0, `no speed said after the stall: ${seen.join('\n')}`);
      for (const r of speeds) {
        assert.ok(r > kAfter / 2 && r < kAfter * 2.5, `speeds said at ${kAfter} B/s after the ` +
                  `stall: ${speeds}\n${seen.join('\n')}`);
      }
      link.setRate(Infinity);
      await uploads(page).getByText('1 of 1 uploaded').waitFor({ timeout: 30000 });
      const node = await call('GET', `/api/v1/resolve?path=${encodeURIComponent(`/${name}`)}`);
      assert.equal(node.body.checksum_sha256, sha256(bytes));
      assert.deepEqual(await unfinished(), []);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
      await link.close();
    }
  });

  test('the answer to the tus creation lost: the upload made is taken on, none is left ' +
       'holding space, and the quota line says nothing is held once it is done',
       { timeout: 60000 }, async () => {
    await discardAll();
    const name = 'IMG_0000.CR3';
    const bytes = randomBytes(17 * 1024 * 1024);
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      let posts = 0;
      await page.route('**/api/v1/uploads', async (route) => {
        if (route.request().method() !== 'POST') return route.continue();
        posts += 1;
        if (posts > 1) return route.continue();
        // The server makes the upload; its answer never reaches the browser.
        await route.fetch();
        return route.abort('connectionreset');
      });
      await page.locator('section.quota .quota-text').waitFor();
      await page.locator('input.upload-files-input').setInputFiles(local);
      await uploads(page).getByText('1 of 1 uploaded').waitFor({ timeout: 30000 });
      const node = await call('GET', `/api/v1/resolve?path=${encodeURIComponent(`/${name}`)}`);
      assert.equal(node.body.checksum_sha256, sha256(bytes));
      assert.deepEqual((await unfinished()).map((u) => `${u.name} at ${u.offset}`), []);
      assert.equal(posts, 1, 'no second upload made');
      await until(async () => !/held for unfinished/.test(await quotaText(page)), 5000,
                  `the quota line without "held": ${await quotaText(page)}`);
      assertNoProblems(problems, kExpected);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await context.close();
    }
  });

  test('"Upload the 5 files that fit" sends the first 5 in name order and lists the others ' +
       'in that order', { timeout: 60000 }, async () => {
    await discardAll();
    const shoot = await folder('Shoot');
    const kSize = 100 * 1024;
    // The order a disk lists them in.
    const order = [7, 2, 11, 0, 9, 4, 1, 10, 3, 8, 6, 5];
    const files = order.map((n) => ({ name: `IMG_${String(n).padStart(4, '0')}.JPG`, size: kSize }));
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await freeSpace(page, 5 * kSize + 1000);
      await page.goto('/files/Shoot');
      await page.getByRole('heading', { name: 'Shoot', level: 1 }).waitFor();
      await dropFiles(page, files);
      const ask = page.getByRole('dialog', { name: 'Not enough free space for all of them' });
      await ask.waitFor();
      assert.match(await ask.innerText(), /5 of the 12 files fit \(500 KB\); left out for lack of space: "IMG_0005\.JPG" \(100 KB\), "IMG_0006\.JPG" \(100 KB\), "IMG_0007\.JPG" \(100 KB\), "IMG_0008\.JPG" \(100 KB\), "IMG_0009\.JPG" \(100 KB\) and 2 more\./);
      await ask.getByRole('button', { name: /^Upload the 5 files that fit/ }).click();
      await uploads(page).getByText('5 of 5 uploaded').waitFor({ timeout: 30000 });
      assert.deepEqual(await names(shoot.id),
                       ['IMG_0000.JPG', 'IMG_0001.JPG', 'IMG_0002.JPG', 'IMG_0003.JPG', 'IMG_0004.JPG']);
      // What was left out, said after: in name order too.
      await page.getByText(/^Not uploaded, for lack of free space: "IMG_0005\.JPG" \(100 KB\), "IMG_0006\.JPG"/)
          .waitFor();
      assertNoProblems(problems);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await context.close();
    }
  });

  test('one file too large for the free space while another unfinished upload holds some: ' +
       'said, with its discard', { timeout: 60000 }, async () => {
    await discardAll();
    const clips = await folder('Clips');
    const b64 = (text) => Buffer.from(text).toString('base64');
    // Another video, cut off at 1 MB of 40 MB on the laptop.
    const created = await fetch(`${server.url}/api/v1/uploads`, {
      method: 'POST',
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Length': String(40 * 1024 * 1024),
                 'Upload-Metadata': `parent_id ${b64('root')},path ${b64('other.mov')}` } });
    assert.equal(created.status, 201, await created.text());
    const patched = await fetch(`${server.url}${created.headers.get('Location')}`, {
      method: 'PATCH', body: Buffer.alloc(1024 * 1024, 7),
      headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf, 'Tus-Resumable': '1.0.0',
                 'Upload-Offset': '0', 'Content-Type': 'application/offset+octet-stream' } });
    assert.equal(patched.status, 204, await patched.text());
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await freeSpace(page, 1024 * 1024);
      await page.goto('/files/Clips');
      await page.getByRole('heading', { name: 'Clips', level: 1 }).waitFor();
      await page.locator('input.upload-files-input').setInputFiles({
        name: 'clip.mp4', mimeType: 'video/mp4', buffer: Buffer.alloc(2 << 20, 7) });
      const ask = page.getByRole('dialog', { name: 'An unfinished upload holds the space' });
      await ask.waitFor();
      assert.match(await ask.innerText(), /"clip\.mp4" needs 2\.0 MB but only 1\.0 MB is free\. Of that space, 40\.0 MB is held by an upload not finished yet \("other\.mov", 1\.0 MB of 40\.0 MB sent\): it is freed when it finishes or is discarded\./);
      assert.doesNotMatch(await ask.innerText(), /empty the trash/);
      await ask.getByRole('button', { name: 'Discard the unfinished upload and upload' }).click();
      await uploads(page).getByText('1 of 1 uploaded', { exact: true }).waitFor({ timeout: 30000 });
      assert.deepEqual(await unfinished(), []);
      assert.deepEqual(await names(clips.id), ['clip.mp4']);
      assertNoProblems(problems);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await context.close();
    }
  });

  // Another window saves a file of the same name while this upload's last bytes are on their
  // way (the last PATCH is sent by the test: its body held before its last KB until then); the
  // server keeps this upload with every byte. `other`: the bytes the other window saves.
  const nameTakenAtTheEnd = async (page, folderId, name, bytes, other) => {
    const patches = [];
    let taken = false;
    await page.route('**/api/v1/uploads/*', async (route) => {
      const req = route.request();
      if (req.method() !== 'PATCH') return route.continue();
      const h = req.headers();
      const body = req.postDataBuffer() ?? Buffer.alloc(0);
      patches.push({ offset: Number(h['upload-offset']), length: body.length,
                     rule: h['nimbus-on-conflict'] });
      if (taken || !body.length || Number(h['upload-offset']) + body.length !== bytes.length) {
        return route.continue();
      }
      taken = true;
      const headers = { ...(await req.allHeaders()), 'content-length': String(body.length) };
      delete headers.host;
      const answer = new Promise((resolve, reject) => {
        const out = http.request(new URL(req.url()), { method: 'PATCH', headers }, (res) => {
          const parts = [];
          res.on('data', (d) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode, headers: res.headers,
                                        body: Buffer.concat(parts) }));
        });
        out.on('error', reject);
        out.write(body.subarray(0, body.length - 1024));
        (async () => {
          await sleep(300);
          const r = await fetch(`${server.url}/api/v1/nodes/${folderId}/content?${
            new URLSearchParams({ path: name })}`, { method: 'PUT', body: other,
            headers: { Cookie: api.cookie, 'X-CSRF-Token': api.csrf } });
          assert.equal(r.status, 201, await r.text());
          out.end(body.subarray(body.length - 1024));
        })().catch(reject);
      });
      const res = await answer;
      return route.fulfill({ status: res.status, headers: res.headers, body: res.body });
    });
    return patches;
  };

  test('a name taken just before the last bytes landed: asked Replace / Keep both / Skip with ' +
       'the reason, and Keep both saves the kept upload without sending it again',
       { timeout: 60000 }, async () => {
    await discardAll();
    const videos = await folder('Interviews');
    const name = 'day1_interview.mp4';
    const bytes = randomBytes(17 * 1024 * 1024);
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Interviews');
      await page.getByRole('heading', { name: 'Interviews', level: 1 }).waitFor();
      const patches = await nameTakenAtTheEnd(page, videos.id, name, bytes, 'the other window');
      await page.locator('input.upload-files-input').setInputFiles(local);
      const ask = page.getByRole('dialog', { name: `"${name}" already exists here` });
      await ask.waitFor({ timeout: 30000 });
      assert.match(await ask.innerText(), /A file named "day1_interview\.mp4" was saved in "Interviews" meanwhile, by another upload, while this one was on its way\. All of this one has reached the server: Replace or Keep both saves it without sending it again\./);
      const item = page.locator('.upload-list .upload', { hasText: name });
      assert.equal(await item.locator('.upload-status').innerText(),
                   'Saved meanwhile by another upload: choose what to do');
      const sentBefore = patches.reduce((sum, p) => sum + p.length, 0);
      await ask.getByRole('button', { name: 'Keep both' }).click();
      await uploads(page).getByText('1 of 1 uploaded').waitFor({ timeout: 30000 });
      await item.getByText('Done · 17.0 MB · saved as "day1_interview (1).mp4"').waitFor();
      // Finished with one empty PATCH: no byte sent again.
      assert.equal(patches.reduce((sum, p) => sum + p.length, 0), sentBefore);
      assert.deepEqual(patches.at(-1), { offset: bytes.length, length: 0, rule: 'rename' });
      assert.deepEqual(await names(videos.id), ['day1_interview (1).mp4', name]);
      const kept = await call('GET', `/api/v1/resolve?path=${
        encodeURIComponent(`/Interviews/day1_interview (1).mp4`)}`);
      assert.equal(kept.body.checksum_sha256, sha256(bytes));
      assert.deepEqual(await unfinished(), []);
      assertNoProblems(problems, /status of 409/);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await context.close();
    }
  });

  test('a name taken just before the last bytes landed by the same bytes: "Already there", ' +
       'the kept upload deleted', { timeout: 60000 }, async () => {
    await discardAll();
    const videos = await folder('Interviews 2');
    const name = 'day2.mp4';
    const bytes = randomBytes(17 * 1024 * 1024);
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      await page.goto('/files/Interviews 2');
      await page.getByRole('heading', { name: 'Interviews 2', level: 1 }).waitFor();
      await nameTakenAtTheEnd(page, videos.id, name, bytes, bytes);
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: name });
      await uploads(page).getByText('0 uploaded, 1 already there').waitFor({ timeout: 30000 });
      assert.equal(await item.locator('.upload-status').textContent(),
                   'Already there (the same file, byte for byte)');
      assert.equal(await page.getByRole('dialog').count(), 0);
      await until(async () => (await unfinished()).length === 0, 5000, 'the kept upload deleted');
      assert.deepEqual(await names(videos.id), [name]);
      await until(async () => !/held for unfinished/.test(await quotaText(page)), 5000,
                  'the quota line without "held"');
      assertNoProblems(problems, /status of 409/);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await context.close();
    }
  });

  test('the panel says how many files are sending and how many wait', { timeout: 60000 },
       async () => {
    await folder('Many');
    const { context, page, problems } = await openSignedIn(browser, server.url, user);
    try {
      // Each file takes a second or two to go.
      await page.route('**/api/v1/nodes/*/content?*', async (route) => {
        await sleep(1500);
        await route.continue();
      });
      await page.goto('/files/Many');
      await page.getByRole('heading', { name: 'Many', level: 1 }).waitFor();
      await dropFiles(page, Array.from({ length: 8 }, (_, i) => ({ name: `p${i}.jpg`, size: 1000 })));
      const summary = uploads(page).locator('.upload-summary');
      await summary.getByText('0 of 8 uploaded · 3 sending, 5 waiting', { exact: true }).waitFor();
      await summary.getByText('8 of 8 uploaded', { exact: true }).waitFor({ timeout: 30000 });
      assertNoProblems(problems);
    } finally {
      await page.unrouteAll({ behavior: 'ignoreErrors' });
      await context.close();
    }
  });
});
