// The file viewer: a full-window dialog over the list that shows a file without downloading
// it. Images, video and audio play from the inline URL, a PDF shows in a frame, text (the first
// 1 MiB) is read with fetchBytes and shown as plain text, so HTML and SVG show their source and
// are never rendered. Download, Close (Escape, or the browser's Back), previous/next (buttons,
// ← →, a swipe on a touch screen) through the previewable files of the listing, and the
// server's own message when a file cannot be read (or the caller's, for a file that is gone:
// "no longer shared with you" in a shared folder). On a touch-only device (a phone, where
// Chrome shows no PDF in a frame) a PDF is a link that opens it in the device's viewer. A
// picture with a thumbnail shows that (256 px, kept by the browser once a grid showed it)
// scaled up at once, while the picture itself loads.
import { ApiError, fetchBytes } from '../api.js';
import { h, replaceChildren, touchOnly } from '../dom.js';
import { formatBytes } from '../format.js';
import { pushOverlay } from '../router.js';
import { contentUrl, inlineUrl } from './node_api.js';
import { isPicture, thumbnailUrl as nodeThumbnailUrl } from './thumbs.js';

// Extensions (lower case) per kind of preview.
const kKinds = {
  image: ['png', 'jpg', 'jpeg', 'gif', 'webp', 'bmp', 'avif', 'ico'],
  video: ['mp4', 'm4v', 'webm', 'ogv', 'mov'],
  audio: ['mp3', 'm4a', 'ogg', 'oga', 'opus', 'wav', 'flac'],
  pdf: ['pdf'],
  text: ['txt', 'text', 'md', 'markdown', 'csv', 'tsv', 'log', 'json', 'xml', 'yaml', 'yml', 'ini',
         'toml', 'conf', 'cfg', 'c', 'cc', 'cpp', 'h', 'hpp', 'py', 'js', 'mjs', 'ts', 'css',
         'html', 'htm', 'svg', 'sh', 'go', 'rs', 'java', 'sql', 'diff', 'patch'],
};
const kKindOf = new Map(Object.entries(kKinds)
  .flatMap(([kind, extensions]) => extensions.map((e) => [e, kind])));

// Text beyond this many bytes is left out (the Range asks for no more).
const kTextLimit = 1024 * 1024;

// Kinds that only some browsers play: offered when this one says it may (canPlayType), with
// "This browser cannot show this file" when it cannot after all. Chromium plays H.264 in
// Matroska (.mkv), Firefox and Safari mostly do not.
const kMaybePlayable = {
  mkv: ['video', ['video/x-matroska; codecs="avc1.42E01E"', 'video/x-matroska']],
};
const kPlayable = new Map();

// Whether this browser says it may play a file of `types` (a kind of kMaybePlayable).
function mayPlay(extension) {
  if (!kPlayable.has(extension)) {
    const [tag, types] = kMaybePlayable[extension];
    let yes = false;
    try {
      const player = document.createElement(tag);
      yes = types.some((t) => player.canPlayType(t) !== '');
    } catch {
      // No media elements here: no preview.
    }
    kPlayable.set(extension, yes);
  }
  return kPlayable.get(extension);
}

// The preview of a file called `name`: 'image', 'video', 'audio', 'pdf', 'text', or null
// when there is none.
export function previewKind(name) {
  const dot = String(name).lastIndexOf('.');
  if (dot <= 0) return null;
  const extension = name.slice(dot + 1).toLowerCase();
  if (Object.hasOwn(kMaybePlayable, extension)) {
    return mayPlay(extension) ? kMaybePlayable[extension][0] : null;
  }
  return kKindOf.get(extension) ?? null;
}

