// Admin page (is_admin only): users (GET /api/v1/admin/users) with disable/enable and
// make/remove admin (PATCH /api/v1/admin/users/{id}), the disks (admin_disks.js) and the
// background jobs (admin_jobs.js).
import { del, get, patch } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { confirmDialog } from '../files/dialogs.js';
import { actionButton, messageBox } from '../forms.js';
import { formatBytes, itemsOf } from '../format.js';
import { planSetter, requireAdmin } from './admin_billing.js';
import { renderDisks } from './admin_disks.js';
import { renderJobs } from './admin_jobs.js';

export const title = 'Admin';

export async function render(outlet, { signal }) {
  const me = await requireAdmin(outlet);
  if (!me) return;
  const users = h('section', { class: 'panel', 'aria-labelledby': 'users-h' });
  const disks = h('section', { class: 'panel', 'aria-labelledby': 'disks-h' });
  const jobs = h('section', { class: 'panel', 'aria-labelledby': 'jobs-h' });
  // A failed or degraded disk is said at the top of the page, with what to do.
  const diskAlert = h('div', { class: 'disk-alert-slot' });
  outlet.append(h('h1', {}, 'Admin'), diskAlert,
                h('p', {}, h('a', { href: '/admin/billing' },
                             'Billing: revenue and disk categories')),
                users, disks, jobs);
  await Promise.all([renderUsers(users, me, signal),
                     renderDisks(disks, { signal, alert: diskAlert }),
                     renderJobs(jobs, { signal })]);
}

async function renderUsers(section, me, signal) {
  const message = messageBox();
  const body = h('tbody');
  replaceChildren(section, h('h2', { id: 'users-h' }, 'Users'), message,
                  h('div', { class: 'table-wrap' },
                    h('table', { class: 'table table-cards users-table' },
                      h('caption', { class: 'visually-hidden' }, 'Users'),
                      h('thead', {}, h('tr', {}, ['Name', 'Email', 'Plan', 'Status', 'Role',
                                                  'Actions'].map((t) => h('th', { scope: 'col' },
                                                                          t)))),
                      body)));

  async function load() {
    let items;
    try {
      items = itemsOf(await get('/api/v1/admin/users', { signal, query: { limit: 1000 } }),
                      'users');
    } catch (err) {
      if (err?.name === 'AbortError') return;
      replaceChildren(body, h('tr', {}, h('td', { colspan: 6, class: 'status-error' },
                                          err.message)));
      return;
    }
    replaceChildren(body, items.map(row));
  }

  // `ask`: the confirmation ({title, message, confirmLabel}) of a change that shuts someone out
  // or hands out rights; null for one that needs none.
  async function change(user, fields, done, ask = null) {
    message.clear();
    if (ask && !(await confirmDialog({ ...ask, danger: true }))) return;
    try {
      await patch(`/api/v1/admin/users/${encodeURIComponent(user.id)}`, fields);
      message.success(done);
    } catch (err) {
      message.error(err.message);
    }
    await load();
    // The row was drawn anew (its buttons with it): the outcome takes the focus.
    message.setAttribute('tabindex', '-1');
    message.focus();
  }

  // Deletes the account and its files for good (DELETE /api/v1/admin/users/{id}).
  async function deleteUser(user, label) {
    message.clear();
    const sure = await confirmDialog({
      title: `Delete ${label} for good?`,
      message: `The account ${user.email}, every file and folder of it and its trash are ` +
               'deleted now and cannot be restored; its shares and public links stop working. ' +
               'Invoices are kept. To only shut them out, disable the account instead.',
      confirmLabel: 'Delete account and files', danger: true,
    });
    if (!sure) return;
    try {
      await del(`/api/v1/admin/users/${encodeURIComponent(user.id)}`);
      message.success(`${label} and their files were deleted.`);
    } catch (err) {
      message.error(err.message);
    }
    await load();
    message.setAttribute('tabindex', '-1');
    message.focus();
  }

  function row(user) {
    const label = user.name || user.email;
    const self = user.id === me.id;
    const toggleDisabled = actionButton(user.disabled ? 'Enable' : 'Disable',
        () => change(user, { disabled: !user.disabled },
                     `${label} is ${user.disabled ? 'enabled' : 'disabled'}.`,
                     user.disabled ? null : {
                       title: `Disable ${label}?`,
                       message: 'They are signed out everywhere and cannot sign in, and their ' +
                                'API tokens stop working, until you enable the account again. ' +
                                'Their files are kept.',
                       confirmLabel: 'Disable',
                     }),
        { 'aria-label': `${user.disabled ? 'Enable' : 'Disable'} ${label}`, disabled: self });
    const toggleAdmin = actionButton(user.is_admin ? 'Remove admin' : 'Make admin',
        () => change(user, { is_admin: !user.is_admin },
                     `${label} is ${user.is_admin ? 'no longer an admin' : 'now an admin'}.`,
                     user.is_admin
                       ? { title: `Remove admin rights from ${label}?`,
                           message: 'They will no longer see the admin pages.',
                           confirmLabel: 'Remove admin' }
                       : { title: `Make ${label} an admin?`,
                           message: 'Admins see every user, set plans, disable accounts and ' +
                                    'manage the disks.',
                           confirmLabel: 'Make admin' }),
        { 'aria-label': `${user.is_admin ? 'Remove admin from' : 'Make admin'} ${label}`,
          disabled: self });
    const remove = actionButton('Delete', () => deleteUser(user, label),
                                { 'aria-label': `Delete ${label}`, disabled: self,
                                  class: 'button button-secondary button-danger' });
    const planName = (p) => p ? `${p.size_gb} GB${p.category ? ` (${p.category})` : ''}` : '—';
    const used = user.usage?.used_bytes;
    const usedText = used !== undefined ? ` · ${formatBytes(used)} used` : '';
    // The plan set here shows at once in its own row (the rest of the table stays as it is).
    const planText = h('span', { class: 'user-plan' }, planName(user.plan), usedText);
    return h('tr', { dataset: { userId: String(user.id) } },
             h('td', { class: 'col-name' }, user.name || '—', self ? ' (you)' : ''),
             h('td', {}, user.email, user.email_verified === false
                                          ? h('span', { class: 'badge' }, 'unconfirmed') : null),
             h('td', { 'data-label': 'Plan' }, planText,
               planSetter(user, { onDone: (plan) => {
                 if (plan) planText.textContent = `${planName(plan)}${usedText}`;
               } })),
             h('td', { 'data-label': 'Status' },
               h('span', { class: `badge ${user.disabled ? 'badge-failed' : 'badge-healthy'}` },
                 user.disabled ? 'disabled' : 'active')),
             h('td', { 'data-label': 'Role' }, user.is_admin ? 'admin' : 'user'),
             h('td', { class: 'col-actions' },
               h('div', { class: 'actions' }, toggleDisabled, toggleAdmin, remove)));
  }

  await load();
}
