// Modal dialogs for the file browser, on the native <dialog> element (focus is trapped, Escape
// cancels): confirm, ask for a name, and pick a target folder.
import { h, replaceChildren, wrapTab } from '../dom.js';
import { pushOverlay } from '../router.js';
import { getNode, listChildren, resolvePath, splitPath } from './node_api.js';
import { nodeIcon } from './quota.js';

// Shows `dialog` modally (Tab goes round inside it); resolves to what `collect(returnValue)`
// gives on close. The dialog has a history entry of its own: the browser's Back (a phone's
// back button) closes it, as Cancel does, and the page under it stays (it used to go to the
// previous folder, with a Move dialog still open over it: QA pass 17c).
function open(dialog, collect) {
  wrapTab(dialog);
  document.body.append(dialog);
  return new Promise((resolve) => {
    let leaveHistory = () => {};
    dialog.addEventListener('close', () => {
      leaveHistory();
      const result = collect(dialog.returnValue);
      dialog.remove();
      resolve(result);
    }, { once: true });
    dialog.showModal();
    leaveHistory = pushOverlay(() => dialog.close());
  });
}

// The confirm and Cancel buttons; with `focusCancel` Cancel takes the focus when the dialog
// opens, so a stray Enter does not confirm.
function actions(confirmLabel, danger = false, focusCancel = false, cancelLabel = 'Cancel') {
  return h('div', { class: 'form-actions' },
           h('button', { type: 'submit', value: 'ok',
                         class: danger ? 'button button-danger' : 'button' }, confirmLabel),
           h('button', { type: 'submit', value: 'cancel', class: 'button button-secondary',
                         formnovalidate: true, autofocus: focusCancel }, cancelLabel));
}

// Resolves to true when the person confirms. A destructive action (`danger`) opens with Cancel
// (`cancelLabel`) focused, unless `undoable` (moving to the trash: Delete then Enter, as in a
// desktop's file manager).
export function confirmDialog({ title, message, confirmLabel = 'OK', cancelLabel = 'Cancel',
                                danger = false, undoable = false }) {
  const dialog = h('dialog', { class: 'dialog', 'aria-label': title },
                   h('form', { method: 'dialog' }, h('h2', {}, title), h('p', {}, message),
                     actions(confirmLabel, danger, danger && !undoable, cancelLabel)));
  return open(dialog, (value) => value === 'ok');
}

// Offers `choices` ([{ value, label, danger }], the first is the default) and Cancel; resolves
// to the chosen value, or null when cancelled (Cancel, Escape).
export function choiceDialog({ title, message, choices }) {
  const buttons = choices.map(({ value, label, danger }, i) =>
    h('button', { type: 'submit', value, class: danger ? 'button button-danger'
                                                 : i ? 'button button-secondary' : 'button' },
      label));
  const dialog = h('dialog', { class: 'dialog', 'aria-label': title },
                   h('form', { method: 'dialog' }, h('h2', {}, title), h('p', {}, message),
                     h('div', { class: 'form-actions' }, buttons,
                       h('button', { type: 'submit', value: 'cancel',
                                     class: 'button button-secondary' }, 'Cancel'))));
  const values = new Set(choices.map((c) => c.value));
  return open(dialog, (value) => (values.has(value) ? value : null));
}

// Asks for a name; resolves to the trimmed text ('' when only spaces were typed), or null when
// cancelled or when the text is `original` (unchanged). `error`, from an earlier try, shows
// under the field. The name is selected without its extension, as file managers do, unless
// `wholeName` (a folder's "my.folder.v2" has no extension).
export function promptDialog({ title, label, value = '', original = value, error = '',
                               confirmLabel = 'Save', wholeName = false }) {
  const input = h('input', { type: 'text', name: 'name', value, required: true,
                             id: 'dialog-name', autocomplete: 'off',
                             'aria-invalid': error ? 'true' : null,
                             'aria-describedby': error ? 'dialog-name-error' : null });
  const dialog = h('dialog', { class: 'dialog', 'aria-label': title },
                   h('form', { method: 'dialog', class: 'form' }, h('h2', {}, title),
                     h('div', { class: 'field' }, h('label', { for: 'dialog-name' }, label), input,
                       error ? h('p', { class: 'field-error', id: 'dialog-name-error',
                                        role: 'alert' }, error) : null),
                     actions(confirmLabel)));
  queueMicrotask(() => {
    const dot = wholeName ? -1 : value.lastIndexOf('.');
    input.focus();
    input.setSelectionRange(0, dot > 0 ? dot : value.length);
  });
  return open(dialog, (result) => {
    const text = input.value.trim();
    return result === 'ok' && text !== original ? text : null;
  });
}

