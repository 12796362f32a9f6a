// Form helpers for views: labelled fields with an error slot each, a form-level alert, and a
// submit wrapper that disables the form while the request runs and puts the API's error
// message next to the field it concerns (by error code) or at the top of the form.
import { ApiError, isConnectionMessage, whenReachable } from './api.js';
import { h } from './dom.js';
import { shortenLongRuns } from './format.js';

let nextId = 0;

// A labelled input with a hint and an error slot: returns the wrapper element, with
// `.input` and `.showError(message)` / `.clearError()`. attrs go to the <input>.
export function field({ label, name, type = 'text', hint = null, ...attrs }) {
  const id = `f-${name}-${++nextId}`;
  const hintEl = hint ? h('p', { class: 'field-hint', id: `${id}-hint` }, hint) : null;
  const errorEl = h('p', { class: 'field-error', id: `${id}-error`, hidden: true });
  const input = h('input', { id, name, type, ...attrs,
                             'aria-describedby': hint ? `${id}-hint` : null });
  const wrapper = h('div', { class: 'field' }, h('label', { for: id }, label), input, hintEl,
                    errorEl);
  wrapper.input = input;
  wrapper.showError = (message) => {
    errorEl.textContent = message;
    errorEl.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', [hintEl?.id, errorEl.id].filter(Boolean).join(' '));
  };
  wrapper.clearError = () => {
    errorEl.textContent = '';
    errorEl.hidden = true;
    input.removeAttribute('aria-invalid');
    if (hintEl) input.setAttribute('aria-describedby', hintEl.id);
    else input.removeAttribute('aria-describedby');
  };
  return wrapper;
}

// A form-level message box (role=alert for errors, status for success); hidden when empty.
// Returns the element with .error(message, ...extra nodes), .success(...), .clear(). "Could
// not reach the server" goes by itself once a request reaches it again. `floating`: a page's
// own messages (what a delete or a restore did, with its Undo), which on a phone (a narrow or
// touch screen, files.css) are a bar fixed at the bottom of the screen, in view however far
// the page is scrolled (they were drawn 2,000 px above it: QA pass 17c), with a Dismiss
// button; on a desktop they stay where they are.
export function messageBox({ floating = false } = {}) {
  const floatClass = floating ? ' page-message' : '';
  const box = h('div', { class: `form-message${floatClass}`, hidden: true });
  let shown = 0;  // Counts what was shown, so a late "reachable" clears only its own message.
  const dismiss = () => {
    const button = h('button', { type: 'button', class: 'button button-secondary button-small ' +
                                 'page-message-dismiss' }, 'Dismiss');
    button.addEventListener('click', () => box.clear());
    return button;
  };
  const show = (kind, message, extra) => {
    const mine = ++shown;
    box.className = `form-message notice notice-${kind}${floatClass}`;
    box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    // A long name in the sentence (the server's, or one the app put in) is shortened.
    const text = typeof message === 'string' ? shortenLongRuns(message) : message;
    box.replaceChildren(h('p', {}, text), ...extra, ...(floating ? [dismiss()] : []));
    box.hidden = false;
    if (kind === 'error' && isConnectionMessage(message)) {
      whenReachable(() => {
        if (shown === mine) box.clear();
      });
    }
  };
  box.error = (message, ...extra) => show('error', message, extra);
  box.success = (message, ...extra) => show('success', message, extra);
  box.info = (message, ...extra) => show('info', message, extra);  // A plain note.
  box.clear = () => {
    shown += 1;
    box.hidden = true;
    box.replaceChildren();
  };
  return box;
}

// Runs `action()` when `form` is submitted. While it runs every control of the form is
// disabled and the form is aria-busy. If it rejects with an ApiError whose code is a key of
// `fieldsByCode` (e.g. { invalid_email: emailField }), or one `fieldFor(err)` names (for codes
// too general to say which field, e.g. invalid_request), the message goes under that field
// (which gets focus); other errors go to `message` (a messageBox()), unless `onError(err)`
// returns true (it handled the error). `onSettled()` runs once the controls are enabled again
// (e.g. to keep a button off that the outcome disallows). Returns nothing; errors never escape.
export function onSubmit(form, { message, fieldsByCode = {}, fieldFor = () => null, action,
                                 onError = () => false, onSettled = () => {} }) {
  // The API's messages are the single source of truth (the browser's own bubbles would say
  // something else, and only in some cases).
  form.noValidate = true;
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (form.getAttribute('aria-busy') === 'true') return;
    message?.clear();
    for (const f of new Set(Object.values(fieldsByCode))) f.clearError();
    // Disabling the focused control drops focus to <body>: it goes back there afterwards (the
    // field where Enter was pressed, or the button), unless something else took it meanwhile.
    const hadFocus = form.contains(document.activeElement) ? document.activeElement : null;
    const controls = [...form.elements].filter((el) => !el.disabled);
    for (const el of controls) el.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await action();
    } catch (err) {
      if (err?.name === 'AbortError') return;
      if (onError(err)) return;
      const target = err instanceof ApiError ? fieldsByCode[err.code] ?? fieldFor(err) : null;
      const text = err?.message || 'Something went wrong. Please try again.';
      if (target) {
        target.showError(text);
        // Re-enabled below; focus after that so the field can take it.
        queueMicrotask(() => target.input.focus());
      } else if (message) {
        message.error(text);
      }
    } finally {
      form.removeAttribute('aria-busy');
      for (const el of controls) el.disabled = false;
      const lost = !document.activeElement || document.activeElement === document.body;
      if (hadFocus?.isConnected && lost) hadFocus.focus();
      onSettled();
    }
  });
}

// A submit button.
export function submitButton(text, attrs = {}) {
  return h('button', { type: 'submit', class: 'button', ...attrs }, text);
}

// An ordinary button running `onclick`; disabled while a promise it returns is pending.
export function actionButton(text, onclick, attrs = {}) {
  const button = h('button', { type: 'button', class: 'button button-secondary', ...attrs },
                   text);
  button.addEventListener('click', async () => {
    if (button.disabled) return;
    button.disabled = true;
    try {
      await onclick();
    } finally {
      if (button.isConnected) button.disabled = false;
    }
  });
  return button;
}
