// An item shared with me (/shared/<id>, the link in the share mail): a folder lists its items
// (the file browser's table) with breadcrumbs from "Shared with me"; with the edit permission
// also upload, new folder, rename, delete and move (within the share: a row's menu, the toolbar
// or a row dragged onto a folder row); read or edit, "Copy to my files…" copies items into my
// own Files (the server refuses a move between two people's spaces). A file's name opens the
// viewer (preview.js). A
// file shared alone shows its facts, a download button, "Copy to my files…" and, for the kinds
// it can show, Preview; with the edit permission also "Upload a new version…" (picked or
// dropped on the page: new_version.js), which replaces its content in place.
// When the share is gone, says so instead of a bare "not found"; when an action is refused (403,
// 404) the page looks again, so a revoked or downgraded share shows as it is now. A folder's
// list follows what the owner or others change (live_refresh.js); the folder renamed or moved
// shows its new name and path, deleted it gives way to the nearest folder of the share left.
import { ApiError } from '../api.js';
import { announce, h, rovingToolbar } from '../dom.js';
import { messageBox } from '../forms.js';
import { formatBytes, formatTime, shortName } from '../format.js';
import { kAppName } from '../layout.js';
import { requireUser } from '../session.js';
import { runBulk } from '../files/bulk.js';
import { browserBulk } from '../files/browser_bulk.js';
import { confirmDialog, pickFolder } from '../files/dialogs.js';
import { dropTarget, fileTable, kDragType } from '../files/file_table.js';
import { firstRows, kPageSize } from '../files/folder_listing.js';
import { layoutToggle } from '../files/layout_toggle.js';
import {
  createFolder, refreshAfterUploads, renameItem, toolbarButtonMaker, uploadPickers,
} from '../files/item_actions.js';
import {
  contentUrl, deleteNode, folderUrl, getNode, listChildren, parentPath, splitPath,
} from '../files/node_api.js';
import { keepFocusOnRow, liveRefresh, sameItems } from '../files/live_refresh.js';
import { onPageDrop } from '../files/page_drop.js';
import { openPreview, previewKind } from '../files/preview.js';
import { captureDrop } from '../files/tree_walk.js';
import { onUploadFailed, uploadingInto, uploadPanel, uploadPlan } from '../files/uploads.js';
import { kViewOnly } from '../files/upload_space.js';
import { errorReporter } from './activity.js';
import { newVersionControls } from './new_version.js';
import { listShares, ownerText, permissionLabel, sharedUrl } from './share_api.js';
import { leaveShare } from './shared_with_me_view.js';

const kSorts = ['name', 'modified', 'size'];

// Names of the items shown, for the page title (the router asks after render).
const names = new Map();
// What the last refused action said, kept for the page drawn again after it: { id, text, kind }
// (kind: 'error', or 'info' for the note of a folder deleted elsewhere).
let carried = null;
export function title({ params }) {
  return names.get(params.id) ?? 'Shared with me';
}

