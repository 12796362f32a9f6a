// Picture thumbnails and the grid view (GET /nodes/{id}/thumbnail, /public/{token}/thumbnail):
// a JPEG or PNG row shows its 64 px thumbnail in place of the file icon in my files, a folder
// shared with me, search results and a public link's page, and the browser keeps it (?v= the
// checksum: a reload asks for nothing); a file without one keeps its icon. List / Grid in the
// toolbar draws tiles (256 px thumbnails, large icons, names cut short), remembered per
// browser; in the grid the selection, the keys, opening, the "⋯" menu, drag and drop, paging
// and the live refresh work as in the list, "Sort by" sorts, and a phone has 2 or 3 columns.
// The viewer shows a picture's thumbnail at once while the picture loads.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { deflateSync } from 'node:zlib';

import { apiCall, apiLogin, apiSignupConfirmed } from './lib/api_client.mjs';
import { assertNoProblems, launchBrowser, openPage, openSignedIn } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

// A w×h PNG (RGB), its left half `left` and its right half `right` ([r, g, b]).
function png(w, h, left, right = left) {
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
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;  // Bits per sample.
  ihdr[9] = 2;  // RGB.
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) raw.set(x < w / 2 ? left : right, y * (w * 3 + 1) + 1 + x * 3);
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr),
                        chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('thumbnails and the grid view', () => {
  let server;
  let browser;
  const password = 'a long enough passphrase 7';
  const ana = { email: `ana-${process.pid}@example.com`, password, name: 'Ana' };
  const ben = { email: `ben-${process.pid}@example.com`, password, name: 'Ben' };
  let api;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    await apiSignupConfirmed(server.url, server.dataDir, ana);
    await apiSignupConfirmed(server.url, server.dataDir, ben);
    const l = await apiLogin(server.url, ana.email, ana.password);
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
  // A JPEG drawn in the page (w×h, yellow left half, green right half).
  const jpeg = (page, w, h) => page.evaluate(async ([width, height]) => {
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d');
    g.fillStyle = '#00a000';
    g.fillRect(0, 0, width, height);
    g.fillStyle = '#ffff00';
    g.fillRect(0, 0, width / 2, height);
    const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    return [...new Uint8Array(await blob.arrayBuffer())];
  }, [w, h]).then((bytes) => Buffer.from(bytes));
  // A folder of pictures and other files: { folder, red (PNG), photo (JPEG), broken, notes }.
  const pictures = async (page, name) => {
    const f = await folder(name);
    return {
      folder: f,
      red: await putFile(f.id, 'red.png', png(400, 300, [255, 0, 0], [0, 0, 255])),
      photo: await putFile(f.id, 'photo.jpg', await jpeg(page, 640, 480)),
      broken: await putFile(f.id, 'broken.jpg', 'this is no picture at all'),
      notes: await putFile(f.id, 'notes.txt', 'plain words'),
    };
  };
  const row = (page, name) =>
    page.locator(`table.file-table tr[data-id][data-name="${name.replace(/["\\]/g, '\\$&')}"]`);
  // What an <img> shows once it has loaded or failed: { ok, w, h, src, ... }.
  const settledImg = (locator) => locator.evaluate((img) => new Promise((resolve) => {
    const done = () => resolve({ ok: img.naturalWidth > 0, w: img.naturalWidth,
                                 h: img.naturalHeight, src: img.getAttribute('src'),
                                 loading: img.loading, decoding: img.decoding, alt: img.alt,
                                 width: img.getAttribute('width'),
                                 height: img.getAttribute('height'),
                                 shown: getComputedStyle(img).opacity === '1' });
    if (img.complete) done();
    else {
      img.addEventListener('load', () => requestAnimationFrame(done), { once: true });
      img.addEventListener('error', done, { once: true });
    }
  }));
  // The thumbnail requests a page made (URLs), from the moment this is called.
  const thumbRequests = (page) => {
    const seen = [];
    page.on('request', (r) => {
      if (r.url().includes('/thumbnail')) seen.push(r.url());
    });
    return seen;
  };
  const iconShown = (locator) => locator.locator('svg.node-icon').evaluate(
    (svg) => getComputedStyle(svg).visibility === 'visible' && svg.getClientRects().length > 0);

  test('a picture\'s row shows its 64 px thumbnail instead of the icon; other files and a ' +
       'damaged picture keep the icon; a reload takes the thumbnails from the cache',
  async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, ana);
    try {
      const made = await pictures(page, 'Rows');
      const asked = thumbRequests(page);
      await page.goto('/files/Rows');
      const red = row(page, 'red.png').locator('img.thumb');
      await red.waitFor();
      const r = await settledImg(red);
      assert.ok(r.ok && r.shown, JSON.stringify(r));
      assert.equal(r.w, 64);  // 400×300 fits 64×64: 64×48.
      assert.equal(r.h, 48);
      assert.deepEqual([r.loading, r.decoding, r.alt, r.width, r.height],
                       ['lazy', 'async', '', '32', '32']);
      assert.equal(r.src, `/api/v1/nodes/${made.red.id}/thumbnail?size=64&v=${
        made.red.checksum_sha256}`);
      // The icon gave way to the picture.
      assert.equal(await iconShown(row(page, 'red.png')), false);
      const p = await settledImg(row(page, 'photo.jpg').locator('img.thumb'));
      assert.ok(p.ok && p.w === 64 && p.h === 48, JSON.stringify(p));
      // A .jpg the server cannot read: its 404 leaves the icon (and no broken image).
      await page.waitForFunction(() => !document.querySelector(
        'tr[data-name="broken.jpg"] img'));
      assert.equal(await iconShown(row(page, 'broken.jpg')), true);
      // Not a picture: the icon, and nothing asked of the server.
      assert.equal(await row(page, 'notes.txt').locator('img').count(), 0);
      assert.equal(await iconShown(row(page, 'notes.txt')), true);
      assert.ok(!asked.some((u) => u.includes(made.notes.id)), asked.join('\n'));
      assert.ok(asked.some((u) => u.includes(made.broken.id)));
      // The row is as high with the picture as it was before it came (fixed size).
      const box = await row(page, 'red.png').locator('.thumb-box').boundingBox();
      assert.deepEqual([Math.round(box.width), Math.round(box.height)], [32, 32]);

      // A reload: the thumbnails come from the browser's cache (the URL names the content).
      await page.reload();
      await row(page, 'red.png').locator('img.thumb').waitFor();
      assert.ok((await settledImg(row(page, 'red.png').locator('img.thumb'))).ok);
      assert.ok((await settledImg(row(page, 'photo.jpg').locator('img.thumb'))).ok);
      const fetched = await page.evaluate((ids) => performance.getEntriesByType('resource')
        .filter((e) => ids.some((id) => e.name.includes(`/nodes/${id}/thumbnail?size=64&v=`)))
        .map((e) => ({ name: e.name, transferSize: e.transferSize })),
      [made.red.id, made.photo.id]);
      assert.equal(fetched.length, 2, JSON.stringify(fetched));
      for (const e of fetched) assert.equal(e.transferSize, 0, `${e.name} came from the network`);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('thumbnails in a folder shared with me, in search results and on a public link\'s ' +
       'page (with a password)', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, ana);
    let other = null;
    let visitor = null;
    try {
      const made = await pictures(page, 'Holiday');
      const s = await call('POST', '/api/v1/shares', { node_id: made.folder.id, email: ben.email,
                                                       permission: 'read' });
      assert.equal(s.status, 201, JSON.stringify(s.body));
      // Search.
      await page.goto('/search?q=red');
      const found = page.locator('.search-results li', { hasText: 'red.png' })
        .filter({ hasText: '/Holiday' }).locator('img.thumb');
      const f = await settledImg(found);
      assert.ok(f.ok && f.w === 64, JSON.stringify(f));
      assert.match(f.src, new RegExp(`v=${made.red.checksum_sha256}$`));

      // A folder shared with Ben.
      other = await openSignedIn(browser, server.url, ben);
      await other.page.goto(`/shared/${made.folder.id}`);
      const shared = await settledImg(row(other.page, 'photo.jpg').locator('img.thumb'));
      assert.ok(shared.ok && shared.w === 64, JSON.stringify(shared));
      assert.ok(await iconShown(row(other.page, 'notes.txt')));

      // A public link with a password, opened by a visitor.
      const l = await call('POST', '/api/v1/links', { node_id: made.folder.id,
                                                      password: 'open sesame 42' });
      assert.equal(l.status, 201, JSON.stringify(l.body));
      const token = l.body.token ?? new URL(l.body.url, server.url).pathname.split('/').pop();
      visitor = await openPage(browser, server.url);
      await visitor.page.goto(`/s/${token}`);
      await visitor.page.getByLabel('Password').fill('open sesame 42');
      await visitor.page.getByRole('button', { name: 'Open' }).click();
      const pub = visitor.page.locator('table.public-table tr[data-name="red.png"] img.thumb');
      const v = await settledImg(pub);
      assert.ok(v.ok && v.w === 64, JSON.stringify(v));
      assert.match(v.src, new RegExp(`^/api/v1/public/${token}/thumbnail\\?id=${made.red.id}&` +
                                     `size=64&v=${made.red.checksum_sha256}&key=`));
      assert.equal(await visitor.page.locator('tr[data-name="notes.txt"] img').count(), 0);
      assertNoProblems(problems);
      assertNoProblems(other.problems);
      assertNoProblems(visitor.problems);
    } finally {
      await visitor?.context.close();
      await other?.context.close();
      await context.close();
    }
  });

  test('Grid shows tiles (256 px thumbnails, large icons, names cut short), sorts with "Sort ' +
       'by", is remembered after a reload, and has 2 or 3 columns on a phone', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, ana);
    try {
      const made = await pictures(page, 'Tiles');
      await folder('Tiles/Albums');
      const long = 'a very long name of a holiday picture that cannot fit under its tile.png';
      await putFile(made.folder.id, long, png(300, 300, [0, 128, 255]));
      await page.setViewportSize({ width: 1200, height: 900 });
      await page.goto('/files/Tiles');
      await row(page, 'red.png').waitFor();
      const toggle = page.getByRole('group', { name: 'Show files as' });
      assert.equal(await toggle.getByRole('button', { name: 'List' }).getAttribute('aria-pressed'),
                   'true');
      await toggle.getByRole('button', { name: 'Grid' }).click();
      assert.equal(await toggle.getByRole('button', { name: 'Grid' }).getAttribute('aria-pressed'),
                   'true');
      // Tiles side by side, of one width, the picture on top (256 px thumbnail).
      const tiles = page.locator('table.file-table.is-grid tbody tr[data-id]');
      assert.equal(await tiles.count(), 6);
      const boxes = await tiles.evaluateAll((trs) => trs.map((tr) => {
        const r = tr.getBoundingClientRect();
        return { top: Math.round(r.top), width: Math.round(r.width) };
      }));
      const firstLine = boxes.filter((b) => b.top === boxes[0].top).length;
      assert.ok(firstLine >= 4, JSON.stringify(boxes));
      assert.ok(boxes.every((b) => Math.abs(b.width - boxes[0].width) <= 1), JSON.stringify(boxes));
      const big = await settledImg(row(page, 'red.png').locator('img.thumb'));
      assert.ok(big.ok && big.w === 256 && big.h === 192, JSON.stringify(big));
      assert.match(big.src, /size=256&v=/);
      const pic = await row(page, 'red.png').locator('.thumb-tile').boundingBox();
      assert.ok(pic.width > 100 && Math.abs(pic.width - pic.height) <= 1, JSON.stringify(pic));
      // A folder and a text file: a large icon in a box of the same size.
      const icon = await row(page, 'Albums').locator('.thumb-tile svg.node-icon').boundingBox();
      assert.ok(icon.width >= 40, JSON.stringify(icon));
      // The long name is on one line under the picture, cut short, whole in its title.
      const name = await row(page, long).locator('a.node-link').evaluate((a) => ({
        cut: a.scrollWidth > a.clientWidth, ellipsis: getComputedStyle(a).textOverflow,
        title: a.title, lines: Math.round(a.getBoundingClientRect().height /
                                          parseFloat(getComputedStyle(a).lineHeight || '20')),
      }));
      assert.deepEqual([name.cut, name.ellipsis, name.title], [true, 'ellipsis', long]);
      const nameBox = await row(page, long).locator('a.node-link').boundingBox();
      const picBox = await row(page, long).locator('.thumb-tile').boundingBox();
      assert.ok(nameBox.y >= picBox.y + picBox.height - 1, 'the name is under the picture');

      // No headers in the grid: "Sort by" sorts.
      const sortBy = page.getByLabel('Sort by');
      assert.ok(await sortBy.isVisible());
      const order = () => tiles.evaluateAll((trs) => trs.map((tr) => tr.dataset.name));
      const before = await order();
      await sortBy.selectOption('name desc');
      await page.waitForURL(/sort=name&order=desc/);
      await page.waitForFunction((first) => document.querySelector(
        'table.file-table tbody tr[data-id]:not([data-type="folder"])')?.dataset.name !== first,
      before[1]);
      assert.deepEqual(await order(), [before[0], ...before.slice(1).reverse()]);

      // Remembered: a reload (and another folder) shows the grid.
      await page.reload();
      await row(page, 'red.png').waitFor();
      assert.ok(await page.locator('table.file-table.is-grid').isVisible());
      assert.equal(await page.getByRole('button', { name: 'Grid' }).getAttribute('aria-pressed'),
                   'true');
      await page.goto('/files');
      await page.locator('table.file-table.is-grid').waitFor();

      // A phone: three tiles a line, two on a 360 px screen; nothing wider than the screen.
      for (const [width, columns] of [[412, 3], [360, 2]]) {
        await page.setViewportSize({ width, height: 800 });
        await page.goto('/files/Tiles');
        await row(page, 'red.png').waitFor();
        const tops = await tiles.evaluateAll((trs) => trs.map((tr) =>
          Math.round(tr.getBoundingClientRect().top)));
        assert.equal(tops.filter((t) => t === tops[0]).length, columns, `${width} px: ${tops}`);
        assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <=
                                            window.innerWidth), `${width} px: no sideways scroll`);
      }
      // Back to the list: the rows and their headers.
      await page.setViewportSize({ width: 1200, height: 900 });
      await page.getByRole('button', { name: 'List' }).click();
      assert.equal(await page.locator('table.file-table.is-grid').count(), 0);
      assert.ok(await page.getByRole('button', { name: 'Name', exact: true }).isVisible());
      assert.equal(await page.evaluate(() => localStorage.getItem('nimbus.fileLayout')), null);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('in the grid: click, Ctrl- and Shift-click select; the checkbox shows on hover; arrow ' +
       'keys move between tiles; Enter opens a folder, a double click the viewer; the "⋯" menu',
  async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, ana);
    try {
      const f = await folder('Keys');
      await folder('Keys/A folder');
      for (const n of ['b.png', 'c.png', 'd.png', 'e.png', 'f.png', 'g.png', 'h.png']) {
        await putFile(f.id, n, png(80, 60, [200, 30, 30]));
      }
      await page.setViewportSize({ width: 1000, height: 900 });
      await page.evaluate(() => localStorage.setItem('nimbus.fileLayout', 'grid'));
      await page.goto('/files/Keys');
      await row(page, 'b.png').waitFor();
      assert.ok(await page.locator('table.file-table.is-grid').isVisible());
      const selected = () => page.locator('tbody tr[aria-selected="true"]')
        .evaluateAll((trs) => trs.map((tr) => tr.dataset.name));
      const checkOpacity = (name) => row(page, name).locator('td.col-check')
        .evaluate((td) => getComputedStyle(td).opacity);
      await page.mouse.move(0, 0);
      assert.equal(await checkOpacity('c.png'), '0');
      await row(page, 'c.png').locator('.thumb-tile').hover();
      assert.equal(await checkOpacity('c.png'), '1');
      // A click on the picture selects (does not open); Ctrl adds; Shift takes the range.
      await row(page, 'c.png').locator('.thumb-tile').click();
      assert.deepEqual(await selected(), ['c.png']);
      assert.equal(await page.locator('dialog.preview').count(), 0);
      await row(page, 'e.png').locator('.thumb-tile').click({ modifiers: ['Control'] });
      assert.deepEqual(await selected(), ['c.png', 'e.png']);
      await row(page, 'g.png').locator('.thumb-tile').click({ modifiers: ['Shift'] });
      assert.deepEqual(await selected(), ['c.png', 'e.png', 'f.png', 'g.png']);
      // Once something is ticked every checkbox shows.
      await page.mouse.move(0, 0);
      assert.equal(await checkOpacity('h.png'), '1');
      await page.keyboard.press('Escape');
      assert.deepEqual(await selected(), []);

      // Keys: → the next tile, ↓ the tile below (a line further), focus visible on the tile.
      const perLine = await page.locator('tbody tr[data-id]').evaluateAll((trs) =>
        trs.filter((tr) => tr.getBoundingClientRect().top ===
                           trs[0].getBoundingClientRect().top).length);
      assert.ok(perLine >= 3 && perLine < 8, String(perLine));
      await row(page, 'A folder').getByRole('checkbox').focus();
      const focused = () => page.evaluate(() => document.activeElement.closest('tr')?.dataset.name);
      await page.keyboard.press('ArrowRight');
      assert.equal(await focused(), 'b.png');
      const ring = await row(page, 'b.png').evaluate((tr) => getComputedStyle(tr).outlineStyle);
      assert.equal(ring, 'solid');
      assert.equal(await checkOpacity('b.png'), '1');
      await page.keyboard.press('ArrowDown');
      const names = ['A folder', 'b.png', 'c.png', 'd.png', 'e.png', 'f.png', 'g.png', 'h.png'];
      assert.equal(await focused(), names[1 + perLine]);
      await page.keyboard.press('ArrowLeft');
      assert.equal(await focused(), names[perLine]);
      await page.keyboard.press('Shift+ArrowRight');
      assert.deepEqual(await selected(), [names[perLine], names[perLine + 1]]);

      // The "⋯" menu of a tile.
      await row(page, 'd.png').getByRole('button', { name: 'More actions for d.png' }).click();
      const menu = page.getByRole('menu', { name: 'Actions for d.png' });
      await menu.waitFor();
      assert.ok(await menu.getByRole('menuitem', { name: 'Rename' }).isVisible());
      // The menu is above the tiles after it (none paints over it).
      const item = await menu.getByRole('menuitem', { name: 'Delete' }).boundingBox();
      const hit = await page.evaluate(([x, y]) => document.elementFromPoint(x, y)?.textContent,
                                      [item.x + item.width / 2, item.y + item.height / 2]);
      assert.equal(hit, 'Delete');
      await page.keyboard.press('Escape');

      // A double click on a picture opens the viewer; Enter on a folder's tile opens it.
      await row(page, 'h.png').locator('.thumb-tile').dblclick();
      const viewer = page.getByRole('dialog', { name: 'h.png' });
      await viewer.waitFor();
      await page.keyboard.press('Escape');
      await viewer.waitFor({ state: 'detached' });
      // The closed viewer gives the focus back to the tile that opened it (after the dialog is
      // gone, which on a busy machine may come after the next line's focus): wait for that
      // first, so Enter goes to the folder's tile and not back to h.png's.
      await page.waitForFunction(
        () => document.activeElement?.closest('[data-id]')?.textContent?.includes('h.png'),
        null, { timeout: 3000 }).catch(() => {});
      await row(page, 'A folder').getByRole('checkbox').press('Enter');
      await page.waitForURL(/\/files\/Keys\/A%20folder$/);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('in the grid: a tile dragged onto a folder moves there, files dropped upload, the list ' +
       'follows changes made elsewhere, and more tiles load at the end', async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, ana);
    try {
      const f = await folder('Many');
      const into = await folder('Many/Into');
      await putFile(f.id, 'move me.png', png(50, 50, [10, 200, 10]));
      const names = Array.from({ length: 205 }, (_, i) => `n${String(i).padStart(3, '0')}.txt`);
      for (const n of names) await putFile(f.id, n, n);
      await page.evaluate(() => {
        localStorage.setItem('nimbus.fileLayout', 'grid');
        localStorage.setItem('nimbus.refreshMs', '500');
      });
      await page.goto('/files/Many');
      await row(page, 'Into').waitFor();
      const tiles = page.locator('table.file-table.is-grid tbody tr[data-id]');
      assert.equal(await tiles.count(), 200);  // One page.
      // Dragged onto the folder's tile: moved.
      await row(page, 'move me.png').dragTo(row(page, 'Into'));
      await row(page, 'move me.png').waitFor({ state: 'detached' });
      const inInto = await call('GET', `/api/v1/nodes/${into.id}/children`);
      assert.deepEqual(inInto.body.items.map((n) => n.name), ['move me.png']);
      // Files dropped on the grid upload into the folder.
      await page.evaluate(() => {
        const dt = new DataTransfer();
        dt.items.add(new File(['dropped'], 'a dropped file.txt'));
        const zone = document.querySelector('.drop-zone');
        zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true,
                                                       cancelable: true }));
        zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true,
                                                   cancelable: true }));
      });
      await row(page, 'a dropped file.txt').waitFor();
      assert.ok(await row(page, 'a dropped file.txt').locator('.thumb-tile').isVisible());
      // Added elsewhere: its tile comes without a reload.
      await putFile(f.id, 'added elsewhere.png', png(60, 40, [0, 0, 0]));
      await row(page, 'added elsewhere.png').waitFor();
      const added = await settledImg(row(page, 'added elsewhere.png').locator('img.thumb'));
      assert.ok(added.ok, JSON.stringify(added));
      // The end of the grid loads the rest (Load more, or scrolling there).
      await page.locator('.list-end').scrollIntoViewIfNeeded();
      await row(page, 'n204.txt').waitFor();
      assert.equal(await tiles.count(), 208);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the viewer shows a picture\'s thumbnail at once, scaled up, while the picture loads',
  async () => {
    const { context, page, problems } = await openSignedIn(browser, server.url, ana);
    try {
      const f = await folder('Slow');
      await putFile(f.id, 'big.png', png(1600, 1200, [255, 0, 0], [0, 0, 255]));
      await page.setViewportSize({ width: 1200, height: 900 });
      await page.evaluate(() => localStorage.setItem('nimbus.fileLayout', 'grid'));
      await page.goto('/files/Slow');
      assert.ok((await settledImg(row(page, 'big.png').locator('img.thumb'))).ok);
      // A slow network from now on: the picture takes seconds, the thumbnail is in the cache.
      const cdp = await context.newCDPSession(page);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 1500, downloadThroughput: 200 * 1024,
        uploadThroughput: 200 * 1024 });
      await row(page, 'big.png').locator('a.node-link').click();
      const viewer = page.getByRole('dialog', { name: 'big.png' });
      const sketch = viewer.locator('canvas.preview-sketch');
      await sketch.waitFor({ timeout: 1000 });
      const shown = await sketch.evaluate((c) => {
        const g = c.getContext('2d');
        const px = (x) => [...g.getImageData(x, c.height / 2, 1, 1).data].slice(0, 3);
        const r = c.getBoundingClientRect();
        return { w: c.width, h: c.height, cssWidth: r.width, left: px(10), right: px(c.width - 10),
                 img: !document.querySelector('dialog.preview img.preview-media').hidden };
      });
      assert.equal(shown.img, false, 'the picture itself is still loading');
      assert.deepEqual([shown.w, shown.h], [256, 192]);
      assert.ok(shown.cssWidth > 400, `scaled up: ${shown.cssWidth}`);
      assert.ok(shown.left[0] > 200 && shown.left[2] < 60, JSON.stringify(shown.left));
      assert.ok(shown.right[2] > 200 && shown.right[0] < 60, JSON.stringify(shown.right));
      // Then the picture itself takes its place.
      await viewer.locator('img.preview-media').waitFor({ state: 'visible', timeout: 30000 });
      assert.equal(await sketch.count(), 0);
      await cdp.send('Network.emulateNetworkConditions', {
        offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });
});
