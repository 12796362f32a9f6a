// Reset-password page, opened from the link in the reset mail: /reset-password?token=…
// asks whether the link still works (POST /api/v1/auth/reset-password/check), then for a new
// password (POST /api/v1/auth/reset-password). On an expired or used link it says so at once,
// before anyone types a password, and offers "Request a new link". A reset ends every session,
// so the person logs in afterwards.
import { ApiError, post } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { currentUser, setUser } from '../session.js';

export const title = 'Choose a new password';

export async function render(outlet, { query }) {
  const token = query.get('token') ?? '';
  const section = h('section', { class: 'auth-page' }, h('h1', {}, 'Choose a new password'));
  outlet.append(section);
  if (!token) {
    section.append(expiredNotice('This link is incomplete: it has no token.'));
    return;
  }
  try {
    await post('/api/v1/auth/reset-password/check', { token }, { redirectOn401: false });
  } catch (err) {
    if (err instanceof ApiError && err.code === 'invalid_token') {
      section.append(expiredNotice(err.message));
      return;
    }
    // Anything else (the server out of reach): the form says it when it is sent.
  }
  const password = field({ label: 'New password', name: 'password', type: 'password',
                           autocomplete: 'new-password', required: true,
                           hint: 'At least 10 characters; avoid common passwords.' });
  const confirm = field({ label: 'Repeat the new password', name: 'confirm', type: 'password',
                          autocomplete: 'new-password', required: true });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Set a new password' }, message,
                 password, confirm,
                 h('div', { class: 'form-actions' }, submitButton('Set new password')));
  onSubmit(form, {
    message,
    fieldsByCode: { weak_password: password, mismatch: confirm },
    async action() {
      if (password.input.value !== confirm.input.value) {
        throw new ApiError(0, 'mismatch', 'The two passwords are not the same.');
      }
      await post('/api/v1/auth/reset-password', { token, password: password.input.value },
                 { redirectOn401: false });
      // Every session of the account ended, this browser's too.
      if (currentUser()) setUser(null);
      replaceChildren(section, h('h1', {}, 'Password changed'),
                      h('p', { class: 'notice notice-success', role: 'status' },
                        'Your password was changed and every session was signed out. ',
                        'Log in with your new password.'),
                      h('p', {}, h('a', { href: '/login', class: 'button' }, 'Log in')));
    },
    onError(err) {
      if (err.code !== 'invalid_token') return false;
      form.replaceWith(expiredNotice(err.message));
      return true;
    },
  });
  section.append(form);
}

function expiredNotice(text) {
  return h('div', {},
           h('div', { class: 'notice notice-error', role: 'alert' }, h('p', {}, text)),
           h('p', {}, h('a', { href: '/forgot-password', class: 'button' },
                        'Request a new link')));
}
