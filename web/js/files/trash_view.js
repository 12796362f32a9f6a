// The trash (/trash): deleted items with where they came from, when they are purged, restore
// (saying where the item goes back to) and delete forever, one by one or for the ticked items
// (a checkbox per item, shift-click for a range, select all, "select all items in the
// trash"), "Restore all" and "Empty trash". Bulk actions run a few requests at a time with a
// progress line and Cancel, and end with one summary. More items load as the list scrolls.
// The list follows deletes, restores and purges made elsewhere (live_refresh.js).
import { h, replaceChildren } from '../dom.js';
import { messageBox } from '../forms.js';
import { formatBytes, formatTime, shortName } from '../format.js';
import { requireUser } from '../session.js';
import { bulkProgress, formatCount, itemsText, runBulk, showOutcome } from './bulk.js';
import { confirmDialog } from './dialogs.js';
import { firstRows } from './folder_listing.js';
import { autoLoad } from './listing_pager.js';
import { keepFocusOnRow, liveRefresh, placeInOrder, sameItems } from './live_refresh.js';
import { daysUntil, emptyTrash, folderUrl, listTrash, parentPath, purgeItem, restoreItem,
         splitPath } from './node_api.js';
import { nodeIcon, quotaBar } from './quota.js';
import { selectAllBanner } from './select_all_banner.js';

export const title = 'Trash';

const kPageSize = 200;
const kMaxPage = 1000;