// Lets the person browse their folders and pick one. `excludeIds` (the items being moved) are
// not offered as targets. `root` ({ id, name }), when given, keeps the picker inside that
// folder's tree (a folder shared with me: its items move only within the owner's files), with
// breadcrumbs from it; else it browses my own Files. It opens at the folder `start` (an id,
// e.g. the folder the person is in; its breadcrumbs go up), or under `root` at the last folder
// of `startTrail` (the folders from `root` down to it); else at the top. Resolves to
// { id, path } or null.
export function pickFolder({ title, confirmLabel, excludeIds = [], root = null, start = null,
                             startTrail = null }) {
  const excluded = new Set(excludeIds);
  // Under `root`: the folders from it down to the one shown.
  const fromTrail = Boolean(root && startTrail?.length && startTrail[0].id === root.id);
  let trail = fromTrail ? startTrail.slice(0, -1) : [];
  const crumbs = h('nav', { class: 'breadcrumbs', 'aria-label': 'Folder path in the dialog' });
  const list = h('ul', { class: 'picker-list', 'aria-label': 'Folders' });
  const status = h('p', { class: 'status', role: 'status' });
  const dialog = h('dialog', { class: 'dialog dialog-wide', 'aria-label': title },
                   h('form', { method: 'dialog' }, h('h2', {}, title), crumbs, status, list,
                     actions(confirmLabel)));
  let current = null;

  async function show(id) {
    status.textContent = 'Loading…';
    try {
      const node = await getNode(id);
      const folders = [];
      let cursor = null;
      for (let page = 0; page < 20; page += 1) {  // At most 20,000 entries per folder here.
        const data = await listChildren(node.id, { sort: 'name', order: 'asc', cursor,
                                                   limit: 1000 });
        folders.push(...(data.items ?? []).filter((n) => n.type === 'folder'));
        cursor = data.next_cursor;
        if (!cursor) break;
      }
      current = node;
      if (root) {
        const at = trail.findIndex((n) => n.id === node.id);
        trail = at >= 0 ? trail.slice(0, at + 1) : [...trail, node];
        drawTrail();
      } else {
        drawCrumbs(node);
      }
      replaceChildren(list, folders.length ? folders.map((f) => {
        const button = h('button', { type: 'button', class: 'link-button',
                                     disabled: excluded.has(f.id) }, nodeIcon('folder'), f.name);
        button.addEventListener('click', () => show(f.id));
        return h('li', {}, button);
      }) : h('li', { class: 'status' }, 'No folders in here.'));
      status.textContent = `Target: ${node.path || '/'}`;
      // The list has the focus (its first folder), not "Move here": Enter opens a folder, and
      // the button it was on, now gone, does not leave the focus on the page behind.
      const first = list.querySelector('button:not(:disabled)');
      if (first) {
        first.focus();
      } else {
        list.tabIndex = -1;
        list.focus();
      }
    } catch (err) {
      status.textContent = err.message;
      // The folder to open at is gone (deleted meanwhile): the top instead.
      const top = root ? root.id : 'root';
      if (!current && id !== top && err?.status === 404) {
        trail = [];
        show(top);
      }
    }
  }

  // Breadcrumbs of the folders opened from `root` (paths of another's tree do not resolve).
  function drawTrail() {
    replaceChildren(crumbs, trail.map((n, i) => {
      const button = h('button', { type: 'button', class: 'link-button' },
                       i ? n.name : root.name ?? n.name);
      button.addEventListener('click', () => show(n.id));
      return [i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/') : null, button];
    }));
  }

  function drawCrumbs(node) {
    const parts = splitPath(node.path);
    const items = [['Files', '/']];
    parts.forEach((name, i) => items.push([name, '/' + parts.slice(0, i + 1).join('/')]));
    replaceChildren(crumbs, items.map(([name, path], i) => {
      const button = h('button', { type: 'button', class: 'link-button' }, name);
      button.addEventListener('click', async () => {
        if (path === '/') return show('root');
        try {
          show((await resolvePath(path)).id);
        } catch (err) {
          status.textContent = err.message;
        }
      });
      return [i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/') : null, button];
    }));
  }

  show(root ? (fromTrail ? startTrail.at(-1).id : root.id) : start ?? 'root');
  return open(dialog, (value) => (value === 'ok' && current
                                  ? { id: current.id, path: current.path || '/' } : null));
}
