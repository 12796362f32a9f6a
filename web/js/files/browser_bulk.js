// The file browser's actions on the selection, one item or thousands: delete (to the trash,
// with Undo), move (with Undo: move_undo.js) and copy. Each runs a few requests at a time with a
// progress line and Cancel (bulk.js) while the page's selection and toolbar are locked (not a
// copy of one item, which may take seconds: it says "Copying…"), then says what happened in one
// summary. An item already gone (404) when deleting counts as deleted.
import { h, touchOnly } from '../dom.js';
import { listLinks, listShares } from '../shares/share_api.js';
import { bulkProgress, itemsText, runBulk, showOutcome } from './bulk.js';
import { confirmDialog } from './dialogs.js';
import { movesOf, undoMoves } from './move_undo.js';
import { copyNode, deleteNode, moveNode, restoreItem } from './node_api.js';

// A copy of one item says "Copying…" once it has run this long (a small one ends before).
const kSlowCopyMs = 300;

// The shortcut of Undo as this computer's keyboard says it; none on a touch-only device (a
// phone has no Ctrl key to press).
const kUndoKeys = /Mac|iPhone|iPad/.test(navigator.platform ?? '') ? 'Cmd+Z' : 'Ctrl+Z';

// ctx: { message (messageBox), lock(on), reload(), forget(ids) (takes rows away at once),
// run(fn) (the view's error reporter, for Undo), focusItems(ids) (focus on the first of these
// items listed; false when none is) }. Returns { element (the progress line), busy(),
// deleteNodes(nodes), transfer(kind, nodes, targetId, targetPath), restoreAll(items),
// canUndo(), undo() (the last delete's or move's Undo, while it is offered), bulk(items, label, work),
// task(describe, fn) }.
export function browserBulk({ message, lock, reload, forget, run, focusItems = () => false }) {
  const progress = bulkProgress();
  let busy = false;
  let lastUndo = null;  // The Undo button of the last delete's or move's summary.

  // Runs `work` over `items` with the progress line ("<label> 1,200 of 5,000…") and the page
  // locked; resolves to runBulk's outcome.
  async function bulk(items, label, work) {
    busy = true;
    lock(true);
    if (items.length > 1) progress.start(label, items.length);  // One is done in a moment.
    try {
      return await runBulk(items, work, { onProgress: (n) => progress.update(n),
                                          cancelled: progress.cancelled });
    } finally {
      progress.finish();
      busy = false;
      lock(false);
    }
  }

  // Runs `fn({ update(n), cancelled() })` with the progress line saying `describe(n)` (a
  // count of unknown total, e.g. pages loading) and the page locked.
  async function task(describe, fn) {
    busy = true;
    lock(true);
    progress.start('', null, { describe });
    try {
      return await fn({ update: (n) => progress.update(n), cancelled: progress.cancelled });
    } finally {
      progress.finish();
      busy = false;
      lock(false);
    }
  }

  // True when deleting `nodes` ends public links or shares: one of them is shared, or one of
  // them is a folder holding something that is. When that cannot be looked up: true.
  async function touchesSharing(nodes) {
    if (nodes.some((n) => n.shared)) return true;
    const folders = nodes.filter((n) => n.type === 'folder');
    if (!folders.length) return false;
    try {
      const [links, shares] = await Promise.all([listLinks(),
                                                 listShares({ direction: 'outgoing' })]);
      const paths = [...links, ...shares].map((x) => x.node?.path).filter(Boolean);
      return folders.some((f) => !f.path ||
                                 paths.some((p) => p === f.path || p.startsWith(`${f.path}/`)));
    } catch {
      return true;
    }
  }

  async function deleteNodes(nodes) {
    if (busy || !nodes.length) return;
    const one = nodes.length === 1;
    const warn = await touchesSharing(nodes);
    const ok = await confirmDialog({
      title: one ? `Delete "${nodes[0].name}"?` : `Delete ${itemsText(nodes.length)}?`,
      confirmLabel: 'Move to trash', danger: true, undoable: true,
      message: `You can restore ${one ? 'it' : 'them'} from the trash.` +
               (warn ? ` Public links to ${one ? 'it' : 'them'} or to anything inside stop ` +
                       'working for good, even after a restore; people ' +
                       `${one ? 'it is' : 'they are'} shared with lose access until then.` : ''),
    });
    if (!ok) return;
    message.clear();
    const outcome = await bulk(nodes, 'Deleting', async (node) => {
      try {
        return await deleteNode(node.id);
      } catch (err) {
        if (err?.status === 404) return null;  // Gone already (another tab, another device).
        throw err;
      }
    });
    const { done, failed, notStarted } = outcome;
    forget(done.map((d) => d.item.id));
    const restorable = done.filter((d) => d.result?.trash_item?.id)
        .map((d) => ({ id: d.result.trash_item.id, name: d.item.name }));
    const parts = [];
    if (done.length) {
      parts.push(one ? `Moved "${nodes[0].name}" to the trash.`
                     : `${itemsText(done.length)} moved to the trash.`);
    }
    lastUndo = restorable.length ? undoButton(() => restoreAll(restorable)) : null;
    showOutcome(message, parts, { failed, notStarted }, 'deleted', ...undoLine());
    await reload();
  }

  // The line with the last action's Undo, when there is one. Undo is far from the list (at the
  // top of the page): its shortcut is said with it.
  function undoLine() {
    if (!lastUndo) return [];
    const keys = touchOnly() ? null : h('span', { class: 'item-meta' }, ` (${kUndoKeys})`);
    return [h('p', {}, lastUndo, keys)];
  }

  // An Undo button that runs `undoIt()` (resolving to the ids of the items it brought back) once;
  // focus goes to the first of those rows.
  function undoButton(undoIt) {
    const undo = h('button', { type: 'button', class: 'link-button',
                               'aria-keyshortcuts': 'Control+Z Meta+Z' }, 'Undo');
    undo.addEventListener('click', () => run(async () => {
      undo.disabled = true;
      focusItems(await undoIt());
    }));
    return undo;
  }

  // The Undo of a move: the items go back, by id, to the folders they came from (move_undo.js);
  // those that cannot stay where they are, and the message says why.
  async function moveBack(moves, to) {
    message.clear();
    const outcome = await undoMoves(moves, to, bulk);
    if (outcome.failed) message.error(outcome.text);
    else message.success(outcome.text);
    // The folder shown is the one the items came from: deleted, it cannot be listed, and the
    // sentence above must stay (the live refresh then moves on to the nearest folder left).
    await reload().catch(() => {});
    return outcome.ids;
  }

  // True while the last delete's Undo is on screen and not used yet.
  function canUndo() {
    return Boolean(lastUndo?.isConnected && !lastUndo.disabled && !busy);
  }

  // Restores trash items ([{ id, name }]) and says so; resolves to the ids of the nodes back.
  async function restoreAll(items) {
    message.clear();
    const { done, failed, notStarted } = await bulk(items, 'Restoring',
                                                    (item) => restoreItem(item.id));
    const parts = [];
    if (done.length) {
      parts.push(items.length === 1 ? 'Restored.' : `${itemsText(done.length)} restored.`);
    }
    showOutcome(message, parts, { failed, notStarted }, 'restored');
    await reload();
    return done.map((d) => d.result?.node?.id).filter(Boolean);
  }

  // Moves or copies `nodes` into the folder `targetId` (at `targetPath`); `where`, when given,
  // names the target in the summary instead of its path (e.g. "/Docs in your Files").
  async function transfer(kind, nodes, targetId, targetPath, where = null) {
    if (busy) return;
    message.clear();
    const moving = kind === 'move';
    // A move to the folder the item is in: nothing to do.
    const already = moving ? nodes.filter((n) => n.parent_id === targetId) : [];
    const todo = nodes.filter((n) => !already.includes(n));
    const work = (node) => (moving ? moveNode(node.id, targetId) : copyNode(node.id, targetId));
    let outcome = { done: [], failed: [], notStarted: 0 };
    if (!moving && todo.length === 1) outcome = await copyOne(todo[0], work);
    else if (todo.length) outcome = await bulk(todo, moving ? 'Moving' : 'Copying', work);
    const { done, failed, notStarted } = outcome;
    if (moving) forget(done.map((d) => d.item.id));
    const to = where ?? (targetPath || '/');
    const parts = [];
    const verbed = moving ? 'moved' : 'copied';
    if (done.length) parts.push(
      `${moving ? 'Moved' : 'Copied'} ${itemsText(done.length)} to ${to}.`);
    // A copy into a folder where the name is taken gets another name: said, or it goes unseen.
    const renamed = done.filter((d) => d.result?.name && d.result.name !== d.item.name);
    if (renamed.length) parts.push(renamedText(renamed));
    if (already.length) {
      parts.push(already.length === 1 && nodes.length === 1
        ? `"${nodes[0].name}" is already in ${to}.`
        : `${itemsText(already.length)} already in ${to}.`);
    }
    // A move can be undone while its message shows (Undo, Ctrl+Z), as a delete can.
    const moves = moving ? movesOf(done) : [];
    lastUndo = moves.length ? undoButton(() => moveBack(moves, to)) : null;
    showOutcome(message, parts, { failed, notStarted }, verbed, ...(moving ? undoLine() : []));
    if (done.length || failed.some((f) => f.error?.status === 404)) await reload();
  }

  // One item copied: the server copies a large folder or file for seconds, and nothing on the
  // page waits for it, so the page is not locked (the person may go on browsing, even act on
  // other items); "Copying "name"…" says it is under way once it takes more than a moment,
  // and "Copied…" replaces it at the end.
  async function copyOne(node, work) {
    const slow = setTimeout(() => message.info(`Copying "${node.name}"…`), kSlowCopyMs);
    try {
      return await runBulk([node], work);
    } finally {
      clearTimeout(slow);
    }
  }

  return { element: progress.element, busy: () => busy, deleteNodes, transfer, restoreAll,
           canUndo, undo: () => lastUndo?.click(), bulk, task };
}

// "The copy of "red.png" is called "red (1).png"." for copies ([{ item, result }]) saved under
// another name; at most 5 are named.
function renamedText(renamed) {
  const named = renamed.slice(0, 5).map((d) => `"${d.item.name}" as "${d.result.name}"`);
  const rest = renamed.length - named.length;
  return `The name was taken: saved ${named.join(', ')}` +
         `${rest ? ` and ${itemsText(rest)} more under new names` : ''}.`;
}
