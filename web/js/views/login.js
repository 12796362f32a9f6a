// Log-in page: email and password (POST /api/v1/auth/login), then back to `next`. Offers a
// new confirmation link when the server requires a confirmed email first.
import { post } from '../api.js';
import { h } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { currentUser, login, safeNext } from '../session.js';

export const title = 'Log in';

export function render(outlet, { query, navigate, signal }) {
  const next = safeNext(query.get('next'));
  const email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'username',
                        required: true });
  const password = field({ label: 'Password', name: 'password', type: 'password',
                           autocomplete: 'current-password', required: true });
  const message = messageBox();
  // "Forgot your password?" takes the address typed here along (forgot_password.js fills it in).
  const forgot = h('a', { href: '/forgot-password' }, 'Forgot your password?');
  const forgotHref = () => {
    const address = email.input.value.trim();
    forgot.href = address ? `/forgot-password?${new URLSearchParams({ email: address })}`
                          : '/forgot-password';
  };
  email.input.addEventListener('input', forgotHref);
  forgot.addEventListener('click', forgotHref);  // Also an address the browser filled in.
  const form = h('form', { class: 'form', 'aria-label': 'Log in' }, message, email, password,
                 h('div', { class: 'form-actions' }, submitButton('Log in'), forgot));

  onSubmit(form, {
    message,
    fieldsByCode: { invalid_email: email },
    async action() {
      await login(email.input.value.trim(), password.input.value);
      // The header's links work as soon as the user is known: one may already have been used.
      if (!signal.aborted) await navigate(next);
    },
    onError(err) {
      if (err.code !== 'email_unverified') return false;
      message.error(err.message, resendButton(email.input.value.trim()));
      return true;
    },
  });

  const signedIn = currentUser();
  outlet.append(
      h('section', { class: 'auth-page' },
        h('h1', {}, 'Log in'),
        signedIn ? h('p', { class: 'notice' }, `You are signed in as ${signedIn.email}. `,
                     h('a', { href: next }, 'Continue')) : null,
        query.get('next') ? h('p', {}, 'Please log in to continue.') : null,
        query.get('deleted') && !signedIn
          ? h('p', { class: 'notice', role: 'status' },
              'Your account and its files were deleted. A mail confirms it.') : null,
        form,
        h('p', {}, 'New here? ', h('a', { href: '/signup' }, 'Create an account'))));
}

function resendButton(address) {
  const status = h('span', { role: 'status' });
  const button = h('button', { type: 'button', class: 'link-button' }, 'Send a new link');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await post('/api/v1/auth/resend-verification', { email: address });
      status.textContent = ` We sent a new link to ${address}.`;
    } catch (err) {
      status.textContent = ` ${err.message}`;
      button.disabled = false;
    }
  });
  return h('p', {}, button, status);
}