// Opens the viewer on `start`, one of `items` (a folder's listing in its order, or a function
// giving it as it is now; folders and files without a preview are skipped by previous/next).
// `more`, for a listing loaded page by page: { has() (the folder has more), load() (adds the
// next page to what `items()` gives) }: Next, → and End go on past the last item loaded, as
// "Load more" does, and the position says "200 of 200 or more" until all is loaded. Home and
// End go to the first and the last file. `inlineUrl(item)` and
// `downloadUrl(item)` give the URLs (by default the Files API's). On close, focus goes back
// where it was, then `onClose(item, { refused })` runs with the file shown last (e.g. to focus
// its row); `refused`: the server refused a file as gone (404) or forbidden (403) meanwhile.
// `whenGone(item)`, when given, gives what to say then (elements) instead of the server's
// message (which says "does not exist" of a file whose share was revoked).
// `thumbnailUrl(item, size)`: a picture's thumbnail URL (a public link's page has its own).
export function openPreview({ items, start, more = null, onClose = () => {}, whenGone = null,
                              inlineUrl: viewUrl = (item) => inlineUrl(item.id),
                              downloadUrl = (item) => contentUrl(item.id),
                              thumbnailUrl = nodeThumbnailUrl }) {
  const itemsNow = typeof items === 'function' ? items : () => items;
  const previewableNow = () => itemsNow().filter((n) => n.type !== 'folder' &&
                                                        previewKind(n.name));
  const alone = !previewableNow().some((n) => n.id === start.id);
  let list = alone ? [start] : previewableNow();
  let at = list.findIndex((n) => n.id === start.id);
  // The folder has items not loaded yet (a file without a preview opened alone: no stepping).
  const canLoad = () => !alone && Boolean(more?.has());
  let loadingMore = null;  // The pages being loaded, while they are.
  let controller = null;  // Aborts the loading of the file shown, when another one is shown.
  let refused = false;  // A file was refused as gone or forbidden.

  const heading = h('h2', { id: 'preview-title', class: 'preview-title' });
  const position = h('p', { class: 'preview-position' });
  // Says which file shows after a step (the dialog's name is read when it opens).
  const announce = h('p', { class: 'visually-hidden', 'aria-live': 'polite' });
  const smallButton = (label, attrs = {}) => h('button', {
    type: 'button', class: 'button button-secondary button-small', ...attrs }, label);
  const prev = smallButton([h('span', { 'aria-hidden': 'true' }, '‹ '), 'Previous'],
                           { 'aria-keyshortcuts': 'ArrowLeft' });
  const next = smallButton(['Next', h('span', { 'aria-hidden': 'true' }, ' ›')],
                           { 'aria-keyshortcuts': 'ArrowRight' });
  const download = h('a', { class: 'button button-secondary button-small preview-download' },
                     'Download');
  const close = smallButton('Close', { 'aria-keyshortcuts': 'Escape', autofocus: true });
  const stage = h('div', { class: 'preview-stage' });
  // Tab from the last control lands on the end guard and goes round to the first, and
  // Shift+Tab from the first the other way: focus stays in the dialog while it is open, also
  // when a player's own controls (in its shadow tree) are the last stop.
  const guard = () => h('span', { tabindex: '0', class: 'preview-guard' });
  const [head, tail] = [guard(), guard()];
  const dialog = h('dialog', { class: 'preview', role: 'dialog', 'aria-modal': 'true',
                               'aria-labelledby': 'preview-title' },
                   head,
                   h('div', { class: 'preview-bar' },
                     h('div', { class: 'preview-heading' }, heading, position, announce),
                     h('div', { class: 'preview-actions' }, prev, next, download, close)),
                   stage, tail);

  head.addEventListener('focus', () => focusables().at(-1)?.focus());
  tail.addEventListener('focus', () => focusables()[0]?.focus());
  prev.addEventListener('click', () => step(-1));
  next.addEventListener('click', () => step(1));
  next.setAttribute('aria-keyshortcuts', 'ArrowRight End');
  prev.setAttribute('aria-keyshortcuts', 'ArrowLeft Home');
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    if (e.target.closest?.('video, audio')) return;  // The player's keys (seek, volume).
    if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      e.preventDefault();
      step(e.key === 'ArrowLeft' ? -1 : 1);
    } else if ((e.key === 'Home' || e.key === 'End') &&
               !e.target.closest?.('.preview-text')) {  // There they scroll the text.
      e.preventDefault();
      syncList();
      if (e.key === 'Home') go(0);
      else toEnd();
    }
  });
  dialog.addEventListener('close', () => {
    leaveHistory();
    controller?.abort();
    dialog.remove();
    onClose(list[at], { refused });
  }, { once: true });

  document.body.append(dialog);
  dialog.showModal();
  // The viewer has a history entry of its own: the browser's Back (a phone's back gesture)
  // closes it and the list stays; closed otherwise, its entry goes again.
  const leaveHistory = pushOverlay(() => dialog.close());
  show(at);
  close.focus();
  swipes(stage, step);

  async function step(by) {
    if (loadingMore) return;
    syncList();
    if (at + by < 0) return;
    // Past the last file loaded: the next page of the folder first (as "Load more" does).
    if (at + by >= list.length && !(await loadUntil(() => at + by < list.length))) return;
    go(at + by);
  }

  // The last file of the folder, once every page is loaded.
  async function toEnd() {
    if (loadingMore) return;
    syncList();
    await loadUntil(() => !canLoad());
    go(list.length - 1);
  }

  function go(index) {
    if (!dialog.open || index === at || index < 0 || index >= list.length) return;
    const focused = document.activeElement;
    show(index);
    announce.textContent = `${list[at].name}, ${positionText()}`;
    // A button just disabled under the focus (the first or last file) hands it on.
    if (focused?.disabled) (focused === prev ? next : prev).focus();
  }

  // Loads pages of the folder until `enough()` holds or there are no more; resolves to
  // enough(). The file shown stays where it is in the longer list.
  function loadUntil(enough) {
    if (enough() || !canLoad()) return Promise.resolve(enough());
    loadingMore ??= (async () => {
      const shown = list[at];
      announce.textContent = 'Loading more files of this folder…';
      position.textContent = `${positionText()} · loading more…`;
      try {
        while (!enough() && canLoad() && dialog.open) {
          await more.load();
          if (!syncList(shown)) break;
        }
      } catch (err) {
        if (err?.name !== 'AbortError') {
          announce.textContent = `More files could not be loaded: ${err?.message ?? err}`;
        }
      } finally {
        loadingMore = null;
        if (dialog.open) drawPosition();
      }
      return enough();
    })();
    return loadingMore;
  }

  // The list as the listing has it now (rows may have loaded meanwhile, e.g. as the list under
  // the viewer scrolled); false when `shown` is no longer in it (the list was read anew
  // without it): the viewer then stays on the list it had.
  function syncList(shown = list[at]) {
    if (alone) return true;
    const fresh = previewableNow();
    const index = fresh.findIndex((n) => n.id === shown.id);
    if (index < 0) return false;
    [list, at] = [fresh, index];
    return true;
  }

  // "3 of 12"; "200 of 200 or more" while the folder has items not loaded yet.
  function positionText() {
    return `${at + 1} of ${list.length}${canLoad() ? ' or more' : ''}`;
  }

  function drawPosition() {
    const many = list.length > 1 || canLoad();
    position.textContent = many ? positionText() : '';
    for (const el of [position, prev, next]) el.hidden = !many;
    prev.disabled = at === 0;
    next.disabled = at === list.length - 1 && !canLoad();
  }

  function show(index) {
    controller?.abort();
    controller = new AbortController();
    at = index;
    const item = list[at];
    heading.textContent = item.name;
    drawPosition();
    download.href = downloadUrl(item);
    download.setAttribute('download', item.name);
    const kind = previewKind(item.name);
    stage.dataset.kind = kind ?? 'none';
    const view = kViews[kind] ?? noPreview;
    const sketch = isPicture(item) ? thumbnailUrl(item, 256) : null;
    replaceChildren(stage, view(item, viewUrl(item), controller.signal, refusal, sketch));
  }

  // What the stage says of `err` (the server's refusal of the file shown).
  function refusal(err) {
    const gone = err instanceof ApiError && (err.status === 404 || err.status === 403);
    if (gone) refused = true;
    const own = gone ? whenGone?.(list[at]) : null;
    return failure(own ?? err?.message ?? String(err));
  }

  // The controls that take focus now, in tab order (the guards aside, and a PDF's frame, which
  // is entered only on purpose).
  function focusables() {
    return [...dialog.querySelectorAll('button, a[href], [tabindex="0"], video, audio, iframe')]
      .filter((el) => el !== head && el !== tail && !el.disabled && el.tabIndex >= 0 &&
                      el.getClientRects().length);
  }
}

