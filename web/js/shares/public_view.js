// The page of a public link (/s/<token>), for anyone, signed in or not: a file shows its
// name, size, a download button and Preview (the viewer, preview.js, on the link's content URL
// with inline=1) for the kinds it can show; a folder a browsable list whose file names open the
// viewer (a picture's row shows its thumbnail), and "Download all (zip)". A
// link with a password asks for it first; a wrong password, too many attempts and an expired
// or deleted link each get a sentence of their own.
import { ApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { formatBytes, formatTime } from '../format.js';
import { openPreview, previewKind } from '../files/preview.js';
import { nodeIcon } from '../files/quota.js';
import { nodeThumb } from '../files/thumbs.js';
import { kAppName } from '../layout.js';
import {
  allPages, getPublic, listPublicChildren, publicContentUrl, publicThumbnailUrl,
} from './share_api.js';

// Names of the linked items shown, for the page title (the router asks after render).
const names = new Map();
export function title({ params }) {
  return names.get(params.token) ?? 'Shared link';
}

const kGone = 'This link does not work: it has expired, or its owner deleted it or the item.';
const kTooMany = 'Too many wrong passwords for this link. Please wait an hour and try again.';
const kWrong = 'That password is not right. Check it and try again.';

export async function render(outlet, { params, signal }) {
  const token = params.token;
  const page = h('section', { class: 'public-page' });
  outlet.append(page);
  // The password goes in a header (listings); download and preview URLs carry the access key
  // the server gave for it instead, so the password never sits in a URL (history, logs).
  let password = '';
  let accessKey = '';

  try {
    show(await getPublic(token, { signal }));
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    if (err instanceof ApiError && err.code === 'password_required') askPassword();
    else failure(err);
  }

  // A failure that no password can fix.
  function failure(err) {
    let text = err?.message ?? String(err);
    if (err instanceof ApiError && err.status === 404) text = kGone;
    else if (err instanceof ApiError && err.status === 429) text = kTooMany;
    replaceChildren(page, h('div', { class: 'notice notice-error', role: 'alert' },
                            h('h1', {}, 'This link cannot be opened'), h('p', {}, text)));
  }

  function askPassword() {
    const message = messageBox();
    const secret = field({ label: 'Password', name: 'link-password', type: 'password',
                           autocomplete: 'off', required: true });
    const form = h('form', { class: 'form auth-page' }, message, secret, submitButton('Open'));
    replaceChildren(page, h('h1', {}, 'This link is protected'),
                    h('p', { class: 'lead' }, 'Enter the password you were given with the link.'),
                    form);
    onSubmit(form, {
      message,
      action: async () => {
        secret.clearError();
        const value = secret.input.value;
        if (!value) {
          secret.showError('Enter the password.');
          return;
        }
        const data = await getPublic(token, { password: value });
        password = value;
        show(data);
        // The form is gone: the heading of what opened takes the focus (not the page body).
        const heading = page.querySelector('h1');
        heading?.setAttribute('tabindex', '-1');
        heading?.focus();
      },
      onError: (err) => {
        if (!(err instanceof ApiError)) return false;
        if (err.code === 'invalid_credentials' || err.code === 'password_required') {
          secret.showError(kWrong);
          queueMicrotask(() => secret.input.select());
          return true;
        }
        if (err.status === 429) {
          message.error(kTooMany);
          return true;
        }
        if (err.status === 404) {
          failure(err);
          return true;
        }
        return false;
      },
    });
    secret.input.focus();
  }

  // The viewer on the link's content URLs (`start` one of `items`).
  function preview(items, start, onClose) {
    openPreview({ items, start, onClose, thumbnailUrl: thumbUrl,
                  inlineUrl: (item) => `${publicContentUrl(token, item.id, accessKey)}&inline=1`,
                  downloadUrl: (item) => publicContentUrl(token, item.id, accessKey) });
  }

  // A picture's thumbnail on this link's page (thumbs.js).
  function thumbUrl(item, size) {
    return publicThumbnailUrl(token, item, size, accessKey);
  }

  function show(data) {
    const node = data?.node ?? {};
    const link = data?.link ?? {};
    accessKey = link.access_key ?? '';
    names.set(token, node.name);
    document.title = `${node.name} · ${kAppName}`;  // Also after a password, past the render.
    const expires = link.expires_at ? `This link expires ${formatTime(link.expires_at)}.` : null;
    if (node.type !== 'folder') {
      const view = previewKind(node.name)
        ? h('button', { type: 'button', class: 'button button-secondary' }, 'Preview') : null;
      const file = { ...node, id: 'root' };  // The link's own item is 'root' in its URLs.
      view?.addEventListener('click', () => preview([file], file));
      replaceChildren(page, h('h1', {}, nodeIcon('file'), node.name),
                      h('p', { class: 'public-facts' }, formatBytes(node.size),
                        node.modified_at ? ` · modified ${formatTime(node.modified_at)}` : ''),
                      h('div', { class: 'form-actions' },
                        h('a', { href: publicContentUrl(token, 'root', accessKey),
                                 download: node.name, class: 'button' }, 'Download'),
                        view),
                      expires ? h('p', { class: 'item-meta' }, expires) : null);
      return;
    }
    const crumbs = h('nav', { class: 'breadcrumbs', 'aria-label': 'Breadcrumbs' });
    const status = h('p', { class: 'status', role: 'status' });
    const body = h('tbody', {});
    const table = h('table', { class: 'table file-table public-table', 'aria-label': 'Files' },
                    h('thead', {}, h('tr', {}, h('th', {}, 'Name'),
                                     h('th', { class: 'col-size' }, 'Size'),
                                     h('th', { class: 'col-modified' }, 'Modified'),
                                     h('th', { class: 'col-actions' },
                                       h('span', { class: 'visually-hidden' }, 'Actions')))),
                    body);
    replaceChildren(page, h('div', { class: 'files-head' }, h('h1', {}, node.name), crumbs),
                    h('div', { class: 'form-actions' },
                      h('a', { href: publicContentUrl(token, 'root', accessKey),
                               download: `${node.name}.zip`, class: 'button' },
                        'Download all (zip)')),
                    expires ? h('p', { class: 'item-meta' }, expires) : null,
                    status, h('div', { class: 'table-wrap' }, table));
    // The folders opened from the top: [{ id, name }], 'root' being the link's own folder.
    const trail = [{ id: 'root', name: node.name }];
    openLevel(trail.length - 1);

    async function openLevel(level) {
      trail.length = level + 1;
      const current = trail[level];
      crumbs.hidden = level === 0;  // At the top the heading already names the folder.
      replaceChildren(crumbs, trail.map((f, i) => {
        const b = h('button', { type: 'button', class: 'link-button',
                                'aria-current': i === level ? 'page' : null }, f.name);
        b.addEventListener('click', () => openLevel(i));
        return [i ? h('span', { class: 'crumb-sep', 'aria-hidden': 'true' }, '/') : null, b];
      }));
      status.textContent = 'Loading…';
      let items;
      try {
        items = await allPages((cursor) => listPublicChildren(token, current.id,
                                                              { password, cursor }));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) failure(err);
        else status.textContent = err?.message ?? String(err);
        return;
      }
      status.textContent = '';
      replaceChildren(body, items.length ? items.map((item) => row(item, level, items))
        : h('tr', {}, h('td', { colspan: '4', class: 'empty' }, 'This folder is empty.')));
    }

    function row(item, level, items) {
      const isFolder = item.type === 'folder';
      const download = publicContentUrl(token, item.id, accessKey);
      let name;
      if (isFolder) {
        name = h('button', { type: 'button', class: 'link-button node-link' },
                 nodeIcon('folder'), item.name);
        name.addEventListener('click', () => {
          trail.push({ id: item.id, name: item.name });
          openLevel(level + 1);
        });
      } else {
        name = h('a', { href: `${download}&inline=1`, class: 'node-link' },
                 nodeThumb(item, { url: thumbUrl }), item.name);
        name.addEventListener('click', (e) => {
          if (e.button !== 0 || e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
          e.preventDefault();
          preview(items, item, (shown) => [...body.querySelectorAll('tr[data-id]')]
            .find((tr) => tr.dataset.id === shown.id)?.querySelector('a.node-link')?.focus());
        });
      }
      return h('tr', { dataset: { id: item.id, name: item.name } },
               h('td', { class: 'col-name' }, name),
               h('td', { class: 'col-size' }, isFolder ? '—' : formatBytes(item.size)),
               h('td', { class: 'col-modified' }, formatTime(item.modified_at)),
               h('td', { class: 'col-actions' },
                 h('a', { href: download, download: isFolder ? `${item.name}.zip` : item.name,
                          class: 'link-button', 'aria-label': `Download ${item.name}` },
                   'Download')));
    }
  }
}
