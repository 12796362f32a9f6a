// "Forgot password" page: asks for the email and sends a reset link
// (POST /api/v1/auth/forgot-password, 202 whether or not the account exists).
import { post } from '../api.js';
import { h } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';

export const title = 'Forgot password';

export function render(outlet, { query }) {
  const email = field({ label: 'Email', name: 'email', type: 'email', autocomplete: 'email',
                        required: true, value: query.get('email') });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Reset your password' }, message, email,
                 h('div', { class: 'form-actions' }, submitButton('Send reset link')));
  onSubmit(form, {
    message,
    fieldsByCode: { invalid_email: email },
    async action() {
      const address = email.input.value.trim();
      await post('/api/v1/auth/forgot-password', { email: address });
      message.success(
          `If an account exists for ${address}, we sent it a link to choose a new ` +
          'password. The link works once and expires soon.');
    },
  });
  outlet.append(
      h('section', { class: 'auth-page' },
        h('h1', {}, 'Forgot your password?'),
        h('p', {}, 'Enter the email address of your account and we will send you a link to ',
          'choose a new password.'),
        form,
        h('p', {}, h('a', { href: '/login' }, 'Back to log in'))));
}
