// Storage usage (/usage): a chart of what takes space (GET /api/v1/me/usage): each top-level
// folder, files at the top level, the trash, unfinished uploads and what is free; then the
// unfinished uploads themselves (GET /api/v1/uploads, each with Discard) and the largest files.
import { get } from '../api.js';
import { h } from '../dom.js';
import { messageBox } from '../forms.js';
import { formatBytes } from '../format.js';
import { requireUser } from '../session.js';
import { contentUrl, folderUrl, parentPath } from './node_api.js';
import { stackedBar, svg } from './quota.js';
import { listUnfinished, unfinishedList } from './unfinished_uploads.js';

export const title = 'Storage usage';

export async function render(outlet, { signal }) {
  await requireUser();
  const message = messageBox();
  message.tabIndex = -1;  // Focus goes to "Discarded …" when the list it was in is gone.
  // A discard frees space: the page is drawn again with fresh numbers, the message kept.
  const draw = async () => {
    const [u, unfinished] = await Promise.all([
      get('/api/v1/me/usage', { signal }),
      // Without the list the rest of the page is still worth showing.
      listUnfinished({ signal }).catch((err) => {
        if (err?.name === 'AbortError') throw err;
        return null;
      }),
    ]);
    outlet.replaceChildren(page(u, unfinished, message, async (upload) => {
      message.success(`Discarded the upload of "${upload.name}".`);
      await draw();
      (outlet.querySelector('#unfinished-uploads') ?? message).focus();
    }));
  };
  await draw();
}

function page(u, unfinished, message, onDiscarded) {
  const quota = Number(u.quota_bytes ?? 0);
  const trash = Number(u.trash_bytes ?? 0);
  const reserved = Number(u.reserved_bytes ?? 0);
  const used = Number(u.used_bytes ?? 0);
  const free = Math.max(0, quota - used - trash - reserved);
  const rows = [
    ...(u.by_folder ?? []).map((f) => ({ label: f.name, bytes: Number(f.bytes ?? 0),
                                         href: folderUrl(`/${f.name}`), cls: 'seg-used' })),
    { label: 'Files at the top level', bytes: Number(u.root_files_bytes ?? 0), href: '/files',
      cls: 'seg-used' },
    { label: 'Trash', bytes: trash, href: '/trash', cls: 'seg-trash' },
    reserved ? { label: 'Unfinished uploads', bytes: reserved, href: '#unfinished-uploads',
                 cls: 'seg-reserved' } : null,
    { label: 'Free', bytes: free, cls: 'seg-free' },
  ].filter(Boolean);
  // Bars compare what takes space with each other; "Free" is said in bytes, without a bar.
  const max = Math.max(1, ...rows.filter((r) => r.cls !== 'seg-free').map((r) => r.bytes));
  // Every part of the quota is named, so the numbers add up to the plan's size.
  const parts = [`${formatBytes(used)} used by files`, `${formatBytes(trash)} by the trash`];
  if (reserved) parts.push(`${formatBytes(reserved)} held by unfinished uploads`);
  parts.push(`${formatBytes(free)} free`);
  const sentence = `${parts.join(', ')} (of ${formatBytes(quota)}).`;

  return h('section', { class: 'usage-page' },
    h('h1', {}, 'Storage usage'),
    h('p', { class: 'lead' }, sentence, ' ', h('a', { href: '/plan' }, 'Change plan')),
    stackedBar(rows.filter((r) => r.cls !== 'seg-free').map((r, i) => ({
      bytes: r.bytes, label: `${r.label}: ${formatBytes(r.bytes)}`,
      cls: r.cls === 'seg-used' && i % 2 ? 'seg-used seg-alt' : r.cls })), quota,
      `Files ${formatBytes(used)}, trash ${formatBytes(trash)}, ` +
      (reserved ? `unfinished uploads ${formatBytes(reserved)}, ` : '') +
      `free ${formatBytes(free)}`),
    message,
    h('h2', {}, 'By folder'),
    h('table', { class: 'table usage-table', 'aria-label': 'Usage by folder' },
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('th', { scope: 'row' }, r.href ? h('a', { href: r.href }, r.label) : r.label),
        h('td', { class: 'usage-bar-cell' }, r.cls === 'seg-free' ? null :
          svg('svg', { class: 'usage-bar', 'aria-hidden': 'true', preserveAspectRatio: 'none' },
              svg('rect', { x: 0, y: 0, height: '100%', width: `${(r.bytes / max) * 100}%`,
                            class: r.cls }))),
        h('td', { class: 'usage-bytes' }, formatBytes(r.bytes)))))),
    unfinishedSection(unfinished, reserved, message, onDiscarded),
    h('h2', {}, 'Largest files'),
    (u.largest_files ?? []).length
      ? h('ol', { class: 'plain-list' }, u.largest_files.map((n) => h('li', {},
          h('a', { href: contentUrl(n.id), download: n.name }, n.name), ` · ${formatBytes(n.size)}`,
          n.path ? [' · in ', h('a', { href: folderUrl(parentPath(n.path)) },
                                parentPath(n.path))] : null)))
      : h('p', {}, 'No files yet.'));
}

// "Unfinished uploads": what holds `reserved` bytes, each with Discard. Shown when there are
// some (or when the server holds space but the list could not be read).
function unfinishedSection(unfinished, reserved, message, onDiscarded) {
  if (!unfinished?.length && !(unfinished === null && reserved)) return null;
  return h('section', { class: 'unfinished-uploads', 'aria-labelledby': 'unfinished-uploads' },
    h('h2', { id: 'unfinished-uploads', tabindex: '-1' }, 'Unfinished uploads'),
    unfinished === null
      ? h('p', { class: 'status-error' }, 'The list of unfinished uploads could not be loaded.')
      : [h('p', { class: 'status' }, 'Each one holds its whole size of your storage until it ',
           'is finished, discarded, or expires.'),
         unfinishedList(unfinished, { onDiscarded, onError: (err) => message.error(err.message) })]);
}
