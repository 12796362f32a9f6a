// A name taken (409 name_taken) by a file with the very same bytes: the same file dropped from
// two tabs, or sent again from another device, is already there, and "Replace or keep both?"
// about it only made duplicates or a needless overwrite (QA family). The file there is looked
// up and its size and SHA-256 (checksum_sha256 of the node, api.md) compared with the file
// being sent, hashed in the browser with Web Crypto.
import { getNode, listChildren, resolvePath } from './node_api.js';

// Files larger than this are not hashed: crypto.subtle.digest takes the whole file in memory
// at once, and reading 256 MiB takes about a second; above it the person is asked as before.
export const kMaxHashBytes = 256 * 1024 * 1024;
// Pages of a folder read to find the file when its path is not known (a folder shared with me).
const kMaxPages = 10;

// Resolves to true when the file named `item.name` in the folder `folderId` has the size and
// the SHA-256 of `item.file`; false when it differs, is not a file, or cannot be told (too
// large to hash, no Web Crypto on a plain-http page, the look-up failed).
export async function sameBytesThere(item, folderId) {
  if (item.size > kMaxHashBytes || !globalThis.crypto?.subtle) return false;
  try {
    const node = await nodeNamed(folderId, item.name);
    if (node?.type !== 'file' || Number(node.size) !== item.size ||
        typeof node.checksum_sha256 !== 'string') {
      return false;
    }
    const digest = await crypto.subtle.digest('SHA-256', await item.file.arrayBuffer());
    return hex(new Uint8Array(digest)) === node.checksum_sha256.toLowerCase();
  } catch {
    return false;
  }
}

// The item called `name` in the folder `folderId`, or null: by its path when the folder's is
// known (my own folders), else from the folder's pages.
async function nodeNamed(folderId, name) {
  const folder = await getNode(folderId);
  if (folder?.path) {
    return resolvePath(`${folder.path.replace(/\/$/, '')}/${name}`).catch(() => null);
  }
  const wanted = name.normalize('NFC');
  let cursor;
  for (let page = 0; page < kMaxPages; page += 1) {
    const { items = [], next_cursor: next } = await listChildren(folderId, { cursor, limit: 1000 });
    const found = items.find((n) => n.name?.normalize('NFC') === wanted);
    if (found || !next) return found ?? null;
    cursor = next;
  }
  return null;
}

function hex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
