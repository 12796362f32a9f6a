// The Sharing calls of docs/api.md: shares with people, public links, their activity, the
// contacts for the email autocomplete, and the public (no sign-in) link endpoints.
import { del, get, patch, post } from '../api.js';

const enc = encodeURIComponent;

// The page that shows a node shared with me ("/shared/<id>"); "/shared" without an id.
export function sharedUrl(id = null) {
  return id ? `/shared/${enc(id)}` : '/shared';
}

// Every page of a list endpoint ({ items, next_cursor }), up to `maxPages` pages.
export async function allPages(fetchPage, maxPages = 20) {
  const items = [];
  let cursor;
  for (let page = 0; page < maxPages; page += 1) {
    const data = await fetchPage(cursor);
    items.push(...(data?.items ?? []));
    cursor = data?.next_cursor;
    if (!cursor) break;
  }
  return items;
}

// Shares: `direction` is 'incoming' (shared with me) or 'outgoing' (shared by me); `nodeId`
// limits outgoing shares to one item.
export const listShares = ({ direction, nodeId, signal } = {}) => allPages((cursor) =>
  get('/api/v1/shares', { signal, query: { direction, node_id: nodeId, cursor } }));
export const createShare = (nodeId, email, permission) =>
  post('/api/v1/shares', { node_id: nodeId, email, permission });
export const changeShare = (id, permission) => patch(`/api/v1/shares/${enc(id)}`, { permission });
export const deleteShare = (id) => del(`/api/v1/shares/${enc(id)}`);
export const shareActivity = (id) => get(`/api/v1/shares/${enc(id)}/activity`);
export const listContacts = (q) => get('/api/v1/contacts', { query: { q } });

// Public links of the signed-in owner (all of them, or those of `nodeId`).
export const listLinks = ({ nodeId, signal } = {}) => allPages((cursor) =>
  get('/api/v1/links', { signal, query: { node_id: nodeId, cursor } }));
export const createLink = (nodeId, { expiresAt, password } = {}) =>
  post('/api/v1/links', { node_id: nodeId, expires_at: expiresAt || undefined,
                          password: password || undefined });
export const deleteLink = (id) => del(`/api/v1/links/${enc(id)}`);
export const linkActivity = (id) => get(`/api/v1/links/${enc(id)}/activity`);

// The public endpoints of a link token. `password` goes in X-Link-Password; a 401 here is
// about the link's password, never the session (no redirect to the login page).
function publicOptions(password, signal) {
  return { signal, redirectOn401: false,
           headers: password ? { 'X-Link-Password': password } : {} };
}
export const getPublic = (token, { password, signal } = {}) =>
  get(`/api/v1/public/${enc(token)}`, publicOptions(password, signal));
export const listPublicChildren = (token, id, { password, cursor, signal } = {}) =>
  get(`/api/v1/public/${enc(token)}/children`,
      { ...publicOptions(password, signal), query: { id, cursor } });
// A plain download URL (a link can send no header): for a link with a password, the access key
// GET /public/{token} gave once the password was right (never the password itself).
export function publicContentUrl(token, id = 'root', accessKey = '') {
  const query = new URLSearchParams({ id });
  if (accessKey) query.set('key', accessKey);
  return `/api/v1/public/${enc(token)}/content?${query}`;
}

// A picture's thumbnail on the link's page (size 64 or 256), with the same access key, and its
// checksum so that the browser keeps it (thumbs.js).
export function publicThumbnailUrl(token, node, size, accessKey = '') {
  const query = new URLSearchParams({ id: node.id, size: String(size) });
  if (node.checksum_sha256) query.set('v', node.checksum_sha256);
  if (accessKey) query.set('key', accessKey);
  return `/api/v1/public/${enc(token)}/thumbnail?${query}`;
}

// What a permission lets the grantee do, for people.
export function permissionLabel(permission) {
  if (permission === 'edit') return 'Can edit';
  if (permission === 'read') return 'Can view';
  if (permission === 'owner') return 'Owner';
  return String(permission ?? '');
}

// A person (owner or grantee) for people: "Ann (ann@example.com)".
export function ownerText(person) {
  if (!person) return '—';
  return person.name ? `${person.name} (${person.email})` : person.email ?? '—';
}
