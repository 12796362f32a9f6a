// Account settings: name (PATCH /api/v1/me), password (POST /api/v1/me/password), the
// sessions list with "sign out everywhere" and personal API tokens (sections in their own
// modules).
import { patch, post } from '../api.js';
import { h } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { requireUser, setUser } from '../session.js';
import { renderSessions } from './settings_sessions.js';
import { renderTokens } from './settings_tokens.js';

export const title = 'Settings';

export async function render(outlet, { signal }) {
  const user = await requireUser();
  const sessions = h('section', { class: 'panel', 'aria-labelledby': 'sessions-h' });
  const tokens = h('section', { class: 'panel', 'aria-labelledby': 'tokens-h' });
  outlet.append(h('h1', {}, 'Settings'), profileSection(user), passwordSection(), sessions,
                tokens);
  await Promise.all([renderSessions(sessions, { signal }), renderTokens(tokens, { signal })]);
}

function profileSection(user) {
  const name = field({ label: 'Name', name: 'name', autocomplete: 'name', required: true,
                       value: user.name ?? '' });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Profile' }, message,
                 h('p', {}, 'Email: ', h('strong', {}, user.email)), name,
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

function passwordSection() {
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
    },
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'password-h' },
           h('h2', { id: 'password-h' }, 'Password'), form);
}
