// Live refresh of a listing (my folders, a folder shared with me, the trash, "Shared with me",
// "Shared by me", search results): while the page is on screen its list is looked at again
// quietly, so that what another tab, the desktop client or a colleague changed shows without
// a reload. A look comes when the tab becomes visible again or the window gets the focus back,
// and every 20 s while the tab is visible (none while it is hidden: a background tab costs the
// server nothing). It waits while the person is in the middle of something the list must not
// move under: a dialog (rename, move, the viewer), a row's menu, a drag, or what the view says
// (a bulk action, uploads into this folder); the look then comes as soon as that is over. A
// look that fails (offline, a 5xx) changes nothing and says nothing: the next one will do. A
// 401 is api.js's, as for any request.
import { getNode, resolvePath, splitPath } from './node_api.js';

// Every this many ms while the tab is visible. localStorage "nimbus.refreshMs" overrides it
// (tests, and anyone who wants it faster or slower), from 200 ms up.
const kEveryMs = 20000;
const kEveryKey = 'nimbus.refreshMs';
// While a look waits (a dialog is open…), whether it may come is asked again this often: a
// glance at the page, no request.
const kWaitMs = 1000;
// The two events of a tab switch (visibilitychange, focus) make one look.
const kSameLookMs = 500;
// A drag from the desktop fires no dragstart here: it counts as under way this long after its
// last dragover.
const kDragQuietMs = 1000;

function everyMs() {
  try {
    const ms = Number(localStorage.getItem(kEveryKey));
    if (Number.isFinite(ms) && ms >= 200) return ms;
  } catch {
    // Storage blocked: the usual interval.
  }
  return kEveryMs;
}

// Something on the page that a redraw of the list would disturb: a modal dialog (the viewer is
// one too), or a row's open "⋯" menu.
function overlayOpen() {
  return Boolean(document.querySelector('dialog[open], .row-menu'));
}

// Starts looking again at the listing of `element` (the view's page; the looks stop once it
// is off the page). `look(free)` does one quiet look (its failures are dropped here); before it
// draws what it read it asks `free()`, false when something opened meanwhile (a dialog…): it
// then draws nothing, and the look comes again once that is over. `waits()`,
// when given, returns true while the view's own work must not be disturbed; `rows()`, how
// many rows a look reads again: past 1,000 (one request) the timed looks come less often, in
// proportion (20,000 rows scrolled through: every 400 s, not 20 requests every 20 s). Returns
// { stop() } for the view's cleanup.
export function liveRefresh({ element, look, waits = () => false, rows = () => 0 }) {
  let timer = null;
  let running = false;
  let stopped = false;
  let lastLook = 0;
  let dragging = false;
  let lastDragOver = 0;
  const visible = () => document.visibilityState !== 'hidden';

  function schedule(ms) {
    clearTimeout(timer);
    timer = !stopped && visible() ? setTimeout(due, ms) : null;
  }

  function blocked() {
    return overlayOpen() || dragging || Date.now() - lastDragOver < kDragQuietMs || waits();
  }

  // A look is due: now, or as soon as nothing is in the way.
  function due() {
    timer = null;
    if (stopped || running) return;
    if (!element.isConnected) {
      stop();
      return;
    }
    if (!visible()) return;  // Looked at again when the tab shows.
    if (blocked()) {
      schedule(kWaitMs);
      return;
    }
    running = true;
    lastLook = Date.now();
    let deferred = false;
    const free = () => {
      deferred ||= !element.isConnected || blocked();
      return !deferred;
    };
    Promise.resolve().then(() => look(free)).catch(() => {}).finally(() => {
      running = false;
      schedule(deferred ? kWaitMs : everyMs() * Math.max(1, Math.ceil(rows() / 1000)));
    });
  }

  const onReturn = () => {
    if (!visible()) {
      clearTimeout(timer);
      timer = null;
      return;
    }
    if (Date.now() - lastLook < kSameLookMs) return;
    due();
  };
  const onDragStart = () => { dragging = true; };
  const onDragEnd = () => { dragging = false; };
  const onDragOver = () => { lastDragOver = Date.now(); };

  document.addEventListener('visibilitychange', onReturn);
  window.addEventListener('focus', onReturn);
  document.addEventListener('dragstart', onDragStart, true);
  document.addEventListener('dragend', onDragEnd, true);
  document.addEventListener('drop', onDragEnd, true);
  document.addEventListener('dragover', onDragOver, true);
  schedule(everyMs());

  function stop() {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onReturn);
    window.removeEventListener('focus', onReturn);
    document.removeEventListener('dragstart', onDragStart, true);
    document.removeEventListener('dragend', onDragEnd, true);
    document.removeEventListener('drop', onDragEnd, true);
    document.removeEventListener('dragover', onDragOver, true);
  }
  return { stop };
}

