// js/api.js in a real browser: the real server's JSON error for an unknown API path, the CSRF
// header on unsafe methods only, error envelopes and network failures turned into readable
// ApiErrors. Responses other than the server's own are stubbed with page.route().
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { launchBrowser, openPage } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';

describe('api.js', () => {
  let server;
  let browser;
  let session;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    session = await openPage(browser, server.url);
    await session.page.goto('/');
    await session.page.locator('#app[data-ready="true"]').waitFor();
  });

  after(async () => {
    await session?.context.close();
    await browser?.close();
    await server?.stop();
  });

  // Runs `fn(api, arg)` in the page with the app's own api.js module; returns its result.
  // Errors come back as { error: { name, status, code, message } }. The code is passed as a
  // string: Playwright evaluates it over the DevTools protocol, outside the page's CSP (which
  // rightly forbids eval in the page itself).
  async function withApi(fn, arg = null) {
    return session.page.evaluate(`(async () => {
      const src = document.querySelector('script[type="module"]').src;
      const api = await import(src.replace(/app\\.js$/, 'api.js'));
      try {
        return { value: await (${fn.toString()})(api, ${JSON.stringify(arg)}) };
      } catch (e) {
        return { error: { name: e.name, status: e.status, code: e.code, message: e.message } };
      }
    })()`);
  }

  test('an unknown API path rejects with the server\'s not_found error', async () => {
    const { error } = await withApi((api) => api.get('/api/v1/no-such-thing'));
    assert.equal(error?.name, 'ApiError');
    assert.equal(error.status, 404);
    assert.equal(error.code, 'not_found');
    assert.ok(error.message.length > 0 && !error.message.includes('{'), error.message);
  });

  test('the CSRF token goes with POST, PUT, PATCH and DELETE but not with GET', async () => {
    const seen = [];
    await session.page.route('**/api/v1/echo', (route) => {
      const req = route.request();
      seen.push({ method: req.method(), csrf: req.headers()['x-csrf-token'] ?? null,
                  type: req.headers()['content-type'] ?? null, body: req.postData() });
      return route.fulfill({ status: 200, contentType: 'application/json', body: '{"ok":true}' });
    });
    try {
      const { value, error } = await withApi(async (api) => {
        api.setCsrfToken('tok-123');
        await api.get('/api/v1/echo');
        await api.post('/api/v1/echo', { name: 'a' });
        await api.put('/api/v1/echo', { name: 'b' });
        await api.patch('/api/v1/echo', { name: 'c' });
        return api.del('/api/v1/echo');
      });
      assert.equal(error, undefined);
      assert.deepEqual(value, { ok: true });
      assert.deepEqual(seen.map((s) => [s.method, s.csrf]), [
        ['GET', null], ['POST', 'tok-123'], ['PUT', 'tok-123'], ['PATCH', 'tok-123'],
        ['DELETE', 'tok-123'],
      ]);
      assert.equal(seen[1].type, 'application/json');
      assert.deepEqual(JSON.parse(seen[1].body), { name: 'a' });
    } finally {
      await session.page.unroute('**/api/v1/echo');
    }
  });

  test('a csrf_token in a response is stored and sent next time', async () => {
    let csrf = 'unset';
    await session.page.route('**/api/v1/login-stub', (route) => {
      if (route.request().method() === 'GET') {
        return route.fulfill({ status: 200, contentType: 'application/json',
                               body: '{"user":{},"csrf_token":"from-server"}' });
      }
      csrf = route.request().headers()['x-csrf-token'] ?? null;
      return route.fulfill({ status: 204 });
    });
    try {
      const { value } = await withApi(async (api) => {
        api.setCsrfToken(null);
        await api.get('/api/v1/login-stub');
        return api.post('/api/v1/login-stub', {});
      });
      assert.equal(value, null, '204 resolves to null');
      assert.equal(csrf, 'from-server');
    } finally {
      await session.page.unroute('**/api/v1/login-stub');
    }
  });

  test('errors become readable messages', async () => {
    await session.page.route('**/api/v1/fail/*', (route) => {
      const kind = route.request().url().split('/').pop();
      if (kind === 'envelope') {
        return route.fulfill({ status: 409, contentType: 'application/json',
                               body: '{"error":{"code":"name_taken","message":"A file named a.txt already exists."}}' });
      }
      if (kind === 'bare') {
        return route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' });
      }
      if (kind === 'code-only') {
        return route.fulfill({ status: 403, contentType: 'application/json',
                               body: '{"error":{"code":"csrf_failed"}}' });
      }
      return route.abort('connectionrefused');
    });
    try {
      const call = (kind) => withApi((api, k) => api.get(`/api/v1/fail/${k}`), kind)
          .then((r) => r.error);
      assert.deepEqual(await call('envelope'), {
        name: 'ApiError', status: 409, code: 'name_taken',
        message: 'A file named a.txt already exists.' });
      const bare = await call('bare');
      assert.equal(bare.code, 'http_502');
      assert.match(bare.message, /went wrong on the server/);
      const codeOnly = await call('code-only');
      assert.match(codeOnly.message, /session has expired/);
      assert.deepEqual(await call('network'), {
        name: 'ApiError', status: 0, code: 'network_error',
        message: 'Could not reach the server. Check your connection and try again.' });
    } finally {
      await session.page.unroute('**/api/v1/fail/*');
    }
  });
});
