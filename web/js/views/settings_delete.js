// Settings section: delete the account for good (DELETE /api/v1/me {password}), after the
// password and a confirmation naming what goes. Then the login page says it was done.
import { del } from '../api.js';
import { h } from '../dom.js';
import { confirmDialog } from '../files/dialogs.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { setUser } from '../session.js';

export function deleteAccountSection(user, navigate) {
  const password = field({ label: 'Your password', name: 'delete_password', type: 'password',
                           autocomplete: 'current-password', required: true });
  const message = messageBox();
  const form = h('form', { class: 'form', 'aria-label': 'Delete account' }, message, password,
                 h('div', { class: 'form-actions' },
                   submitButton('Delete my account', { class: 'button button-danger' })));
  onSubmit(form, {
    message,
    fieldsByCode: { invalid_credentials: password },
    async action() {
      const sure = await confirmDialog({
        title: 'Delete your account for good?',
        message: `Every file and folder of ${user.email}, and the trash, are deleted now and ` +
                 'cannot be restored. Your shares and public links stop working, and what ' +
                 'others shared with you is no longer yours to see. Invoices are kept as ' +
                 'records.',
        confirmLabel: 'Delete everything', danger: true,
      });
      if (!sure) return;
      await del('/api/v1/me', { body: { password: password.input.value } });
      setUser(null);
      await navigate('/login?deleted=1');
    },
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'delete-h' },
           h('h2', { id: 'delete-h' }, 'Delete account'),
           h('p', {}, 'Deletes your account, every file in it and the trash, for good. ',
             'Download what you want to keep first.'),
           form);
}
