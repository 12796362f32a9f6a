// The file browser (/files/<folder path>): breadcrumbs, the folder's items with sort and pages
// that load as the list scrolls (browser_bulk.js acts on the selection: delete, move, copy,
// with progress), "select all items in this folder", rename, download, drag and drop (rows
// onto folders and breadcrumbs; files and folders from the desktop to upload), upload
// buttons, the quota bar, the uploads panel and a "show deleted items" toggle. The list
// follows what another tab, device or person changes (live_refresh.js: a quiet look when the
// tab comes back into view and every 20 s; the folder itself renamed or moved elsewhere shows
// its new path, deleted it gives way to the nearest folder left, with a note), and Back
// returns to as many rows, scrolled as far, as were shown. A file's name opens
// the viewer (preview.js); its Download link and the toolbar's Download download. Each row's
// "⋯" menu renames, moves, copies or deletes its item without ticking it; the toolbar of the
// actions on the ticked items sticks to the top of the window while something is selected.
// Pictures show thumbnails; List / Grid in the toolbar (layout_toggle.js) draws rows or tiles.
import { checkDownload } from '../api.js';
import { announce, h, replaceChildren, rovingToolbar, typesText } from '../dom.js';
import { shortName } from '../format.js';
import { messageBox } from '../forms.js';
import { kAppName } from '../layout.js';
import { requireUser } from '../session.js';
import { listShares, sharedUrl } from '../shares/share_api.js';
import { openShareDialog } from '../shares/share_dialog.js';
import { browserBulk } from './browser_bulk.js';
import { formatCount, runBulk } from './bulk.js';
import { pickFolder } from './dialogs.js';
import { dropTarget, fileTable, kDragType } from './file_table.js';
import {
  createFolder, refreshAfterUploads, renameItem, toolbarButtonMaker, uploadPickers,
} from './item_actions.js';
import { folderListing, kMaxPage, kPageSize } from './folder_listing.js';
import { layoutToggle } from './layout_toggle.js';
import { autoLoad, restoreScroll, savedPlace, trackPlace } from './listing_pager.js';
import { keepFocusOnRow, liveRefresh, nearestFolder } from './live_refresh.js';
import {
  contentUrl, folderUrl, getNode, resolvePath, restoreItem, splitPath,
} from './node_api.js';
import { quotaBar } from './quota.js';
import { searchForm } from './search_view.js';
import { selectAllBanner } from './select_all_banner.js';
import { captureDrop } from './tree_walk.js';
import { onPageDrop } from './page_drop.js';
import { openPreview } from './preview.js';
import { uploadingInto, uploadPanel, uploadPlan } from './uploads.js';

// The most items a zip of a selection (?only=id,…) takes: their ids fit the server's 16 KiB
// request header limit with room for the rest of the request.
const kMaxZipSelection = 500;
// Breadcrumbs longer than this fold their middle behind "…".
const kCrumbsFolded = 5;

const kSorts = ['name', 'modified', 'size'];
const kMaxRestoredRows = 20000;

// "Show deleted items" stays on for this browser (other folders, a reload) once turned on.
const kShowDeletedKey = 'nimbus.showDeleted';
function rememberedShowDeleted() {
  try {
    return localStorage.getItem(kShowDeletedKey) === '1';
  } catch {
    return false;  // Storage blocked: the toggle starts off.
  }
}
function rememberShowDeleted(on) {
  try {
    if (on) localStorage.setItem(kShowDeletedKey, '1');
    else localStorage.removeItem(kShowDeletedKey);
  } catch {
    // Storage blocked: remembered for this page only.
  }
}

// A note for the next folder drawn (the one a log-in meant to return to was gone).
let carried = null;

export function title({ params }) {
  const parts = splitPath(params.rest);
  return parts.length ? parts[parts.length - 1] : 'Files';
}

// "Nothing exists at '/Photos'." and the ways on: the trash, the files.
function missingFolder(err) {
  return h('section', { class: 'notice notice-error missing-folder', role: 'alert' },
           h('h1', {}, 'This folder could not be shown'),
           h('p', {}, err?.message || 'This folder does not exist.',
             ' It may have been deleted: ', h('a', { href: '/trash' }, 'see the Trash'), '.'),
           h('p', {}, h('a', { href: '/files' }, 'Go to your files')));
}

