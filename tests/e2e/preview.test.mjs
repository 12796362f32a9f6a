// The file viewer (web/js/files/preview.js) in a real browser against the real server: a click
// on a file's name (or Enter on its row) shows it in a dialog over the list instead of
// downloading it. An image is displayed; text is shown literally (a <script> or an HTML file is
// never run or rendered), only the first 1 MB of a large one; a file of an unknown kind offers
// Download; ← → step through the previewable files in the list's order, Tab stays in the
// dialog, Esc closes it and focus goes back to the row. A file deleted meanwhile shows the
// server's message; a PDF is framed from its inline URL; the row's Download still downloads;
// the viewer fits a phone screen; a "Shared with me" folder and a public link use it too. In a
// folder of more than one page the viewer loads the next page as it goes (and Home/End go to the
// ends); a .mkv gets the video player when the browser may play it.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';

import { apiCall, apiLogin, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openPage, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// A PNG of `width` x `height` RGB pixels, built here (no image library): signature, IHDR, one
// IDAT of filter-0 scanlines, IEND, each chunk with its CRC-32.
function makePng(width, height) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);  // 8 bits per channel, RGB, deflate, no filter, no interlace.
  const rows = [];
  for (let y = 0; y < height; y += 1) {
    const line = Buffer.alloc(1 + width * 3);
    for (let x = 0; x < width; x += 1) line.set([(x * 40) & 255, (y * 80) & 255, 200], 1 + x * 3);
    rows.push(line);
  }
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
                        chunk('IHDR', header), chunk('IDAT', deflateSync(Buffer.concat(rows))),
                        chunk('IEND', Buffer.alloc(0))]);
}

const kScript = '<script>alert(1)</script>';
const kUnicode = 'Grüße, 日本語, emoji 🎉 — “quotes” ✓';
const kHtml = '<h1 id="rendered">Not a heading</h1><img src="nowhere.png" onerror="alert(2)">';
// A minimal PDF (one empty page); the viewer only frames it, so exact offsets do not matter.
const kPdf = '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
             '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
             '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 100]>>endobj\n' +
             'trailer<</Root 1 0 R>>\n%%EOF\n';

