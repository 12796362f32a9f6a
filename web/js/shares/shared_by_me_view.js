// "Shared by me" (/shared-by-me): what I share with people (with whom, how, since when) and my
// public links (URL, password, expiry, downloads); revoke, delete and see the activity here.
// Both lists follow what changes elsewhere (another tab, the share dialog of another device, a
// download of a link: live_refresh.js): only the rows that changed are drawn again, an open
// activity panel staying open.
import { h } from '../dom.js';
import { messageBox } from '../forms.js';
import { formatTime } from '../format.js';
import { requireUser } from '../session.js';
import { liveRefresh, liveRows, sameItems } from '../files/live_refresh.js';
import { folderUrl, parentPath } from '../files/node_api.js';
import { nodeIcon } from '../files/quota.js';
import {
  activityToggle, confirmStopSharing, copyField, dangerButton, errorReporter, linkFacts,
  linkItemClass,
} from './activity.js';
import {
  deleteLink, deleteShare, linkActivity, listLinks, listShares, ownerText, permissionLabel,
  shareActivity,
} from './share_api.js';

export const title = 'Shared by me';

// A link to the folder of one of my items in the file browser.
function itemLink(node) {
  const path = node?.path ?? '/';
  return h('a', { href: folderUrl(node?.type === 'folder' ? path : parentPath(path)),
                  class: 'node-link' }, nodeIcon(node?.type ?? 'file'), node?.name ?? '—');
}

export async function render(outlet, { signal }) {
  await requireUser();
  const message = messageBox();
  const run = errorReporter(message);
  const people = h('ul', { class: 'item-list share-list', 'aria-label': 'Shared with people' });
  const links = h('ul', { class: 'item-list link-list', 'aria-label': 'Public links' });
  outlet.append(h('section', { class: 'shared-page' },
                  h('h1', {}, 'Shared by me'),
                  h('p', { class: 'lead' }, 'What you share with people and by public links. ',
                    'Share more from the Share button of an item in your files.'),
                  message, h('h2', {}, 'With people'), people, h('h2', {}, 'Public links'), links));
  const shareRows = liveRows(people, {
    rowKey: 'shareId', keyOf: (share) => share.id, row: shareRow,
    empty: () => h('li', { class: 'status' }, 'You share nothing with people yet.'),
  });
  const linkRows = liveRows(links, {
    rowKey: 'linkId', keyOf: (link) => link.id, row: linkRow,
    empty: () => h('li', { class: 'status' }, 'You have no public links.'),
  });
  let loads = 0;  // Loads begun: a live refresh's look read before one is stale.
  await Promise.all([loadShares(), loadLinks()]);
  const live = liveRefresh({ element: people, look,
                             rows: () => shareRows.items().length + linkRows.items().length });
  return () => live.stop();

  async function loadShares() {
    loads += 1;
    shareRows.draw(await listShares({ direction: 'outgoing', signal }));
  }

  async function loadLinks() {
    loads += 1;
    linkRows.draw(await listLinks({ signal }));
  }

  // The live refresh's look: both lists read again, drawn only where something changed.
  async function look(free) {
    const before = loads;
    const [shares, fresh] = await Promise.all([listShares({ direction: 'outgoing', signal }),
                                               listLinks({ signal })]);
    if (before !== loads) return;
    if (sameItems(shares, shareRows.items()) && sameItems(fresh, linkRows.items())) return;
    if (!free()) return;
    await shareRows.update(shares);
    await linkRows.update(fresh);
  }

  // A row drawn again (`old`: the one it replaces) keeps its activity panel open.
  function keepActivityOpen(row, old) {
    if (old?.querySelector('button[aria-expanded="true"]')) {
      row.querySelector('button[aria-expanded]')?.click();
    }
    return row;
  }

  function shareRow(share, old) {
    const who = share.grantee?.email ?? '';
    const revoke = dangerButton('Revoke', `Revoke access of ${who} to ${share.node?.name}`);
    revoke.addEventListener('click', () => run(async () => {
      if (!(await confirmStopSharing(share, revoke))) return;
      await deleteShare(share.id);
      message.success(`${who} no longer has access to "${share.node?.name}".`);
      await loadShares();
    }));
    return keepActivityOpen(
      h('li', { class: 'item share-item', dataset: { shareId: share.id } },
        h('div', { class: 'item-main' }, itemLink(share.node),
          h('span', {}, `with ${ownerText(share.grantee)}`),
          h('span', { class: `badge badge-${share.permission}` },
            permissionLabel(share.permission)),
          h('span', { class: 'item-meta' }, `since ${formatTime(share.created_at)}`)),
        h('div', { class: 'item-actions' },
          activityToggle(`Activity of the share of ${share.node?.name} with ${who}`,
                         () => shareActivity(share.id)), revoke)), old);
  }

  function linkRow(link, old) {
    const remove = dangerButton('Delete', `Delete the link to ${link.node?.name}`);
    remove.addEventListener('click', () => run(async () => {
      await deleteLink(link.id);
      message.success(`Deleted the link to "${link.node?.name}": it no longer works.`);
      await loadLinks();
    }));
    return keepActivityOpen(
      h('li', { class: linkItemClass(link), dataset: { linkId: link.id } },
        h('div', { class: 'item-main' }, itemLink(link.node),
          copyField(link.url, `Public link to ${link.node?.name}`),
          h('span', { class: 'item-meta' }, linkFacts(link))),
        h('div', { class: 'item-actions' },
          activityToggle(`Activity of the link to ${link.node?.name}`,
                         () => linkActivity(link.id)), remove)), old);
  }
}
