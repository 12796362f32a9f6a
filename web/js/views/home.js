// Landing page: what Nimbus is, Sign up and Log in, and whether the server answers (GET /healthz).
import { ApiError, get } from '../api.js';
import { h } from '../dom.js';

export const title = 'Home';

export function render(outlet, { signal }) {
  const status = h('p', { class: 'status', role: 'status', 'aria-live': 'polite' },
                   'Checking the server…');
  outlet.append(
      h('section', { class: 'hero' },
        h('h1', {}, 'Your files, on your own server'),
        h('p', { class: 'lead' },
          'Nimbus keeps your files on storage you control: upload, share and restore them from ',
          'the browser or the API, with mirrored disks and a trash that forgives.'),
        // On the page itself: on a phone the header's links are behind "Menu" (QA pass 17c).
        h('p', { class: 'form-actions hero-actions' },
          h('a', { href: '/signup', class: 'button' }, 'Sign up'),
          h('a', { href: '/login', class: 'button button-secondary' }, 'Log in'))),
      h('section', { class: 'cards' },
        card('Mirrored storage', 'Every file is written to two disks and checked on read.'),
        card('Sharing', 'Share folders with people or send a link that can expire.'),
        card('Resumable uploads', 'Big files and whole folders go up with progress and pick up ' +
             'where they stopped.')),
      h('section', { class: 'server-status', 'aria-label': 'Server status' }, status),
      h('p', {}, h('a', { href: '/about' }, 'More about Nimbus')));

  checkHealth(status, signal);
}

async function checkHealth(status, signal) {
  try {
    await get('/healthz', { signal });
    status.textContent = 'The server is up.';
    status.classList.add('status-ok');
  } catch (err) {
    if (signal.aborted) return;
    status.textContent = err instanceof ApiError ? `The server did not answer: ${err.message}`
                                                 : 'The server did not answer.';
    status.classList.add('status-error');
  }
}

function card(heading, text) {
  return h('article', { class: 'card' }, h('h2', {}, heading), h('p', {}, text));
}
