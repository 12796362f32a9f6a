// "Shared with me" (/shared): the items other people share with me, with their owner, my
// permission and the date; a folder opens at /shared/<id>, a file downloads; Download (a
// folder as a zip); "Leave" ends a share from my side. The list follows shares made, changed
// and revoked elsewhere (live_refresh.js): only the rows that changed are drawn again.
import { h } from '../dom.js';
import { messageBox } from '../forms.js';
import { formatBytes, formatTime } from '../format.js';
import { requireUser } from '../session.js';
import { confirmDialog } from '../files/dialogs.js';
import { liveRefresh, liveRows, sameItems } from '../files/live_refresh.js';
import { contentUrl } from '../files/node_api.js';
import { nodeIcon } from '../files/quota.js';
import { errorReporter } from './activity.js';
import {
  deleteShare, listShares, ownerText, permissionLabel, sharedUrl,
} from './share_api.js';

export const title = 'Shared with me';

// Asks, then leaves `share` (DELETE /shares/{id} by the grantee); resolves to true when left.
export async function leaveShare(share) {
  const ok = await confirmDialog({
    title: `Leave "${share.node?.name}"?`, confirmLabel: 'Leave', danger: true,
    message: `You will no longer see it. Only ${share.owner?.name || share.owner?.email ||
              'its owner'} can share it with you again.`,
  });
  if (!ok) return false;
  await deleteShare(share.id);
  return true;
}

export async function render(outlet, { signal }) {
  await requireUser();
  const message = messageBox();
  const run = errorReporter(message, { onGone: () => load() });  // A share revoked meanwhile.
  const body = h('tbody', {});
  const table = h('table', { class: 'table table-cards shared-table', 'aria-label': 'Shared with me' },
                  h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Owner'),
                                   h('th', {}, 'Permission'), h('th', {}, 'Shared on'),
                                   h('th', {},
                                     h('span', { class: 'visually-hidden' }, 'Actions')))),
                  body);
  outlet.append(h('section', { class: 'shared-page' },
                  h('h1', {}, 'Shared with me'),
                  h('p', { class: 'lead' }, 'Files and folders other people share with you. ',
                    'What you upload into a folder you can edit uses its owner\'s space.'),
                  message, h('div', { class: 'table-wrap' }, table)));
  const rows = liveRows(body, {
    rowKey: 'shareId', keyOf: (share) => share.id, row,
    empty: () => h('tr', {}, h('td', { colspan: '5', class: 'empty' },
                               'Nothing is shared with you yet.')),
  });
  let loads = 0;  // Loads begun: a live refresh's look read before one is stale.
  await load();
  // A share made, changed or revoked by its owner shows without a reload.
  const live = liveRefresh({ element: body, look, rows: () => rows.items().length });
  return () => live.stop();

  async function load() {
    loads += 1;
    rows.draw(await listShares({ direction: 'incoming', signal }));
  }

  // The live refresh's look: the shares read again, drawn only where something changed.
  async function look(free) {
    const before = loads;
    const shares = await listShares({ direction: 'incoming', signal });
    if (before !== loads || sameItems(shares, rows.items()) || !free()) return;
    await rows.update(shares);
  }

  function row(share) {
    const node = share.node ?? {};
    const isFolder = node.type === 'folder';
    const leave = h('button', { type: 'button', class: 'link-button',
                                'aria-label': `Leave ${node.name}` }, 'Leave');
    leave.addEventListener('click', () => run(async () => {
      if (!(await leaveShare(share))) return;
      message.success(`You left "${node.name}".`);
      await load();
    }));
    const link = isFolder
      ? h('a', { href: sharedUrl(node.id), class: 'node-link' }, nodeIcon('folder'), node.name)
      : h('a', { href: contentUrl(node.id), download: node.name, class: 'node-link' },
          nodeIcon('file'), node.name);
    const nameId = `shared-name-${share.id}`;
    return h('tr', { dataset: { id: node.id ?? '', name: node.name ?? '', shareId: share.id } },
             h('td', { class: 'col-name', id: nameId }, link,
               isFolder ? null : h('span', { class: 'item-meta' }, ` ${formatBytes(node.size)}`)),
             h('td', { 'data-label': 'Owner' }, ownerText(share.owner)),
             h('td', {}, h('span', { class: `badge badge-${share.permission}` },
                           permissionLabel(share.permission))),
             h('td', { class: 'col-modified', 'data-label': 'Shared on' },
               formatTime(share.created_at)),
             h('td', { class: 'col-actions' },
               isFolder ? null
                        : h('a', { href: sharedUrl(node.id), class: 'link-button' }, 'Details'),
               ' ',
               // A folder comes as a zip of it (GET …/content, as for its owner). Described by
               // the name cell: "Download", then the item's name.
               h('a', { href: contentUrl(node.id), class: 'link-button',
                        download: isFolder ? `${node.name}.zip` : node.name,
                        'aria-describedby': nameId }, 'Download'),
               ' ', leave));
  }
}
