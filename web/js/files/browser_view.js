// The file browser (/files/<folder path>): breadcrumbs, the folder's items with sort and
// "load more", selection actions (new folder, rename, move, copy, download, delete), drag and
// drop (rows onto folders and breadcrumbs; files and folders from the desktop to upload),
// upload buttons, the quota bar, the uploads panel and a "show deleted items" toggle. A file's
// name opens the viewer (preview.js); its Download link and the toolbar's Download download.
import { h, replaceChildren, typesText } from '../dom.js';
import { messageBox } from '../forms.js';
import { requireUser } from '../session.js';
import { openShareDialog } from '../shares/share_dialog.js';
import { confirmDialog, pickFolder } from './dialogs.js';
import { dropTarget, fileTable, kDragType } from './file_table.js';
import {
  createFolder, refreshAfterUploads, renameItem, toolbarButtonMaker,
} from './item_actions.js';
import {
  contentUrl, copyNode, deleteNode, folderUrl, getNode, listChildren, listTrash, moveNode,
  resolvePath, restoreItem, splitPath,
} from './node_api.js';
import { quotaBar } from './quota.js';
import { searchForm } from './search_view.js';
import { captureDrop, planFromFileList } from './tree_walk.js';
import { openPreview } from './preview.js';
import { uploadPanel, uploadPlan } from './uploads.js';

const kSorts = ['name', 'modified', 'size'];

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

export function title({ params }) {
  const parts = splitPath(params.rest);
  return parts.length ? parts[parts.length - 1] : 'Files';
}

