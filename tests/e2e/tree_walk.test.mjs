// The upload plan of a folder picked with <input webkitdirectory> (web/js/files/tree_walk.js),
// without a browser: the module has no imports, so it loads from a data: URL.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';

const source = await readFile(new URL('../../web/js/files/tree_walk.js', import.meta.url), 'utf8');
const { planFromFileList, leafFolders } =
    await import(`data:text/javascript,${encodeURIComponent(source)}`);

const picked = (name, webkitRelativePath) => ({ name, webkitRelativePath, size: 1 });

describe('folder pick plan', () => {
  test('paths come from webkitRelativePath, with every folder above a file', () => {
    const plan = planFromFileList([picked('a.txt', 'Company/HR/a.txt'),
                                   picked('b.txt', 'Company/b.txt'), picked('c.txt', '')]);
    assert.deepEqual(plan.files.map((f) => f.path), ['Company/HR/a.txt', 'Company/b.txt', 'c.txt']);
    assert.deepEqual(plan.folders.sort(), ['Company', 'Company/HR']);
    assert.deepEqual(leafFolders(plan), ['Company/HR']);
  });

  test('a backslash in a name stays in the name, not a folder (QA pass 16)', () => {
    // Chromium gives name "back\slash.txt" with webkitRelativePath "Specials/back/slash.txt".
    const plan = planFromFileList([picked('back\\slash.txt', 'Misc/Specials/back/slash.txt'),
                                   picked('x\\y\\z.txt', 'Top/x/y/z.txt')]);
    assert.deepEqual(plan.files.map((f) => f.path),
                     ['Misc/Specials/back\\slash.txt', 'Top/x\\y\\z.txt']);
    assert.deepEqual(plan.folders.sort(), ['Misc', 'Misc/Specials', 'Top']);
  });
});