export async function render(outlet, { params, query, signal, navigate }) {
  await requireUser();
  let node;
  try {
    node = await getNode(params.id, { signal });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
      outlet.append(gone());
      return undefined;
    }
    throw err;
  }
  if (node.permission === 'owner') {
    // My own item (e.g. the owner followed a share mail): the file browser shows it.
    await navigate(folderUrl(node.type === 'folder' ? node.path : parentPath(node.path)),
                   { replace: true });
    return undefined;
  }
  names.set(params.id, node.name);
  let chain = await ancestors(node, signal);
  const shares = await listShares({ direction: 'incoming', signal });
  const share = shares.find((s) => s.node?.id === chain[0].id) ?? null;
  const canEdit = node.permission === 'edit';
  const message = messageBox();
  if (carried?.id === node.id) message[carried.kind ?? 'error'](carried.text);
  carried = null;
  const run = errorReporter(message, { onGone: () => recheck() });
  let checking = null;  // The recheck() under way.
  const leave = share && share.node.id === node.id
    ? h('button', { type: 'button', class: 'button button-secondary button-small' }, 'Leave')
    : null;
  leave?.addEventListener('click', () => run(async () => {
    if (await leaveShare(share)) await navigate(sharedUrl(), { replace: true });
  }));
  // A public link of the owner shows it (on it or a folder above): whoever has the link sees it,
  // and what an editor adds here (QA pass 18).
  const facts = h('p', { class: 'item-meta shared-facts' },
                  `Shared by ${ownerText(share?.owner ?? node.owner)} · `,
                  `${permissionLabel(node.permission)}`,
                  node.public_link
                    ? h('span', { class: 'public-link-note' },
                        ' · Public: anyone with the owner\'s link can see ',
                        node.type === 'folder'
                          ? (canEdit ? 'what is in this folder, including what you add here'
                                     : 'what is in this folder')
                          : 'this file')
                    : null);
  const heading = h('h1', {}, node.name);
  let crumbs = breadcrumbs(chain);
  const head = h('div', { class: 'files-head' }, heading, crumbs);

  if (node.type !== 'folder') {
    const parent = chain.length > 1 ? chain[chain.length - 2] : null;
    const preview = previewKind(node.name)
      ? h('button', { type: 'button', class: 'button button-secondary' }, 'Preview') : null;
    preview?.addEventListener('click', () => openPreview({
      items: [node], start: node, whenGone: goneInViewer,
      onClose: (shown, { refused }) => {
        if (refused) run(recheck);
      },
    }));
    // Its size and date, drawn again after a new version or a copy.
    const details = h('p', { class: 'shared-file-details' });
    const drawDetails = () => details.replaceChildren(formatBytes(node.size), ' · modified ',
                                                      formatTime(node.modified_at));
    drawDetails();
    const refreshDetails = async (fresh = null) => {
      node = fresh?.id === node.id ? { ...node, ...fresh, permission: node.permission }
                                   : await getNode(node.id, { signal });
      drawDetails();
    };
    // "Copy to my files…" (read or edit): the same copy, progress and summary as in a folder.
    const copyButton = h('button', { type: 'button', class: 'button button-secondary' },
                         'Copy to my files…');
    const ops = browserBulk({ message, run, reload: () => refreshDetails(),
                              lock: (on) => { copyButton.disabled = on; }, forget: () => {} });
    copyButton.addEventListener('click', () => run(() => copyToMine(ops, [node])));
    // With the edit permission: a new version (picked, or dropped on the page) replaces it.
    const version = canEdit
      ? newVersionControls({ node, message, run, onUploaded: refreshDetails }) : null;
    const page = h('section', { class: 'files-page shared-file' }, head, facts, message,
                   details, ops.element, version?.status,
                   h('div', { class: 'form-actions' },
                     h('a', { href: contentUrl(node.id), download: node.name, class: 'button' },
                       'Download'),
                     preview, version?.button, copyButton,
                     parent ? h('a', { href: sharedUrl(parent.id),
                                       class: 'button button-secondary' }, 'Open its folder')
                            : null,
                     leave),
                   version?.input,
                   version ? h('p', { class: 'field-hint' },
                               'The new version keeps the name and the place of ',
                               `"${node.name}"; ${ownerText(node.owner)} can see it at once.`)
                           : null);
    version?.dropOn(page);
    outlet.append(page);
    return undefined;
  }

  const state = {
    sort: kSorts.includes(query.get('sort')) ? query.get('sort') : 'name',
    order: query.get('order') === 'desc' ? 'desc' : 'asc',
    items: [], cursor: null,
  };
  let loads = 0;  // Loads of rows begun: a live refresh's look drawn after one is stale.
  const count = h('span', { class: 'selection-count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true },
                 'Load more');
  const table = fileTable({
    onSort: (key, order) => {
      if (order) [state.sort, state.order] = [key, order];
      else if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else [state.sort, state.order] = [key, key === 'name' ? 'asc' : 'desc'];
      run(reload);
    },
    onSelection: (ids) => {
      count.textContent = ids.length ? `${ids.length} selected` : '';
      selected = ids.length;
      updateControls();
    },
    onDropOnFolder: (target, dt) => dropOnFolder(target, dt),
    onRestore: () => {},
    folderHref: (item) => sharedUrl(item.id),
    // A file refused in the viewer (the share revoked meanwhile) is said as the page says it;
    // once the viewer closes, the page looks again.
    onOpenFile: (item) => openPreview({ items: () => state.items, start: item,
                                        whenGone: goneInViewer,
                                        more: { has: () => Boolean(state.cursor),
                                                load: () => loadPage(false) },
                                        onClose: (shown, { refused }) => {
                                          if (refused) run(recheck);
                                          else table.focusItem(shown.id);
                                        } }),
    canUpload: canEdit,
    // The row's menu copies its item to my files; with the edit permission it also renames,
    // moves (within the share) and deletes. Nothing while a move or copy runs.
    moreActions: (item) => (ops.busy() ? [] : [
      canEdit ? { label: 'Rename', run: () => run(() => renameItem(item, { message, reload })) }
              : null,
      canEdit ? { label: 'Move to…', run: () => run(() => moveItems([item])) } : null,
      { label: 'Copy to my files…', run: () => run(() => copyToMine(ops, [item])) },
      canEdit ? { label: 'Delete', danger: true, run: () => run(() => deleteItems([item])) }
              : null,
    ]),
  });
  let selected = 0;
  // Moves and copies: the file browser's (progress, Cancel, one summary, the list locked).
  const ops = browserBulk({
    message, run, reload,
    lock: (on) => {
      table.setLocked(on);
      updateControls();
    },
    forget: (ids) => {
      const moved = new Set(ids);
      state.items = state.items.filter((n) => !moved.has(n.id));
      table.remove(ids);
    },
    focusItems: (ids) => ids.some((id) => table.focusItem(id)),
  });
  const button = toolbarButtonMaker(run);
  // The same upload choices as in my own folders (the owner's space takes the bytes).
  const pickers = canEdit
    ? uploadPickers(button, (plan, opts) => run(() => startUpload(plan, node.id, opts)))
    : { buttons: [], inputs: [] };
  const renameButton = button('Rename', renameSelected);
  const moveButton = button('Move to…', () => moveItems(table.selectedNodes()));
  const copyButton = button('Copy to my files…', () => copyToMine(ops, table.selectedNodes()));
  const deleteButton = button('Delete', () => deleteItems(table.selectedNodes()),
                              { class: 'button button-danger button-small' });
  // Read or edit: the ticked items download (one as itself, a folder or several as a zip).
  const downloadButton = button('Download', () => downloadItems(table.selectedNodes()));
  const selectionButtons = canEdit
    ? [renameButton, moveButton, copyButton, downloadButton, deleteButton]
    : [copyButton, downloadButton];
  // Toolbars: one Tab stop each, ←/→ between their buttons (rovingToolbar).
  const toolbar = rovingToolbar(h('div', { class: 'toolbar', role: 'toolbar',
                                           'aria-label': 'File actions' },
                                  canEdit ? [button('New folder', newFolder), ...pickers.buttons]
                                          : h('span', { class: 'item-meta' },
                                              'You can view and download these items.'),
                                  leave));
  // The actions on the ticked items stick to the top of the window while items are selected
  // (as in the file browser).
  const dock = h('div', { class: 'toolbar-dock' },
                 rovingToolbar(h('div', { class: 'toolbar selection-toolbar', role: 'toolbar',
                                          'aria-label': 'File actions for the selected items' },
                                 selectionButtons, count)));
  const zone = h('div', { class: 'drop-zone', 'aria-label': 'File list' }, table.element);
  updateControls();
  outlet.append(h('section', { class: 'files-page shared-folder' }, head, facts, message,
                  toolbar, ops.element, dock, pickers.inputs, canEdit ? uploadPanel() : null,
                  // List / Grid as in my files (the same choice), on a line of its own: the
                  // toolbar holds what can be done with the folder.
                  h('div', { class: 'layout-line' }, layoutToggle(table)), table.sortControl,
                  zone,
                  h('div', { class: 'form-actions' }, more)));

  more.addEventListener('click', () => run(() => loadPage(false)));
  if (canEdit) dropTarget(zone, (dt) => upload(node.id, dt));
  // Anywhere on the page too; to view only, a drop says why nothing is uploaded.
  const stopPageDrop = onPageDrop((dt) => {
    if (canEdit) upload(node.id, dt);
    else if ([...dt.types].includes('Files')) message.error(kViewOnly);
  });
  const stopRefresh = refreshAfterUploads(node.id, () => run(reload));
  const stopFailures = onUploadFailed((parentId, err) => {
    const here = parentId === node.id || state.items.some((item) => item.id === parentId);
    if (!here || (err?.status !== 403 && err?.status !== 404)) return;
    // Said on the page too: the uploads panel goes if the folder is now read-only.
    message.error(err.message);
    recheck().catch((e) => message.error(e?.message ?? String(e)));
  });
  await loadPage(true);
  const live = liveRefresh({ element: zone, look,
                             waits: () => ops.busy() || uploadingInto(node.id) || !!checking,
                             rows: () => state.items.length });
  return () => {
    stopPageDrop();
    live.stop();
    stopRefresh();
    stopFailures();
  };

  async function loadPage(first) {
    loads += 1;
    const data = await listChildren(node.id, { sort: state.sort, order: state.order,
                                               cursor: first ? undefined : state.cursor });
    state.items = first ? data.items ?? [] : [...state.items, ...(data.items ?? [])];
    state.cursor = data.next_cursor ?? null;
    more.hidden = !state.cursor;
    table.draw(state.items, { basePath: node.path, sort: state.sort, order: state.order });
  }

  async function reload() {
    await loadPage(true);
  }

  // The live refresh's look: this folder (another permission, renamed or moved, gone?), then
  // its rows (as many as are shown), drawn only when something changed. Failures reject, and
  // the live refresh drops them: the page stays as it is.
  async function look(free) {
    let fresh;
    try {
      fresh = await getNode(node.id, { signal });
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
        await leaveGone(free);
      }
      throw err;
    }
    const moved = fresh.name !== node.name || fresh.path !== node.path;
    if ((moved || fresh.permission !== node.permission) && !free()) return;
    if (fresh.permission !== node.permission || fresh.type !== 'folder') {
      await recheck();  // The page drawn anew for what may be done now.
      return;
    }
    if (moved) await showMoved(fresh);
    const before = loads;
    const children = (limit, cursor) => listChildren(node.id, { sort: state.sort,
                                                                order: state.order, limit,
                                                                cursor, signal });
    const page = await firstRows(children, Math.max(kPageSize, state.items.length));
    if (before !== loads) return;  // The page loaded rows of its own meanwhile.
    if (sameItems(page.items, state.items) && !page.cursor === !state.cursor) {
      state.cursor = page.cursor;
      return;
    }
    if (!free()) return;
    await keepFocusOnRow(table.element, 'id', () => {
      [state.items, state.cursor] = [page.items, page.cursor];
      more.hidden = !state.cursor;
      table.draw(state.items, { basePath: node.path, sort: state.sort, order: state.order });
    });
  }

  // Renamed or moved by its owner (or an editor): its name and the breadcrumbs, from the top
  // of the share down to it as they are now.
  async function showMoved(fresh) {
    node = { ...node, ...fresh };
    chain = await ancestors(node, signal);
    names.set(params.id, node.name);
    heading.textContent = node.name;
    document.title = `${node.name} · ${kAppName}`;
    const next = breadcrumbs(chain);
    crumbs.replaceWith(next);
    crumbs = next;
    announce(`This folder was renamed or moved: it is now ${node.path}.`);
  }

  // This folder is gone (deleted, moved out of the share, or the share revoked): the nearest
  // folder above it that is still shared with me shows instead, with a note; none left, the
  // page says the folder is no longer shared.
  async function leaveGone(free) {
    for (const up of chain.slice(0, -1).reverse()) {
      let there;
      try {
        there = await getNode(up.id, { signal });
      } catch (err) {
        if (err instanceof ApiError && (err.status === 404 || err.status === 403)) continue;
        throw err;
      }
      if (!free()) return;  // Once the dialog (…) that opened meanwhile is closed.
      carried = { id: there.id, kind: 'info',
                  text: `The folder "${shortName(node.name)}" was deleted elsewhere, or moved ` +
                        `out of the share; showing "${shortName(there.name)}" instead.` };
      await navigate(sharedUrl(there.id), { replace: true });
      return;
    }
    if (free()) await recheck();
  }

  // The selection's buttons follow the selection; all wait while a move or copy runs.
  function updateControls() {
    const busy = ops.busy();
    for (const b of selectionButtons) b.disabled = busy || selected === 0;
    renameButton.disabled = busy || selected !== 1;
    more.disabled = busy;
    dock.classList.toggle('is-stuck', selected > 0 || busy);
  }

  // "Move to…": a folder of the share (the picker starts at this folder and stays inside the
  // share: the server refuses a move into my own files, or anyone else's).
  async function moveItems(items) {
    if (!items.length || ops.busy()) return;
    const top = chain[0];
    const target = await pickFolder({
      title: `Move ${itemsLabel(items)} to…`, confirmLabel: 'Move here',
      excludeIds: items.map((n) => n.id), root: { id: top.id, name: top.name },
      startTrail: chain,  // It opens at this folder; its breadcrumbs go up to the share's top.
    });
    if (target) await ops.transfer('move', items, target.id, target.path);
  }

  // Rows dragged onto a folder row move there (with the edit permission); files from the
  // desktop upload into it.
  function dropOnFolder(target, dt) {
    if (!canEdit) return;
    if (![...dt.types].includes(kDragType)) {
      upload(target.id, dt);
      return;
    }
    let ids = [];
    try {
      ids = JSON.parse(dt.getData(kDragType));
    } catch {
      return;
    }
    const items = state.items.filter((n) => ids.includes(n.id) && n.id !== target.id);
    if (items.length && !ops.busy()) run(() => ops.transfer('move', items, target.id, target.path));
  }

  // An action answered 404 or 403: the share may have been revoked or made read-only
  // meanwhile. Asks again: a share gone replaces the page with a notice, another permission
  // draws the page anew (the action's error on top), else only the item was gone and the list
  // is loaded again. Several refusals at once (parallel uploads) make one check.
  function recheck() {
    checking ??= (async () => {
      let fresh;
      try {
        fresh = await getNode(node.id, { signal });
      } catch (err) {
        if (signal.aborted) return;
        if (err instanceof ApiError && (err.status === 404 || err.status === 403)) {
          // The uploads panel stays: it says which files were not uploaded, and why.
          outlet.replaceChildren(gone(node), canEdit ? uploadPanel() : null);
          return;
        }
        throw err;
      }
      if (signal.aborted) return;
      if (fresh.permission !== node.permission || node.type !== 'folder') {
        const text = message.hidden ? '' : message.textContent;
        if (text) carried = { id: node.id, text };
        await navigate(location.href, { replace: true });
        return;
      }
      await reload();
    })().finally(() => { checking = null; });
    return checking;
  }

  // `opts`: { folderPicked } (uploadPickers).
  async function startUpload(plan, parentId, opts = {}) {
    message.clear();
    // The owner's space takes the bytes: my own free space says nothing about it.
    const refusal = await uploadPlan(plan, parentId, { ...opts,
                                                       ownSpace: node.permission === 'owner' });
    if (refusal) message.error(refusal);
  }

  // Files dropped from the desktop upload (with the edit permission); rows dropped on the list
  // itself (not on a folder row) stay where they are.
  function upload(parentId, dt) {
    if (!canEdit || [...dt.types].includes(kDragType) || ![...dt.types].includes('Files')) return;
    const collect = captureDrop(dt);
    run(async () => startUpload(await collect(), parentId));
  }

  function newFolder() {
    return createFolder(node.id, { message, reload });
  }

  function renameSelected() {
    return renameItem(table.selectedNodes()[0] ?? null, { message, reload });
  }

  async function deleteItems(items) {
    if (!items.length) return;
    const what = items.length === 1 ? `"${items[0].name}"` : `${items.length} items`;
    const ok = await confirmDialog({
      title: `Delete ${what}?`, confirmLabel: 'Delete', danger: true,
      message: `Deleted items go to the trash of ${ownerText(node.owner)}, who can restore them.`,
    });
    if (!ok) return;
    message.clear();
    for (const item of items) await deleteNode(item.id);
    message.success(`Deleted ${what}.`);
    await reload();
  }

  // The same downloads as the owner's browser: GET …/content of one item (a folder comes as
  // its zip), or of this folder with ?only= for several items of it (one zip). The items are
  // looked up first: the browser drops a download that fails without a word, and a share
  // revoked or an item deleted meanwhile should be said (run() rechecks the page on a 404).
  async function downloadItems(items) {
    if (!items.length) return;
    const { failed } = await runBulk(items, (item) => getNode(item.id));
    if (failed.length) throw failed[0].error;
    const one = items.length === 1 ? items[0] : null;
    const href = one ? contentUrl(one.id)
                     : `${contentUrl(node.id)}?only=${items.map((i) => encodeURIComponent(i.id))
                                                      .join(',')}`;
    const name = one?.type === 'folder' ? `${one.name}.zip` : one?.name;
    const a = h('a', { href, hidden: true, download: name ?? true });
    document.body.append(a);
    a.click();
    a.remove();
  }
}