describe('file preview', () => {
  let server;
  let browser;
  let auth;  // { cookie, csrf } of the owner's API session.
  let folderId;
  const owner = { email: `preview-${process.pid}@example.com`,
                  password: 'a long enough passphrase 7', name: 'Petra Preview' };
  const friend = { email: `preview-friend-${process.pid}@example.com`,
                   password: 'a long enough passphrase 7', name: 'Fred Friend' };
  // The files of /Viewer, in name order. Previewable: the PNG, both texts, the HTML, the PDF.
  const files = {
    'a picture.png': makePng(6, 4),
    'b notes.txt': Buffer.from(`${kScript}\n${kUnicode}\n`),
    'c data.xyz': randomBytes(300),
    'd page.html': Buffer.from(kHtml),
    'e big.log': Buffer.from(`${'0123456789abcdef'.repeat(4096)}\n`.repeat(18)),  // 1.1 MiB
    'f doc.pdf': Buffer.from(kPdf),
  };
  const previewable = ['a picture.png', 'b notes.txt', 'd page.html', 'e big.log', 'f doc.pdf'];

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await apiSignupConfirmed(server.url, server.dataDir, owner);
    await apiSignupConfirmed(server.url, server.dataDir, friend);
    const login = await apiLogin(server.url, owner.email, owner.password);
    auth = { cookie: login.cookie, csrf: login.csrf };
    const folder = await call('POST', '/api/v1/nodes/root/folders', { path: 'Viewer' });
    assert.equal(folder.status, 201, JSON.stringify(folder.body));
    folderId = folder.body.id;
    for (const [name, bytes] of Object.entries(files)) await put(`Viewer/${name}`, bytes);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  const call = (method, p, body) => apiCall(server.url, method, p, { ...auth, body });
  async function put(p, bytes) {
    const r = await fetch(`${server.url}/api/v1/nodes/root/content?path=${encodeURIComponent(p)}`,
                          { method: 'PUT', body: bytes,
                            headers: { Cookie: auth.cookie, 'X-CSRF-Token': auth.csrf } });
    const body = await r.text();
    assert.equal(r.status, 201, `${p}: ${body}`);
    return JSON.parse(body);
  }

  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
  const viewer = (page) => page.getByRole('dialog');
  const heading = (page) => viewer(page).getByRole('heading', { level: 2 });
  // The viewer's image once the browser has decoded it: its natural width (0 when broken).
  const imageWidth = (page) => viewer(page).locator('img').evaluate(async (img) => {
    if (!img.complete) await new Promise((resolve) => img.addEventListener('load', resolve));
    return img.naturalWidth;
  });
  const focusInViewer = (page) => page.evaluate(() => {
    const dialog = document.querySelector('dialog.preview');
    return Boolean(dialog?.open && dialog.contains(document.activeElement));
  });

  // Waits (a moment at most) until `locator` has the focus; fails naming what has it.
  async function focusOn(page, locator) {
    const handle = await locator.elementHandle();
    try {
      await page.waitForFunction((el) => el === document.activeElement, handle, { timeout: 3000 });
    } catch {
      const has = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 200));
      assert.fail(`focus is on ${has}, not on ${await locator.evaluate((el) => el.outerHTML)}`);
    }
  }

  // Signed in as `user`, at /files/Viewer (reached by clicking the folder, as before).
  async function openViewerFolder(user = owner) {
    const session = await openSignedIn(browser, server.url, user);
    const alerts = [];
    session.page.on('dialog', (d) => {
      alerts.push(`${d.type()}: ${d.message()}`);
      d.dismiss().catch(() => {});
    });
    await row(session.page, 'Viewer').locator('a.node-link').click();
    await row(session.page, 'a picture.png').waitFor();
    return { ...session, alerts };
  }

  test('image, text shown literally, unknown kind; arrows, Tab and Esc; Enter on a row',
       async () => {
    const { context, page, problems, alerts } = await openViewerFolder();
    try {
      assert.equal(new URL(page.url()).pathname, '/files/Viewer');

      // A click on the image's name shows it in the dialog; nothing is downloaded.
      let downloads = 0;
      page.on('download', () => { downloads += 1; });
      await row(page, 'a picture.png').locator('a.node-link').click();
      await viewer(page).waitFor();
      assert.equal(await viewer(page).getAttribute('aria-modal'), 'true');
      assert.equal(await heading(page).innerText(), 'a picture.png');
      const position = viewer(page).locator('.preview-position');
      assert.equal(await position.innerText(), `1 of ${previewable.length}`);
      assert.equal(await imageWidth(page), 6);
      assert.equal(await viewer(page).getByRole('status').count(), 0, 'no "Loading…" left');
      assert.ok(await focusInViewer(page), 'focus moved into the viewer');
      const src = await viewer(page).locator('img').getAttribute('src');
      assert.match(src, /\/api\/v1\/nodes\/[^/]+\/content\?inline=1$/);

      // → : the text file, shown literally; the script is text, not an element, and never ran.
      await page.keyboard.press('ArrowRight');
      await heading(page).getByText('b notes.txt').waitFor();
      const pre = viewer(page).locator('pre');
      await pre.waitFor();
      const text = await pre.evaluate((el) => el.textContent);
      assert.ok(text.includes(kScript), text);
      assert.ok(text.includes(kUnicode), text);
      assert.equal(await viewer(page).locator('script').count(), 0);
      assert.equal(await position.innerText(), `2 of ${previewable.length}`);

      // → : the unknown kind is skipped; an HTML file shows its source, nothing of it rendered.
      await page.keyboard.press('ArrowRight');
      await heading(page).getByText('d page.html').waitFor();
      await pre.getByText('Not a heading').waitFor();
      assert.equal(await pre.evaluate((el) => el.textContent), kHtml);
      assert.equal(await page.locator('#rendered').count(), 0);
      assert.equal(await viewer(page).locator('.preview-stage img').count(), 0);

      // The buttons step too, and stop at the ends; ← back to the first file.
      await viewer(page).getByRole('button', { name: 'Previous' }).click();
      await heading(page).getByText('b notes.txt').waitFor();
      await page.keyboard.press('ArrowLeft');
      await heading(page).getByText('a picture.png').waitFor();
      assert.equal(await viewer(page).getByRole('button', { name: 'Previous' }).isDisabled(), true);
      await page.keyboard.press('ArrowLeft');  // Nothing before the first.
      assert.equal(await heading(page).innerText(), 'a picture.png');
      assert.equal(await imageWidth(page), 6);

      // Tab and Shift+Tab go round inside the dialog.
      for (let i = 0; i < 8; i += 1) {
        await page.keyboard.press('Tab');
        assert.ok(await focusInViewer(page), `focus left the dialog after ${i + 1} Tab`);
      }
      for (let i = 0; i < 8; i += 1) {
        await page.keyboard.press('Shift+Tab');
        assert.ok(await focusInViewer(page), `focus left the dialog after ${i + 1} Shift+Tab`);
      }

      // Esc closes; focus is back on the row of the file shown last.
      await page.keyboard.press('ArrowRight');
      await heading(page).getByText('b notes.txt').waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });
      await focusOn(page, row(page, 'b notes.txt').locator('a.node-link'));

      // The unknown kind: "No preview" and one Download link (the bar's), which downloads it.
      await row(page, 'c data.xyz').locator('a.node-link').click();
      await viewer(page).getByText('No preview for this kind of file').waitFor();
      assert.equal(await heading(page).innerText(), 'c data.xyz');
      assert.equal(await position.isVisible(), false, 'no position for a file alone');
      assert.equal(await viewer(page).getByRole('button', { name: 'Next' }).isVisible(), false);
      assert.equal(await viewer(page).getByRole('link', { name: 'Download' }).count(), 1);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        viewer(page).getByRole('link', { name: 'Download' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'c data.xyz');
      assert.deepEqual(await readFile(await download.path()), files['c data.xyz']);
      await viewer(page).getByRole('button', { name: 'Close' }).click();
      await viewer(page).waitFor({ state: 'detached' });
      await focusOn(page, row(page, 'c data.xyz').locator('a.node-link'));

      // Enter on a row (its checkbox, where the arrow keys go) opens the file as a click does.
      await row(page, 'a picture.png').getByRole('checkbox').focus();
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Enter');
      await heading(page).getByText('b notes.txt').waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });

      // The row's Download still downloads, the same bytes.
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download a picture.png' }).click(),
      ]);
      assert.deepEqual(await readFile(await file.path()), files['a picture.png']);
      assert.equal(downloads, 2, 'only the two Download clicks downloaded');
      assert.deepEqual(alerts, [], 'no alert or other JavaScript dialog');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('large text shows the first 1 MB; a PDF is framed; "Loading…" while an image loads; a ' +
       'deleted file shows the server\'s message', async (t) => {
    const gone = await put('Viewer/0 gone.png', makePng(2, 2));
    const { context, page, problems } = await openViewerFolder();
    try {
      // Only the first MiB is asked for (Range), and the viewer says so.
      const ranges = [];
      page.on('request', (r) => {
        if (r.url().includes('/content')) ranges.push(r.headers().range ?? null);
      });
      await row(page, 'e big.log').locator('a.node-link').click();
      await viewer(page).getByText(/^Showing the first 1 MB/).waitFor();
      const shown = await viewer(page).locator('pre').evaluate((el) => el.textContent.length);
      assert.equal(shown, 1024 * 1024);
      assert.ok(ranges.includes('bytes=0-1048575'), JSON.stringify(ranges));

      // → : the PDF, in a frame of its inline URL.
      await page.keyboard.press('ArrowRight');
      await heading(page).getByText('f doc.pdf').waitFor();
      const frame = viewer(page).locator('iframe');
      await frame.waitFor();
      const src = await frame.getAttribute('src');
      assert.match(src, /\/api\/v1\/nodes\/[^/]+\/content\?inline=1$/);
      assert.equal(await frame.getAttribute('title'), 'f doc.pdf');
      // What is inside the frame shows only once the server lets its own pages frame inline
      // content (a server change under way); a server that still answers X-Frame-Options: DENY
      // and frame-ancestors 'none' to every request gets the frame blocked (chrome-error://),
      // and then only the frame itself is checked.
      const head = await fetch(new URL(src, server.url), { method: 'HEAD',
                                                           headers: { Cookie: auth.cookie } });
      const framable = /frame-ancestors 'self'/.test(head.headers.get('content-security-policy'));
      if (framable) {
        const inside = await (await frame.elementHandle()).contentFrame();
        await inside.waitForLoadState();
        assert.equal(inside.url(), new URL(src, server.url).href);
      } else {
        t.diagnostic('the server forbids framing inline content: the PDF frame is not checked');
      }
      assert.equal(await viewer(page).getByRole('button', { name: 'Next' }).isDisabled(), true);
      // Keys pressed inside the frame (another document) never reach the viewer: Tab passes
      // the frame by, so Escape keeps working; a button enters it on purpose.
      for (let i = 0; i < 6; i += 1) {
        await page.keyboard.press('Tab');
        assert.notEqual(await page.evaluate(() => document.activeElement?.tagName), 'IFRAME',
                        `Tab ${i + 1} went into the PDF`);
        assert.ok(await page.evaluate(() => document.querySelector('dialog.preview')
          .contains(document.activeElement)), `Tab ${i + 1} left the viewer`);
      }
      const enter = viewer(page).getByRole('button', { name: 'Use the PDF\'s own controls' });
      await enter.click();
      assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'IFRAME');
      await viewer(page).getByText('Tab past its controls, or click Close').waitFor();
      await viewer(page).getByRole('button', { name: 'Close' }).focus();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });

      // While an image loads, the viewer says so (the response is held back here).
      let release;
      const held = new Promise((resolve) => { release = resolve; });
      await page.route(/\/content\?inline=1$/, async (route) => {
        await held;
        await route.continue();
      });
      await row(page, 'a picture.png').locator('a.node-link').click();
      await viewer(page).getByRole('status').getByText('Loading…').waitFor();
      assert.equal(await viewer(page).locator('[aria-busy="true"] img[hidden]').count(), 1);
      release();
      assert.equal(await imageWidth(page), 6);
      assert.equal(await viewer(page).getByRole('status').count(), 0);
      assert.equal(await viewer(page).locator('[aria-busy]').count(), 0);
      await page.unroute(/\/content\?inline=1$/);
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });

      // Deleted elsewhere after the list was drawn: the server's message, no broken image.
      assert.equal((await call('DELETE', `/api/v1/nodes/${gone.id}`)).status, 200);
      await row(page, '0 gone.png').locator('a.node-link').click();
      const alert = viewer(page).getByRole('alert');
      await alert.waitFor();
      assert.equal(await alert.innerText(), 'This file or folder does not exist.');
      assert.equal(await viewer(page).locator('img').count(), 0);
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });

      // The framing refusal of the PDF is logged by Chromium; nothing else may be.
      problems.consoleErrors = problems.consoleErrors.filter(
        (e) => !/Refused to (display|frame)|X-Frame-Options|frame-ancestors/.test(e));
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('Back closes the viewer and stays on the list; Esc leaves no history entry behind; a ' +
       'swipe steps on a touch screen', async () => {
    const { context, page, problems } = await openViewerFolder();
    try {
      // The list drawn now is the one still there after Back (not drawn again).
      await page.evaluate(() => { window.__list = document.querySelector('table.file-table'); });
      await row(page, 'a picture.png').locator('a.node-link').click();
      await heading(page).getByText('a picture.png').waitFor();
      await page.goBack();
      await viewer(page).waitFor({ state: 'detached' });
      assert.equal(new URL(page.url()).pathname, '/files/Viewer');
      assert.ok(await page.evaluate(() => window.__list === document.querySelector('table.file-table')),
                'the list was not drawn again');
      await focusOn(page, row(page, 'a picture.png').locator('a.node-link'));
      // Closed with Escape (or Close): its entry goes too, so Back leaves the folder.
      await row(page, 'b notes.txt').locator('a.node-link').click();
      await heading(page).getByText('b notes.txt').waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });
      await row(page, 'a picture.png').locator('a.node-link').click();
      await viewer(page).getByRole('button', { name: 'Close' }).click();
      await viewer(page).waitFor({ state: 'detached' });
      // Its entry is taken away by an asynchronous history.back(); a Back made before that
      // lands is merged with it by the browser (a person does not press Back that fast).
      await page.waitForFunction(() => !history.state?.nimbusOverlay);
      await page.goBack();
      await page.waitForURL(`${server.url}/`);
      await row(page, 'Viewer').waitFor();
      assertNoProblems(problems);
    } finally {
      await context.close();
    }

    // A touch screen: a swipe to the left shows the next file, to the right the previous one.
    const touch = await openSignedIn(browser, server.url, owner,
                                     { hasTouch: true, viewport: { width: 390, height: 844 } });
    try {
      const { page } = touch;
      await page.goto('/files/Viewer');
      await row(page, 'a picture.png').locator('a.node-link').click();
      await heading(page).getByText('a picture.png').waitFor();
      const swipe = (from, to) => page.locator('dialog.preview .preview-stage').evaluate(
        (stage, [x0, x1]) => {
          const point = (x) => new Touch({ identifier: 1, target: stage, clientX: x, clientY: 300 });
          stage.dispatchEvent(new TouchEvent('touchstart', { bubbles: true,
            touches: [point(x0)], changedTouches: [point(x0)] }));
          stage.dispatchEvent(new TouchEvent('touchend', { bubbles: true,
            touches: [], changedTouches: [point(x1)] }));
        }, [from, to]);
      await swipe(300, 80);
      await heading(page).getByText('b notes.txt').waitFor();
      await swipe(300, 280);  // Too short: nothing.
      await swipe(80, 300);
      await heading(page).getByText('a picture.png').waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });
      assertNoProblems(touch.problems);
    } finally {
      await touch.context.close();
    }
  });

  test('on a phone a swipe to the right shows the previous file and the viewer stays open ' +
       '(not the browser\'s "back" gesture)', async () => {
    // Real touches (CDP) on a phone: Chrome's overscroll "back" gesture took a swipe to the
    // right, and Back closed the viewer (QA pass 17c).
    const { context, page, problems } = await openSignedIn(browser, server.url, owner, {
      viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      await page.goto('/files/Viewer');
      await row(page, 'd page.html').locator('a.node-link').tap();
      await heading(page).getByText('d page.html').waitFor();
      // Also on a scroll box inside (the text's <pre>), which starts its own touch-action.
      const text = page.locator('dialog.preview .preview-text');
      assert.match(await text.evaluate((el) => getComputedStyle(el).touchAction), /pan-y/);
      await page.evaluate(() => {
        window.__popped = 0;
        window.addEventListener('popstate', () => { window.__popped += 1; });
      });
      const cdp = await context.newCDPSession(page);
      const swipe = async (x0, x1, y) => {
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: x0, y }] });
        for (let i = 1; i <= 8; i += 1) {
          await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove',
                                                       touchPoints: [{ x: x0 + ((x1 - x0) * i) / 8, y }] });
          await new Promise((resolve) => { setTimeout(resolve, 20); });
        }
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      };
      for (const previous of ['b notes.txt', 'a picture.png']) {
        await swipe(40, 320, 500);
        await heading(page).getByText(previous).waitFor({ timeout: 5000 });
      }
      await page.waitForTimeout(500);
      assert.equal(await viewer(page).isVisible(), true, 'the viewer is still open');
      assert.equal(await page.evaluate(() => window.__popped), 0, 'no step back in the history');
      assert.equal(new URL(page.url()).pathname, '/files/Viewer');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the viewer fits a phone screen', async () => {
    const { context, page, problems } = await openViewerFolder();
    try {
      await page.setViewportSize({ width: 360, height: 640 });
      await row(page, 'a picture.png').locator('a.node-link').click();
      assert.equal(await imageWidth(page), 6);
      const box = await viewer(page).evaluate((d) => {
        const r = d.getBoundingClientRect();
        return { width: r.width, height: r.height, scroll: d.scrollWidth, client: d.clientWidth };
      });
      assert.ok(box.width <= 360 && box.height <= 640, JSON.stringify(box));
      assert.ok(box.scroll <= box.client, `the viewer scrolls sideways: ${JSON.stringify(box)}`);
      for (const name of ['Next', 'Download', 'Close']) {
        const b = await viewer(page).getByRole(name === 'Download' ? 'link' : 'button',
                                               { name, exact: true }).boundingBox();
        assert.ok(b && b.x >= 0 && b.x + b.width <= 360 && b.y + b.height <= 640,
                  `${name} on the screen: ${JSON.stringify(b)}`);
      }
      const img = await viewer(page).locator('img').boundingBox();
      assert.ok(img.x >= 0 && img.x + img.width <= 360, `image on the screen: ${JSON.stringify(img)}`);
      await page.keyboard.press('ArrowRight');
      await viewer(page).locator('pre').waitFor();
      const pre = await viewer(page).locator('pre').boundingBox();
      assert.ok(pre.x + pre.width <= 360, `text on the screen: ${JSON.stringify(pre)}`);
      await viewer(page).getByRole('button', { name: 'Close' }).click();
      await viewer(page).waitFor({ state: 'detached' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a "Shared with me" folder and a public link to it preview too', async () => {
    const share = await call('POST', '/api/v1/shares',
                             { node_id: folderId, email: friend.email, permission: 'read' });
    assert.equal(share.status, 201, JSON.stringify(share.body));
    const link = await call('POST', '/api/v1/links', { node_id: folderId });
    assert.equal(link.status, 201, JSON.stringify(link.body));

    const shared = await openSignedIn(browser, server.url, friend);
    try {
      const { page } = shared;
      await page.goto(`/shared/${folderId}`);
      await row(page, 'a picture.png').locator('a.node-link').click();
      assert.equal(await imageWidth(page), 6);
      await page.keyboard.press('ArrowRight');
      await viewer(page).locator('pre').getByText(kScript).waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });
      assertNoProblems(shared.problems);
    } finally {
      await shared.context.close();
    }

    const visitor = await openPage(browser, server.url);
    try {
      const { page } = visitor;
      await page.goto(`/s/${link.body.token}`);
      await page.getByRole('heading', { name: 'Viewer', level: 1 }).waitFor();
      await page.locator('tr[data-name="a picture.png"] a.node-link').click();
      assert.equal(await imageWidth(page), 6);
      assert.match(await viewer(page).locator('img').getAttribute('src'),
                   /^\/api\/v1\/public\/[^/]+\/content\?id=[^&]+&inline=1$/);
      await page.keyboard.press('ArrowRight');
      await viewer(page).locator('pre').getByText(kUnicode).waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });
      await focusOn(page, page.locator('tr[data-name="b notes.txt"] a.node-link'));
      // Its Download link still downloads.
      const [file] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download b notes.txt' }).click(),
      ]);
      assert.deepEqual(await readFile(await file.path()), files['b notes.txt']);
      assertNoProblems(visitor.problems);
    } finally {
      await visitor.context.close();
    }
  });
  const kPhone = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true };

  test('a PDF on a phone: no frame (Chrome on Android shows none), a link that opens it, and ' +
       'no word about keys', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, owner, kPhone);
    try {
      await page.goto('/files/Viewer');
      await row(page, 'f doc.pdf').locator('a.node-link').tap();
      const open = viewer(page).getByRole('link', { name: 'Open the PDF' });
      await open.waitFor();
      assert.equal(await viewer(page).locator('iframe').count(), 0);
      const href = await open.getAttribute('href');
      assert.match(href, /\/content\?inline=1$/);
      assert.equal(await open.getAttribute('target'), '_blank');
      const got = await context.request.get(new URL(href, server.url).href);
      assert.equal(got.status(), 200);
      assert.equal((await got.body()).toString(), kPdf);
      const said = await viewer(page).locator('.preview-stage').innerText();
      assert.doesNotMatch(said, /\b(Tab|Escape|arrow keys|click)\b/);
      assert.match(said, /Download above/);
      await viewer(page).getByRole('button', { name: 'Close' }).tap();
      await viewer(page).waitFor({ state: 'detached' });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a share revoked while its album is open in the viewer: the next photo says it is no ' +
       'longer shared (not "does not exist"), with the way back to "Shared with me"', async () => {
    const album = await call('POST', '/api/v1/nodes/root/folders', { path: 'Album for Fred' });
    assert.equal(album.status, 201, JSON.stringify(album.body));
    for (const n of [1, 2, 3]) await put(`Album for Fred/photo ${n}.png`, makePng(6, 4));
    const shareWithFriend = async () => {
      const share = await call('POST', '/api/v1/shares',
                               { node_id: album.body.id, email: friend.email, permission: 'read' });
      assert.equal(share.status, 201, JSON.stringify(share.body));
      return share.body.id;
    };
    const { context, page, problems } = await openSignedIn(browser, server.url, friend, kPhone);
    const kGone = 'This file is no longer shared with you, or its owner deleted it.';
    try {
      // Revoked, then Next: said in the viewer; its link goes to "Shared with me".
      let shareId = await shareWithFriend();
      await page.goto(`/shared/${album.body.id}`);
      await row(page, 'photo 1.png').locator('a.node-link').tap();
      assert.equal(await imageWidth(page), 6);
      assert.equal((await call('DELETE', `/api/v1/shares/${shareId}`)).status, 204);
      await viewer(page).getByRole('button', { name: 'Next' }).tap();
      const alert = viewer(page).getByRole('alert');
      await alert.waitFor();
      assert.equal((await alert.locator('p').first().innerText()), kGone);
      assert.doesNotMatch(await alert.innerText(), /does not exist/);
      await alert.getByRole('link', { name: 'Go to Shared with me' }).tap();
      await page.waitForURL(`${server.url}/shared`);
      await viewer(page).waitFor({ state: 'detached' });
      await page.getByRole('heading', { name: 'Shared with me', level: 1 }).waitFor();

      // Shared again, revoked again, Next, then Close: the page under it says so too.
      shareId = await shareWithFriend();
      await page.goto(`/shared/${album.body.id}`);
      await row(page, 'photo 2.png').locator('a.node-link').tap();
      assert.equal(await imageWidth(page), 6);
      assert.equal((await call('DELETE', `/api/v1/shares/${shareId}`)).status, 204);
      await viewer(page).getByRole('button', { name: 'Next' }).tap();
      await alert.getByText(kGone).waitFor();
      await viewer(page).getByRole('button', { name: 'Close' }).tap();
      await viewer(page).waitFor({ state: 'detached' });
      await page.getByRole('heading', { name: 'No longer shared', level: 1 }).waitFor();
      assert.equal(new URL(page.url()).pathname, `/shared/${album.body.id}`);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a folder of 230 photos: the viewer goes past the 200 rows loaded (loading the next ' +
       'page, as "Load more" does), never claims "200 of 200", and Home/End go to the ends',
       async () => {
    const album = await call('POST', '/api/v1/nodes/root/folders', { path: 'Big album' });
    assert.equal(album.status, 201, JSON.stringify(album.body));
    const png = makePng(2, 2);
    const photo = (n) => `IMG_${String(n).padStart(4, '0')}.png`;
    for (let n = 1; n <= 230; n += 1) await put(`Big album/${photo(n)}`, png);
    const { context, page, problems } = await openSignedIn(browser, server.url, owner);
    try {
      await page.goto('/files/Big%20album');
      await row(page, photo(200)).waitFor();
      const rows = page.locator('table.file-table tbody tr[data-id]');
      assert.equal(await rows.count(), 200);
      const position = viewer(page).locator('.preview-position');
      const next = viewer(page).getByRole('button', { name: 'Next' });

      // The first photo, the list at its top (200 rows): no total claimed yet; End loads the
      // rest of the folder and shows its last photo.
      await row(page, photo(1)).locator('a.node-link').click();
      await heading(page).getByText(photo(1)).waitFor();
      assert.equal(await position.innerText(), '1 of 200 or more');
      assert.equal(await rows.count(), 200);
      await page.keyboard.press('End');
      await heading(page).getByText(photo(230)).waitFor();
      assert.equal(await position.innerText(), '230 of 230');
      assert.equal(await next.isDisabled(), true);
      assert.equal(await rows.count(), 230, 'the list has the rest too');
      await page.keyboard.press('Home');
      await heading(page).getByText(photo(1)).waitFor();
      assert.equal(await position.innerText(), '1 of 230');
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });

      // The last photo of the first page (QA: "200 of 200", Next disabled): → goes on.
      await page.reload();
      await row(page, photo(200)).waitFor();
      await row(page, photo(200)).locator('a.node-link').click();
      await heading(page).getByText(photo(200)).waitFor();
      assert.match(await position.innerText(), /^200 of (200 or more|230)$/);
      assert.equal(await next.isDisabled(), false, 'Next is offered past the rows loaded');
      await page.keyboard.press('ArrowRight');
      await heading(page).getByText(photo(201)).waitFor();
      await position.getByText('201 of 230', { exact: true }).waitFor();
      await next.click();
      await heading(page).getByText(photo(202)).waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });
      await focusOn(page, row(page, photo(202)).locator('a.node-link'));
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a Matroska video (.mkv) gets the player when the browser may play it; bytes it cannot ' +
       'play say so', async () => {
    const folder = await call('POST', '/api/v1/nodes/root/folders', { path: 'Clips' });
    assert.equal(folder.status, 201, JSON.stringify(folder.body));
    await put('Clips/holiday.mkv', randomBytes(4096));
    const { context, page, problems } = await openSignedIn(browser, server.url, owner);
    try {
      await page.goto('/files/Clips');
      const mayPlay = await page.evaluate(() => ['video/x-matroska; codecs="avc1.42E01E"',
        'video/x-matroska'].some((t) => document.createElement('video').canPlayType(t) !== ''));
      assert.ok(mayPlay, 'this Chromium says it may play H.264 in Matroska');
      await row(page, 'holiday.mkv').locator('a.node-link').click();
      await heading(page).getByText('holiday.mkv').waitFor();
      assert.equal(await viewer(page).locator('.preview-stage').getAttribute('data-kind'), 'video');
      assert.equal(await viewer(page).getByText('No preview for this kind of file').count(), 0);
      // Random bytes are no video: the fallback of a player that fails.
      await viewer(page).getByText('This browser cannot show this file').waitFor();
      await page.keyboard.press('Escape');
      await viewer(page).waitFor({ state: 'detached' });
      assertNoProblems(problems, /Failed to load resource|MEDIA_ERR|DEMUXER|PIPELINE/);
    } finally {
      await context.close();
    }
  });
});
