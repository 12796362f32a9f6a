// Email confirmation page, opened from the link in the sign-up mail:
// /verify-email?token=… sends the token (POST /api/v1/auth/verify-email). On an expired or
// used link it offers "Send a new link" (POST /api/v1/auth/resend-verification).
import { post } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { currentUser, refreshUser, sessionKnown } from '../session.js';

export const title = 'Confirm your email';

export async function render(outlet, { query }) {
  const token = query.get('token') ?? '';
  const body = h('div', { class: 'verify-body' });
  outlet.append(h('section', { class: 'auth-page' }, h('h1', {}, 'Confirm your email'), body));
  if (!token) {
    showFailed(body, 'This link is incomplete: it has no token. Copy the whole link from the ' +
                     'email, or ask for a new one.');
    return;
  }
  body.append(h('p', { role: 'status' }, 'Confirming your email…'));
  await sessionKnown();
  try {
    await post('/api/v1/auth/verify-email', { token }, { redirectOn401: false });
  } catch (err) {
    showFailed(body, err.message);
    return;
  }
  if (currentUser()) await refreshUser().catch(() => {});
  replaceChildren(body,
                  h('p', { class: 'notice notice-success', role: 'status' },
                    'Your email is confirmed. Thank you!'),
                  h('p', {}, currentUser() ? h('a', { href: '/', class: 'button' }, 'Continue')
                                           : h('a', { href: '/login', class: 'button' },
                                               'Log in')));
}

// The link did not work: the API's message and a way to get a new link.
function showFailed(body, text) {
  const offer = h('button', { type: 'button', class: 'button' }, 'Send a new link');
  offer.addEventListener('click', () => {
    const form = resendForm();
    offer.replaceWith(form);
    form.querySelector('input').focus();
  });
  replaceChildren(body, h('div', { class: 'notice notice-error', role: 'alert' }, h('p', {}, text)),
                  h('p', {}, offer));
}

function resendForm() {
  const email = field({ label: 'Your email', name: 'email', type: 'email',
                        autocomplete: 'email', required: true,
                        value: currentUser()?.email ?? null });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Send a new confirmation link' },
                 message, email, h('div', { class: 'form-actions' }, submitButton('Send link')));
  onSubmit(form, {
    message,
    fieldsByCode: { invalid_email: email },
    async action() {
      const address = email.input.value.trim();
      await post('/api/v1/auth/resend-verification', { email: address });
      message.success(`If ${address} has an unconfirmed account, a new link is on its way. ` +
                      'It is valid for 48 hours.');
    },
  });
  return form;
}