// Runs `redraw()`, which may draw rows of `list` anew (a row whose item changed is a new
// element), and keeps keyboard focus where it was: on the same control of the same item's row
// (`rowKey` names the data attribute of a row: 'id' for tr[data-id], 'trashId'), else on the
// row now at its place, else on the list. Focus outside `list` is left alone.
export async function keepFocusOnRow(list, rowKey, redraw) {
  const active = document.activeElement;
  const attr = `data-${rowKey.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  const row = list.contains(active) ? active.closest(`[${attr}]`) : null;
  if (!row) return redraw();
  const controls = (r) => [...r.querySelectorAll('a[href], button, input')];
  const which = controls(row).indexOf(active);
  const id = row.dataset[rowKey];
  const rows = () => [...list.querySelectorAll(`[${attr}]`)];
  const index = rows().indexOf(row);
  try {
    return await redraw();
  } finally {
    if (!active.isConnected && (document.activeElement === document.body ||
                                !document.activeElement)) {
      const now = rows();
      const same = now.find((r) => r.dataset[rowKey] === id) ??
                   now[Math.min(index, now.length - 1)] ?? null;
      const target = same ? controls(same)[which] ?? controls(same)[0] : null;
      if (target) {
        target.focus({ preventScroll: true });
      } else {
        list.tabIndex = -1;
        list.focus({ preventScroll: true });
      }
    }
  }
}

// True when the pages `a` and `b` of a listing hold the same items, each as it was (a rename,
// a new size or date, a move all change the node).
export function sameItems(a, b) {
  if (a.length !== b.length) return false;
  return a.every((item, i) => JSON.stringify(item) === JSON.stringify(b[i]));
}

// Puts the elements `wanted` into `parent` in that order, moving as few as it can (those that
// stay in place keep focus and scroll); children not in `wanted` are removed.
export function placeInOrder(parent, wanted) {
  const keep = new Set(wanted);
  for (const child of [...parent.children]) {
    if (!keep.has(child)) child.remove();
  }
  let at = parent.firstElementChild;
  for (const el of wanted) {
    if (el === at) at = at.nextElementSibling;
    else parent.insertBefore(el, at);
  }
}

// The rows of a list drawn from items (the shares of "Shared with me" and "Shared by me", the
// search results): `draw(items)` keeps the element of each item that is as it was (its focus,
// an open activity panel, the scroll) and draws anew only those that changed, in the order of
// `items`; `empty()`, when given, is shown for none. `update(items)` is the live refresh's:
// nothing is touched when the items are the ones shown, else they are drawn keeping the focus
// (keepFocusOnRow: `rowKey` names the rows' data attribute, `keyOf(item)` its value); it
// resolves to whether something changed. `row(item, old)` makes a row (`old`: the element it
// replaces, or null); `sig(item)` tells what it shows (the item by default).
export function liveRows(list, { rowKey, keyOf, row, empty = null, sig = JSON.stringify }) {
  let items = [];
  const rows = new Map();  // key -> { sig, element }
  function draw(fresh) {
    items = fresh;
    const keys = new Set(items.map(keyOf));
    for (const key of [...rows.keys()]) {
      if (!keys.has(key)) rows.delete(key);
    }
    const elements = items.map((item) => {
      const key = keyOf(item);
      const now = sig(item);
      const had = rows.get(key);
      if (had?.sig === now) return had.element;
      const element = row(item, had?.element ?? null);
      rows.set(key, { sig: now, element });
      return element;
    });
    placeInOrder(list, elements.length || !empty ? elements : [empty()]);
  }
  async function update(fresh) {
    if (sameItems(fresh, items)) return false;
    await keepFocusOnRow(list, rowKey, () => draw(fresh));
    return true;
  }
  return { draw, update, items: () => items };
}

// The folder to show when the folder `node` (last seen at `path`) was deleted elsewhere: its
// parent, wherever that is now; else the nearest folder left on the way up its old path; else
// the top of my files ({ path: '/' }). Rejects on failures other than 404 (offline: the next
// look tries again).
export async function nearestFolder(node, path) {
  const found = async (ask) => {
    try {
      const folder = await ask();
      return folder?.type === 'folder' ? folder : null;
    } catch (err) {
      if (err?.status === 404) return null;
      throw err;
    }
  };
  const parent = node.parent_id ? await found(() => getNode(node.parent_id)) : null;
  if (parent) return parent;
  const parts = splitPath(path);
  for (let n = parts.length - 1; n > 0; n -= 1) {
    const up = await found(() => resolvePath(`/${parts.slice(0, n).join('/')}`));
    if (up) return up;
  }
  return { path: '/', name: '' };
}
