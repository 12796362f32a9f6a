// Unfinished resumable uploads that hold the signed-in person's space (GET /api/v1/uploads): theirs,
// from this browser or any other, and those colleagues send into their shared folders (with
// `sender`): each holds its whole size of the quota until it completes, expires or is discarded
// (DELETE /api/v1/uploads/{id}). The list is shown on the usage page and in the
// uploads panel of the file browser.
import { del, get } from '../api.js';
import { h } from '../dom.js';
import { formatBytes } from '../format.js';
import { confirmDialog } from './dialogs.js';
import { pendingUploads, forgetUploadUrl } from './tus.js';

const enc = encodeURIComponent;
const discardListeners = new Set();

// [{ id, name, path, parent_id, folder_path, size, offset, state, created_at, updated_at,
//    expires_at, sender? }], oldest first as the server sends them.
export async function listUnfinished(opts) {
  const data = await get('/api/v1/uploads', opts);
  return Array.isArray(data?.uploads) ? data.uploads : [];
}

// Calls fn(uploadId) after an upload was discarded (e.g. to stop the page sending it); returns
// an unsubscribe function.
export function onDiscarded(fn) {
  discardListeners.add(fn);
  return () => discardListeners.delete(fn);
}

// Cancels the upload on the server (its bytes and its reservation go) and forgets it here.
export async function discardUnfinished(id) {
  try {
    await del(`/api/v1/uploads/${enc(id)}`, { headers: { 'Tus-Resumable': '1.0.0' } });
  } catch (err) {
    if (err?.status !== 404 && err?.status !== 410) throw err;  // Already gone: fine.
  }
  forgetUploadUrl(`/api/v1/uploads/${id}`);
  for (const fn of discardListeners) fn(id);
}

// Where the upload's file will be: "/Docs/Small/a.bin", or null when its folder is gone.
export function destinationOf(u) {
  if (typeof u.folder_path !== 'string') return null;
  const folder = u.folder_path.replace(/\/+$/, '');
  return `${folder}/${u.path}`;
}

// "expires in 5 hours" (or minutes, or days).
export function expiresText(expiresAt) {
  const ms = new Date(expiresAt).getTime() - Date.now();
  if (!Number.isFinite(ms)) return '';
  if (ms <= 0) return 'expires now';
  const minutes = Math.ceil(ms / 60000);
  if (minutes < 60) return `expires in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `expires in ${hours} ${hours === 1 ? 'hour' : 'hours'}`;
  return `expires in ${Math.round(hours / 24)} days`;
}

// True when this browser remembers the upload, so choosing the same file again resumes it.
export function resumableHere(u) {
  return pendingUploads().some((p) => p.url === `/api/v1/uploads/${u.id}`);
}

// A list of `uploads` with a Discard button each (asks first). onError(err) hears a failed
// discard; onDiscarded(upload) is called after one succeeded.
export function unfinishedList(uploads, { onDiscarded: done = () => {}, onError = () => {},
                                          hint = false } = {}) {
  return h('ul', { class: 'unfinished-list', 'aria-label': 'Unfinished uploads' },
           uploads.map((u) => unfinishedItem(u, { done, onError, hint })));
}

function unfinishedItem(u, { done, onError, hint }) {
  const where = destinationOf(u);
  const sent = Number(u.offset) || 0;
  const size = Number(u.size) || 0;
  const discard = h('button', { type: 'button', class: 'button button-secondary button-small',
                                'aria-label': `Discard ${u.name}` }, 'Discard');
  const sender = u.sender ? (u.sender.name || u.sender.email) : '';
  discard.addEventListener('click', async () => {
    const ok = await confirmDialog({
      title: `Discard the upload of "${u.name}"?`, confirmLabel: 'Discard', danger: true,
      message: `The ${formatBytes(sent)} sent so far are deleted and the ${formatBytes(size)} ` +
               'it holds of your storage are free again. ' +
               (sender ? `${sender} would have to send the file again from the beginning.`
                       : 'To upload the file later you start from the beginning.'),
    });
    if (!ok) return;
    discard.disabled = true;
    try {
      await discardUnfinished(u.id);
      done(u);
    } catch (err) {
      discard.disabled = false;
      onError(err);
    }
  });
  const facts = [
    sender ? `sent by ${sender}` : '',
    `${formatBytes(sent)} of ${formatBytes(size)} sent`,
    u.state === 'saving' ? 'being saved' : expiresText(u.expires_at),
  ].filter(Boolean).join(' · ');
  return h('li', { class: 'unfinished', dataset: { id: u.id } },
           h('span', { class: 'unfinished-name' }, u.name),
           h('span', { class: 'unfinished-where' },
             where ? ['to ', h('span', { class: 'unfinished-path' }, where)]
                   : 'its folder no longer exists'),
           h('span', { class: 'unfinished-facts' }, facts,
             hint && resumableHere(u) ? ' · choose the same file again in that folder to ' +
                                        'continue' : ''),
           discard);
}