export async function render(outlet, { params, query, signal, navigate }) {
  await requireUser();
  const path = '/' + splitPath(params.rest).join('/');
  const folder = path === '/' ? await getNode('root', { signal })
                              : await resolvePath(path, { signal });
  if (folder.type !== 'folder') {
    // A file's path: show its folder (the file itself opens from its row).
    await navigate(folderUrl(splitPath(path).slice(0, -1).join('/')), { replace: true });
    return undefined;
  }
  const state = {
    sort: kSorts.includes(query.get('sort')) ? query.get('sort') : 'name',
    order: query.get('order') === 'desc' ? 'desc' : 'asc',
    items: [], cursor: null, deleted: [], showDeleted: rememberedShowDeleted(),
  };

  const message = messageBox();
  const quota = quotaBar();
  const count = h('span', { class: 'selection-count', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true },
                 'Load more');
  const fileInput = h('input', { type: 'file', multiple: true, hidden: true,
                                 class: 'upload-files-input' });
  const folderInput = h('input', { type: 'file', multiple: true, hidden: true,
                                   webkitdirectory: true, class: 'upload-folder-input' });
  const deletedToggle = h('input', { type: 'checkbox', id: 'show-deleted',
                                     checked: state.showDeleted });

  const table = fileTable({
    onSort: (key) => {
      if (state.sort === key) state.order = state.order === 'asc' ? 'desc' : 'asc';
      else [state.sort, state.order] = [key, key === 'name' ? 'asc' : 'desc'];
      history.replaceState(null, '', folderUrl(path, `?sort=${state.sort}&order=${state.order}`));
      reload();
    },
    onSelection: (ids) => {
      count.textContent = ids.length ? `${ids.length} selected` : '';
      for (const b of selectionButtons) b.disabled = ids.length === 0;
      renameButton.disabled = ids.length !== 1;
    },
    onDropOnFolder: (target, dt) => handleDrop(target.id, target.path, dt),
    onRestore: (item) => run(() => restore(item)),
    onShare: (node) => run(async () => {
      if (await openShareDialog(node)) await reload();
    }),
    onOpenFile: (node) => openPreview({ items: state.items, start: node,
                                        onClose: (shown) => table.focusItem(shown.id) }),
  });

  const button = toolbarButtonMaker(run);
  const renameButton = button('Rename', renameSelected);
  const selectionButtons = [renameButton, button('Move', () => moveOrCopy('move')),
                            button('Copy', () => moveOrCopy('copy')),
                            button('Download', downloadSelected),
                            button('Delete', deleteSelected, { class: 'button button-danger button-small' })];
  const toolbar = h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'File actions' },
                    button('New folder', newFolder),
                    button('Upload files', () => fileInput.click()),
                    button('Upload folder', () => folderInput.click()),
                    h('span', { class: 'toolbar-sep', 'aria-hidden': 'true' }),
                    selectionButtons, count,
                    h('label', { class: 'toggle', for: 'show-deleted' }, deletedToggle,
                      ' Show deleted items'));
  const zone = h('div', { class: 'drop-zone', 'aria-label': 'File list; drop files here to upload' },
                 table.element);
  outlet.append(h('section', { class: 'files-page' },
                  h('div', { class: 'files-head' }, h('h1', {}, folder.name && path !== '/'
                                                                  ? folder.name : 'Files'),
                    splitPath(path).length ? breadcrumbs(path) : null, searchForm(navigate)),
                  quota, message, toolbar, fileInput, folderInput,
                  // Above the list, where it is seen while a long folder scrolls below.
                  uploadPanel(), zone, h('div', { class: 'form-actions' }, more)));

  // Drops of desktop files anywhere on the list upload into this folder.
  dropTarget(zone, (dt) => handleDrop(folder.id, path, dt));
  more.addEventListener('click', () => run(() => loadPage(false)));
  deletedToggle.addEventListener('change', () => {
    state.showDeleted = deletedToggle.checked;
    rememberShowDeleted(state.showDeleted);
    run(loadDeleted);
  });
  fileInput.addEventListener('change', () => startUpload(planFromFileList(fileInput.files),
                                                         folder.id, fileInput));
  folderInput.addEventListener('change', () => startUpload(planFromFileList(folderInput.files),
                                                           folder.id, folderInput));

  const onKey = (e) => {
    if (!zone.isConnected || document.querySelector('dialog[open]')) return;
    if (typesText(e.target)) return;  // Delete, F2, Ctrl+A edit the text of a field.
    const mod = e.ctrlKey || e.metaKey;
    if (mod && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      table.selectAll();
    } else if (e.key === 'Escape') {
      table.clearSelection();
    } else if (e.key === 'Delete' && table.selectedNodes().length) {
      run(deleteSelected);
    } else if (e.key === 'F2' && table.selectedNodes().length === 1) {
      e.preventDefault();
      run(renameSelected);
    }
  };
  document.addEventListener('keydown', onKey);
  const stopRefresh = refreshAfterUploads(folder.id, () => run(reload));

  await loadPage(true);
  if (state.showDeleted) await loadDeleted().catch((err) => message.error(err?.message ?? String(err)));
  return () => {
    document.removeEventListener('keydown', onKey);
    stopRefresh();
  };

  // --- data ---
  async function loadPage(first) {
    const limit = first ? Math.min(1000, Math.max(200, state.items.length)) : 200;
    const data = await listChildren(folder.id, { sort: state.sort, order: state.order, limit,
                                                 cursor: first ? undefined : state.cursor });
    state.items = first ? data.items ?? [] : [...state.items, ...(data.items ?? [])];
    state.cursor = data.next_cursor ?? null;
    more.hidden = !state.cursor;
    draw();
  }
  async function loadDeleted() {
    state.deleted = state.showDeleted
      ? (await listTrash({ parentId: folder.id })).items ?? [] : [];
    draw();
  }
  async function reload() {
    await loadPage(true);
    if (state.showDeleted) await loadDeleted();
    quota.update();
  }
  function draw() {
    table.draw(state.items, { basePath: path, sort: state.sort, order: state.order,
                              deleted: state.deleted });
  }

  // Runs an action; its ApiError (or any error) is shown to the person. An item that is gone
  // (404: deleted or moved elsewhere meanwhile) is dropped from the list. Focus that the action
  // left nowhere goes back to the list (file_table's restoreFocus).
  async function run(fn) {
    const hint = table.focusHint();
    message.clear();  // The last action's message no longer applies.
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
  function newFolder() {
    return createFolder(folder.id, { message, reload });
  }

  function renameSelected() {
    return renameItem(table.selectedNodes()[0] ?? null, { message, reload });
  }

  async function moveOrCopy(kind) {
    const nodes = table.selectedNodes();
    if (!nodes.length) return;
    const what = nodes.length === 1 ? `"${nodes[0].name}"` : `${nodes.length} items`;
    const target = await pickFolder({
      title: `${kind === 'move' ? 'Move' : 'Copy'} ${what} to…`,
      confirmLabel: kind === 'move' ? 'Move here' : 'Copy here',
      excludeIds: kind === 'move' ? nodes.map((n) => n.id) : [],
    });
    if (!target) return;
    await transfer(kind, nodes, target.id, target.path);
  }

  async function transfer(kind, nodes, targetId, targetPath) {
    message.clear();
    const failures = [];
    let done = 0;
    let already = 0;  // A move to the folder the item is in: nothing to do.
    for (const node of nodes) {
      if (kind === 'move' && node.parent_id === targetId) {
        already += 1;
        continue;
      }
      try {
        if (kind === 'move') await moveNode(node.id, targetId);
        else await copyNode(node.id, targetId);
        done += 1;
      } catch (err) {
        failures.push(`${node.name}: ${err.message}`);
      }
    }
    const to = targetPath || '/';
    const items = (n) => `${n} ${n === 1 ? 'item' : 'items'}`;
    const parts = [];
    if (done) parts.push(`${kind === 'move' ? 'Moved' : 'Copied'} ${items(done)} to ${to}.`);
    if (already) {
      parts.push(already === 1 && nodes.length === 1 ? `"${nodes[0].name}" is already in ${to}.`
                                                     : `${items(already)} already in ${to}.`);
    }
    if (failures.length) {
      parts.push(`Not ${kind === 'move' ? 'moved' : 'copied'}: ${failures.join(' ')}`);
      message.error(parts.join(' '));
    } else {
      message.success(parts.join(' '));
    }
    if (done) await reload();
  }

  // One item downloads as itself (a folder as its zip); several as one zip of them
  // (?only=). The browser drops a download that fails (404) without a word: the items are
  // looked up first.
  async function downloadSelected() {
    const nodes = table.selectedNodes();
    const found = await Promise.all(nodes.map((node) => getNode(node.id).then(() => true, (err) => {
      if (err?.status !== 404) throw err;
      return false;
    })));
    const here = nodes.filter((_, i) => found[i]);
    const gone = nodes.filter((_, i) => !found[i]).map((n) => `"${n.name}"`);
    if (here.length) {
      const only = here.length > 1 ? `?only=${here.map((n) => encodeURIComponent(n.id)).join(',')}`
                                   : '';
      const one = here[0];
      const a = h('a', { href: only ? contentUrl(folder.id) + only : contentUrl(one.id),
                         download: only ? true
                                        : one.type === 'folder' ? `${one.name}.zip` : one.name,
                         hidden: true });
      document.body.append(a);
      a.click();
      a.remove();
    }
    if (gone.length) {
      await reload();
      message.error(`${gone.join(', ')} no longer ${gone.length === 1 ? 'exists' : 'exist'} ` +
                    'here: deleted or moved elsewhere meanwhile.');
    }
  }

  async function deleteSelected() {
    const nodes = table.selectedNodes();
    if (!nodes.length) return;
    const what = nodes.length === 1 ? `"${nodes[0].name}"` : `${nodes.length} items`;
    const ok = await confirmDialog({
      title: `Delete ${what}?`, confirmLabel: 'Move to trash', danger: true, undoable: true,
      message: 'Deleted items stay in the trash (and count against your storage) until they ' +
               'are purged; you can restore them from there.' +
               (nodes.some((n) => n.shared || n.type === 'folder')
                 ? ' Public links to them, or to anything in them, stop working for good (a ' +
                   'restore does not bring them back), and the people they are shared with ' +
                   'lose access until you restore them.'
                 : ''),
    });
    if (!ok) return;
    message.clear();
    const trashIds = [];
    const failures = [];
    for (const node of nodes) {
      try {
        const r = await deleteNode(node.id);
        if (r?.trash_item?.id) trashIds.push(r.trash_item.id);
      } catch (err) {
        failures.push(`${node.name}: ${err.message}`);
      }
    }
    if (failures.length) message.error(failures.join(' '));
    else {
      const undo = h('button', { type: 'button', class: 'link-button' }, 'Undo');
      undo.addEventListener('click', () => run(async () => {
        for (const id of trashIds) await restoreItem(id);
        message.success('Restored.');
        await reload();
      }));
      message.success(`Moved ${what} to the trash.`, undo);
    }
    await reload();
  }

  async function restore(item) {
    message.clear();
    const r = await restoreItem(item.id);
    message.success(`Restored "${item.name}" to ${r?.restored_path ?? 'its folder'}.`);
    await reload();
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
        if (nodes.length && id !== folder.id) await transfer('move', nodes, id, targetPath);
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

  async function startUpload(plan, parentId, input = null) {
    message.clear();
    try {
      // What this folder holds is known (the names listed so far): a taken name asks first.
      const existingNames = parentId === folder.id
        ? new Set(state.items.map((n) => n.name)) : null;
      const refusal = await uploadPlan(plan, parentId, { existingNames });
      if (refusal) message.error(refusal);
    } catch (err) {
      message.error(err?.message ?? String(err));
    } finally {
      if (input) input.value = '';
    }
  }

  // "Files / a / b" (not at the root, where the title says "Files"): links; each one also takes
  // drops (move or upload into that folder).
  function breadcrumbs(current) {
    const parts = splitPath(current);
    const crumbs = [['Files', '/']];
    parts.forEach((name, i) => crumbs.push([name, '/' + parts.slice(0, i + 1).join('/')]));
    const nav = h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' });
    replaceChildren(nav, crumbs.map(([name, p], i) => {
      const last = i === crumbs.length - 1;
      const link = h('a', { href: folderUrl(p), 'aria-current': last ? 'page' : null }, name);
      if (!last) dropTarget(link, (dt) => handleDrop(p === '/' ? 'root' : null, p, dt));
      return [i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/') : null, link];
    }));
    return nav;
  }
}