export async function render(outlet, { signal }) {
  await requireUser();
  const message = messageBox({ floating: true });
  const quota = quotaBar();
  const progress = bulkProgress();
  const list = h('ul', { class: 'item-list trash-list', 'aria-label': 'Deleted items' });
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true },
                 'Load more');
  const listEnd = h('div', { class: 'form-actions list-end' }, more);
  const selectAll = h('input', { type: 'checkbox', id: 'trash-select-all' });
  const count = h('span', { class: 'selection-count', 'aria-live': 'polite' });
  const tool = (label, fn, cls = 'button button-secondary button-small') => {
    const b = h('button', { type: 'button', class: cls }, label);
    b.addEventListener('click', () => run(fn));
    return b;
  };
  const restoreSelected = tool('Restore selected', () => restoreItems(selectedItems()));
  const purgeSelected = tool('Delete forever selected', () => purgeItems(selectedItems()),
                             'button button-danger button-small');
  const restoreAll = tool('Restore all', restoreEverything);
  const empty = tool('Empty trash', emptyEverything, 'button button-danger button-small');
  const banner = selectAllBanner({ what: 'the trash', onSelectAll: () => run(selectWholeTrash),
                                   onClear: () => setSelection([]) });
  let items = [];
  let cursor = null;
  let selected = new Set();
  let anchor = null;
  let busy = false;
  let whole = false;
  const rowById = new Map();
  const sigById = new Map();  // What each row shows: a row is drawn again only when it changes.
  let loads = 0;  // Loads begun: a live refresh's look drawn after one is stale.
  let pager = null;  // autoLoad(), once the first page is drawn.

  outlet.append(h('section', { class: 'trash-page' },
                  h('h1', {}, 'Trash'),
                  h('p', { class: 'lead' }, 'Deleted items stay here until their time runs out ',
                    '(shown for each), then they are deleted for good. They count against ',
                    'your storage until then.'),
                  quota, message, progress.element,
                  h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Trash actions' },
                    h('label', { class: 'toggle-select-all', for: 'trash-select-all' }, selectAll,
                      ' Select all'),
                    restoreSelected, purgeSelected, count,
                    h('span', { class: 'toolbar-sep', 'aria-hidden': 'true' }),
                    restoreAll, empty),
                  banner.element, list, listEnd));

  more.addEventListener('click', () => run(() => loadNext()));
  selectAll.addEventListener('click', (e) => {
    if (busy) e.preventDefault();
  });
  selectAll.addEventListener('change', () => setSelection(selectAll.checked
    ? items.map((i) => i.id) : []));

  await load(true);
  pager = autoLoad(listEnd, () => (busy || !list.isConnected ? false
    : loadNext().catch((err) => {
      message.error(err?.message ?? String(err));
      return false;
    })));
  const live = liveRefresh({ element: list, look, waits: () => busy, rows: () => items.length });
  return () => {
    pager.stop();
    live.stop();
  };

  // Runs an action and shows its error. Focus that the action left nowhere (its item was
  // redrawn or is gone) goes to the same action of the item now at that place, else to the
  // list's first button, else to the list.
  async function run(fn) {
    message.clear();
    const active = document.activeElement;
    const at = active?.closest?.('li[data-trash-id]');
    const index = at ? [...list.children].indexOf(at) : -1;
    const which = at ? [...at.querySelectorAll('button')].indexOf(active) : 0;
    try {
      await fn();
    } catch (err) {
      if (err?.name !== 'AbortError') message.error(err?.message ?? String(err));
    }
    const now = document.activeElement;
    if (!list.isConnected || (now && now !== document.body && now.isConnected && !now.disabled) ||
        document.querySelector('dialog[open]')) {
      return;
    }
    const rows = [...list.querySelectorAll('li[data-trash-id]')];
    const row = rows.length ? rows[Math.min(Math.max(index, 0), rows.length - 1)] : null;
    const buttons = row ? [...row.querySelectorAll('button')] : [];
    if (buttons.length) {
      buttons[Math.min(Math.max(which, 0), buttons.length - 1)].focus();
    } else {
      list.tabIndex = -1;
      list.focus();
    }
  }

  // --- data ---
  // The first page (or as many items as are shown, after an action), drawn anew.
  async function load(first, rows = kPageSize) {
    loads += 1;
    const fresh = [];
    let next = null;
    do {
      const limit = Math.min(kMaxPage, Math.max(kPageSize, rows - fresh.length));
      const data = await listTrash({ cursor: next ?? undefined, limit, signal });
      fresh.push(...(data.items ?? []));
      next = data.next_cursor ?? null;
    } while (!first && next && fresh.length < rows);
    items = fresh;
    cursor = next;
    rowById.clear();
    sigById.clear();
    replaceChildren(list, items.length ? items.map(row)
                                       : h('li', { class: 'item' }, 'The trash is empty.'));
    setSelection([...selected].filter((id) => rowById.has(id)));
    afterPage();
    quota.update();
  }

  async function reload() {
    await load(false, Math.max(kPageSize, items.length));
  }

  // The next page, after the items shown; resolves to true when it added some.
  async function loadNext(limit = kPageSize) {
    if (!cursor) return false;
    loads += 1;
    const data = await listTrash({ cursor, limit, signal });
    const fresh = (data.items ?? []).filter((i) => !rowById.has(i.id));
    cursor = data.next_cursor ?? null;
    if (!items.length && fresh.length) list.replaceChildren();
    items.push(...fresh);
    list.append(...fresh.map(row));
    setSelection([...selected]);
    afterPage();
    return true;
  }

  // The live refresh's look: the items shown read again and the quota bar; drawn only when
  // something changed, keeping the rows of the items that did not (focus, selection, scroll).
  async function look(free) {
    const before = loads;
    const fresh = await firstRows((limit, next) => listTrash({ cursor: next, limit, signal }),
                                  Math.max(kPageSize, items.length));
    quota.update();
    if (before !== loads || busy) return;  // An action drew the list meanwhile.
    const same = sameItems(fresh.items, items) && !fresh.cursor === !cursor;
    if (!same && !free()) return;
    cursor = fresh.cursor;
    if (same) return;
    await keepFocusOnRow(list, 'trashId', () => {
      items = fresh.items;
      const ids = new Set(items.map((i) => i.id));
      for (const id of [...rowById.keys()]) {
        if (ids.has(id)) continue;
        rowById.delete(id);
        sigById.delete(id);
      }
      const rows = items.map((i) => (sigById.get(i.id) === rowSig(i) ? rowById.get(i.id) : row(i)));
      placeInOrder(list, rows.length ? rows : [h('li', { class: 'item' }, 'The trash is empty.')]);
      setSelection([...selected].filter((id) => rowById.has(id)));
      afterPage();
    });
  }

  // What a row shows of `item`: the item and the folder in the trash it would come back with.
  function rowSig(item) {
    return JSON.stringify([item, containersOf(item).map((f) => f.id)]);
  }

  function afterPage() {
    more.hidden = !cursor;
    updateControls();
    pager?.check();
  }

  // Everything left to load (progress, Cancel), then every item is selected.
  async function selectWholeTrash() {
    await locked(async () => {
      progress.start('', null, { describe: (n) => `Loading the trash: ${formatCount(n)} ` +
                                                  'items loaded…' });
      while (cursor && !progress.cancelled()) {
        await loadNext(kMaxPage);
        progress.update(items.length);
      }
    });
    if (cursor) return;
    whole = true;
    setSelection(items.map((i) => i.id));
  }

  // --- selection ---
  function setSelection(ids) {
    const next = new Set(ids);
    for (const [id, li] of rowById) {
      const on = next.has(id);
      if (on === selected.has(id) && li.classList.contains('selected') === on) continue;
      li.classList.toggle('selected', on);
      li.querySelector('input[type=checkbox]').checked = on;
    }
    selected = next;
    if (selected.size !== items.length) whole = false;
    updateControls();
  }

  function selectedItems() {
    return items.filter((i) => selected.has(i.id));
  }

  function updateControls() {
    const n = selected.size;
    count.textContent = n ? `${formatCount(n)} selected` : '';
    selectAll.checked = items.length > 0 && n === items.length;
    selectAll.indeterminate = n > 0 && n < items.length;
    for (const b of [restoreSelected, purgeSelected]) b.disabled = busy || n === 0;
    for (const b of [restoreAll, empty]) b.disabled = busy || items.length === 0;
    more.disabled = busy;
    banner.update({ selected: n, loaded: items.length, more: !!cursor, whole, busy });
  }

  // While a bulk action runs: the buttons wait, the checkboxes stay as they are.
  async function locked(fn) {
    busy = true;
    list.setAttribute('aria-busy', 'true');
    for (const b of list.querySelectorAll('button')) b.disabled = true;
    updateControls();
    try {
      return await fn();
    } finally {
      progress.finish();
      busy = false;
      list.removeAttribute('aria-busy');
      for (const b of list.querySelectorAll('button')) b.disabled = false;
      updateControls();
    }
  }

  // Runs `work` over `targets` ("Restoring 1,200 of 5,000…").
  function bulk(targets, label, work) {
    return locked(() => {
      if (targets.length > 1) progress.start(label, targets.length);
      return runBulk(targets, work, { onProgress: (n) => progress.update(n),
                                      cancelled: progress.cancelled });
    });
  }

  // --- actions ---
  // The ticked items, with the folders they were in that are in the trash too (restored
  // first, outermost first: each item then goes back into its folder, and the tree stays whole
  // rather than "Projects" and "Projects (restored)" side by side).
  async function restoreItems(targets) {
    if (!targets.length || busy) return;
    const all = new Map();
    for (const item of targets) {
      for (const folder of containersOf(item)) all.set(folder.id, folder);
      all.set(item.id, item);
    }
    const ordered = [...all.values()].sort((a, b) => depth(a) - depth(b));
    // Items start in this order, so a folder's restore has started before what was in it.
    const restoring = new Map();
    const outcome = await bulk(ordered, 'Restoring', (item) => {
      const p = Promise.all(containersOf(item).map((f) => restoring.get(f.id)?.catch(() => {})))
          .then(() => restoreItem(item.id));
      restoring.set(item.id, p);
      return p;
    });
    summarize(outcome, 'restored');
    await reload();
  }

  // One item's Restore: the folders it was in that are in the trash too come back first.
  async function restoreOne(item, where) {
    const folders = containersOf(item);
    for (const folder of folders) {
      try {
        await restoreItem(folder.id);
      } catch (err) {
        if (err?.status !== 404) throw err;  // Restored or purged elsewhere meanwhile.
      }
    }
    const r = await restoreItem(item.id);
    const to = r?.restored_path ?? where;
    const along = folders.length ? `, with its folder "${shortName(folders[0].name)}"` : '';
    message.success(`Restored "${shortName(item.name)}" to ${to}${along}. `,
                    h('a', { href: folderUrl(parentPath(to)) }, 'Open the folder'));
    await reload();
  }

  async function purgeItems(targets) {
    if (!targets.length || busy) return;
    const one = targets.length === 1;
    const ok = await confirmDialog({
      title: one ? `Delete "${targets[0].name}" forever?`
                 : `Delete ${itemsText(targets.length)} forever?`,
      confirmLabel: 'Delete forever', danger: true,
      message: `${one ? 'It' : 'They'} cannot be restored afterwards.` });
    if (!ok) return;
    const outcome = await bulk(targets, 'Deleting forever', async (item) => {
      try {
        return await purgeItem(item.id);
      } catch (err) {
        if (err?.status === 404) return null;  // Gone already: restored or purged elsewhere.
        throw err;
      }
    });
    summarize(outcome, 'deleted for good');
    await reload();
  }

  // "Restore all": every page, then every item.
  async function restoreEverything() {
    if (busy) return;
    await locked(async () => {
      progress.start('', null, { describe: (n) => `Loading the trash: ${formatCount(n)} ` +
                                                  'items loaded…' });
      while (cursor && !progress.cancelled()) await loadNext(kMaxPage);
    });
    if (cursor) return;
    await restoreItems([...items]);
  }

  async function emptyEverything() {
    const ok = await confirmDialog({
      title: 'Empty the trash?', confirmLabel: 'Delete everything forever', danger: true,
      message: 'Every item in the trash is deleted for good. This cannot be undone.' });
    if (!ok) return;
    const n = items.length;
    await locked(() => emptyTrash());
    message.success(cursor ? 'Everything in the trash was deleted for good.'
                           : `Deleted ${itemsText(n)} for good.`);
    selected = new Set();
    await load(true);
  }

  // One line for a bulk action: "5,000 items restored.", what was not started (Cancel), and
  // the failures by reason.
  function summarize({ done, failed, notStarted }, verbed) {
    const parts = done.length ? [`${itemsText(done.length)} ${verbed}.`] : [];
    showOutcome(message, parts, { failed, notStarted }, verbed);
  }


  // The folders in the trash (those loaded) that `item` was in when it was deleted, outermost
  // first: a folder deleted after the item, whose original path is above the item's. Of two
  // deleted from the same place, the one deleted first after the item.
  function containersOf(item) {
    const path = item.original_path;
    if (!path) return [];
    const byPath = new Map();
    for (const other of items) {
      if (other.id === item.id || other.type !== 'folder' || !other.original_path) continue;
      if (!path.startsWith(`${other.original_path.replace(/\/+$/, '')}/`)) continue;
      if (new Date(other.deleted_at) < new Date(item.deleted_at)) continue;
      const known = byPath.get(other.original_path);
      if (!known || new Date(other.deleted_at) < new Date(known.deleted_at)) {
        byPath.set(other.original_path, other);
      }
    }
    return [...byPath.values()].sort((a, b) => depth(a) - depth(b));
  }

  function depth(item) {
    return splitPath(item.original_path).length;
  }

  // The folder an item goes back to: the server says (its original folder, wherever that is
  // now); else the parent of its original path.
  function destination(item) {
    if (item.restores_to) return item.restores_to;
    const original = item.original_path || `/${item.name}`;
    const parts = splitPath(original);
    return parts[parts.length - 1] === item.name ? parentPath(original) : original;
  }

  // Click on the checkbox of item `id`: toggles it; with shift, the range from the last click.
  function clickCheck(id, shift) {
    const index = items.findIndex((i) => i.id === id);
    const next = new Set(selected);
    if (shift && anchor !== null && anchor < items.length) {
      const [a, b] = anchor < index ? [anchor, index] : [index, anchor];
      for (let i = a; i <= b; i += 1) next.add(items[i].id);
    } else {
      if (next.has(id)) next.delete(id);
      else next.add(id);
      anchor = index;
    }
    setSelection([...next]);
  }

  function row(item) {
    const days = daysUntil(item.expires_at);
    const where = destination(item);
    const check = h('input', { type: 'checkbox', 'aria-label': `Select ${item.name}` });
    check.addEventListener('click', (e) => {
      if (busy) {
        e.preventDefault();
        return;
      }
      clickCheck(item.id, e.shiftKey);
      check.checked = selected.has(item.id);  // A shift-click keeps a ticked box ticked.
    });
    const restore = h('button', { type: 'button', class: 'button button-secondary button-small',
                                  'aria-label': `Restore ${item.name} to ${where}` }, 'Restore');
    restore.addEventListener('click', () => run(() => restoreOne(item, where)));
    const folder = containersOf(item)[0];
    const purge = h('button', { type: 'button', class: 'button button-danger button-small',
                                'aria-label': `Delete ${item.name} forever` }, 'Delete forever');
    purge.addEventListener('click', () => run(async () => {
      const ok = await confirmDialog({
        title: `Delete "${item.name}" forever?`, confirmLabel: 'Delete forever', danger: true,
        message: 'It cannot be restored afterwards.' });
      if (!ok) return;
      await purgeItem(item.id);
      message.success(`"${item.name}" was deleted for good.`);
      await reload();
    }));
    const li = h('li', { class: 'item trash-item selectable', dataset: { trashId: item.id } },
                 h('span', { class: 'trash-check' }, check),
                 h('div', { class: 'item-main' },
                   h('strong', {}, nodeIcon(item.type), item.name),
                   h('span', { class: 'item-meta' },
                     `from ${where} · ${formatBytes(item.size)} · ` +
                     `deleted ${formatTime(item.deleted_at)}` +
                     // A colleague's delete in a shared folder: it counts against my space.
                     (item.deleted_by
                       ? ` by ${item.deleted_by.name || item.deleted_by.email}` : '')),
                   h('span', { class: 'item-meta purge-note' },
                     days === null ? '' : `Purges in ${days} ${days === 1 ? 'day' : 'days'} · `,
                     `Restore puts it back in ${where}`),
                   // Its folder was deleted after it: Restore brings that folder back first.
                   folder ? h('span', { class: 'item-meta trash-folder-note' },
                              `Its folder "${shortName(folder.name)}" is in the trash too: ` +
                              'Restore brings the folder back first, to keep them together.')
                          : null),
                 h('div', { class: 'item-actions' }, restore, purge));
    rowById.set(item.id, li);
    sigById.set(item.id, rowSig(item));
    return li;
  }
}