// "2 items shared with you by others are in Shared with me." (with the link), once the list of
// shares with me is in; nothing when there are none, or when it cannot be had.
function sharedWithMeNote(signal) {
  const note = h('p', { class: 'empty-shared', hidden: true });
  listShares({ direction: 'incoming', signal }).then((shares) => {
    if (!shares.length) return;
    const n = shares.length;
    replaceChildren(note, `${formatCount(n)} ${n === 1 ? 'item' : 'items'} shared with you by ` +
                          `others ${n === 1 ? 'is' : 'are'} in `,
                    h('a', { href: sharedUrl() }, 'Shared with me'), '.');
    note.hidden = false;
  }, () => {});
  return note;
}

// What to say of items found gone (404) when acted on: deleted in another tab or device.
function goneText(names) {
  const shown = names.slice(0, 5).map((n) => `"${n}"`).join(', ') +
                (names.length > 5 ? ` and ${formatCount(names.length - 5)} more` : '');
  return `${shown} ${names.length === 1 ? 'was' : 'were'} deleted or moved elsewhere ` +
         'meanwhile; the list is refreshed.';
}

export async function render(outlet, { params, query, signal, navigate, from }) {
  await requireUser();
  let path = '/' + splitPath(params.rest).join('/');  // Follows the folder's renames and moves.
  let folder;
  try {
    folder = path === '/' ? await getNode('root', { signal })
                          : await resolvePath(path, { signal });
  } catch (err) {
    if (err?.status !== 404) throw err;
    // Back from the login page (the session had ended) to a folder renamed, moved or deleted
    // meanwhile: the top of the files, with a note, rather than an error page (QA pass 18).
    if (from && new URL(from).pathname === '/login') {
      carried = `The folder ${path} is no longer there (renamed, moved or deleted), so here ` +
                'are your files.';
      await navigate(folderUrl('/'), { replace: true });
      return undefined;
    }
    outlet.append(missingFolder(err));
    return undefined;
  }
  if (folder.type !== 'folder') {
    // A file's path: show its folder (the file itself opens from its row).
    await navigate(folderUrl(splitPath(path).slice(0, -1).join('/')), { replace: true });
    return undefined;
  }
  // Back (or a reload) to this history entry: as many rows as were shown, scrolled as far.
  const place = savedPlace()?.folderId === folder.id ? savedPlace() : null;
  let pageUrl = location.href;
  const state = {
    sort: kSorts.includes(query.get('sort')) ? query.get('sort') : 'name',
    order: query.get('order') === 'desc' ? 'desc' : 'asc',
    items: [], cursor: null, deleted: [], deletedCursor: null,
    showDeleted: rememberedShowDeleted(),
    selected: 0,
    whole: false,  // "Select all items in this folder" was chosen (and is still true).
    drawn: false,  // The first rows are on screen.
  };

  const message = messageBox({ floating: true });
  if (carried) message.info(carried);
  carried = null;
  const quota = quotaBar();
  const count = h('span', { class: 'selection-count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true },
                 'Load more');
  const listEnd = h('div', { class: 'form-actions list-end' }, more);
  const deletedToggle = h('input', { type: 'checkbox', id: 'show-deleted',
                                     checked: state.showDeleted });

  const table = fileTable({
    onSort: (key, order) => {
      if (ops.busy()) return;
      if (order) [state.sort, state.order] = [key, order];
      else if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else [state.sort, state.order] = [key, key === 'name' ? 'asc' : 'desc'];
      pageUrl = new URL(folderUrl(path, `?sort=${state.sort}&order=${state.order}`),
                        location.href).href;
      history.replaceState(history.state, '', pageUrl);
      run(reload, { keep: true });  // As many rows as were loaded, the selection kept.
    },
    onSelection: (ids) => {
      state.selected = ids.length;
      if (ids.length !== table.count()) state.whole = false;
      count.textContent = ids.length ? `${formatCount(ids.length)} selected` : '';
      updateControls();
    },
    onDropOnFolder: (target, dt) => handleDrop(target.id, target.path, dt),
    onRestore: (item) => run(() => restore(item)),
    onShare: (node) => run(async () => {
      if (await openShareDialog(node)) await reload();
    }),
    // The viewer goes through the whole folder: past the rows loaded, it loads the next page
    // as "Load more" does.
    onOpenFile: (node) => openPreview({ items: () => state.items, start: node,
                                        more: { has: () => Boolean(state.cursor),
                                                load: () => listing.loadNext() },
                                        onClose: (shown) => table.focusItem(shown.id) }),
    onDownload: (node) => run(() => downloadNodes([node])),
    // The row's menu does to its item what the toolbar does to the ticked ones (not while a
    // bulk action runs: the toolbar waits then too).
    moreActions: (node) => (ops.busy() ? [] : [
      { label: 'Rename', run: () => run(() => rename(node)) },
      { label: 'Move', run: () => run(() => moveOrCopy('move', [node])) },
      { label: 'Copy', run: () => run(() => moveOrCopy('copy', [node])) },
      { label: 'Delete', danger: true, run: () => run(() => ops.deleteNodes([node])) },
    ]),
    // The root of my files, empty: items others share with me are elsewhere, said here (QA
    // pass 17c: a new account that was shared a folder saw only "This folder is empty").
    emptyNote: path === '/' ? () => (sharedNote ??= sharedWithMeNote(signal)) : null,
  });
  let sharedNote = null;
  table.element.id = 'file-list';
  const ops = browserBulk({
    message, lock, reload, run,
    focusItems: (ids) => ids.some((id) => table.focusItem(id)),
    forget: (ids) => {
      const gone = new Set(ids);
      state.items = state.items.filter((n) => !gone.has(n.id));
      // What "all items in this folder" meant is gone with them: the line must not come back
      // for what is left (or for items added later) without being chosen again.
      state.whole = false;
      table.remove(ids);
    },
  });
  const listing = folderListing({ folderId: folder.id, basePath: () => path, state, table,
                                  afterPage });
  const banner = selectAllBanner({
    onSelectAll: () => run(selectWholeFolder),
    onClear: () => table.clearSelection(),
  });

  const button = toolbarButtonMaker(run);
  const renameButton = button('Rename', renameSelected);
  const selectionButtons = [renameButton,
                            button('Move', () => moveOrCopy('move', table.selectedNodes())),
                            button('Copy', () => moveOrCopy('copy', table.selectedNodes())),
                            button('Download', () => downloadNodes(table.selectedNodes())),
                            button('Delete', () => ops.deleteNodes(table.selectedNodes()),
                                   { class: 'button button-danger button-small' })];
  const pickers = uploadPickers(button, (plan, opts) => startUpload(plan, folder.id, opts));
  const otherButtons = [button('New folder', newFolder), ...pickers.buttons];
  // Toolbars: one Tab stop each, ←/→ between their controls (rovingToolbar).
  const toolbar = rovingToolbar(h('div', { class: 'toolbar', role: 'toolbar',
                                           'aria-label': 'File actions' },
                                  otherButtons, layoutToggle(table),
                                  h('label', { class: 'toggle', for: 'show-deleted' },
                                    deletedToggle, ' Show deleted items')));
  // The actions on the ticked items: a line of their own, which sticks to the top of the window
  // while items are selected (ticking the last row of a long folder leaves them in reach), with
  // the progress line of an action above it and the "select all" line below.
  const selectionBar = rovingToolbar(h('div', { class: 'toolbar selection-toolbar',
                                                role: 'toolbar',
                                                'aria-label': 'File actions for the selected items' },
                                       selectionButtons, count));
  const dock = h('div', { class: 'toolbar-dock' }, ops.element, selectionBar, banner.element);
  const zone = h('div', { class: 'drop-zone', 'aria-label': 'File list; drop files here to upload' },
                 table.element);
  const heading = h('h1', {}, folder.name && path !== '/' ? folder.name : 'Files');
  let crumbs = splitPath(path).length ? breadcrumbs(path) : null;
  outlet.append(h('section', { class: 'files-page' },
                  h('div', { class: 'files-head' }, heading, crumbs, searchForm(navigate)),
                  quota, message, toolbar, dock, pickers.inputs,
                  // Above the list, where it is seen while a long folder scrolls below.
                  uploadPanel(), table.sortControl, zone, listEnd));

  // Drops of desktop files on the list, or anywhere else on the page, upload into this folder.
  dropTarget(zone, (dt) => handleDrop(folder.id, path, dt));
  const stopPageDrop = onPageDrop((dt) => handleDrop(folder.id, path, dt));
  more.addEventListener('click', () => run(() => listing.loadNext(), { keep: true }));
  deletedToggle.addEventListener('change', () => {
    state.showDeleted = deletedToggle.checked;
    rememberShowDeleted(state.showDeleted);
    run(async () => {
      await listing.loadDeleted();
      announce(deletedText());
    }, { keep: true });
  });

  let pager = null;  // autoLoad(), once the first rows are drawn.
  let tracker = null;  // trackPlace(), likewise.
  const rows = Math.min(kMaxRestoredRows, Math.max(kPageSize, Number(place?.rows) || 0));
  await listing.loadFirst(rows, Number(place?.deletedRows) || 0)
      .catch((err) => {
        if (!state.drawn) throw err;
        message.error(err?.message ?? String(err));  // The deleted items could not be listed.
      });
  if (place) restoreScroll(place.scrollY);
  focusFolderLeft();

  const onKey = (e) => {
    if (!zone.isConnected || document.querySelector('dialog[open]') || ops.busy()) return;
    if (typesText(e.target)) return;  // Delete, F2, Ctrl+A edit the text of a field.
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      table.selectAll();
    } else if (mod && !e.shiftKey && e.key.toLowerCase() === 'z' && ops.canUndo()) {
      e.preventDefault();
      ops.undo();
    } else if (e.key === 'Escape') {
      table.clearSelection();
    } else if (e.key === 'Delete' && table.selectedNodes().length) {
      run(() => ops.deleteNodes(table.selectedNodes()));
    } else if (e.key === 'F2' && table.selectedNodes().length === 1) {
      e.preventDefault();
      run(renameSelected);
    }
  };
  document.addEventListener('keydown', onKey);
  const stopRefresh = refreshAfterUploads(folder.id, () => run(reload, { keep: true }));
  // Another tab, device or person may change the folder: looked at again quietly.
  const live = liveRefresh({ element: zone, look,
                             waits: () => ops.busy() || uploadingInto(folder.id),
                             rows: () => state.items.length + state.deleted.length });

  const skip = skipLink();
  pager = autoLoad(listEnd, () => {
    if (ops.busy() || !zone.isConnected) return false;
    return listing.loadNext().catch((err) => {
      message.error(err?.message ?? String(err));
      return false;
    });
  });
  tracker = trackPlace(() => pageUrl, placeNow, place?.scrollY ?? 0);
  return () => {
    document.removeEventListener('keydown', onKey);
    stopPageDrop();
    live.stop();
    stopRefresh();
    tracker.stop();
    pager.stop();
    skip.remove();
  };

  // --- data ---
  async function reload() {
    await listing.reload();
    quota.update();
  }

  // The live refresh's look: the folder itself (renamed, moved or deleted elsewhere?), then its
  // rows and the quota bar, drawn only where something changed. Failures reject, and the live
  // refresh drops them: nothing on the page changes, and the next look tries again.
  // `free()`: the page may change now (live_refresh.js).
  async function look(free) {
    let now;
    try {
      now = await getNode(folder.id, { signal });
    } catch (err) {
      if (err?.status === 404) await leaveDeletedFolder(free);
      throw err;
    }
    if ((now.path || '/') !== path) {
      if (!free()) return;
      showMoved(now);
    }
    folder = now;
    await keepFocusOnRow(table.element, 'id', () => listing.refresh(free));
    quota.update();
  }

  // The folder was renamed or moved elsewhere: its new name and path (heading, breadcrumbs,
  // the tab's title, the URL), the list staying as it is.
  function showMoved(now) {
    path = now.path || '/';
    const name = path === '/' ? 'Files' : now.name;
    heading.textContent = name;
    document.title = `${name} · ${kAppName}`;
    const hadFocus = crumbs?.contains(document.activeElement);
    const next = breadcrumbs(path);
    crumbs?.replaceWith(next);
    crumbs = next;
    if (hadFocus) crumbs.querySelector('a[aria-current="page"]')?.focus();
    pageUrl = new URL(folderUrl(path, location.search), location.href).href;
    history.replaceState(history.state, '', pageUrl);
    announce(`This folder was renamed or moved elsewhere: it is now ${path}.`);
  }

  // The folder was deleted elsewhere (or with a folder above it): the nearest folder that is
  // left shows instead, with a note saying why.
  async function leaveDeletedFolder(free) {
    const to = await nearestFolder(folder, path);
    if (!free()) return;  // Once the dialog (…) that opened meanwhile is closed.
    const toName = to.path === '/' ? 'Files' : to.name;
    carried = `The folder "${shortName(folder.name)}" was deleted elsewhere; showing ` +
              `"${shortName(toName)}" instead.`;
    await navigate(folderUrl(to.path), { replace: true });
  }

  function afterPage() {
    const left = state.cursor || (state.showDeleted && state.deletedCursor);
    more.hidden = !left;
    updateControls();
    tracker?.save();
    pager?.check();
  }

  // Up from a folder below this one (a breadcrumb, Back): focus on the row of the folder the
  // person came from, as file managers do, rather than the top of the page.
  function focusFolderLeft() {
    if (!from) return;
    const fromUrl = new URL(from);
    const here = new URL(folderUrl(path), location.href).pathname;
    const prefix = here === '/files' ? '/files/' : `${here}/`;
    if (!fromUrl.pathname.startsWith(prefix)) return;
    const child = fromUrl.pathname.slice(prefix.length).split('/')[0];
    let name;
    try {
      name = decodeURIComponent(child);
    } catch {
      return;
    }
    const id = table.idOf(name);
    if (id) table.focusItem(id);
  }

  // "3 deleted items shown", "No deleted items in this folder", "Deleted items hidden".
  function deletedText() {
    if (!state.showDeleted) return 'Deleted items hidden';
    const n = state.deleted.length;
    if (!n) return 'No deleted items in this folder';
    return `${state.deletedCursor ? 'The first ' : ''}${formatCount(n)} deleted ` +
           `${n === 1 ? 'item' : 'items'} shown, after the other items`;
  }

  function placeNow(scrollY) {
    return { folderId: folder.id, rows: state.items.length, deletedRows: state.deleted.length,
             scrollY };
  }

  // --- controls ---
  // While a bulk action runs, the toolbar, the toggle and the list's selection wait.
  function lock(on) {
    table.setLocked(on);
    updateControls();
  }

  function updateControls() {
    const busy = ops?.busy() ?? false;
    dock.classList.toggle('is-stuck', state.selected > 0 || busy);
    for (const b of selectionButtons) b.disabled = busy || state.selected === 0;
    renameButton.disabled = busy || state.selected !== 1;
    for (const b of otherButtons) b.disabled = busy;
    deletedToggle.disabled = busy;
    more.disabled = busy;
    banner.update({ selected: state.selected, loaded: state.items.length,
                    more: !!state.cursor, whole: state.whole, busy });
  }

  // "Skip to file list", beside the page's "Skip to content": focus on the list's first row.
  function skipLink() {
    const link = h('a', { href: '#file-list', class: 'skip-link skip-link-files' },
                   'Skip to file list');
    link.addEventListener('click', (e) => {
      e.preventDefault();
      const first = table.element.querySelector('tbody tr[data-id] input[type=checkbox]');
      if (first) {
        first.focus();
      } else {
        table.element.tabIndex = -1;
        table.element.focus();
      }
    });
    const pageSkip = document.querySelector('.skip-link');
    if (pageSkip) pageSkip.after(link);
    else document.body.prepend(link);
    return link;
  }

  // Runs an action; its ApiError (or any error) is shown to the person. An item that is gone
  // (404: deleted or moved elsewhere meanwhile) is dropped from the list. Focus that the action
  // left nowhere goes back to the list (file_table's restoreFocus). The last action's message
  // goes, unless `keep` (showing more rows, another order: the summary and its Undo stay).
  async function run(fn, { keep = false } = {}) {
    const hint = table.focusHint();
    if (!keep) message.clear();
    try {
      await fn();
    } catch (err) {
      if (err?.name === 'AbortError') return;
      message.error(err?.message ?? String(err));
      if (err?.status === 404) await reload().catch(() => {});
    }
    table.restoreFocus(hint);
  }

  // --- actions ---
  // Loads every page left (with progress; Cancel stops), then selects every item.
  async function selectWholeFolder() {
    await ops.task((n) => `Loading the rest of this folder: ${formatCount(n)} items loaded…`,
                   async ({ update, cancelled }) => {
                     update(state.items.length);
                     while (state.cursor && !cancelled()) {
                       await listing.loadNext(kMaxPage);
                       update(state.items.length);
                     }
                   });
    if (state.cursor) {
      message.success(`Stopped: ${formatCount(state.items.length)} items are loaded, ` +
                      'and the selection is as it was.');
      return;
    }
    state.whole = true;
    table.selectAll();
  }

  // The new folder's row takes the focus (its name is the next thing to act on).
  // A nested name ("Q1/Reports") made its first folder here: that row takes the focus.
  async function newFolder() {
    const base = path === '/' ? '' : path;
    const exists = (rel) => resolvePath(`${base}/${rel}`).then((n) => n?.type === 'folder',
                                                                () => false);
    const made = await createFolder(folder.id, { message, reload, exists });
    if (!made || table.focusItem(made.id)) return;
    const top = made.path?.startsWith(`${base}/`) ? splitPath(made.path.slice(base.length))[0]
                                                  : null;
    const id = top ? table.idOf(top) : null;
    if (id) table.focusItem(id);
  }

  function renameSelected() {
    return rename(table.selectedNodes()[0] ?? null);
  }

  async function rename(node) {
    try {
      await renameItem(node, { message, reload });
    } catch (err) {
      if (err?.status !== 404 || !node) throw err;
      throw Object.assign(new Error(goneText([node.name])), { status: 404 });
    }
  }

  async function moveOrCopy(kind, nodes) {
    if (!nodes.length) return;
    const what = nodes.length === 1 ? `"${nodes[0].name}"` : `${formatCount(nodes.length)} items`;
    const target = await pickFolder({
      title: `${kind === 'move' ? 'Move' : 'Copy'} ${what} to…`,
      confirmLabel: kind === 'move' ? 'Move here' : 'Copy here',
      excludeIds: kind === 'move' ? nodes.map((n) => n.id) : [],
      start: folder.id,  // Where the person is: a folder beside the items is one click away.
    });
    if (!target) return;
    await ops.transfer(kind, nodes, target.id, target.path);
  }

  // One item downloads as itself (a folder as its zip); several as one zip of them
  // (?only=). The browser drops a download that fails (404, 503) without a word: the items are
  // looked up first, and the download's first byte asked for (clickDownload), so the server's
  // sentence ("Your files are out of reach right now…") is shown on the page. Everything in
  // the folder is the folder's own zip: one short URL however many items (QA pass 16: 20,000
  // ids made a URL the server refused, after 20,000 look-ups).
  async function downloadNodes(nodes) {
    if (!nodes.length) return;
    const everything = state.whole || (!state.cursor && nodes.length === table.count());
    if (nodes.length > 1 && everything && (state.whole || nodes.length > kMaxZipSelection)) {
      await clickDownload(contentUrl(folder.id), true);
      return;
    }
    if (nodes.length > kMaxZipSelection) {
      message.error(`A zip of selected items holds up to ${formatCount(kMaxZipSelection)} of ` +
                    `them, and ${formatCount(nodes.length)} are selected. Select fewer, or ` +
                    'select all items to download the whole folder.');
      return;
    }
    const { failed } = await runBulk(nodes, (node) => getNode(node.id));
    const other = failed.find((f) => f.error?.status !== 404);
    if (other) throw other.error;
    const goneIds = new Set(failed.map((f) => f.item.id));
    const here = nodes.filter((n) => !goneIds.has(n.id));
    if (here.length) {
      const only = here.length > 1 ? `?only=${here.map((n) => encodeURIComponent(n.id)).join(',')}`
                                   : '';
      const one = here[0];
      await clickDownload(only ? contentUrl(folder.id) + only : contentUrl(one.id),
                          only ? true : one.type === 'folder' ? `${one.name}.zip` : one.name);
    }
    if (failed.length) {
      await reload();
      message.error(goneText(failed.map((f) => f.item.name)));
    }
  }

  // Starts the download of `href` (`name`: the file name, or true for the server's) once the
  // server is seen to serve it; rejects with its ApiError otherwise.
  async function clickDownload(href, name) {
    await checkDownload(href, { signal });
    const a = h('a', { href, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
  }

  // A deleted row's Restore: the restored row takes the focus (the button is gone with it).
  async function restore(item) {
    message.clear();
    const r = await restoreItem(item.id);
    message.success(`Restored "${item.name}" to ${r?.restored_path ?? 'its folder'}.`);
    await reload();
    if (r?.node?.id) table.focusItem(r.node.id);
  }

  // A drop on this folder, a folder row or a breadcrumb: rows dragged from the list move there;
  // files and folders from the desktop upload there. Must read `dt` before awaiting anything.
  function handleDrop(targetId, targetPath, dt) {
    const types = [...dt.types];
    if (types.includes(kDragType)) {
      let ids = [];
      try {
        ids = JSON.parse(dt.getData(kDragType));
      } catch {
        return;
      }
      run(async () => {
        const id = await targetFolderId(targetId, targetPath);
        const nodes = state.items.filter((n) => ids.includes(n.id) && n.id !== id);
        if (nodes.length && id !== folder.id) await ops.transfer('move', nodes, id, targetPath);
      });
    } else if (types.includes('Files')) {
      const collect = captureDrop(dt);
      run(async () => {
        const id = targetId ?? (await resolvePath(targetPath)).id;
        await startUpload(await collect(), id);
      });
    }
  }

  // The real id of a drop target ('root' and paths resolved; moves need the id itself).
  async function targetFolderId(targetId, targetPath) {
    if (targetId && targetId !== 'root') return targetId;
    return targetId === 'root' ? (await getNode('root')).id : (await resolvePath(targetPath)).id;
  }

  // `opts`: { folderPicked } (uploadPickers).
  async function startUpload(plan, parentId, opts = {}) {
    message.clear();
    try {
      const refusal = await uploadPlan(plan, parentId, opts);
      if (refusal) message.error(refusal);
    } catch (err) {
      message.error(err?.message ?? String(err));
    }
  }

  // "Files / a / b" (not at the root, where the title says "Files"): links; each one also takes
  // drops (move or upload into that folder). A deep path shows "Files / … / parent / current",
  // the "…" opening the rest (QA pass 16: 30 levels took 7 lines on a phone).
  function breadcrumbs(current) {
    const parts = splitPath(current);
    const crumbs = [['Files', '/']];
    parts.forEach((name, i) => crumbs.push([name, '/' + parts.slice(0, i + 1).join('/')]));
    const nav = h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' });
    const link = ([name, p]) => {
      const last = p === crumbs[crumbs.length - 1][1];
      const a = h('a', { href: folderUrl(p), 'aria-current': last ? 'page' : null }, name);
      if (!last) dropTarget(a, (dt) => handleDrop(p === '/' ? 'root' : null, p, dt));
      return a;
    };
    const draw = (all) => {
      const folded = all || crumbs.length <= kCrumbsFolded ? [] : crumbs.slice(1, -2);
      const shown = folded.length ? [crumbs[0], null, ...crumbs.slice(-2)] : crumbs;
      replaceChildren(nav, shown.map((crumb, i) => {
        const sep = i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/') : null;
        if (crumb) return [sep, link(crumb)];
        const more = h('button', { type: 'button', class: 'link-button crumb-more',
                                   title: folded.map(([name]) => name).join(' / '),
                                   'aria-label': `Show the ${folded.length} folders between` },
                       '…');
        more.addEventListener('click', () => {
          draw(true);
          nav.querySelectorAll('a')[1]?.focus();  // The first folder that was folded.
        });
        return [sep, more];
      }));
    };
    draw(false);
    return nav;
  }
}
