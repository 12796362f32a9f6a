// The folders of an upload plan are made before any file is sent, parents first, and each
// file then goes into its folder by id (PUT …/nodes/{folder id}/content?path=<name>): a folder
// renamed or moved while the upload runs keeps receiving its files.
import { getNode, listChildren, makeFolders } from './node_api.js';
import { fileModifiedAt } from './tus.js';

// Every folder of `plan` (see tree_walk.js), also those only named in file paths, parents
// before their children.
export function planFolders(plan) {
  const all = new Set();
  const add = (path) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i += 1) all.add(parts.slice(0, i).join('/'));
  };
  for (const folder of plan.folders) add(folder);
  for (const { path } of plan.files) {
    const cut = path.lastIndexOf('/');
    if (cut > 0) add(path.slice(0, cut));
  }
  const depth = (p) => p.split('/').length;
  return [...all].filter(Boolean).sort((a, b) => depth(a) - depth(b));
}

// Makes the folders `dirs` (from planFolders) under the folder `parentId`; one that exists
// already is merged into, and one in `known` (dir -> id, seen by existingFiles) is taken as it
// is. Resolves to a Map from each of them, and '' for the target, to a folder id.
// onProgress(done, total) follows along. Rejects with an Error whose message says which folder
// could not be made and why.
export async function prepareFolders(dirs, parentId, { onProgress = () => {},
                                                       known = new Map() } = {}) {
  const ids = new Map([['', parentId]]);
  const listings = new Map();  // Folder id -> Promise of its children by name.
  let done = 0;
  for (const dir of dirs) {
    if (known.has(dir)) {
      ids.set(dir, known.get(dir));
      done += 1;
      continue;
    }
    const cut = dir.lastIndexOf('/');
    const parent = ids.get(cut < 0 ? '' : dir.slice(0, cut));
    ids.set(dir, await ensureFolder(parent, dir.slice(cut + 1), dir, listings));
    done += 1;
    onProgress(done, dirs.length);
  }
  return ids;
}

async function ensureFolder(parentId, name, dir, listings) {
  try {
    return (await makeFolders(parentId, name)).id;
  } catch (err) {
    if (err?.code !== 'name_taken') {
      throw new Error(`The folder "${dir}" could not be created: ${err?.message ?? err}`);
    }
  }
  // A listing read for an earlier sibling may predate this folder: read again once.
  let existing = (await listings.get(parentId))?.get(name.normalize('NFC'));
  if (!existing) {
    listings.set(parentId, childrenByName(parentId));
    existing = (await listings.get(parentId)).get(name.normalize('NFC'));
  }
  if (existing?.type === 'folder') return existing.id;
  throw new Error(`The folder "${dir}" could not be created: a file of that name is in the way.`);
}

// The children of a folder by (NFC) name, every page of them.
async function childrenByName(folderId) {
  const byName = new Map();
  let cursor;
  do {
    const page = await listChildren(folderId, { sort: 'name', order: 'asc', cursor, limit: 1000 });
    for (const node of page.items ?? []) byName.set(String(node.name).normalize('NFC'), node);
    cursor = page.next_cursor ?? null;
  } while (cursor);
  return byName;
}

const kParallelListings = 4;

// What of `plan` is in the folder `targetId` already: { same: Set of the plan's files that are
// there at their path, with the same size and, when the browser knows it, the same modified
// time (sending them again would only ask about a conflict with themselves), folders: Map of
// the plan's folders that exist to their ids }. One listing (GET …/children, all its pages)
// per folder of the plan that exists and has files below it, a few at a time: a tree dropped
// again costs as many requests as it has folders, a new one a single listing. When a listing
// fails, what it would have said stays unknown (those files are sent and may raise a conflict).
export async function existingFiles(plan, targetId) {
  const same = new Set();
  const folders = new Map();
  const filesIn = new Map();  // dir -> files of the plan directly in it.
  const below = new Map();  // dir -> its subfolders that have files somewhere below them.
  for (const f of plan.files) {
    const cut = f.path.lastIndexOf('/');
    const dir = cut < 0 ? '' : f.path.slice(0, cut);
    if (!filesIn.has(dir)) filesIn.set(dir, []);
    filesIn.get(dir).push(f);
    for (let d = dir; d;) {
      const up = d.lastIndexOf('/') < 0 ? '' : d.slice(0, d.lastIndexOf('/'));
      if (!below.has(up)) below.set(up, new Set());
      below.get(up).add(d);
      d = up;
    }
  }
  const limit = limiter(kParallelListings);
  const visit = async (dir, folderId) => {
    let children;
    try {
      children = await limit(() => childrenByName(folderId));
    } catch {
      return;
    }
    for (const f of filesIn.get(dir) ?? []) {
      if (sameFile(children.get(lastPart(f.path).normalize('NFC')), f.file)) same.add(f);
    }
    await Promise.all([...(below.get(dir) ?? [])].map((sub) => {
      const node = children.get(lastPart(sub).normalize('NFC'));
      if (node?.type !== 'folder') return null;
      folders.set(sub, node.id);
      return visit(sub, node.id);
    }));
  };
  if (plan.files.length) await visit('', targetId);
  return { same, folders };
}

// True when `node` (a listed or resolved node) is `file` as far as can be told without reading
// it: a file of the same size and, when the browser knows it, the same modified time.
export function sameFile(node, file) {
  if (node?.type !== 'file' || Number(node.size) !== file.size) return false;
  const changed = fileModifiedAt(file);
  return !changed || Date.parse(node.modified_at) === Date.parse(changed);
}

// "a/b/c.txt" -> "c.txt".
function lastPart(path) {
  return path.slice(path.lastIndexOf('/') + 1);
}

// Runs the functions given to it at most `n` at a time.
function limiter(n) {
  let running = 0;
  const waiting = [];
  const next = () => {
    if (running >= n || !waiting.length) return;
    running += 1;
    const { fn, resolve, reject } = waiting.shift();
    fn().then(resolve, reject).finally(() => {
      running -= 1;
      next();
    });
  };
  return (fn) => new Promise((resolve, reject) => {
    waiting.push({ fn, resolve, reject });
    next();
  });
}

// After a 404 for a file bound for the folder `dir` of `batch` (uploads.js): the first folder
// on its way, from the one dropped on down, that no longer exists ({ id, dir, name }), or null.
// The answers are kept in batch.checks, so parallel failures ask once.
export async function goneFolder(batch, dir) {
  const parts = dir ? dir.split('/') : [];
  for (const d of ['', ...parts.map((_, i) => parts.slice(0, i + 1).join('/'))]) {
    const id = batch.folders.get(d);
    if (batch.gone.has(id)) return { id, dir: d, name: batch.gone.get(id) };
    if (!batch.checks.has(id)) {
      batch.checks.set(id, getNode(id).then(() => true,
                                            (e) => e?.status !== 404 && e?.status !== 403));
    }
    if (!(await batch.checks.get(id))) {
      return { id, dir: d, name: d ? d.slice(d.lastIndexOf('/') + 1) : batch.targetName };
    }
  }
  return null;
}
