// The share dialog of an item I own: share with a person (email with autocomplete of people I
// shared with before, read or edit), the people who have access (change, revoke, activity),
// and public links (create with optional password and expiry, copy, delete, activity).
import { h, keepFocusInList, replaceChildren, wrapTab } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { pushOverlay } from '../router.js';
import {
  activityToggle, confirmStopSharing, copyField, dangerButton, errorReporter, linkFacts,
  linkItemClass,
} from './activity.js';
import {
  changeShare, createLink, createShare, deleteLink, deleteShare, linkActivity, listContacts,
  listLinks, listShares, permissionLabel, shareActivity,
} from './share_api.js';

let nextId = 0;

// A <select> of the two permissions a grantee can have.
export function permissionSelect(value, attrs = {}) {
  const select = h('select', attrs, ['read', 'edit'].map((p) => h('option', { value: p },
                                                                  permissionLabel(p))));
  select.value = value;
  return select;
}

// Opens the dialog for `node`; resolves when it is closed, to true when anything changed
// (the caller then redraws, e.g. the shared badge).
export function openShareDialog(node) {
  const id = ++nextId;
  let changed = false;
  const message = messageBox();
  const report = errorReporter(message);

  // --- share with a person ---
  const contacts = h('datalist', { id: `share-contacts-${id}` });
  const email = field({ label: 'Email of the person', name: 'email', type: 'email',
                        autocomplete: 'off', list: contacts.id, required: true });
  const permission = permissionSelect('read', { id: `share-permission-${id}`, name: 'permission' });
  const personForm = h('form', { class: 'form share-form' },
                       email, h('div', { class: 'field' },
                         h('label', { for: permission.id }, 'Permission'), permission),
                       h('div', { class: 'form-actions' }, submitButton('Share')));
  const people = h('ul', { class: 'item-list share-list', 'aria-label': 'People with access' });

  // --- public links ---
  const password = field({ label: 'Password (optional)', name: 'link-password',
                           type: 'password', autocomplete: 'new-password',
                           hint: 'At least 6 characters: anyone with the link can try to guess it.' });
  const expiry = field({ label: 'Expires on (optional)', name: 'link-expiry', type: 'date',
                         hint: 'The link stops working at the end of that day.' });
  const linkForm = h('form', { class: 'form link-form' }, password, expiry,
                     h('div', { class: 'form-actions' }, submitButton('Create link')));
  const links = h('ul', { class: 'item-list link-list', 'aria-label': 'Public links' });

  // A new action starts: what an earlier one said (at the top or under a field of either form)
  // is about something else now.
  const clearMessages = () => {
    message.clear();
    for (const f of [email, password, expiry]) f.clearError();
  };
  const run = (fn) => report(async () => {
    clearMessages();
    await fn();
  });

  const title = `Share "${node.name}"`;
  const dialog = h('dialog', { class: 'dialog dialog-wide share-dialog', 'aria-label': title },
                   h('h2', {}, title), message,
                   h('h3', {}, 'Share with a person'), personForm, contacts,
                   h('h3', {}, 'People with access'), people,
                   h('h3', {}, 'Public link'),
                   h('p', { class: 'field-hint' }, 'Anyone with the link can ',
                     node.type === 'folder' ? 'browse and download this folder.'
                                            : 'download this file.'),
                   linkForm, links,
                   h('form', { method: 'dialog', class: 'form-actions' },
                     h('button', { type: 'submit', class: 'button button-secondary' }, 'Done')));

  onSubmit(personForm, {
    message, fieldsByCode: { user_not_found: email, cannot_share_with_self: email,
                             recipient_unconfirmed: email, already_shared: email,
                             invalid_email: email },
    action: async () => {
      clearMessages();
      const address = email.input.value.trim();
      if (!address) {
        email.showError('Enter the email address of the person to share with.');
        return;
      }
      const share = await createShare(node.id, address, permission.value);
      changed = true;
      email.input.value = '';
      message.success(`Shared with ${share?.grantee?.email ?? address} ` +
                      `(${permissionLabel(share?.permission ?? permission.value).toLowerCase()}).`);
      await loadPeople();
    },
  });

  onSubmit(linkForm, {
    message, fieldsByCode: { weak_password: password, invalid_expiry: expiry },
    // A date in the past is refused as a plain invalid_request: its message names the expiry.
    fieldFor: (err) => (err.code === 'invalid_request' && /expir/i.test(err.message) ? expiry
                                                                                    : null),
    action: async () => {
      clearMessages();
      const day = expiry.input.value;
      const expiresAt = day ? new Date(`${day}T23:59:59`).toISOString() : undefined;
      await createLink(node.id, { expiresAt, password: password.input.value });
      changed = true;
      password.input.value = '';
      expiry.input.value = '';
      message.success('Created a public link: copy it below.');
      await loadLinks();
    },
  });

  // Autocomplete: people I shared with before whose email starts with what is typed.
  let contactTimer = null;
  const refreshContacts = async () => {
    try {
      const data = await listContacts(email.input.value.trim());
      replaceChildren(contacts, (data?.items ?? []).map((e) => h('option', { value: e })));
    } catch {
      // Autocomplete is a convenience: typing the whole address still works.
    }
  };
  email.input.addEventListener('input', () => {
    clearTimeout(contactTimer);
    contactTimer = setTimeout(refreshContacts, 200);
  });

  async function loadPeople() {
    const shares = await listShares({ direction: 'outgoing', nodeId: node.id });
    const mine = shares.filter((s) => (s.node?.id ?? s.node_id) === node.id);
    replaceChildren(people, mine.length ? mine.map(personRow)
                                        : h('li', { class: 'status' }, 'Nobody yet.'));
  }

  function personRow(share) {
    const who = share.grantee?.email ?? '';
    const select = permissionSelect(share.permission, { 'aria-label': `Permission of ${who}` });
    select.addEventListener('change', () => run(async () => {
      await changeShare(share.id, select.value);
      changed = true;
      message.success(`${who} now ${select.value === 'edit' ? 'can edit' : 'can view'}.`);
    }));
    const revoke = dangerButton('Revoke', `Revoke access of ${who}`);
    const li = h('li', { class: 'item share-item', dataset: { shareId: share.id } },
                 h('div', { class: 'item-main' },
                   h('strong', {}, share.grantee?.name || who),
                   h('span', { class: 'item-meta' }, who)),
                 h('div', { class: 'item-actions' }, select,
                   activityToggle(`Activity of the share with ${who}`,
                                  () => shareActivity(share.id)), revoke));
    // The list is drawn again: focus goes on to the next person's controls.
    // Asked first (Cancel keeps the share, the focus back on Revoke).
    revoke.addEventListener('click', async () => {
      if (!(await confirmStopSharing({ ...share, node: share.node ?? node }, revoke))) return;
      await revokeShare();
    });
    const revokeShare = () => keepFocusInList(people, () => run(async () => {
      revoke.disabled = true;
      await deleteShare(share.id).finally(() => { revoke.disabled = false; });
      changed = true;
      message.success(`${who} no longer has access.`);
      await loadPeople();
    }));
    return li;
  }

  async function loadLinks() {
    const items = (await listLinks({ nodeId: node.id }))
        .filter((l) => (l.node?.id ?? l.node_id) === node.id);
    replaceChildren(links, items.length ? items.map(linkRow)
                                        : h('li', { class: 'status' }, 'No public link.'));
  }

  function linkRow(link) {
    const remove = dangerButton('Delete', `Delete the link ${link.url}`);
    const li = h('li', { class: linkItemClass(link), dataset: { linkId: link.id } },
                 h('div', { class: 'item-main' }, copyField(link.url, 'Public link'),
                   h('span', { class: 'item-meta' }, linkFacts(link))),
                 h('div', { class: 'item-actions' },
                   activityToggle(`Activity of the link ${link.url}`,
                                  () => linkActivity(link.id)), remove));
    remove.addEventListener('click', () => keepFocusInList(links, () => run(async () => {
      await deleteLink(link.id);
      changed = true;
      message.success('Deleted the link: it no longer works.');
      await loadLinks();
    })));
    return li;
  }

  wrapTab(dialog);
  document.body.append(dialog);
  let leaveHistory = () => {};
  const closed = new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      leaveHistory();
      clearTimeout(contactTimer);
      dialog.remove();
      resolve(changed);
    }, { once: true });
  });
  dialog.showModal();
  // Back (a phone's back button) closes the dialog and the page under it stays.
  leaveHistory = pushOverlay(() => dialog.close());
  email.input.focus();
  run(() => Promise.all([loadPeople(), loadLinks(), refreshContacts()]));
  return closed;
}
