// Settings section: personal API tokens (for scripts and API clients): create one (shown once, with
// a copy button), list them, revoke (GET/POST /api/v1/me/tokens, DELETE /api/v1/me/tokens/{id}).
import { del, get, post } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { confirmDialog } from '../files/dialogs.js';
import { actionButton, field, messageBox, onSubmit, submitButton } from '../forms.js';
import { formatTime, itemsOf } from '../format.js';

// Fills `section` and keeps it current after each action.
export async function renderTokens(section, { signal }) {
  const message = messageBox();
  const created = h('div', { class: 'token-created', 'aria-live': 'polite' });
  const list = h('ul', { class: 'item-list', 'aria-label': 'API tokens' });
  let shownId = null;  // The token whose secret is on screen (shown once: kept until it goes).
  const name = field({ label: 'Token name', name: 'token_name', required: true,
                       hint: 'What it is for, e.g. "backup script".' });
  const form = h('form', { class: 'form', 'aria-label': 'Create an API token' },
                 name, h('div', { class: 'form-actions' }, submitButton('Create token')));
  onSubmit(form, {
    message,
    fieldsByCode: { invalid_argument: name, invalid_name: name },
    async action() {
      const token = await post('/api/v1/me/tokens', { name: name.input.value.trim() });
      name.input.value = '';
      shownId = token?.id ?? null;
      showSecret(created, token);
      // The secret is shown this once: take the user (and a screen reader) straight to it, at
      // once (the list below refreshes meanwhile).
      created.querySelector('input.secret')?.select();
      created.querySelector('input.secret')?.focus();
      await load();
    },
  });
  replaceChildren(section, h('h2', { id: 'tokens-h' }, 'API tokens'),
                  h('p', {}, 'Scripts and API clients send a token as ',
                    h('code', {}, 'Authorization: Bearer …'), '.'),
                  message, form, created, list);

  async function load() {
    let items;
    try {
      items = itemsOf(await get('/api/v1/me/tokens', { signal }), 'tokens');
    } catch (err) {
      if (err?.name === 'AbortError') return;
      replaceChildren(list, h('li', { class: 'status-error' }, err.message));
      return;
    }
    replaceChildren(list, items.length ? items.map(row) : h('li', {}, 'No tokens yet.'));
  }

  function row(token) {
    const revoke = actionButton('Revoke', async () => {
      message.clear();
      const sure = await confirmDialog({
        title: `Revoke the token "${token.name}"?`,
        message: 'Scripts and clients that use it stop working at once. This cannot be undone.',
        confirmLabel: 'Revoke', danger: true,
      });
      if (!sure) {
        revoke.focus();
        return;
      }
      try {
        await del(`/api/v1/me/tokens/${encodeURIComponent(token.id)}`);
        message.success(`The token "${token.name}" was revoked.`);
        // A secret still on screen stays unless it is the one revoked: it is never shown again.
        if (token.id === shownId) {
          created.replaceChildren();
          shownId = null;
        }
      } catch (err) {
        message.error(err.message);
      }
      await load();
      // The row (and its button) are gone: focus the outcome rather than lose it to <body>.
      message.setAttribute('tabindex', '-1');
      message.focus();
    }, { 'aria-label': `Revoke ${token.name}` });
    return h('li', { class: 'item' },
             h('div', { class: 'item-main' }, h('strong', {}, token.name),
               h('span', { class: 'item-meta' }, `created ${formatTime(token.created_at)}`,
                 token.last_used_at ? ` · last used ${formatTime(token.last_used_at)}` : '')),
             revoke);
  }

  await load();
}

// The new token's secret, shown this once, with a copy button.
function showSecret(box, token) {
  const secret = token?.token ?? token?.secret ?? '';
  const output = h('input', { type: 'text', readonly: true, value: secret, class: 'secret',
                              'aria-label': 'New token' });
  const status = h('span', { role: 'status' });
  const copy = actionButton('Copy', async () => {
    try {
      await navigator.clipboard.writeText(secret);
      status.textContent = 'Copied.';
    } catch {
      output.select();
      status.textContent = 'Select the text and copy it.';
    }
  });
  replaceChildren(box, h('div', { class: 'notice notice-success' },
                         h('p', {}, h('strong', {}, `Token "${token?.name ?? ''}" created. `),
                           'Copy it now: it is not shown again.'),
                         h('p', { class: 'secret-row' }, output, copy, status)));
}