// On a touch screen a horizontal swipe over `stage` steps: to the left the next file, to the
// right the previous one (not on a player, whose own controls take swipes).
function swipes(stage, step) {
  let start = null;
  stage.addEventListener('touchstart', (e) => {
    const touch = e.touches.length === 1 ? e.touches[0] : null;
    start = touch && !e.target.closest?.('video, audio')
      ? { x: touch.clientX, y: touch.clientY, at: e.timeStamp } : null;
  }, { passive: true });
  stage.addEventListener('touchend', (e) => {
    const touch = e.changedTouches[0];
    if (!start || !touch) return;
    const dx = touch.clientX - start.x;
    const dy = touch.clientY - start.y;
    const quick = e.timeStamp - start.at < 1000;
    start = null;
    // Mostly sideways, far enough, and not a slow drag (reading a long text, panning).
    if (quick && Math.abs(dx) >= 50 && Math.abs(dx) > 2 * Math.abs(dy)) step(dx < 0 ? 1 : -1);
  }, { passive: true });
  stage.addEventListener('touchcancel', () => {
    start = null;
  }, { passive: true });
}

// One function per kind: (item, url, signal, refusal, sketch) -> the element shown on the
// stage, which fills in as the file loads, unless `signal` says another file is shown
// meanwhile; `refusal(err)` is what to show when the server refuses the file; `sketch`, the
// URL of a picture's thumbnail, or null.
const kViews = {
  image: imageView,
  video: (item, url, signal, refusal) => playerView('video', item, url, signal, refusal),
  audio: (item, url, signal, refusal) => playerView('audio', item, url, signal, refusal),
  pdf: pdfView,
  text: textView,
};

