// New email address confirmation, opened from the link mailed to the new address after
// "Change email" in Settings: /confirm-email?token=… sends the token
// (POST /api/v1/auth/confirm-email, signed in or not). On a used, replaced or expired link it
// shows the API's message and the way back to Settings to ask again.
import { post } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { currentUser, refreshUser, sessionKnown } from '../session.js';

export const title = 'Confirm your new email';

export async function render(outlet, { query }) {
  const token = query.get('token') ?? '';
  const body = h('div', { class: 'verify-body' });
  outlet.append(h('section', { class: 'auth-page' },
                  h('h1', {}, 'Confirm your new email address'), body));
  // A signed-in browser sends the CSRF token of its session (from the boot-time /me).
  await sessionKnown();
  if (!token) {
    showFailed(body, 'This link is incomplete: it has no token. Copy the whole link from the ' +
                     'email.');
    return;
  }
  body.append(h('p', { role: 'status' }, 'Confirming your new email address…'));
  let data;
  try {
    data = await post('/api/v1/auth/confirm-email', { token }, { redirectOn401: false });
  } catch (err) {
    showFailed(body, err.message);
    return;
  }
  // The header and Settings show the new address.
  if (currentUser()) await refreshUser().catch(() => {});
  const email = data?.email ?? currentUser()?.email;
  replaceChildren(body,
                  h('p', { class: 'notice notice-success', role: 'status' },
                    email ? `Your email address is now ${email}.`
                          : 'Your email address was changed.'),
                  h('p', {}, currentUser() ? h('a', { href: '/', class: 'button' }, 'Continue')
                                           : h('a', { href: '/login', class: 'button' },
                                               'Log in')));
}

// The link did not work: the API's message and the way to ask again (Settings, signed in).
function showFailed(body, text) {
  const next = currentUser()
      ? h('p', {}, h('a', { href: '/settings' }, 'Open Settings'))
      : h('p', {}, h('a', { href: '/login?next=%2Fsettings' }, 'Log in to open Settings'));
  replaceChildren(body, h('div', { class: 'notice notice-error', role: 'alert' },
                          h('p', {}, text), next));
}
