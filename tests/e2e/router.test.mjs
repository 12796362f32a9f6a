// Route matching of web/js/router.js (compilePath, matchRoute), without a browser: the module
// has no imports, so it loads from a data: URL (web/ has no package.json marking it as ESM).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';

const source = await readFile(new URL('../../web/js/router.js', import.meta.url), 'utf8');
const { compilePath, matchRoute } =
    await import(`data:text/javascript,${encodeURIComponent(source)}`);

const routes = [
  { path: '/', name: 'home' },
  { path: '/about', name: 'about' },
  { path: '/files/:id', name: 'file' },
  { path: '/shares/:id/members/:member', name: 'member' },
  { path: '/browse/*path', name: 'browse' },
];

function match(pathname) {
  const m = matchRoute(routes, pathname);
  return m && { name: m.route.name, params: m.params };
}

describe('router matching', () => {
  test('static paths match exactly, with an optional trailing slash', () => {
    assert.deepEqual(match('/'), { name: 'home', params: {} });
    assert.deepEqual(match('/about'), { name: 'about', params: {} });
    assert.deepEqual(match('/about/'), { name: 'about', params: {} });
    assert.equal(match('/about/more'), null);
    assert.equal(match('/abou'), null);
    assert.equal(match('/ABOUT'), null);
  });

  test(':params take one decoded segment', () => {
    assert.deepEqual(match('/files/42'), { name: 'file', params: { id: '42' } });
    assert.deepEqual(match('/files/a%20b%2Fc'), { name: 'file', params: { id: 'a b/c' } });
    assert.deepEqual(match('/shares/7/members/9'),
                     { name: 'member', params: { id: '7', member: '9' } });
    assert.equal(match('/files/'), null);
    assert.equal(match('/files/1/2'), null);
  });

  test('*rest takes the remainder, possibly empty', () => {
    assert.deepEqual(match('/browse'), { name: 'browse', params: { path: '' } });
    assert.deepEqual(match('/browse/a/b%C3%A9/c.txt'),
                     { name: 'browse', params: { path: 'a/bé/c.txt' } });
  });

  test('a malformed escape or an unknown path matches nothing', () => {
    assert.equal(match('/files/%E0%A4%A'), null);
    assert.equal(match('/nowhere'), null);
  });

  test('regex characters in a static segment are literal', () => {
    const { regex } = compilePath('/a.b/(c)');
    assert.ok(regex.test('/a.b/(c)'));
    assert.ok(!regex.test('/axb/c'));
  });
});