function imageView(item, url, signal, refusal, sketch) {
  const img = h('img', { alt: item.name, class: 'preview-media', hidden: true });
  const box = frame(loading(), img);
  img.addEventListener('load', () => {
    if (signal.aborted) return;
    loaded(box);
    box.querySelector('.preview-status')?.remove();
    box.querySelector('.preview-sketch')?.remove();
    img.hidden = false;
  });
  if (sketch) drawSketch(sketch, img, signal);
  img.addEventListener('error', () => explain(box, url, signal, refusal));
  img.src = url;
  return box;
}

// The thumbnail at `src`, scaled up in place of `img` until that has loaded. Drawn on a canvas,
// not shown as an <img>: the stage holds one picture, the file's own. No thumbnail (a 404),
// or the picture first: nothing is drawn.
function drawSketch(src, img, signal) {
  const thumb = new Image();
  thumb.addEventListener('load', () => {
    if (signal.aborted || !img.hidden || !img.isConnected) return;
    const canvas = h('canvas', { class: 'preview-sketch', width: thumb.naturalWidth,
                                 height: thumb.naturalHeight, 'aria-hidden': 'true' });
    canvas.getContext('2d').drawImage(thumb, 0, 0);
    img.before(canvas);
  });
  thumb.src = src;
}

function playerView(tag, item, url, signal, refusal) {
  const player = h(tag, { controls: true, preload: 'metadata', class: 'preview-media',
                          'aria-label': item.name, src: url });
  const box = frame(player);
  player.addEventListener('error', () => explain(box, url, signal, refusal));
  // Another file shown, or the viewer closed: stop playing and buffering this one.
  signal.addEventListener('abort', () => {
    player.pause();
    player.removeAttribute('src');
    player.load();
  });
  return box;
}

// The frame would show the server's JSON error (and be blocked by its frame-ancestors), so the
// file is asked for first. Keys pressed inside the frame (the browser's PDF viewer, another
// document) never reach the viewer: Escape and ← → would stop working there, and Tab would go
// through all of the PDF's own controls. So Tab passes the frame by; a button enters it for
// those who want its controls (page, zoom, search), and says how to get out again.
// A touch-only device gets a link instead: Chrome on Android shows no PDF in a frame (an empty
// box), and there are no keys to speak of; the PDF opens in the device's own viewer.
function pdfView(item, url, signal, refusal) {
  const box = frame(loading());
  probe(url, signal).then(() => {
    if (signal.aborted) return;
    loaded(box);
    if (touchOnly()) {
      replaceChildren(box, h('div', { class: 'preview-none' },
                             h('p', {}, 'On a phone or tablet, a PDF opens in its own viewer.'),
                             h('p', {}, h('a', { href: url, class: 'button', target: '_blank',
                                                 rel: 'noopener' }, 'Open the PDF'),
                               ' or use Download above to keep a copy.')));
      return;
    }
    const pdf = h('iframe', { src: url, title: item.name, class: 'preview-pdf', tabindex: '-1' });
    const enter = h('button', { type: 'button', class: 'button button-secondary button-small' },
                    'Use the PDF\'s own controls');
    enter.addEventListener('click', () => pdf.focus());
    replaceChildren(box, h('p', { class: 'preview-note' }, enter,
                           ' Inside the PDF, Escape and the arrow keys belong to it: Tab past ' +
                           'its controls, or click Close, to come back.'), pdf);
  }, (err) => fail(box, err, signal, refusal));
  return box;
}

