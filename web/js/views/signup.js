// Sign-up page: name, email and password (POST /api/v1/auth/signup), then signs in and goes
// on, with the banner asking to confirm the email. When the server requires a confirmed
// email before login, it says to open the link instead.
import { post } from '../api.js';
import { h } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { login, safeNext } from '../session.js';

export const title = 'Sign up';

export function render(outlet, { query, navigate, signal }) {
  const name = field({ label: 'Name', name: 'name', autocomplete: 'name', required: true });
  const email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'email',
                        required: true });
  const password = field({ label: 'Password', name: 'password', type: 'password',
                           autocomplete: 'new-password', required: true,
                           hint: 'At least 10 characters; avoid common passwords.' });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Sign up' }, message, name, email,
                 password, h('div', { class: 'form-actions' }, submitButton('Create account')));
  const next = safeNext(query.get('next'));

  onSubmit(form, {
    message,
    fieldsByCode: { invalid_email: email, email_taken: email, weak_password: password,
                    invalid_name: name, invalid_argument: name },
    async action() {
      const address = email.input.value.trim();
      await post('/api/v1/auth/signup', {
        name: name.input.value.trim(), email: address, password: password.input.value,
      });
      try {
        await login(address, password.input.value);
      } catch (err) {
        if (err.code !== 'email_unverified') throw err;
        if (!signal.aborted) showCheckMail(outlet, address);
        return;
      }
      // The header's links work as soon as the user is known: one may already have been used.
      if (!signal.aborted) await navigate(next);
    },
  });

  outlet.append(
      h('section', { class: 'auth-page' },
        h('h1', {}, 'Create your account'),
        h('p', { class: 'lead' }, 'Get 1 GB of mirrored storage for free.'),
        form,
        h('p', {}, 'Already have an account? ',
          h('a', { href: next === '/' ? '/login' : `/login?next=${encodeURIComponent(next)}` },
            'Log in'))));
}

function showCheckMail(outlet, address) {
  outlet.replaceChildren(
      h('section', { class: 'auth-page' },
        h('h1', {}, 'Check your email'),
        h('p', { role: 'status' }, `Your account is ready. We sent a link to ${address}: `,
          'open it to confirm your address, then log in.'),
        h('p', {}, h('a', { href: '/login', class: 'button' }, 'Go to log in'))));
}
