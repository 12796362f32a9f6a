// The Files and Trash calls of docs/api.md used by the file browser, plus the mapping between
// a folder path ("/a/b") and the browser URL that shows it ("/files/a/b").
import { del, get, patch, post } from '../api.js';
import { showBillingBanners } from '../billing/banner.js';

const enc = encodeURIComponent;

// "/a/b c" -> "/files/a/b%20c" (each segment escaped: names may hold '#', '?', '%').
export function folderUrl(path, query = '') {
  const segments = splitPath(path).map(enc);
  return `/files${segments.length ? '/' + segments.join('/') : ''}${query}`;
}

// "/a//b/" -> ['a', 'b'].
export function splitPath(path) {
  return String(path ?? '').split('/').filter(Boolean);
}

// The parent path of "/a/b" ("/a"); "/" for a top-level item.
export function parentPath(path) {
  const parts = splitPath(path);
  parts.pop();
  return '/' + parts.join('/');
}

// The download URL of a node: a file's bytes, or a folder as a zip.
export function contentUrl(id) {
  return `/api/v1/nodes/${enc(id)}/content`;
}

// The URL that shows a file in the browser (the preview): the server answers `inline` for
// images, audio, video (not SVG), PDF and plain text, `attachment` for anything else.
export function inlineUrl(id) {
  return `${contentUrl(id)}?inline=1`;
}

export const getNode = (id, opts) => get(`/api/v1/nodes/${enc(id)}`, opts);
export const resolvePath = (path, opts) => get('/api/v1/resolve', { ...opts, query: { path } });
// One page of a folder: { items, next_cursor }.
export const listChildren = (id, { sort, order, cursor, limit = 200, signal } = {}) =>
  get(`/api/v1/nodes/${enc(id)}/children`, { signal, query: { sort, order, cursor, limit } });
export const makeFolders = (parentId, path) =>
  post(`/api/v1/nodes/${enc(parentId)}/folders`, { path });
export const renameNode = (id, name) => patch(`/api/v1/nodes/${enc(id)}`, { name });
export const moveNode = (id, parentId) => patch(`/api/v1/nodes/${enc(id)}`, { parent_id: parentId });
export const copyNode = (id, parentId) => post(`/api/v1/nodes/${enc(id)}/copy`, { parent_id: parentId });
export const deleteNode = (id) => del(`/api/v1/nodes/${enc(id)}`);

// One page of the trash ({ items, next_cursor }); `parentId` limits it to items deleted from
// that folder.
export const listTrash = ({ cursor, parentId, limit = 200, signal } = {}) =>
  get('/api/v1/trash', { signal, query: { cursor, limit, parent_id: parentId } });
export const restoreItem = (id) => post(`/api/v1/trash/${enc(id)}/restore`, null);
export const purgeItem = (id) => del(`/api/v1/trash/${enc(id)}`);
export const emptyTrash = () => del('/api/v1/trash');

// { used_bytes, trash_bytes, quota_bytes } of the signed-in user, fresh from GET /api/v1/me.
export async function fetchQuota(opts) {
  const me = await get('/api/v1/me', opts);
  showBillingBanners(me);  // The usage and past-due banners follow every fresh /me.
  return me?.usage ?? { used_bytes: 0, trash_bytes: 0, quota_bytes: 0 };
}

// Free bytes of a usage object (never negative).
export function freeBytes(usage) {
  const free = Number(usage.quota_bytes ?? 0) - Number(usage.used_bytes ?? 0) -
               Number(usage.trash_bytes ?? 0) - Number(usage.reserved_bytes ?? 0);
  return Math.max(0, free);
}

// Whole days from now until `expiresAt` (RFC 3339), at least 0.
export function daysUntil(expiresAt) {
  const ms = new Date(expiresAt).getTime() - Date.now();
  if (!Number.isFinite(ms)) return null;
  return Math.max(0, Math.ceil(ms / 86400000));
}
