// Resumable uploads over a slow link that drops, as on a phone in a train (QA pass 17c): the
// browser reaches the server through a TCP proxy (lib/slow_link.mjs) that really limits what
// it sends and really cuts every connection. Each tus chunk carries a checksum, so the server
// keeps nothing of a chunk cut off: the chunks follow the measured speed (small on a slow
// link), so a drop loses seconds of work and the bar goes back by one chunk at most;
// "Retrying…" goes once the server answers again. After a reload, the resumed upload's offset
// does not count as sent just now (speed, time left), and the upload being sent is not also
// listed as "unfinished… choose the same file again". While the server saves a sent file the
// row says "Saving…" without Cancel, and the quota line counts an upload from its start; the
// speed holds still and the row and the header agree; Cancel asks once much was sent.
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
        let textTop = 0;
        window.__drop = 0;
        window.__textBack = [];
        setInterval(() => {
          const bar = document.querySelector('.upload-list .upload[data-state="uploading"] progress');
          if (!bar) return;
          top = Math.max(top, bar.value);
          window.__drop = Math.max(window.__drop, top - bar.value);
          const m = /^([\d.]+) (bytes|KB|MB) of/.exec(bar.closest('.upload')
              .querySelector('.upload-status').textContent);
          if (!m) return;
          const sent = Number(m[1]) * { bytes: 1, KB: 1e3, MB: 1e6 }[m[2]];
          if (sent < textTop) window.__textBack.push(`${m[0]} after ${textTop}`);
          textTop = Math.max(textTop, sent);
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
      // What the bar and the status say is sent never goes back, also after the reconnect.
      const drop = await page.evaluate(() => window.__drop);
      assert.equal(drop, 0, `the bar went back ${drop} bytes`);
      assert.deepEqual(await page.evaluate(() => window.__textBack), [],
                       'the status said less sent than before');
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

  // The quota line above the list ("… held for unfinished uploads · … free of …").
  const quotaText = (page) => page.locator('section.quota .quota-text').innerText();

  test('the server saving the file after its last byte: "Saving…", no speed, no Cancel; the ' +
       'quota line counts the upload from its start, without a reload', { timeout: 120000 },
       async () => {
    const name = 'wedding.mov';
    const bytes = randomBytes(17 * 1024 * 1024);  // Over 16 MiB: tus.
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    const { context, page, problems } = await openSignedIn(browser, link.url, user);
    try {
      await page.locator('section.quota .quota-text').waitFor();
      assert.doesNotMatch(await quotaText(page), /held for unfinished uploads/);
      // Each PATCH answered 3 s late: the last one is the server putting the file together.
      link.holdAnswers(['PATCH'], 3000);
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: name });
      // The server holds the upload's size as soon as it is made: the line says so at once.
      await until(async () => /17\.0 MB held for unfinished uploads/.test(await quotaText(page)),
                  10000, 'the quota line counting the upload');
      const status = item.locator('.upload-status');
      await status.getByText(/^Saving…/).waitFor({ timeout: 60000 });
      assert.doesNotMatch(await status.innerText(), /\/s|left/);
      assert.equal(await item.getByRole('button', { name: `Cancel upload of ${name}` })
          .isVisible(), false, 'no Cancel while the server saves it');
      const overall = page.locator('.upload-overall');
      await overall.getByText(/^17\.0 MB of 17\.0 MB sent · Saving…$/).waitFor();
      await page.getByRole('region', { name: 'Uploads' }).getByText('1 of 1 uploaded')
          .waitFor({ timeout: 30000 });
      // Done: the bytes are used now, and nothing is held any more.
      await until(async () => !/held for unfinished/.test(await quotaText(page)),
                  10000, 'the quota line after the upload');
      const node = await call('GET', `/api/v1/resolve?path=${encodeURIComponent(`/${name}`)}`);
      assert.equal(node.body.checksum_sha256, sha256(bytes));
      assertNoProblems(problems, kExpected);
    } finally {
      link.holdAnswers([], 0);
      await context.close();
    }
  });

  test('Cancel asks once much is sent (Keep uploading keeps it); the speed is steady and the ' +
       'same in the header and the row; a small upload cancels at once', { timeout: 120000 },
       async () => {
    const name = 'raw footage.mxf';
    const bytes = randomBytes(20 * 1024 * 1024);
    const local = path.join(tmp, name);
    await writeFile(local, bytes);
    const kRate = 200 * 1024;
    link.setRate(kRate);
    const { context, page, problems } = await openSignedIn(browser, link.url, user);
    try {
      await page.locator('input.upload-files-input').setInputFiles(local);
      const item = page.locator('.upload-list .upload', { hasText: name });
      const speedOf = (text) => {
        const m = /· ([\d.]+) (bytes|KB|MB|GB)\/s · (.+) left/.exec(text);
        return m ? { rate: Number(m[1]) * { bytes: 1, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]],
                     left: m[3] } : null;
      };
      // Some seconds in: the row and the header say the same speed, and it holds still.
      await sleep(6000);
      const rates = [];
      for (let i = 0; i < 12; i += 1) {
        await sleep(500);
        const [row, head] = await page.evaluate(() => [
          document.querySelector('.upload-list .upload .upload-status')?.textContent ?? '',
          document.querySelector('.upload-overall')?.textContent ?? '']);
        const [r, h] = [speedOf(row), speedOf(head)];
        if (!r || !h) continue;
        assert.ok(Math.abs(r.rate - h.rate) <= 0.1 * r.rate, `row "${row}", header "${head}"`);
        rates.push(r.rate);
      }
      assert.ok(rates.length >= 6, `speeds shown: ${rates}`);
      const [low, high] = [Math.min(...rates), Math.max(...rates)];
      assert.ok(high <= 1.5 * low, `the speed jumped about: ${rates}`);
      assert.ok(low > kRate / 3 && high < kRate * 3, `speeds at ${kRate} B/s: ${rates}`);

      // More than 10 s of sending: Cancel asks first, and "Keep uploading" is the default.
      const cancel = item.getByRole('button', { name: `Cancel upload of ${name}` });
      await cancel.click();
      const ask = page.getByRole('dialog', { name: `Cancel the upload of "${name}"?` });
      await ask.getByText(/^The [\d.]+ MB sent so far will be discarded\.$/).waitFor();
      const keep = ask.getByRole('button', { name: 'Keep uploading' });
      assert.equal(await keep.evaluate((el) => el === document.activeElement), true);
      await page.keyboard.press('Enter');
      await ask.waitFor({ state: 'detached' });
      assert.equal(await item.getAttribute('data-state'), 'uploading');
      await cancel.click();
      await ask.getByRole('button', { name: 'Cancel upload' }).click();
      await page.getByRole('region', { name: 'Uploads' }).getByText('0 uploaded, 1 cancelled')
          .waitFor();
      await until(async () => (await serverOffset(name)) === null, 10000, 'the upload dropped');

      // A small file that has just started: cancelled at once, no question.
      link.setRate(20 * 1024);
      const small = path.join(tmp, 'small note.txt');
      await writeFile(small, randomBytes(400 * 1024));
      await page.locator('input.upload-files-input').setInputFiles(small);
      const smallItem = page.locator('.upload-list .upload', { hasText: 'small note.txt' });
      await smallItem.locator('.upload-status', { hasText: / of / }).waitFor();
      await smallItem.getByRole('button', { name: 'Cancel upload of small note.txt' }).click();
      await page.getByRole('region', { name: 'Uploads' }).getByText('0 uploaded, 2 cancelled')
          .waitFor();
      assert.equal(await page.getByRole('dialog').count(), 0);
      assertNoProblems(problems, kExpected);
    } finally {
      await context.close();
    }
  });
});
