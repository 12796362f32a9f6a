// Account settings: name (PATCH /api/v1/me), email address (POST /api/v1/me/email: a link to
// the new address, /confirm-email, finishes the change; GET shows one waiting, DELETE withdraws
// it), password (POST /api/v1/me/password), the sessions list with "sign out everywhere" and
// personal API tokens, deleting the account (sections in their own modules).
import { del, get, patch, post } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { actionButton, field, messageBox, onSubmit, submitButton } from '../forms.js';
import { formatTime } from '../format.js';
import { currentUser, requireUser, setUser } from '../session.js';
import { renderSessions } from './settings_sessions.js';
import { deleteAccountSection } from './settings_delete.js';
import { renderTokens } from './settings_tokens.js';

export const title = 'Settings';

export async function render(outlet, { signal, navigate }) {
  const user = await requireUser();
  const sessions = h('section', { class: 'panel', 'aria-labelledby': 'sessions-h' });
  const tokens = h('section', { class: 'panel', 'aria-labelledby': 'tokens-h' });
  const email = emailSection(user, { signal });
  // A new password signs the other sessions out: the list shows it at once.
  const loadingSessions = renderSessions(sessions, { signal });
  const password = passwordSection({
    onChanged: async () => (await loadingSessions.catch(() => null))?.(),
  });
  outlet.append(h('h1', {}, 'Settings'), profileSection(user), email.element, password,
                sessions, tokens, deleteAccountSection(user, navigate));
  await Promise.all([email.load(), loadingSessions, renderTokens(tokens, { signal })]);
}

function profileSection(user) {
  const name = field({ label: 'Name', name: 'name', autocomplete: 'name', required: true,
                       value: user.name ?? '' });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Profile' }, message, name,
                 h('div', { class: 'form-actions' }, submitButton('Save name')));
  onSubmit(form, {
    message,
    fieldsByCode: { invalid_name: name, invalid_argument: name },
    async action() {
      const data = await patch('/api/v1/me', { name: name.input.value.trim() });
      const updated = data?.user ?? data;
      if (updated && typeof updated === 'object') setUser({ ...user, ...updated });
      message.success('Your name was saved.');
    },
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'profile-h' },
           h('h2', { id: 'profile-h' }, 'Profile'), form);
}

// Nothing changes until the link mailed to the new address is opened (/confirm-email). A
// change waiting for its link is shown with "Withdraw"; `load()` asks the server for it.
function emailSection(user, { signal }) {
  const email = field({ label: 'New email address', name: 'new_email', type: 'email',
                        autocomplete: 'email', required: true,
                        hint: 'We send a link to this address; the change happens when you ' +
                              'open it.' });
  const password = field({ label: 'Current password', name: 'email_current_password',
                           type: 'password', autocomplete: 'current-password', required: true });
  const message = messageBox();
  const pending = h('div', { class: 'pending-email' });
  const form = h('form', { class: 'form', 'aria-label': 'Change email' }, message,
                 h('p', {}, 'Your email address: ', h('strong', {}, user.email)), pending, email,
                 password, h('div', { class: 'form-actions' }, submitButton('Change email')));
  onSubmit(form, {
    message,
    fieldsByCode: { invalid_email: email, email_taken: email, invalid_credentials: password },
    async action() {
      const address = email.input.value.trim();
      // A wrong password is 401 invalid_credentials: api.js sends to the login page only on
      // 401 unauthenticated (the session is gone), so this one stays on the form.
      const data = await post('/api/v1/me/email', { email: address,
                                                    password: password.input.value });
      password.input.value = '';
      const old = currentUser()?.email ?? user.email;
      const hours = Math.round((Date.parse(data?.expires_at) - Date.now()) / 3.6e6);
      message.success(`We sent a link to ${data?.pending_email || address}. Open it within ` +
                      `${Number.isFinite(hours) ? Math.max(1, hours) : 48} hours to finish the ` +
                      `change; until then you sign in with ${old}.`);
      show(data);
    },
  });

  function show(change) {
    if (!change?.pending_email) {
      replaceChildren(pending);
      return;
    }
    const withdraw = actionButton('Withdraw', async () => {
      message.clear();
      try {
        await del('/api/v1/me/email');
        message.success(`The change to ${change.pending_email} was withdrawn: its link no ` +
                        'longer works.');
        show(null);
      } catch (err) {
        message.error(err.message);
      }
    }, { class: 'button button-secondary button-small',
         'aria-label': `Withdraw the change to ${change.pending_email}` });
    replaceChildren(pending,
                    h('p', { class: 'notice', role: 'status' },
                      `Waiting for confirmation: ${change.pending_email} (the link works until `,
                      formatTime(change.expires_at), '). ', withdraw));
  }

  async function load() {
    try {
      show(await get('/api/v1/me/email', { signal }));
    } catch (err) {
      if (err?.name !== 'AbortError') message.error(err.message);
    }
  }

  return {
    element: h('section', { class: 'panel', 'aria-labelledby': 'email-h' },
               h('h2', { id: 'email-h' }, 'Email address'), form),
    load,
  };
}

// `onChanged()` runs after a change (the sessions list is read again).
function passwordSection({ onChanged }) {
  const current = field({ label: 'Current password', name: 'current_password',
                          type: 'password', autocomplete: 'current-password', required: true });
  const next = field({ label: 'New password', name: 'new_password', type: 'password',
                       autocomplete: 'new-password', required: true,
                       hint: 'At least 10 characters; avoid common passwords.' });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Change password' }, message, current,
                 next, h('div', { class: 'form-actions' }, submitButton('Change password')));
  onSubmit(form, {
    message,
    fieldsByCode: { weak_password: next, invalid_credentials: current },
    async action() {
      await post('/api/v1/me/password', { current_password: current.input.value,
                                          new_password: next.input.value });
      current.input.value = '';
      next.input.value = '';
      message.success('Your password was changed. Your other sessions were signed out.');
      await onChanged();
    },
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'password-h' },
           h('h2', { id: 'password-h' }, 'Password'), form);
}
