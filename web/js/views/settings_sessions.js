// Settings section: where the account is signed in (GET /api/v1/me/sessions), with "Sign out"
// per session (DELETE /api/v1/me/sessions/{id}) and "Sign out everywhere else"
// (DELETE /api/v1/me/sessions, after a confirmation).
import { del, get } from '../api.js';
import { h, keepFocusInList, replaceChildren } from '../dom.js';
import { confirmDialog } from '../files/dialogs.js';
import { actionButton, messageBox } from '../forms.js';
import { formatTime, itemsOf } from '../format.js';

// Fills `section` and keeps it current after each action. Resolves, once the list is shown,
// to `reload()` (e.g. after a password change, which signs the other sessions out).
export async function renderSessions(section, { signal }) {
  const message = messageBox();
  const list = h('ul', { class: 'item-list', 'aria-label': 'Sessions' });
  const everywhere = actionButton('Sign out everywhere else', async () => {
    message.clear();
    const sure = await confirmDialog({
      title: 'Sign out everywhere else?',
      message: 'Every other browser and device signed in to your account has to log in again. ' +
               'This one stays signed in. API tokens keep working.',
      confirmLabel: 'Sign out everywhere else', danger: true,
    });
    if (!sure) {
      everywhere.focus();
      return;
    }
    try {
      await del('/api/v1/me/sessions');
      message.success('Every other session was signed out.');
    } catch (err) {
      message.error(err.message);
    }
    await load();
  });
  replaceChildren(section, h('h2', { id: 'sessions-h' }, 'Sessions'),
                  h('p', {}, 'Browsers and devices where your account is signed in.'),
                  message, list, h('p', {}, everywhere));

  async function load() {
    let items;
    try {
      items = itemsOf(await get('/api/v1/me/sessions', { signal }), 'sessions');
    } catch (err) {
      if (err?.name === 'AbortError') return;
      replaceChildren(list, h('li', { class: 'status-error' }, err.message));
      return;
    }
    replaceChildren(list, items.length ? items.map((s, i) => row(s, i + 1)) :
                                         h('li', {}, 'No sessions.'));
    everywhere.hidden = !items.some((s) => !isCurrent(s));
  }

  // Session `n` of the list: its Sign out button's name says which one (the list's number,
  // when, where): sessions of one browser from one place would otherwise all sound alike.
  function row(session, n) {
    const current = isCurrent(session);
    const raw = session.user_agent || session.device || '';
    const device = deviceName(raw);
    const ip = session.ip || session.ip_address || 'unknown';
    const seen = formatTime(session.last_seen_at ?? session.last_seen ?? session.created_at);
    // The list is drawn again: focus goes on to the next session's button.
    const signOut = actionButton('Sign out', () => keepFocusInList(list, async () => {
      message.clear();
      try {
        await del(`/api/v1/me/sessions/${encodeURIComponent(session.id)}`);
        message.success('That session was signed out.');
      } catch (err) {
        message.error(err.message);
      }
      await load();
    }), { 'aria-label': `Sign out session ${n}: ${device}, last seen ${seen}, IP ${ip}` });
    return h('li', { class: 'item' },
             h('div', { class: 'item-main' },
               h('strong', { title: raw || null }, device),
               current ? h('span', { class: 'badge' }, 'This device')
                                                : null,
               h('span', { class: 'item-meta' }, `IP ${ip} · last seen `, seen)),
             current ? null : signOut);
  }

  await load();
  return load;
}

// Browsers and systems by their user agent string, the most specific first (Edge and Opera
// say "Chrome" too, Chrome says "Safari", Android says "Linux", iOS says "like Mac OS X").
const kBrowsers = [[/Edg(e|A|iOS)?\//, 'Edge'], [/OPR\/|Opera/, 'Opera'],
                   [/SamsungBrowser\//, 'Samsung Internet'], [/Vivaldi\//, 'Vivaldi'],
                   [/Firefox\/|FxiOS\//, 'Firefox'], [/Chrome\/|Chromium\/|CriOS\//, 'Chrome'],
                   [/Safari\//, 'Safari'], [/^curl\//, 'curl'], [/rclone/i, 'rclone'],
                   [/^Microsoft-WebDAV|davfs|WebDAVFS/i, 'WebDAV client']];
const kSystems = [[/iPhone|iPod/, 'iPhone'], [/iPad/, 'iPad'], [/Android/, 'Android'],
                  [/CrOS/, 'ChromeOS'], [/Windows/, 'Windows'], [/Mac OS X|Macintosh/, 'macOS'],
                  [/Linux|X11/, 'Linux']];

// "Chrome on Linux" for a session's user agent; the string itself when neither is known.
export function deviceName(userAgent) {
  if (!userAgent) return 'Unknown device';
  const browser = kBrowsers.find(([re]) => re.test(userAgent))?.[1];
  const system = kSystems.find(([re]) => re.test(userAgent))?.[1];
  if (browser && system) return `${browser} on ${system}`;
  if (browser) return browser;
  if (system) return `A browser on ${system}`;
  return userAgent.length > 60 ? `${userAgent.slice(0, 57)}…` : userAgent;
}

function isCurrent(session) {
  return Boolean(session.current ?? session.is_current);
}
