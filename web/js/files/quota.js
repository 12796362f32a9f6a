// The quota bar (used, trash, free) and a tiny SVG builder: the CSP forbids style attributes,
// so bar lengths are SVG geometry (width="42%"), not CSS.
import { h } from '../dom.js';
import { formatBytes, formatBytesAs } from '../format.js';
import { fetchQuota } from './node_api.js';

const kSvgNs = 'http://www.w3.org/2000/svg';

// svg('rect', { x: 0, width: '40%' }, children…) -> SVGElement.
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(kSvgNs, tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== null && value !== undefined && value !== false) el.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

// A horizontal stacked bar: segments [{ bytes, cls, label }] over `total` bytes. `label` is its
// text alternative; null when the same words are beside it (it is then hidden from screen
// readers, which would read them twice).
export function stackedBar(segments, total, label) {
  let x = 0;
  const rects = [];
  for (const seg of segments) {
    // Anything above zero gets at least a sliver, so it can be seen.
    const share = total > 0 && seg.bytes > 0 ? Math.max(0.5, (seg.bytes / total) * 100) : 0;
    const pct = Math.max(0, Math.min(100 - x, share));
    if (pct > 0) {
      rects.push(svg('rect', { x: `${x}%`, y: 0, width: `${pct}%`, height: '100%',
                               class: seg.cls }, svg('title', {}, seg.label)));
    }
    x += pct;
  }
  return svg('svg', { class: 'stacked-bar', role: label ? 'img' : null, 'aria-label': label,
                      'aria-hidden': label ? null : 'true', preserveAspectRatio: 'none' },
             svg('rect', { x: 0, y: 0, width: '100%', height: '100%', class: 'bar-bg' }), rects);
}

// A small folder or file icon (SVG: emoji fonts are not everywhere), hidden from screen readers.
export function nodeIcon(type) {
  const shape = type === 'folder'
    ? svg('path', { d: 'M1 3.5h5l1.5 1.5H15v8.5H1z', class: 'icon-folder' })
    : svg('path', { d: 'M3 1h6.5L13 4.5V15H3z', class: 'icon-file' });
  return svg('svg', { class: 'node-icon', viewBox: '0 0 16 16', width: '16', height: '16',
                      'aria-hidden': 'true', focusable: 'false' }, shape);
}

const kUsageEvent = 'nimbus-usage-changed';
const kUsageDelayMs = 400;  // Changes this close together (a drop of many files) make one look.

// Says that the usage may have changed (an upload began to hold its size, ended or was
// cancelled): the quota bars shown read GET /api/v1/me again, once for changes close together.
export function usageChanged() {
  document.dispatchEvent(new Event(kUsageEvent));
}

// The quota bar element; call `.update()` to read GET /api/v1/me again. It also does so after
// usageChanged(), while it is on the page.
export function quotaBar() {
  const box = h('section', { class: 'quota', 'aria-label': 'Storage used' });
  let asked = 0;  // Reads of /me begun; only the answer to the last one is drawn.
  let timer = null;
  const onChange = () => {
    if (!box.isConnected && box.dataset.drawn) {
      document.removeEventListener(kUsageEvent, onChange);  // The page was left.
      return;
    }
    timer ??= setTimeout(() => {
      timer = null;
      if (box.isConnected) box.update();
    }, kUsageDelayMs);
  };
  document.addEventListener(kUsageEvent, onChange);
  box.update = async () => {
    const mine = ++asked;
    let usage;
    try {
      // A background read: a 401 here (signed out in another tab) leaves the page where it is;
      // the uploads panel says how to sign in again and the next request the person makes
      // goes to the login page as any does.
      usage = await fetchQuota({ redirectOn401: false });
    } catch {
      return;
    }
    if (mine !== asked) return;  // A newer answer is on its way (or drawn).
    const quota = Number(usage.quota_bytes ?? 0);
    const used = Number(usage.used_bytes ?? 0);
    const trash = Number(usage.trash_bytes ?? 0);
    // Held for uploads not finished yet (a resumable upload keeps its size until it completes,
    // is cancelled or expires): the server counts it, so the free space shown does too.
    const held = Number(usage.reserved_bytes ?? 0);
    const free = Math.max(0, quota - used - trash - held);
    const text = `${formatBytes(used)} used · ${formatBytes(trash)} in the trash · ` +
                 (held > 0 ? `${formatBytes(held)} held for unfinished uploads · ` : '') +
                 `${formatBytesAs(free, quota)} free of ${formatBytes(quota)}`;
    // The same numbers as drawn (a live refresh's look, most of the time): nothing is touched.
    const drawn = JSON.stringify([quota, used, trash, held]);
    if (box.dataset.drawn === drawn) return;
    box.dataset.drawn = drawn;
    box.replaceChildren(
        stackedBar([{ bytes: used, cls: 'seg-used', label: `Files: ${formatBytes(used)}` },
                    { bytes: trash, cls: 'seg-trash', label: `Trash: ${formatBytes(trash)}` },
                    { bytes: held, cls: 'seg-reserved',
                      label: `Unfinished uploads: ${formatBytes(held)}` }],
                   quota, null),  // The same sentence follows as text.
        h('p', { class: 'quota-text' }, text, ' · ', h('a', { href: '/usage' }, 'What uses space?'),
          ' · ', h('a', { href: '/plan' }, 'Change plan')));
  };
  box.update();
  return box;
}
