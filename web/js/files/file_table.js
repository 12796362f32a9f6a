// The file list of the browser: a table with sortable headers, a checkbox per row (click,
// shift-click for a range, select all), rows that can be dragged onto a folder, folder rows
// that take drops, and greyed rows for items deleted from this folder (with Restore), in a
// body of their own after the live rows. Long folders come in pages: append() adds rows
// without drawing the others again, and draw() reuses the rows of items that did not change
// (a refresh keeps focus, selection and scroll). Each row ends with a "⋯" menu of its actions
// (row_menu.js); on a phone that menu replaces the row's Share and Download links. A picture
// shows its thumbnail in place of the file icon (thumbs.js). setLayout('grid') draws the same
// rows as tiles (css/grid.css): a 256 px thumbnail or a large icon, the name under it; the
// checkbox, the menu, dragging, dropping and the keys stay those of the rows (← → and ↑ ↓
// move between tiles), and the "Sort by" list stands in for the headers.
import { announce, h, holdsFocus, replaceChildren, touchOnly } from '../dom.js';
import { formatBytes, formatTime } from '../format.js';
import { contentUrl, daysUntil, folderUrl, inlineUrl } from './node_api.js';
import { nodeIcon } from './quota.js';
import { rowMenuButton } from './row_menu.js';
import { nodeThumb, thumbnailUrl } from './thumbs.js';

export const kDragType = 'application/x-nimbus-nodes';

const kColumns = [['name', 'Name'], ['size', 'Size'], ['modified', 'Modified']];
// The orders of the "Sort by" list (narrow screens, where the Modified column gives way).
const kSortChoices = [['name asc', 'Name (A to Z)'], ['name desc', 'Name (Z to A)'],
                      ['modified desc', 'Modified (newest first)'],
                      ['modified asc', 'Modified (oldest first)'],
                      ['size desc', 'Size (largest first)'], ['size asc', 'Size (smallest first)']];
const orderText = (order) => (order === 'asc' ? 'ascending' : 'descending');

// What a row shows of a node: a row is drawn again only when this changes.
const signature = (node, path) => JSON.stringify([node.name, node.type, node.size,
                                                  node.modified_at, !!node.shared,
                                                  node.permission ?? null, path,
                                                  node.checksum_sha256 ?? null]);

