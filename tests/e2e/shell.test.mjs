// The web shell in a real browser against the real server: the frame renders, client-side
// links change the view without a page load, deep links get the not-found view through the
// server's SPA fallback, and nothing trips the CSP or logs an error.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('web shell', () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  // Opens `path` in a fresh page and waits until the app has rendered its first view.
  async function open(path, contextOptions) {
    const session = await openPage(browser, server.url, contextOptions);
    const response = await session.page.goto(path);
    await session.page.locator('#app[data-ready="true"]').waitFor();
    return { ...session, response };
  }

  // Waits until the main heading and the document title are those of the expected view.
  function waitForView(page, heading, title) {
    return page.waitForFunction(
        ([h, t]) => document.querySelector('main h1')?.textContent === h && document.title === t,
        [heading, title]);
  }

  function assertNoProblems(problems) {
    assert.deepEqual(problems.cspViolations, [], 'CSP violations');
    assert.deepEqual(problems.pageErrors, [], 'uncaught page errors');
    assert.deepEqual(problems.consoleErrors, [], 'console errors');
  }

  test('home renders the header, navigation and a live server status', async () => {
    const { context, page, problems } = await open('/');
    try {
      assert.equal(await page.locator('header .brand').innerText(), 'Nimbus');
      const nav = page.getByRole('navigation', { name: 'Main' });
      assert.deepEqual(await nav.getByRole('link').allInnerTexts(), ['Home', 'About']);
      assert.equal(await nav.getByRole('link', { name: 'Home' }).getAttribute('aria-current'),
                   'page');
      assert.match(await page.locator('main h1').innerText(), /your own server/);
      assert.equal(await page.title(), 'Home · Nimbus');
      // The home view calls GET /healthz through api.js.
      await page.getByText('The server is up.').waitFor();
      assert.ok(await page.locator('footer').isVisible());
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a client-side link changes URL and view without a page load', async () => {
    const { context, page, problems } = await open('/');
    try {
      await page.evaluate(() => { window.__nimbusMarker = 'still here'; });
      const documentLoads = [];
      page.on('request', (r) => { if (r.resourceType() === 'document') documentLoads.push(r.url()); });

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'About' })
          .click();
      await page.waitForURL(`${server.url}/about`);
      // The URL changes first; the view module loads and renders right after.
      await waitForView(page, 'About Nimbus', 'About · Nimbus');
      assert.equal(await page.evaluate(() => window.__nimbusMarker), 'still here');
      const nav = page.getByRole('navigation', { name: 'Main' });
      assert.equal(await nav.getByRole('link', { name: 'About' }).getAttribute('aria-current'),
                   'page');
      assert.equal(await nav.getByRole('link', { name: 'Home' }).getAttribute('aria-current'),
                   null);

      // Back goes to the home view, again without loading the document.
      await page.goBack();
      await page.waitForURL(`${server.url}/`);
      await waitForView(page, 'Your files, on your own server', 'Home · Nimbus');
      assert.equal(await page.evaluate(() => window.__nimbusMarker), 'still here');
      assert.deepEqual(documentLoads, []);
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('a deep link loads the app and shows the not-found view', async () => {
    const { context, page, problems, response } = await open('/some/where');
    try {
      assert.equal(response.status(), 200, 'SPA fallback answers index.html');
      assert.match(response.headers()['content-type'], /^text\/html/);
      assert.match(response.headers()['content-security-policy'] ?? '', /default-src 'self'/);
      assert.equal(await page.locator('main h1').innerText(), 'Page not found');
      assert.equal(await page.locator('main code').innerText(), '/some/where');
      assert.equal(await page.title(), 'Page not found · Nimbus');

      await page.evaluate(() => { window.__nimbusMarker = 'kept'; });
      await page.getByRole('link', { name: 'Go to the home page' }).click();
      await page.waitForURL(`${server.url}/`);
      await waitForView(page, 'Your files, on your own server', 'Home · Nimbus');
      assert.equal(await page.evaluate(() => window.__nimbusMarker), 'kept');
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('the layout fits a phone screen', async () => {
    const { context, page, problems } = await open('/', { viewport: { width: 360, height: 740 } });
    try {
      const overflow = await page.evaluate(
          () => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `page is ${overflow}px wider than a 360px screen`);
      // The links are behind "Menu".
      const nav = page.getByRole('navigation', { name: 'Main' });
      await page.getByRole('button', { name: 'Menu' }).click();
      assert.ok(await nav.getByRole('link', { name: 'About' }).isVisible());
      assertNoProblems(problems);
    } finally {
      await context.close();
    }
  });

  test('assets are served under the build hash with ETag and a long cache', async () => {
    const index = await fetch(`${server.url}/`);
    assert.equal(index.status, 200);
    const html = await index.text();
    assert.ok(!html.includes('{{ASSET_BASE}}'), 'placeholder replaced');
    const src = /<script type="module" src="(\/assets\/[^/"]+\/js\/app\.js)"/.exec(html)?.[1];
    assert.ok(src, 'index.html loads app.js from /assets/<hash>/');

    const asset = await fetch(`${server.url}${src}`);
    assert.equal(asset.status, 200);
    assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
    const body = Buffer.from(await asset.arrayBuffer());
    const sha = createHash('sha256').update(body).digest('hex').slice(0, 16);
    assert.equal(asset.headers.get('etag'), `"${sha}"`);

    const again = await fetch(`${server.url}${src}`, { headers: { 'If-None-Match': `"${sha}"` } });
    assert.equal(again.status, 304);
  });
});
