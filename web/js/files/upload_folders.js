// The folders of an upload plan are made before any file is sent, parents first, and each
// file then goes into its folder by id (PUT …/nodes/{folder id}/content?path=<name>): a folder
// renamed or moved while the upload runs keeps receiving its files.
import { getNode, listChildren, makeFolders } from './node_api.js';

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
// already is merged into. Resolves to a Map from each of them, and '' for the target, to a
// folder id. onProgress(done, total) follows along. Rejects with an Error whose message says
// which folder could not be made and why.
export async function prepareFolders(dirs, parentId, { onProgress = () => {} } = {}) {
  const ids = new Map([['', parentId]]);
  const listings = new Map();  // Folder id -> Promise of its children by name.
  let done = 0;
  for (const dir of dirs) {
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
