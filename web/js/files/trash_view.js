// The trash (/trash): deleted items with where they came from, when they are purged, restore
// (saying where the item goes back to) and delete forever, and "Empty trash".
import { h, replaceChildren } from '../dom.js';
import { messageBox } from '../forms.js';
import { formatBytes, formatTime } from '../format.js';
import { requireUser } from '../session.js';
import { confirmDialog } from './dialogs.js';
import { daysUntil, emptyTrash, folderUrl, listTrash, parentPath, purgeItem, restoreItem,
         splitPath } from './node_api.js';
import { nodeIcon, quotaBar } from './quota.js';

export const title = 'Trash';

export async function render(outlet, { signal }) {
  await requireUser();
  const message = messageBox();
  const quota = quotaBar();
  const list = h('ul', { class: 'item-list trash-list', 'aria-label': 'Deleted items' });
  const more = h('button', { type: 'button', class: 'button button-secondary', hidden: true },
                 'Load more');
  const empty = h('button', { type: 'button', class: 'button button-danger' }, 'Empty trash');
  let items = [];
  let cursor = null;

  outlet.append(h('section', { class: 'trash-page' },
                  h('h1', {}, 'Trash'),
                  h('p', { class: 'lead' }, 'Deleted items stay here until their time runs out ',
                    '(shown for each), then they are deleted for good. They count against ',
                    'your storage until then.'),
                  quota, message, h('div', { class: 'toolbar' }, empty), list,
                  h('div', { class: 'form-actions' }, more)));

  more.addEventListener('click', () => run(() => load(false)));
  empty.addEventListener('click', () => run(async () => {
    const ok = await confirmDialog({
      title: 'Empty the trash?', confirmLabel: 'Delete everything forever', danger: true,
      message: 'Every item in the trash is deleted for good. This cannot be undone.' });
    if (!ok) return;
    const count = items.length;
    await emptyTrash();
    message.success(cursor ? 'Everything in the trash was deleted for good.'
                           : `Deleted ${count} ${count === 1 ? 'item' : 'items'} for good.`);
    await load(true);
  }));

  await load(true);

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
    if (!list.isConnected || (now && now !== document.body && now.isConnected) ||
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

  async function load(first) {
    const data = await listTrash({ cursor: first ? undefined : cursor, signal });
    items = first ? data.items ?? [] : [...items, ...(data.items ?? [])];
    cursor = data.next_cursor ?? null;
    more.hidden = !cursor;
    empty.disabled = items.length === 0;
    replaceChildren(list, items.length ? items.map(row)
                                       : h('li', { class: 'item' }, 'The trash is empty.'));
    quota.update();
  }

  // The folder an item goes back to: the parent of its original path.
  function destination(item) {
    const original = item.original_path || `/${item.name}`;
    const parts = splitPath(original);
    return parts[parts.length - 1] === item.name ? parentPath(original) : original;
  }

  function row(item) {
    const days = daysUntil(item.expires_at);
    const where = destination(item);
    const restore = h('button', { type: 'button', class: 'button button-secondary button-small',
                                  'aria-label': `Restore ${item.name} to ${where}` }, 'Restore');
    restore.addEventListener('click', () => run(async () => {
      const r = await restoreItem(item.id);
      const to = r?.restored_path ?? where;
      message.success(`Restored "${item.name}" to ${to}. `,
                      h('a', { href: folderUrl(parentPath(to)) }, 'Open the folder'));
      await load(true);
    }));
    const purge = h('button', { type: 'button', class: 'button button-danger button-small',
                                'aria-label': `Delete ${item.name} forever` }, 'Delete forever');
    purge.addEventListener('click', () => run(async () => {
      const ok = await confirmDialog({
        title: `Delete "${item.name}" forever?`, confirmLabel: 'Delete forever', danger: true,
        message: 'It cannot be restored afterwards.' });
      if (!ok) return;
      await purgeItem(item.id);
      message.success(`"${item.name}" was deleted for good.`);
      await load(true);
    }));
    return h('li', { class: 'item trash-item', dataset: { trashId: item.id } },
             h('div', { class: 'item-main' },
               h('strong', {}, nodeIcon(item.type), item.name),
               h('span', { class: 'item-meta' },
                 `from ${where} · ${formatBytes(item.size)} · deleted ${formatTime(item.deleted_at)}`),
               h('span', { class: 'item-meta purge-note' },
                 days === null ? '' : `Purges in ${days} ${days === 1 ? 'day' : 'days'} · `,
                 `Restore puts it back in ${where}`)),
             h('div', { class: 'item-actions' }, restore, purge));
  }
}
