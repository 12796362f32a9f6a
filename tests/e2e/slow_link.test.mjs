// Resumable uploads over a slow link that drops, as on a phone in a train (QA pass 17c): the
// browser reaches the server through a TCP proxy (lib/slow_link.mjs) that really limits what
// it sends and really cuts every connection. Each tus chunk carries a checksum, so the server
// keeps nothing of a chunk cut off: the chunks follow the measured speed (small on a slow
// link), so a drop loses seconds of work and the bar goes back by one chunk at most;
// "Retrying…" goes once the server answers again. After a reload, the resumed upload's offset
// does not count as sent just now (speed, time left), and the upload being sent is not also
// listed as "unfinished… choose the same file again".
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, test } from 'node:test';

import { apiCall, apiLogin, apiSignup } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { startSlowLink } from './lib/slow_link.mjs';

// Network errors while the link is down, and 4xx of aborted requests.
const kExpected = /Failed to load resource: (the server responded with a status of 4\d\d|net::ERR_)/;
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
const kSlow = 100 * 1024;  // 100 KB/s (800 kbit/s) from the browser to the server.

describe('uploads over a slow, flaky link', () => {
  let server;
  let link;
  let browser;
  let tmp;
  let api;
  const user = { email: `slow-${process.pid}@example.com`,
                 password: 'a long enough passphrase 7', name: 'Sally Slow' };

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    tmp = await mkdtemp(path.join(tmpdir(), 'nimbus-slow-e2e-'));
    await apiSignup(server.url, user);
    const login = await apiLogin(server.url, user.email, user.password);
    api = { cookie: login.cookie, csrf: login.csrf };
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  // A link of its own for each test: nothing of one test's connections is left for the next.
  beforeEach(async () => {
    link = await startSlowLink(server.url);
  });
  afterEach(async () => {
    await link?.close();
  });

  const call = (method, p) => apiCall(server.url, method, p, api);
  // The server's offset of the unfinished upload of `name` (null when there is none).
  const serverOffset = async (name) => {
    const r = await call('GET', '/api/v1/uploads');
    const u = r.body.uploads.find((x) => x.name === name);
    return u ? Number(u.offset) : null;
  };
  // Polls until `fn()` is truthy (every 200 ms, at most `ms`); resolves to its value.
  const until = async (fn, ms, what) => {
    for (const end = Date.now() + ms; Date.now() < end; await sleep(200)) {
      const v = await fn();
      if (v) return v;
    }
    throw new Error(`not within ${ms} ms: ${what}`);
  };

  test('a drop costs one small chunk; the bar goes back that far at most; "Retrying…" goes ' +
       'once the server answers', { timeout: 120000 }, async () => {
    const name = 'train video.mp4';
    const bytes = randomBytes(17 * 1024 * 1024);  // Over 16 MiB: tus.
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    link.setRate(kSlow);
    const { context, page, problems } = await openSignedIn(browser, link.url, user);
    try {
      const sizes = [];
      page.on('request', (req) => {
        if (req.method() === 'PATCH') sizes.push(Number(req.headers()['upload-offset']));
      });
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: name });
      await item.locator('progress').waitFor();
      // The bar's lowest point after its highest, sampled every 100 ms.
      await page.evaluate(() => {
        let top = 0;
        window.__drop = 0;
        setInterval(() => {
          const bar = document.querySelector('.upload-list .upload[data-state="uploading"] progress');
          if (!bar) return;
          top = Math.max(top, bar.value);
          window.__drop = Math.max(window.__drop, top - bar.value);
        }, 100);
      });
      // At 100 KB/s a fixed 8 MiB chunk takes 80 s: the server would still be at 0.
      const kept = await until(async () => (await serverOffset(name)) > 0, 20000,
                               'a first chunk on the server');
      assert.ok(kept);
      await sleep(3000);  // In the middle of the next chunk.
      const before = await serverOffset(name);
      link.down();
      await item.locator('.upload-status', { hasText: /Connection lost|Retrying/ }).waitFor();
      await sleep(2000);
      link.up();
      // Back on line: the status says how far it got, no "Retrying…", while bytes flow.
      await until(async () => {
        const text = await item.locator('.upload-status').innerText();
        return /of 17\.\d MB/.test(text) && !/Retrying|Connection lost/.test(text);
      }, 15000, 'the status without "Retrying…"');
      const after = await until(() => serverOffset(name), 5000, 'the upload still listed');
      assert.ok(after >= before && before > 0, `kept ${before} bytes, now at ${after}`);
      const drop = await page.evaluate(() => window.__drop);
      assert.ok(drop <= 2 * 1024 * 1024, `the bar went back ${drop} bytes`);
      // The chunks: small at first (256 KiB), each at most 8 MiB, in steps of 64 KiB.
      const offsets = [...new Set(sizes)].sort((a, b) => a - b);
      assert.equal(offsets[1], 256 * 1024, `offsets ${offsets}`);
      for (const o of offsets) assert.equal(o % (64 * 1024), 0, `offsets ${offsets}`);
      link.setRate(Infinity);
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
          .waitFor({ timeout: 60000 });
      const node = await call('GET', `/api/v1/resolve?path=${encodeURIComponent(`/${name}`)}`);
      assert.equal(node.body.checksum_sha256, sha256(bytes));
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });

  test('resumed after a reload: the speed counts what is sent now, and the upload is not ' +
       'listed as unfinished while it runs', { timeout: 120000 }, async () => {
    const name = 'long clip.mov';
    // Big enough that the link is cut well before the end (with 17 MB at 2 MB/s the file was
    // sometimes whole on the server before the cut, and then rightly not offered for resuming).
    const bytes = randomBytes(40 * 1024 * 1024);
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    link.setRate(1024 * 1024);  // Fast enough to get a few MB there before the reload.
    const { context, page, problems } = await openSignedIn(browser, link.url, user);
    try {
      page.on('dialog', (d) => d.accept().catch(() => {}));  // Leaving during the upload.
      await page.locator('input.upload-files-input').setInputFiles(local);
      const before = await until(async () => (await serverOffset(name)) >= 4 * 1024 * 1024,
                                 30000, '4 MB on the server');
      assert.ok(before);
      // The link drops and the page is reloaded while the upload waits to retry.
      link.down();
      await page.locator('.upload-status', { hasText: /Connection lost|Retrying/ }).waitFor();
      assert.ok((await serverOffset(name)) < bytes.length, 'the cut came before the last byte');
      link.setRate(kSlow);
      link.up();
      await page.reload();
      await page.locator('.upload-resumable li', { hasText: name }).waitFor();
      await page.locator('input.upload-files-input').setInputFiles(local);
      const overall = page.locator('.upload-overall');
      await overall.waitFor();
      // Some seconds of samples: at 100 KB/s the speed must not read megabytes per second (it
      // read "10.7 MB/s"; the browser's own buffers make it read a few hundred KB/s at times).
      const speeds = [];
      for (let i = 0; i < 12; i += 1) {
        await sleep(500);
        assert.equal(await page.locator('.upload-resumable li', { hasText: name }).count(), 0,
                     'the upload being sent is not listed as unfinished');
        const m = /· ([\d.]+) (bytes|KB|MB|GB)\/s/.exec(await overall.innerText());
        if (m) speeds.push(Number(m[1]) * { bytes: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]]);
      }
      assert.ok(speeds.length > 0, 'a speed was shown');
      assert.ok(Math.max(...speeds) < 1e6, `speeds shown at 100 KB/s: ${speeds}`);
      link.setRate(Infinity);
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
          .waitFor({ timeout: 60000 });
      const node = await call('GET', `/api/v1/resolve?path=${encodeURIComponent(`/${name}`)}`);
      assert.equal(node.body.checksum_sha256, sha256(bytes));
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });
});
