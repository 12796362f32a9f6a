// "Shared by me" (/shared-by-me): what I share with people (with whom, how, since when) and my
// public links (URL, password, expiry, downloads); revoke, delete and see the activity here.
import { h, replaceChildren } from '../dom.js';
import { messageBox } from '../forms.js';
import { formatTime } from '../format.js';
import { requireUser } from '../session.js';
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
  await Promise.all([loadShares(), loadLinks()]);

  async function loadShares() {
    const shares = await listShares({ direction: 'outgoing', signal });
    replaceChildren(people, shares.length ? shares.map((share) => {
      const who = share.grantee?.email ?? '';
      const revoke = dangerButton('Revoke', `Revoke access of ${who} to ${share.node?.name}`);
      revoke.addEventListener('click', () => run(async () => {
        if (!(await confirmStopSharing(share, revoke))) return;
        await deleteShare(share.id);
        message.success(`${who} no longer has access to "${share.node?.name}".`);
        await loadShares();
      }));
      return h('li', { class: 'item share-item', dataset: { shareId: share.id } },
               h('div', { class: 'item-main' }, itemLink(share.node),
                 h('span', {}, `with ${ownerText(share.grantee)}`),
                 h('span', { class: `badge badge-${share.permission}` },
                   permissionLabel(share.permission)),
                 h('span', { class: 'item-meta' }, `since ${formatTime(share.created_at)}`)),
               h('div', { class: 'item-actions' },
                 activityToggle(`Activity of the share of ${share.node?.name} with ${who}`,
                                () => shareActivity(share.id)), revoke));
    }) : h('li', { class: 'status' }, 'You share nothing with people yet.'));
  }

  async function loadLinks() {
    const items = await listLinks({ signal });
    replaceChildren(links, items.length ? items.map((link) => {
      const remove = dangerButton('Delete', `Delete the link to ${link.node?.name}`);
      remove.addEventListener('click', () => run(async () => {
        await deleteLink(link.id);
        message.success(`Deleted the link to "${link.node?.name}": it no longer works.`);
        await loadLinks();
      }));
      return h('li', { class: linkItemClass(link), dataset: { linkId: link.id } },
               h('div', { class: 'item-main' }, itemLink(link.node),
                 copyField(link.url, `Public link to ${link.node?.name}`),
                 h('span', { class: 'item-meta' }, linkFacts(link))),
               h('div', { class: 'item-actions' },
                 activityToggle(`Activity of the link to ${link.node?.name}`,
                                () => linkActivity(link.id)), remove));
    }) : h('li', { class: 'status' }, 'You have no public links.'));
  }
}
