// The rows of one folder in the file browser: its items page by page, in the order asked for
// (state.sort, state.order), and, when shown (state.showDeleted), the items deleted from it.
// The first rows are drawn over what is shown (a reload keeps as many rows as were loaded; the
// table reuses the rows that did not change); later pages are appended. Requests go one after
// another, so none draws over a newer one. refresh() is the live refresh's quiet look: it draws
// nothing when nothing changed.
import { sameItems } from './live_refresh.js';
import { listChildren, listTrash } from './node_api.js';

export const kPageSize = 200;  // Rows a scroll to the end (or Load more) adds.
export const kMaxPage = 1000;  // The API's largest page: reloads and "select all" use it.

// Up to `rows` items (at least one page) of a paged list: { items, cursor } (cursor: more).
export async function firstRows(fetchPage, rows) {
  const items = [];
  let cursor = null;
  do {
    const limit = Math.min(kMaxPage, Math.max(kPageSize, rows - items.length));
    const data = await fetchPage(limit, cursor ?? undefined);
    items.push(...(data.items ?? []));
    cursor = data.next_cursor ?? null;
  } while (cursor && items.length < rows);
  return { items, cursor };
}

// state: { sort, order, showDeleted, and what this fills: items, cursor, deleted,
// deletedCursor, drawn }. table: fileTable(). afterPage() runs after each change of the rows.
// basePath(): the folder's path now (it changes when the folder is renamed or moved elsewhere).
export function folderListing({ folderId, basePath, state, table, afterPage }) {
  let queue = Promise.resolve();
  function serial(fn) {
    const next = queue.then(fn);
    queue = next.catch(() => {});
    return next;
  }

  const children = (limit, cursor) => listChildren(folderId, { sort: state.sort,
                                                               order: state.order, limit, cursor });
  const deleted = (limit, cursor) => listTrash({ parentId: folderId, limit, cursor });

  // The first `rows` items and, when shown, the first `deletedRows` deleted items.
  async function loadFirst(rows, deletedRows) {
    ({ items: state.items, cursor: state.cursor } = await firstRows(children, rows));
    let failed = null;  // Of the deleted items: the live ones are drawn all the same.
    if (state.showDeleted) {
      await firstRows(deleted, deletedRows).then((page) => {
        [state.deleted, state.deletedCursor] = [page.items, page.cursor];
      }, (err) => {
        failed = err;
      });
    } else {
      [state.deleted, state.deletedCursor] = [[], null];
    }
    drawAll();
    if (failed) throw failed;
  }

  function drawAll() {
    table.draw(state.items, { basePath: basePath(), sort: state.sort, order: state.order,
                              deleted: state.deleted });
    state.drawn = true;
    afterPage();
  }

  // The rows shown, read again: drawn only when something changed and `free()` says the page
  // may change now (resolves to true then). Any failure rejects with nothing changed.
  async function refresh(free) {
    const live = await firstRows(children, Math.max(kPageSize, state.items.length));
    const gone = state.showDeleted ? await firstRows(deleted, state.deleted.length)
                                   : { items: [], cursor: null };
    const same = sameItems(live.items, state.items) && !live.cursor === !state.cursor &&
                 sameItems(gone.items, state.deleted) && !gone.cursor === !state.deletedCursor;
    if (!same && !free()) return false;
    [state.cursor, state.deletedCursor] = [live.cursor, gone.cursor];
    if (same) return false;
    [state.items, state.deleted] = [live.items, gone.items];
    drawAll();
    return true;
  }

  return {
    // As many rows as `rows` (a page, or what was shown before Back or a reload).
    loadFirst: (rows, deletedRows = 0) => serial(() => loadFirst(rows, deletedRows)),
    // The same rows again (as many as are shown), with what changed meanwhile.
    reload: () => serial(() => loadFirst(Math.max(kPageSize, state.items.length),
                                         state.deleted.length)),
    // The same, quietly: nothing is drawn when nothing changed (or when `free()` is false);
    // resolves to true when it was.
    refresh: (free = () => true) => serial(() => refresh(free)),
    // The next page: of the folder's items, then (when shown) of its deleted items. Resolves
    // to true when it added rows.
    loadNext: (limit = kPageSize) => serial(async () => {
      if (state.cursor) {
        const data = await children(limit, state.cursor);
        const known = new Set(state.items.map((n) => n.id));
        const fresh = (data.items ?? []).filter((n) => !known.has(n.id));
        state.items.push(...fresh);
        state.cursor = data.next_cursor ?? null;
        table.append(fresh);
      } else if (state.showDeleted && state.deletedCursor) {
        const data = await deleted(limit, state.deletedCursor);
        state.deleted.push(...(data.items ?? []));
        state.deletedCursor = data.next_cursor ?? null;
        table.appendDeleted(data.items ?? []);
      } else {
        return false;
      }
      afterPage();
      return true;
    }),
    // The deleted items shown or hidden, as state.showDeleted says.
    loadDeleted: () => serial(async () => {
      if (state.showDeleted) {
        ({ items: state.deleted, cursor: state.deletedCursor } = await firstRows(deleted, 0));
      } else {
        [state.deleted, state.deletedCursor] = [[], null];
      }
      table.drawDeleted(state.deleted);
      afterPage();
    }),
  };
}
