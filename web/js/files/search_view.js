// Search by name (/search?q=…): GET /api/v1/search lists the person's own files and folders
// whose name contains the text, folders first, then what others share with them. A folder
// opens (in the file browser, or its shared page); a file downloads, and its folder is one
// click away. The form stays on the page for the next search. A picture shows its thumbnail.
// The results follow what changes elsewhere (live_refresh.js): the query is run again quietly,
// and only the rows that changed are drawn again (the focus and the scroll stay).
import { get } from '../api.js';
import { h } from '../dom.js';
import { formatBytes, formatTime } from '../format.js';
import { requireUser } from '../session.js';
import { sharedUrl } from '../shares/share_api.js';
import { liveRefresh, liveRows, sameItems } from './live_refresh.js';
import { contentUrl, folderUrl, parentPath } from './node_api.js';
import { nodeIcon } from './quota.js';
import { nodeThumb } from './thumbs.js';

export function title({ query }) {
  const q = query?.get('q')?.trim();
  return q ? `Search: ${q}` : 'Search';
}

export async function render(outlet, { query, signal, navigate }) {
  await requireUser();
  const q = (query.get('q') ?? '').trim();
  const form = searchForm(navigate, q);
  // One status line says how many were found; the list is read on demand (a live region would
  // have every result read out at once).
  const status = h('p', { class: 'search-status', role: 'status' });
  const results = h('div', { class: 'search-results' });
  outlet.append(h('section', { class: 'files-page search-page' }, h('h1', {}, 'Search'), form,
                  status, results));
  if (!q) {
    results.append(h('p', {}, 'Type a part of a name: files and folders whose name contains it ' +
                              'are listed here.'));
    return;
  }
  const list = h('ul', { class: 'item-list', 'aria-label': 'Search results' });
  const rows = liveRows(list, { rowKey: 'id', keyOf: (node) => node.id, row });
  let shown = null;  // The answer drawn.
  await show(await search());
  // Files named so made, renamed or deleted elsewhere, a share made or revoked: the results
  // follow.
  const live = liveRefresh({ element: results, look, rows: () => rows.items().length });
  return () => live.stop();

  function search() {
    return get('/api/v1/search', { query: { q, limit: 100 }, signal });
  }

  // The status line (changed only when it says something else: it is a live region) and the
  // rows of `found`, those of the results that did not change kept as they are.
  function show(found) {
    shown = found;
    const items = found?.items ?? [];
    const text = !items.length
      ? `Nothing in your files or shared with you is named like "${q}".`
      : found.truncated
        ? `The first ${items.length} matches for "${q}"; type more of the name to narrow them ` +
          'down.'
        : `${items.length} ${items.length === 1 ? 'match' : 'matches'} for "${q}".`;
    if (status.textContent !== text) status.textContent = text;
    if (items.length && !list.isConnected) results.append(list);
    return rows.update(items).finally(() => {
      if (!items.length) list.remove();
    });
  }

  // The live refresh's look: the same search again, drawn only when its answer changed.
  async function look(free) {
    const found = await search();
    if (sameItems(found?.items ?? [], rows.items()) &&
        Boolean(found?.truncated) === Boolean(shown?.truncated)) return;
    if (!free()) return;
    await show(found);
  }
}

// The search box, also shown at the top of the file browser. Submitting opens /search?q=….
export function searchForm(navigate, value = '') {
  const input = h('input', { type: 'search', name: 'q', value, required: true,
                             'aria-label': 'Search your files by name',
                             placeholder: 'Search your files', autocomplete: 'off' });
  const form = h('form', { role: 'search', class: 'search-form' }, input,
                 h('button', { type: 'submit', class: 'button button-secondary button-small' },
                   'Search'));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  });
  return form;
}

// A row: my own item links into the file browser; one shared with me into its shared pages
// (/shared/<id>), with who shares it.
function row(node) {
  const isFolder = node.type === 'folder';
  const mine = (node.permission ?? 'owner') === 'owner';
  const where = parentPath(node.path ?? '/');
  const link = !isFolder
    ? h('a', { href: contentUrl(node.id), download: node.name, class: 'node-link' },
        nodeThumb(node), node.name)
    : h('a', { href: mine ? folderUrl(node.path) : sharedUrl(node.id), class: 'node-link' },
        nodeIcon('folder'), node.name);
  const folderLink = mine
    ? h('a', { href: folderUrl(where) }, where === '/' ? 'Files' : where)
    : h('a', { href: sharedUrl(node.parent_id ?? null) },
        node.parent_id ? where : 'Shared with me');
  return h('li', { class: 'item', dataset: { id: node.id } },
           h('div', { class: 'item-main' }, link,
             h('span', { class: 'item-meta' }, 'in ', folderLink,
               mine ? '' : ` · shared by ${node.owner?.name || node.owner?.email || 'someone'}`,
               isFolder ? '' : ` · ${formatBytes(node.size)}`,
               ` · modified ${formatTime(node.modified_at)}`)));
}
