// The activity of a share or a public link (GET …/activity): the last accesses, who or which
// IP, when, what. Also the small pieces the share dialog and the sharing pages have in common:
// the Copy button of a link URL, a link's facts, the revoke/delete button, the error reporter.
import { announce, h, replaceChildren } from '../dom.js';
import { formatTime } from '../format.js';
import { confirmDialog } from '../files/dialogs.js';

const kActions = {
  view: 'opened',
  list: 'listed',
  download: 'downloaded',
  preview: 'previewed',
  zip: 'downloaded as a zip',
  upload: 'uploaded',
  folder: 'created the folder',
  rename: 'renamed',
  move: 'moved',
  delete: 'deleted',
  copy: 'copied',
};

function actorText(entry) {
  const actor = entry.actor;
  if (actor && typeof actor === 'object') {
    return actor.name ? `${actor.name} <${actor.email}>` : actor.email ?? actor.id ?? 'Someone';
  }
  if (typeof actor === 'string' && actor) return actor;
  return entry.ip ? `Visitor from ${entry.ip}` : 'A visitor';
}

// A section that loads `load()` ({ items }) and lists the entries, newest first as the server
// sends them. `label` names it for screen readers.
export function activityPanel(label, load) {
  const list = h('ul', { class: 'item-list activity-list', 'aria-label': label });
  const status = h('p', { class: 'status', role: 'status' }, 'Loading the activity…');
  const panel = h('section', { class: 'activity', 'aria-label': label }, status, list);
  load().then((data) => {
    const items = data?.items ?? [];
    status.textContent = items.length ? '' : 'No activity yet.';
    status.hidden = items.length > 0;
    replaceChildren(list, items.map((entry) => h('li', { class: 'activity-entry' },
      h('span', { class: 'item-meta' }, formatTime(entry.at)), ' ',
      actorText(entry), ' ', kActions[entry.action] ?? entry.action ?? '',
      entry.path ? h('span', { class: 'activity-path' }, ' ', entry.path) : null,
      entry.ip && entry.actor ? h('span', { class: 'item-meta' }, ` (${entry.ip})`) : null)));
  }).catch((err) => {
    status.textContent = err?.message ?? String(err);
    status.classList.add('status-error');
  });
  return panel;
}

// A button that shows or hides activityPanel(label, load) at the end of its list item (the
// item wraps, the panel takes a line of its own).
export function activityToggle(label, load) {
  let panel = null;
  const button = h('button', { type: 'button', class: 'link-button', 'aria-expanded': 'false',
                               'aria-label': label }, 'Activity');
  button.addEventListener('click', () => {
    if (panel) {
      panel.remove();
      panel = null;
    } else {
      panel = activityPanel(label, load);
      (button.closest('li') ?? button.parentElement).append(panel);
    }
    button.setAttribute('aria-expanded', String(Boolean(panel)));
  });
  return button;
}

// A read-only field holding `url` with a Copy button. The focus stays on the button (pressed
// from the keyboard, it would otherwise jump to the field) and "<label> copied" is announced.
export function copyField(url, label) {
  const input = h('input', { type: 'text', readonly: true, value: url, class: 'secret link-url',
                             'aria-label': label });
  const copy = h('button', { type: 'button', class: 'button button-secondary button-small' },
                 'Copy');
  copy.addEventListener('click', async () => {
    let ok = false;
    try {
      await navigator.clipboard.writeText(url);
      ok = true;
    } catch {
      // No clipboard API (plain HTTP): select the text and use the legacy command.
      input.select();
      ok = document.execCommand?.('copy') ?? false;
    }
    copy.textContent = ok ? 'Copied' : 'Press Ctrl+C';
    if (ok) {
      copy.focus();
      announce(`${label} copied`, copy);
    } else {
      input.select();  // Selected (and focused) for Ctrl+C.
      announce(`${label} selected: press Ctrl+C to copy it`, copy);
    }
    setTimeout(() => { copy.textContent = 'Copy'; }, 2000);
  });
  return h('div', { class: 'secret-row' }, input, copy);
}

// True when `link` has an expiry date that has passed: it no longer works, but its owner still
// sees it (and may delete it).
export function linkExpired(link) {
  return Boolean(link.expires_at) && new Date(link.expires_at).getTime() <= Date.now();
}

// A link's facts for people: "password · expires … · 3 downloads"; an expired link says so
// first ("Expired …").
export function linkFacts(link) {
  const downloads = Number(link.download_count ?? 0);
  const password = link.has_password ? 'Password protected' : 'No password';
  const count = `${downloads} ${downloads === 1 ? 'download' : 'downloads'}`;
  if (linkExpired(link)) {
    return [`Expired ${formatTime(link.expires_at)}: the link no longer works`, password, count]
        .join(' · ');
  }
  return [password, link.expires_at ? `expires ${formatTime(link.expires_at)}` : 'never expires',
          count].join(' · ');
}

// The list item class of a link: an expired one is drawn muted.
export function linkItemClass(link) {
  return linkExpired(link) ? 'item link-item link-expired' : 'item link-item';
}

// A small red-outlined button (revoke, delete) named `label` for screen readers.
export function dangerButton(text, label) {
  return h('button', { type: 'button', 'aria-label': label,
                       class: 'button button-secondary button-danger button-small' }, text);
}

// Asks the owner before a share is revoked: resolves to true to go on. On Cancel the focus goes
// back to `button` (the Revoke pressed), and nothing changes.
export async function confirmStopSharing(share, button) {
  const name = share.node?.name ?? 'this item';
  const who = share.grantee?.email ?? 'this person';
  const what = share.node?.type === 'folder' ? 'this folder' : 'this file';
  const ok = await confirmDialog({
    title: `Stop sharing "${name}" with ${who}?`,
    message: `${who} loses access to ${what} at once, and their unfinished uploads into it ` +
             'are discarded.',
    confirmLabel: 'Stop sharing', danger: true,
  });
  if (button?.isConnected) button.focus();
  return ok;
}

// run(fn) for a view or dialog: clears `message`, awaits fn() and shows its error there (an
// aborted request is no error). `onGone`, when given, runs after a 404 or 403 (the item, or the
// share that reached it, is gone): the view shows what is there now instead of a stale list.
export function errorReporter(message, { onGone } = {}) {
  return async (fn) => {
    message.clear();
    try {
      await fn();
    } catch (err) {
      if (err?.name === 'AbortError') return;
      message.error(err?.message ?? String(err));
      if (onGone && (err?.status === 404 || err?.status === 403)) await onGone().catch(() => {});
    }
  };
}