// Builds the table (`element`) and its "Sort by" list (`sortControl`, for the view to place
// above it). Options: onSort(key, order) when a header is clicked (order undefined: the
// view turns it round or picks the column's usual one) or an order is picked in the list; onSelection(ids) after
// every change of the selection; onDropOnFolder(folderNode, dataTransfer) for drops on a
// folder row; onRestore(trashItem); folderHref(node, path) the link of a folder row (default:
// its /files/<path> page); onShare(node), when given, adds a Share button to the rows I own;
// onOpenFile(node), when given, opens a file (a click on its name, Enter on its row: the
// preview) where it would otherwise download; onDownload(node), when given, runs instead of
// a plain click on a row's Download link (which otherwise downloads as a link does);
// moreActions(node), when given, adds entries ([{ label, run(), danger }], e.g. Rename, Move,
// Delete) to the row's menu after Open, Download and Share. canUpload: false where the person
// cannot upload (a folder shared read-only), so the empty folder does not say how to;
// emptyNote(), when given, adds to what an empty folder says (e.g. that items are shared with
// the person, at the root of their files). thumbUrl(node, size): a picture's thumbnail URL.
export function fileTable({ onSort, onSelection, onDropOnFolder, onRestore,
                            folderHref = (node, path) => folderUrl(path), onShare = null,
                            onOpenFile = null, onDownload = null, moreActions = null,
                            canUpload = true, emptyNote = null, thumbUrl = thumbnailUrl }) {
  const selectAll = h('input', { type: 'checkbox', 'aria-label': 'Select all' });
  // "Select all" is said beside the box in the grid, where no column headers explain it.
  const selectAllLabel = h('label', { class: 'select-all' }, selectAll,
                           h('span', { class: 'select-all-text', 'aria-hidden': 'true' },
                             'Select all'));
  const sortHeads = kColumns.map(([key, label]) => sortHead(key, label));
  const head = h('tr', {}, h('th', { class: 'col-check' }, selectAllLabel), sortHeads,
                 h('th', { class: 'col-actions' }, h('span', { class: 'visually-hidden' },
                                                     'Actions')));
  const sortSelect = h('select', { id: 'sort-by', class: 'sort-select' },
                       kSortChoices.map(([value, label]) => h('option', { value }, label)));
  const sortControl = h('div', { class: 'sort-by' }, h('label', { for: 'sort-by' }, 'Sort by'),
                        sortSelect);
  const body = h('tbody', {});
  const deletedBody = h('tbody', { class: 'deleted-rows' });
  const table = h('table', { class: 'table file-table', 'aria-label': 'Files' },
                  h('thead', {}, head), body, deletedBody);
  let nodes = [];
  let indexById = new Map();
  const rowById = new Map();  // id -> { tr, sig } of the live rows drawn.
  let selected = new Set();
  let anchor = null;
  let basePath = '/';
  let headKey = null;  // The sort drawn in the header.
  let locked = false;  // While a bulk action runs: the selection stays as it is.
  let deletedItems = [];
  let grid = false;  // Tiles instead of rows (setLayout).

  selectAll.addEventListener('click', (e) => {
    if (locked) e.preventDefault();
  });
  sortSelect.addEventListener('change', () => {
    const [key, order] = sortSelect.value.split(' ');
    if (locked) sortSelect.value = headKey;  // As the headers: no sorting during a bulk action.
    else onSort(key, order);
  });
  selectAll.addEventListener('change', () => setSelection(selectAll.checked ? nodes.map((n) => n.id)
                                                                             : []));

  // Arrow keys (and Home/End) move between rows, on each row's checkbox; with Shift they also
  // extend the selection, as in a desktop file manager. Enter there opens the row's item as
  // its name link does (a folder, or a file's preview). In the grid ← → go to the tile before
  // or after, ↑ ↓ to the one above or below (a line of tiles further).
  body.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    const tr = e.target.closest?.('tr[data-id]');
    if (!tr) return;
    if (e.key === 'Enter' && !e.shiftKey && e.target.matches('input[type=checkbox]')) {
      e.preventDefault();
      tr.querySelector('a.node-link')?.click();
      return;
    }
    const keys = ['ArrowDown', 'ArrowUp', 'Home', 'End'];
    if (!keys.includes(e.key) && !(grid && ['ArrowLeft', 'ArrowRight'].includes(e.key))) return;
    const rows = body.querySelectorAll('tr[data-id]');
    const at = indexById.get(tr.dataset.id);
    const line = grid ? tilesPerLine(rows) : 1;
    const to = { ArrowDown: at + line, ArrowUp: at - line, ArrowLeft: at - 1, ArrowRight: at + 1,
                 Home: 0, End: rows.length - 1 }[e.key];
    if (to < 0 || to >= rows.length || to === at) return;
    e.preventDefault();
    rows[to].querySelector('input[type=checkbox]').focus();
    if (e.shiftKey && !locked) {
      if (anchor === null || selected.size === 0) anchor = at;
      clickRow(to, { shift: true });
    }
  });

  // The tiles on one line of the grid: those as high up as the first.
  function tilesPerLine(rows) {
    const top = rows[0]?.getBoundingClientRect().top;
    let n = 0;
    while (n < rows.length && Math.abs(rows[n].getBoundingClientRect().top - top) < 2) n += 1;
    return Math.max(1, n);
  }

  // Marks the rows whose state changed (a folder of thousands: only those are touched).
  function setSelection(ids) {
    const next = new Set(ids);
    for (const id of new Set([...selected, ...next])) {
      const on = next.has(id);
      if (on === selected.has(id)) continue;
      const tr = rowById.get(id)?.tr;
      if (!tr) continue;
      tr.classList.toggle('selected', on);
      tr.setAttribute('aria-selected', String(on));
      tr.querySelector('input[type=checkbox]').checked = on;
    }
    selected = next;
    selectAll.checked = nodes.length > 0 && selected.size === nodes.length;
    selectAll.indeterminate = selected.size > 0 && selected.size < nodes.length;
    // In the grid every tile's checkbox shows once one is ticked (else on hover or focus).
    table.classList.toggle('has-selection', selected.size > 0);
    onSelection([...selected]);
  }

  // Click on row `index` (checkbox or row): shift selects the range from the last click,
  // ctrl/cmd or a checkbox toggles, a plain row click selects just this row.
  function clickRow(index, { shift, toggle }) {
    if (locked || index === undefined) return;
    const id = nodes[index].id;
    const next = new Set(selected);
    if (shift && anchor !== null && anchor < nodes.length) {
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

  function row(node, path) {
    const isFolder = node.type === 'folder';
    const check = h('input', { type: 'checkbox', 'aria-label': `Select ${node.name}` });
    check.addEventListener('click', (e) => {
      e.stopPropagation();
      if (locked) {
        e.preventDefault();
        return;
      }
      clickRow(indexById.get(node.id), { shift: e.shiftKey, toggle: true });
      check.checked = selected.has(node.id);  // A shift-click keeps a ticked box ticked.
    });
    const size = isFolder && !node.size ? '—' : formatBytes(node.size);
    // A row: the icon (a picture's thumbnail) inside the name's link. A tile: the large
    // picture outside it, so that a click on it selects as a click on a row does (a double
    // click opens), and the link is the name under it (its whole text in a tooltip, as it is
    // cut short).
    const icon = grid ? null : nodeThumb(node, { size: 64, url: thumbUrl });
    const link = isFolder
      ? h('a', { href: folderHref(node, path), class: 'node-link', draggable: 'false',
                 title: grid ? node.name : null }, icon, node.name)
      : fileLink(node, icon);
    const tr = h('tr', { dataset: { id: node.id, type: node.type, name: node.name }, draggable: 'true',
                         'aria-selected': 'false' },
                 h('td', { class: 'col-check' }, check),
                 h('td', { class: 'col-name' },
                   grid ? nodeThumb(node, { size: 256, url: thumbUrl }) : null,
                   link, node.shared ? sharedBadge() : null,
                   // Shown on narrow screens only, where the Size and Modified columns give way
                   // (the name gets their width: it wrapped onto 11 lines, QA pass 17c).
                   h('span', { class: 'row-facts' }, h('span', { class: 'row-size' }, size),
                     h('span', { class: 'row-date' }, `Modified ${formatTime(node.modified_at)}`))),
                 h('td', { class: 'col-size' }, size),
                 h('td', { class: 'col-modified' }, formatTime(node.modified_at)),
                 h('td', { class: 'col-actions' }, shareButton(node), downloadLink(node),
                   rowMenuButton(node.name, () => menuEntries(node, link))));
    tr.addEventListener('click', (e) => {
      if (e.target.closest('a, button, input')) return;
      clickRow(indexById.get(node.id), { shift: e.shiftKey, toggle: e.ctrlKey || e.metaKey });
    });
    // A double click anywhere on the row opens its item as its name does (a folder, a file's
    // preview), as in a desktop's file manager; the first click has selected the row. Not on
    // the row's own controls (the checkbox, the links, the menu), which do their own thing.
    tr.addEventListener('mousedown', (e) => {  // The double click selects no text.
      if (e.detail > 1 && !e.target.closest('a, button, input')) e.preventDefault();
    });
    tr.addEventListener('dblclick', (e) => {
      if (e.button !== 0 || e.shiftKey || e.ctrlKey || e.metaKey || e.altKey) return;
      if (locked || e.target.closest('a, button, input, .row-menu')) return;
      link.click();
    });
    tr.addEventListener('dragstart', (e) => {
      if (locked) {
        e.preventDefault();
        return;
      }
      const ids = selected.has(node.id) ? [...selected] : [node.id];
      e.dataTransfer.setData(kDragType, JSON.stringify(ids));
      e.dataTransfer.effectAllowed = 'copyMove';
    });
    if (isFolder) dropTarget(tr, (dt) => onDropOnFolder(node, dt));
    return tr;
  }

  // The live row of `node`: the one drawn before when it shows the same, else a new one.
  function rowFor(node) {
    const path = node.path || `${basePath === '/' ? '' : basePath}/${node.name}`;
    const sig = signature(node, path);
    const known = rowById.get(node.id);
    if (known?.sig === sig) return known.tr;
    const tr = row(node, path);
    if (selected.has(node.id)) {
      tr.classList.add('selected');
      tr.setAttribute('aria-selected', 'true');
      tr.querySelector('input[type=checkbox]').checked = true;
    }
    rowById.set(node.id, { tr, sig });
    return tr;
  }

  // The entries of a row's menu: Open (the name link's click), Download, Share, then the
  // view's own.
  function menuEntries(node, link) {
    const share = shareButton(node);
    return [
      { label: 'Open', run: () => link.click() },
      { label: 'Download', run: () => {
        const a = downloadLink(node);
        a.hidden = true;
        document.body.append(a);
        a.click();
        a.remove();
      } },
      share ? { label: 'Share', run: () => share.click() } : null,
      ...(moreActions?.(node) ?? []),
    ];
  }

  // A row's Download link: downloads as a link does, or asks onDownload first (a plain click).
  function downloadLink(node) {
    const isFolder = node.type === 'folder';
    const a = h('a', { href: contentUrl(node.id), class: 'link-button row-inline-action',
                       download: isFolder ? `${node.name}.zip` : node.name,
                       'aria-label': `Download ${node.name}` }, 'Download');
    if (onDownload) {
      a.addEventListener('click', (e) => {
        if (e.button !== 0 || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
        e.preventDefault();
        onDownload(node);
      });
    }
    return a;
  }

  // A file's name: opens it (onOpenFile) or downloads it. With a modifier or the middle button
  // the browser does what it does with links (a new tab shows what the server lets show).
  function fileLink(node, icon) {
    const title = grid ? node.name : null;
    if (!onOpenFile) {
      return h('a', { href: contentUrl(node.id), download: node.name, class: 'node-link',
                      draggable: 'false', title }, icon, node.name);
    }
    const a = h('a', { href: inlineUrl(node.id), class: 'node-link', draggable: 'false', title },
                icon, node.name);
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
    const b = h('button', { type: 'button', class: 'link-button row-inline-action',
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
                 (days === null ? '' : ` · purges in ${days} ${days === 1 ? 'day' : 'days'}`)),
               h('span', { class: 'row-facts' },
                 h('span', { class: 'row-size' }, formatBytes(item.size)))),
             h('td', { class: 'col-size' }, formatBytes(item.size)),
             h('td', { class: 'col-modified' }, '—'),
             h('td', { class: 'col-actions' }, restore));
  }

  // A column's header: its sort button, whose arrow is drawn for the eye only (aria-sort says
  // the order to screen readers).
  function sortHead(key, label) {
    const button = h('button', { type: 'button', class: 'sort-button' }, label,
                     h('span', { class: 'sort-arrow', 'aria-hidden': 'true' }));
    button.addEventListener('click', () => {
      if (!locked) onSort(key);
    });
    return h('th', { class: `col-${key}`, dataset: { key } }, button);
  }

  // The headers show the sort: updated in place, so the button just pressed keeps the focus
  // (pressed again, it turns the order round); a new order is announced.
  function drawHead(sort, order) {
    if (headKey === `${sort} ${order}`) return;
    const changed = headKey !== null;
    headKey = `${sort} ${order}`;
    for (const th of sortHeads) {
      const active = th.dataset.key === sort;
      if (active) th.setAttribute('aria-sort', orderText(order));
      else th.removeAttribute('aria-sort');
      th.querySelector('.sort-arrow').textContent = active ? (order === 'asc' ? ' ▲' : ' ▼') : '';
    }
    sortSelect.value = headKey;
    const label = kColumns.find(([key]) => key === sort)?.[1] ?? sort;
    if (changed) announce(`Sorted by ${label}, ${orderText(order)}`);
  }

  // "This folder is empty" when it is (no live rows, no deleted rows), and how to fill it: by
  // a drop on a computer, the Upload buttons on a touch screen (nothing to drag from there).
  function drawEmpty() {
    body.querySelector('tr.empty-row')?.remove();
    if (nodes.length || deletedItems.length) return;
    const how = !canUpload ? ''
      : touchOnly() ? ' Use "Upload files" above to add some.'
                    : ' Drop files or folders here to upload.';
    body.append(h('tr', { class: 'empty-row' },
                  h('td', { colspan: '5', class: 'empty' },
                    `This folder is empty.${how}`, emptyNote?.())));
  }

  function reindex() {
    indexById = new Map(nodes.map((n, i) => [n.id, i]));
  }

  // The rows of the body in the order of `list`: rows of items gone are removed first (so the
  // rows that stay are not moved, and keep the focus), then the others are put in place.
  function reconcile(list) {
    const keep = new Set(list.map((n) => n.id));
    for (const [id, { tr }] of rowById) {
      if (keep.has(id)) continue;
      tr.remove();
      rowById.delete(id);
    }
    body.querySelector('tr.empty-row')?.remove();
    let at = body.firstElementChild;
    for (const node of list) {
      const before = rowById.get(node.id)?.tr;
      const tr = rowFor(node);
      if (before && before !== tr) {  // The item changed: its new row takes the old one's place.
        if (before === at) at = at.nextElementSibling;
        before.remove();
      }
      if (tr === at) at = at.nextElementSibling;
      else body.insertBefore(tr, at);
    }
    while (at) {  // Nothing listed is left after the list; this is only a safety net.
      const next = at.nextElementSibling;
      at.remove();
      at = next;
    }
  }

  return {
    element: table,
    sortControl,
    // Draws `list` (nodes of the folder at `basePath`) and `deleted` (trash items), sorted by
    // `sort`/`order` as the server sent them; keeps the selected ids that are still there.
    draw(list, { basePath: base, sort, order, deleted = [] }) {
      if (base !== basePath) rowById.clear();
      basePath = base;
      drawHead(sort, order);
      nodes = [...list];
      reindex();
      reconcile(nodes);
      deletedItems = [...deleted];
      replaceChildren(deletedBody, deletedItems.map(deletedRow));
      drawEmpty();
      if (anchor !== null && anchor >= nodes.length) anchor = null;
      setSelection([...selected].filter((id) => indexById.has(id)));
    },
    // Adds the rows of `list` (the next page) after those drawn; the selection stays.
    append(list) {
      const fresh = list.filter((n) => !indexById.has(n.id));
      const fragment = document.createDocumentFragment();
      for (const node of fresh) {
        indexById.set(node.id, nodes.length);
        nodes.push(node);
        fragment.append(rowFor(node));
      }
      body.append(fragment);
      drawEmpty();
      setSelection([...selected]);
    },
    // Takes the rows of `ids` away (items deleted or moved by this page).
    remove(ids) {
      const gone = new Set(ids);
      nodes = nodes.filter((n) => !gone.has(n.id));
      reindex();
      for (const id of gone) {
        rowById.get(id)?.tr.remove();
        rowById.delete(id);
      }
      anchor = null;
      drawEmpty();
      setSelection([...selected].filter((id) => !gone.has(id)));
    },
    // The deleted rows: all of them again, or more after them.
    drawDeleted(deleted) {
      deletedItems = [...deleted];
      replaceChildren(deletedBody, deletedItems.map(deletedRow));
      drawEmpty();
    },
    appendDeleted(more) {
      deletedBody.append(...more.map(deletedRow));
      deletedItems.push(...more);
      drawEmpty();
    },
    // While a bulk action runs, clicks and keys leave the selection as it is and the headers
    // do not sort (the controls keep the focus they have).
    setLocked(on) {
      locked = on;
      table.classList.toggle('is-locked', on);
      if (on) table.setAttribute('aria-busy', 'true');
      else table.removeAttribute('aria-busy');
    },
    // Where keyboard focus is in the list before an action: the row holding it (or the first
    // selected row) by id and index, for restoreFocus once the action has redrawn the rows.
    focusHint() {
      const focused = document.activeElement?.closest?.('tr[data-id]');
      const ids = focused && body.contains(focused) ? [focused.dataset.id]
                                                    : [...selected].slice(0, 1000);
      const index = ids.map((id) => indexById.get(id)).filter((i) => i !== undefined)
          .reduce((a, b) => Math.min(a, b), Infinity);
      return { ids, index: index === Infinity ? -1 : index };
    },
    // When the action left focus nowhere (its row or button was redrawn or disabled): on the
    // hinted row if it is still listed, else on the row now at its place, else on the table.
    // A button disabled under the focus (Move, once nothing is selected) still holds it until
    // the browser lets go a moment later: that counts as nowhere too.
    restoreFocus(hint) {
      if (!table.isConnected || holdsFocus()) return;
      if (document.querySelector('dialog[open]')) return;
      const rows = body.querySelectorAll('tr[data-id]');
      const still = hint?.ids?.find((id) => rowById.get(id)?.tr.isConnected);
      const target = still ? rowById.get(still).tr
                           : (hint?.index >= 0 && rows.length
                             ? rows[Math.min(hint.index, rows.length - 1)] : null);
      const focusable = target?.querySelector('input[type=checkbox]');
      if (focusable) {
        focusable.focus();
      } else {
        table.tabIndex = -1;
        table.focus();
      }
    },
    // Focus on the name of the item `id` (e.g. the file a preview showed last, a folder made
    // or restored, the folder just left by going up); false when it is not listed.
    focusItem(id) {
      const link = rowById.get(id)?.tr.querySelector('a.node-link');
      link?.focus();
      return Boolean(link);
    },
    // The id of the listed item called `name`, if any.
    idOf: (name) => nodes.find((n) => n.name === name)?.id ?? null,
    selectAll: () => setSelection(nodes.map((n) => n.id)),
    clearSelection: () => setSelection([]),
    selectedNodes: () => nodes.filter((n) => selected.has(n.id)),
    // The number of rows drawn (live items).
    count: () => nodes.length,
    // 'list' (rows under column headers) or 'grid' (tiles, with the "Sort by" list): every row
    // is drawn again for it; the selection stays, and the focus on the same row's checkbox.
    setLayout(layout) {
      if ((layout === 'grid') === grid) return;
      const focused = document.activeElement?.closest?.('tr[data-id]');
      const focusId = focused && body.contains(focused) ? focused.dataset.id : null;
      grid = layout === 'grid';
      table.classList.toggle('is-grid', grid);
      sortControl.classList.toggle('in-grid', grid);
      rowById.clear();
      reconcile(nodes);
      replaceChildren(deletedBody, deletedItems.map(deletedRow));
      drawEmpty();
      if (focusId) rowById.get(focusId)?.tr.querySelector('input[type=checkbox]')?.focus();
    },
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
