// Storage usage (/usage): a chart of what takes space (GET /api/v1/me/usage): each top-level
// folder, files at the top level, the trash and what is free, plus the largest files.
import { get } from '../api.js';
import { h } from '../dom.js';
import { formatBytes } from '../format.js';
import { requireUser } from '../session.js';
import { contentUrl, folderUrl, parentPath } from './node_api.js';
import { stackedBar, svg } from './quota.js';

export const title = 'Storage usage';

export async function render(outlet, { signal }) {
  await requireUser();
  const u = await get('/api/v1/me/usage', { signal });
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
    reserved ? { label: 'Uploads in progress', bytes: reserved, cls: 'seg-reserved' } : null,
    { label: 'Free', bytes: free, cls: 'seg-free' },
  ].filter(Boolean);
  // Bars compare what takes space with each other; "Free" is said in bytes, without a bar.
  const max = Math.max(1, ...rows.filter((r) => r.cls !== 'seg-free').map((r) => r.bytes));

  outlet.append(h('section', { class: 'usage-page' },
    h('h1', {}, 'Storage usage'),
    h('p', { class: 'lead' }, `${formatBytes(used)} of ${formatBytes(quota)} used by files, `,
      `${formatBytes(trash)} by the trash, ${formatBytes(free)} free. `,
      h('a', { href: '/plan' }, 'Change plan')),
    stackedBar(rows.filter((r) => r.cls !== 'seg-free').map((r, i) => ({
      bytes: r.bytes, label: `${r.label}: ${formatBytes(r.bytes)}`,
      cls: r.cls === 'seg-used' && i % 2 ? 'seg-used seg-alt' : r.cls })), quota, `Files ${formatBytes(used)}, trash ${formatBytes(trash)}, free ${formatBytes(free)}`),
    h('h2', {}, 'By folder'),
    h('table', { class: 'table usage-table', 'aria-label': 'Usage by folder' },
      h('tbody', {}, rows.map((r) => h('tr', {},
        h('th', { scope: 'row' }, r.href ? h('a', { href: r.href }, r.label) : r.label),
        h('td', { class: 'usage-bar-cell' }, r.cls === 'seg-free' ? null :
          svg('svg', { class: 'usage-bar', 'aria-hidden': 'true', preserveAspectRatio: 'none' },
              svg('rect', { x: 0, y: 0, height: '100%', width: `${(r.bytes / max) * 100}%`,
                            class: r.cls }))),
        h('td', { class: 'usage-bytes' }, formatBytes(r.bytes)))))),
    h('h2', {}, 'Largest files'),
    (u.largest_files ?? []).length
      ? h('ol', { class: 'plain-list' }, u.largest_files.map((n) => h('li', {},
          h('a', { href: contentUrl(n.id), download: n.name }, n.name), ` · ${formatBytes(n.size)}`,
          n.path ? [' · in ', h('a', { href: folderUrl(parentPath(n.path)) },
                                parentPath(n.path))] : null)))
      : h('p', {}, 'No files yet.')));
}
