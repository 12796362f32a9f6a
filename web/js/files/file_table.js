// The file list of the browser: a table with sortable headers, a checkbox per row (click,
// shift-click for a range, select all), rows that can be dragged onto a folder, folder rows
// that take drops, and greyed rows for items deleted from this folder (with Restore).
import { h, replaceChildren } from '../dom.js';
import { formatBytes, formatTime } from '../format.js';
import { contentUrl, daysUntil, folderUrl, inlineUrl } from './node_api.js';
import { nodeIcon } from './quota.js';

export const kDragType = 'application/x-nimbus-nodes';

const kColumns = [['name', 'Name'], ['size', 'Size'], ['modified', 'Modified']];

// Builds the table. Options: onSort(key) when a header is clicked; onSelection(ids) after
// every change of the selection; onDropOnFolder(folderNode, dataTransfer) for drops on a
// folder row; onRestore(trashItem); folderHref(node, path) the link of a folder row (default:
// its /files/<path> page); onShare(node), when given, adds a Share button to the rows I own;
// onOpenFile(node), when given, opens a file (a click on its name, Enter on its row: the
// preview) where it would otherwise download. A row's Download link always downloads.
export function fileTable({ onSort, onSelection, onDropOnFolder, onRestore,
                            folderHref = (node, path) => folderUrl(path), onShare = null,
                            onOpenFile = null }) {
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all' });
  const head = h('tr', {});
  const body = h('tbody', {});
  const table = h('table', { class: 'table file-table', 'aria-label': 'Files' },
                  h('thead', {}, head), body);
  let nodes = [];
  let selected = new Set();
  let anchor = null;

  selectAll.addEventListener('change', () => setSelection(selectAll.checked ? nodes.map((n) => n.id)
                                                                             : []));

  // Arrow keys (and Home/End) move between rows, on each row's checkbox; with Shift they also
  // extend the selection, as in a desktop file manager. Enter there opens the row's item as
  // its name link does (a folder, or a file's preview).
  body.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const tr = e.target.closest?.('tr[data-id]');
    if (!tr) return;
    if (e.key === 'Enter' && !e.shiftKey && e.target.matches('input[type=checkbox]')) {
      e.preventDefault();
      tr.querySelector('a.node-link')?.click();
      return;
    }
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(e.key)) return;
    const rows = [...body.querySelectorAll('tr[data-id]')];
    const at = rows.indexOf(tr);
    const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: rows.length - 1 }[e.key];
    if (to < 0 || to >= rows.length || to === at) return;
    e.preventDefault();
    rows[to].querySelector('input[type=checkbox]').focus();
    if (e.shiftKey) {
      if (anchor === null || selected.size === 0) {
        anchor = nodes.findIndex((n) => n.id === tr.dataset.id);
      }
      clickRow(nodes.findIndex((n) => n.id === rows[to].dataset.id), { shift: true });
    }
  });

  function setSelection(ids) {
    selected = new Set(ids);
    for (const row of body.querySelectorAll('tr[data-id]')) {
      const on = selected.has(row.dataset.id);
      row.classList.toggle('selected', on);
      row.setAttribute('aria-selected', String(on));
      row.querySelector('input[type=checkbox]').checked = on;
    }
    selectAll.checked = nodes.length > 0 && selected.size === nodes.length;
    selectAll.indeterminate = selected.size > 0 && selected.size < nodes.length;
    onSelection([...selected]);
  }

  // Click on row `index` (checkbox or row): shift selects the range from the last click,
  // ctrl/cmd or a checkbox toggles, a plain row click selects just this row.
  function clickRow(index, { shift, toggle }) {
    const id = nodes[index].id;
    const next = new Set(selected);
    if (shift && anchor !== null) {
      const [a, b] = anchor < index ? [anchor, index] : [index, anchor];
      for (let i = a; i <= b; i += 1) next.add(nodes[i].id);
    } else if (toggle) {
      if (next.has(id)) next.delete(id);
      else next.add(id);
      anchor = index;
    } else {
      next.clear();
      next.add(id);
      anchor = index;
    }
    setSelection([...next]);
  }

  function row(node, index, basePath) {
    const isFolder = node.type === 'folder';
    const path = node.path || `${basePath === '/' ? '' : basePath}/${node.name}`;
    const check = h('input', { type: 'checkbox', 'aria-label': `Select ${node.name}` });
    check.addEventListener('click', (e) => {
      e.stopPropagation();
      clickRow(index, { shift: e.shiftKey, toggle: true });
    });
    const link = isFolder
      ? h('a', { href: folderHref(node, path), class: 'node-link', draggable: 'false' },
          nodeIcon('folder'), node.name)
      : fileLink(node);
    const tr = h('tr', { dataset: { id: node.id, type: node.type, name: node.name }, draggable: 'true',
                         'aria-selected': 'false' },
                 h('td', { class: 'col-check' }, check),
                 h('td', { class: 'col-name' }, link, node.shared ? sharedBadge() : null),
                 h('td', { class: 'col-size' }, isFolder && !node.size ? '—' : formatBytes(node.size)),
                 h('td', { class: 'col-modified' }, formatTime(node.modified_at)),
                 h('td', { class: 'col-actions' }, shareButton(node),
                   h('a', { href: contentUrl(node.id), download: isFolder ? `${node.name}.zip` : node.name,
                            class: 'link-button', 'aria-label': `Download ${node.name}` },
                     'Download')));
    tr.addEventListener('click', (e) => {
      if (e.target.closest('a, button, input')) return;
      clickRow(index, { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
    });
    tr.addEventListener('dragstart', (e) => {
      const ids = selected.has(node.id) ? [...selected] : [node.id];
      e.dataTransfer.setData(kDragType, JSON.stringify(ids));
      e.dataTransfer.effectAllowed = 'copyMove';
    });
    if (isFolder) dropTarget(tr, (dt) => onDropOnFolder(node, dt));
    return tr;
  }

  // A file's name: opens it (onOpenFile) or downloads it. With a modifier or the middle button
  // the browser does what it does with links (a new tab shows what the server lets show).
  function fileLink(node) {
    if (!onOpenFile) {
      return h('a', { href: contentUrl(node.id), download: node.name, class: 'node-link',
                      draggable: 'false' }, nodeIcon('file'), node.name);
    }
    const a = h('a', { href: inlineUrl(node.id), class: 'node-link', draggable: 'false' },
                nodeIcon('file'), node.name);
    a.addEventListener('click', (e) => {
      if (e.button !== 0 || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
      e.preventDefault();
      onOpenFile(node);
    });
    return a;
  }

  // "Share" on a row I own (node.permission is absent on servers without sharing).
  function shareButton(node) {
    if (!onShare || (node.permission && node.permission !== 'owner')) return null;
    const b = h('button', { type: 'button', class: 'link-button',
                            'aria-label': `Share ${node.name}` }, 'Share');
    b.addEventListener('click', () => onShare(node));
    return b;
  }

  function deletedRow(item) {
    const days = daysUntil(item.expires_at);
    const restore = h('button', { type: 'button', class: 'link-button',
                                  'aria-label': `Restore ${item.name}` }, 'Restore');
    restore.addEventListener('click', () => onRestore(item));
    return h('tr', { class: 'row-deleted', dataset: { trashId: item.id } },
             h('td', { class: 'col-check' }),
             h('td', { class: 'col-name' },
               nodeIcon(item.type), item.name,
               h('span', { class: 'item-meta' }, ` deleted ${formatTime(item.deleted_at)}` +
                 (days === null ? '' : ` · purges in ${days} ${days === 1 ? 'day' : 'days'}`))),
             h('td', { class: 'col-size' }, formatBytes(item.size)),
             h('td', { class: 'col-modified' }, '—'),
             h('td', { class: 'col-actions' }, restore));
  }

  return {
    element: table,
    // Draws `list` (nodes of the folder at `basePath`) and `deleted` (trash items), sorted by
    // `sort`/`order` as the server sent them; keeps the selected ids that are still there.
    draw(list, { basePath, sort, order, deleted = [] }) {
      nodes = list;
      replaceChildren(head, h('th', { class: 'col-check' }, selectAll),
                      kColumns.map(([key, label]) => {
                        const active = key === sort;
                        const button = h('button', { type: 'button', class: 'sort-button' },
                                         label, active ? (order === 'asc' ? ' ▲' : ' ▼') : '');
                        button.addEventListener('click', () => onSort(key));
                        return h('th', { class: `col-${key}`,
                                         'aria-sort': active ? (order === 'asc' ? 'ascending'
                                                                                 : 'descending')
                                                             : null }, button);
                      }),
                      h('th', { class: 'col-actions' }, h('span', { class: 'visually-hidden' },
                                                          'Actions')));
      replaceChildren(body, list.map((n, i) => row(n, i, basePath)), deleted.map(deletedRow));
      if (!list.length && !deleted.length) {
        body.append(h('tr', {}, h('td', { colspan: '5', class: 'empty' },
                                  'This folder is empty. Drop files or folders here to upload.')));
      }
      const keep = [...selected].filter((id) => list.some((n) => n.id === id));
      if (anchor !== null && anchor >= list.length) anchor = null;
      setSelection(keep);
    },
    // Where keyboard focus is in the list before an action: the row holding it (or the first
    // selected row) by id and index, for restoreFocus once the action has redrawn the rows.
    focusHint() {
      const focused = document.activeElement?.closest?.('tr[data-id]');
      const ids = focused && body.contains(focused) ? [focused.dataset.id] : [...selected];
      const index = nodes.findIndex((n) => ids.includes(n.id));
      return { ids, index };
    },
    // When the action left focus nowhere (its row or button was redrawn or disabled): on the
    // hinted row if it is still listed, else on the row now at its place, else on the table.
    // A button disabled under the focus (Move, once nothing is selected) still holds it until
    // the browser lets go a moment later: that counts as nowhere too.
    restoreFocus(hint) {
      const active = document.activeElement;
      const kept = active && active !== document.body && active.isConnected && !active.disabled &&
                   !active.closest('[hidden]');
      if (!table.isConnected || kept) return;
      if (document.querySelector('dialog[open]')) return;
      const rows = [...body.querySelectorAll('tr[data-id]')];
      const target = rows.find((r) => hint?.ids?.includes(r.dataset.id)) ??
                     (hint?.index >= 0 && rows.length ? rows[Math.min(hint.index, rows.length - 1)]
                                                      : null);
      const focusable = target?.querySelector('input[type=checkbox]');
      if (focusable) {
        focusable.focus();
      } else {
        table.tabIndex = -1;
        table.focus();
      }
    },
    // Focus on the name of the item `id` (e.g. the file a preview showed last), if listed.
    focusItem(id) {
      const tr = [...body.querySelectorAll('tr[data-id]')].find((r) => r.dataset.id === id);
      tr?.querySelector('a.node-link')?.focus();
    },
    selectAll: () => setSelection(nodes.map((n) => n.id)),
    clearSelection: () => setSelection([]),
    selectedNodes: () => nodes.filter((n) => selected.has(n.id)),
  };
}

// The "Shared" badge of an item shared with people or by a public link.
export function sharedBadge() {
  return h('span', { class: 'badge badge-shared', title: 'Shared with people or by a link' },
           'Shared');
}

// Makes `el` take drops of dragged rows or of files: highlights it while something is over
// it and calls onDrop(dataTransfer). The drop does not bubble to the folder's own drop zone.
export function dropTarget(el, onDrop) {
  const accepts = (e) => [...(e.dataTransfer?.types ?? [])].some((t) => t === kDragType ||
                                                                       t === 'Files');
  el.addEventListener('dragover', (e) => {
    if (!accepts(e)) return;
    e.preventDefault();
    e.stopPropagation();
    el.classList.add('drop-target');
  });
  el.addEventListener('dragleave', () => el.classList.remove('drop-target'));
  el.addEventListener('drop', (e) => {
    el.classList.remove('drop-target');
    if (!accepts(e)) return;
    e.preventDefault();
    e.stopPropagation();
    onDrop(e.dataTransfer);
  });
}