function textView(item, url, signal, refusal) {
  const box = frame(loading());
  readText(url, signal).then(({ text, total, truncated }) => {
    if (signal.aborted) return;
    loaded(box);
    if (!text && !truncated) {
      replaceChildren(box, h('p', { class: 'status preview-status' }, 'This file is empty.'));
      return;
    }
    // textContent only: the bytes are never parsed as HTML, whatever the file holds.
    const pre = h('pre', { class: 'preview-text', tabindex: '0',
                           'aria-label': `Text of ${item.name}` });
    pre.textContent = text;
    replaceChildren(box, truncated ? h('p', { class: 'preview-note', role: 'note' },
                                       `Showing the first 1 MB of ${formatBytes(total)}. ` +
                                       'Download the file to see all of it.') : null, pre);
  }, (err) => fail(box, err, signal, refusal));
  return box;
}

// The bar's Download is the way to the file: one Download link, not two.
function noPreview() {
  return frame(h('div', { class: 'preview-none' },
                 h('p', {}, 'No preview for this kind of file: use Download above to get it.')));
}

// The first 1 MiB of the text file at `url`, as { text, total (bytes of the whole file),
// truncated }.
async function readText(url, signal) {
  let r;
  try {
    r = await fetchBytes(url, { headers: { Range: `bytes=0-${kTextLimit - 1}` }, signal });
  } catch (err) {
    // An empty file has no byte 0 to start a range at.
    if (err instanceof ApiError && err.status === 416) return { text: '', total: 0, truncated: false };
    throw err;
  }
  const whole = /\/(\d+)\s*$/.exec(r.headers.get('Content-Range') ?? '');
  const total = whole ? Number(whole[1]) : r.bytes.byteLength;
  // A server that ignored the Range sent everything: only the first 1 MiB is shown.
  const bytes = r.bytes.byteLength > kTextLimit ? r.bytes.slice(0, kTextLimit) : r.bytes;
  const truncated = total > bytes.byteLength;
  // The cut may fall inside a character: `stream` leaves its first bytes out instead of
  // showing a replacement character.
  return { text: new TextDecoder().decode(bytes, { stream: truncated }), total, truncated };
}

// Resolves when `url` can be read; rejects with the server's ApiError otherwise. HEAD first
// (nothing is sent, nothing is counted as a download); a HEAD answer has no body, so on a
// refusal one byte is asked for, whose refusal carries the server's message.
async function probe(url, signal) {
  try {
    await fetchBytes(url, { method: 'HEAD', signal });
  } catch (err) {
    if (!(err instanceof ApiError) || err.status === 0) throw err;
    await fetchBytes(url, { headers: { Range: 'bytes=0-0' }, signal });
  }
}

// An image or a player failed: says why in `box`, instead of a broken image: the refusal
// (`refusal(err)`) when the server refuses the file, else that this browser cannot show it.
async function explain(box, url, signal, refusal) {
  if (signal.aborted) return;
  let shown = null;
  try {
    await probe(url, signal);
  } catch (err) {
    if (err?.name === 'AbortError') return;
    if (signal.aborted) return;
    shown = refusal(err);
  }
  if (signal.aborted) return;
  loaded(box);
  replaceChildren(box, shown ?? failure('This browser cannot show this file. Download it to ' +
                                        'open it with another program.'));
}

function fail(box, err, signal, refusal) {
  if (signal.aborted || err?.name === 'AbortError') return;
  loaded(box);
  replaceChildren(box, refusal(err));
}

// The box of one file on the stage; aria-busy while it holds the "Loading…" line.
function frame(...children) {
  const busy = children.some((el) => el?.classList?.contains('preview-loading'));
  return h('div', { class: 'preview-frame', 'aria-busy': busy ? 'true' : null }, children);
}

function loaded(box) {
  box.removeAttribute('aria-busy');
}

function loading() {
  return h('p', { class: 'status preview-status preview-loading', role: 'status' }, 'Loading…');
}

// `what`: a sentence, or elements (paragraphs) to show as they are.
function failure(what) {
  return h('div', { class: 'notice notice-error preview-message', role: 'alert' },
           typeof what === 'string' ? h('p', {}, what) : what);
}