// "Copy to my files…": a folder of my own Files, then `ops` (browserBulk) copies `items` there;
// the summary says where the copies went.
async function copyToMine(ops, items) {
  if (!items.length || ops.busy()) return;
  const target = await pickFolder({ title: `Copy ${itemsLabel(items)} to my files`,
                                    confirmLabel: 'Copy here' });
  if (!target) return;
  const where = target.path === '/' ? 'your Files' : `${target.path} in your Files`;
  await ops.transfer('copy', items, target.id, target.path, where);
}

// '"report.txt"' or '3 items', for a dialog's title.
function itemsLabel(items) {
  return items.length === 1 ? `"${items[0].name}"` : `${items.length} items`;
}

// The folders from the top of the share down to `node`: its path inside the share
// ("/Shared folder/sub/x") says how many levels there are; the share's top has no visible
// parent.
async function ancestors(node, signal) {
  const chain = [node];
  const depth = splitPath(node.path).length;
  while (chain.length < depth && chain[0].parent_id) {
    try {
      chain.unshift(await getNode(chain[0].parent_id, { signal }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) break;
      throw err;
    }
  }
  return chain;
}

// "Shared with me / Shared folder / sub": links to each level.
function breadcrumbs(chain) {
  const crumbs = [['Shared with me', sharedUrl()], ...chain.map((n) => [n.name, sharedUrl(n.id)])];
  return h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' },
           crumbs.map(([name, href], i) => {
             const last = i === crumbs.length - 1;
             return [i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/') : null,
                     h('a', { href, 'aria-current': last ? 'page' : null }, name)];
           }));
}

// What the viewer says instead of the server's "does not exist" when a file of the share is
// refused (404, 403): the share was revoked (or the file deleted) while the page was open.
function goneInViewer() {
  return [h('p', {}, 'This file is no longer shared with you, or its owner deleted it.'),
          h('p', {}, h('a', { href: sharedUrl() }, 'Go to Shared with me'))];
}

// The item is not (or no longer) shared with me, or was deleted. `node`: the item that was on
// screen until an action there was refused.
function gone(node = null) {
  const what = node?.type === 'folder' ? 'This folder' : node ? 'This file' : null;
  return h('section', { class: 'notice notice-error', role: 'alert' },
           h('h1', {}, 'No longer shared'),
           h('p', {}, what ? `${what} is no longer shared with you, or its owner deleted it.`
                           : 'This item is not shared with you (any more), or its owner ' +
                             'deleted it.'),
           h('p', {}, h('a', { href: sharedUrl() }, 'Go to Shared with me')));
}
