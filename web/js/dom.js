// DOM helpers for views: build elements without innerHTML, so text from the server is never
// parsed as HTML, and no inline styles or scripts are needed (the CSP forbids them).

// h('a', { href: '/x', class: 'btn' }, 'text', child) -> HTMLAnchorElement.
// Attributes: `class`, `dataset` (object), `on<event>` (function: a listener), `hidden`,
// booleans (true -> present, false/null/undefined -> absent), anything else via setAttribute.
// Children: nodes, strings (as text), numbers, arrays (flattened), null/false (skipped).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'style') {
      throw new Error('h(): inline styles are blocked by the CSP; use a class');
    } else {
      el.setAttribute(name, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

// True on a touch-only device (a phone, a tablet): no mouse to hover with, no keyboard to
// count on, no files to drag from a desktop. Texts that speak of keys or drops are left out.
export function touchOnly() {
  return !!window.matchMedia?.('(hover: none) and (pointer: coarse)').matches;
}

// Appends children (same rules as h()) to `parent`; returns `parent`.
export function append(parent, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

// Replaces everything inside `parent` with `children`; returns `parent`.
export function replaceChildren(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

// Input types whose keys do not edit text: Delete or F2 on a ticked checkbox may act on the
// selection.
const kNotTextTypes = new Set(['checkbox', 'radio', 'button', 'submit', 'reset', 'file', 'range',
                               'color', 'image']);

// True when `target` (a key event's) is a field that takes typed text (any text-like input,
// textarea, select, contenteditable): keyboard shortcuts of a page must leave those keys to it.
export function typesText(target) {
  if (!(target instanceof Element)) return false;
  if (target.closest('textarea, select, [contenteditable=""], [contenteditable=true]')) return true;
  return target instanceof HTMLInputElement && !kNotTextTypes.has(target.type);
}

// Says `text` to screen-reader users through a polite status region: the one of the open modal
// dialog holding `near` (the page behind a modal is inert, so its region would stay silent),
// else the page's. The region is made on first use and emptied first, so the same words twice
// are said twice.
export function announce(text, near = document.activeElement) {
  const host = near?.closest?.('dialog[open]') ?? document.body;
  let region = [...host.children].find((el) => el.classList.contains('announcer'));
  if (!region) {
    region = h('div', { class: 'announcer visually-hidden', role: 'status' });
    host.append(region);
  }
  region.textContent = '';
  // A moment later: a region just made, or just emptied, is then heard to change.
  setTimeout(() => { region.textContent = text; }, 50);
}

const kFocusable = 'a[href], button, input, select, textarea, summary, [tabindex]';

// The controls of `root` that Tab stops on, in document order (disabled, hidden and
// tabindex=-1 ones left out).
export function tabStops(root) {
  return [...root.querySelectorAll(kFocusable)]
    .filter((el) => !el.disabled && el.tabIndex >= 0 && el.getClientRects().length);
}

// Runs `action()`, which draws the items of `list` (its children) again, e.g. after one was
// removed, and keeps keyboard focus in the list: when the focus was in an item and is lost
// now, it goes to the item now at that place (the next one), else to an earlier one, else to
// the list itself. Without this it falls to <body>, and the next Tab starts from the top.
export async function keepFocusInList(list, action) {
  const items = () => [...list.children];
  const index = items().findIndex((item) => item.contains(document.activeElement));
  try {
    return await action();
  } finally {
    if (index >= 0 && list.isConnected && !holdsFocus()) focusNear(list, items(), index);
  }
}

// True when focus is on a control still on the page that can take keys (a control disabled
// under the focus keeps it only until the browser lets go a moment later).
export function holdsFocus() {
  const active = document.activeElement;
  return Boolean(active && active !== document.body && active.isConnected && !active.disabled &&
                 !active.closest('[hidden]'));
}

function focusNear(list, items, index) {
  const order = [...items.slice(index), ...items.slice(0, index).reverse()];
  const target = order.map((item) => tabStops(item)[0]).find(Boolean);
  if (target) {
    target.focus();
  } else {
    list.tabIndex = -1;
    list.focus();
  }
}

// Keeps Tab inside the modal `dialog`: from its last control Tab goes round to the first, and
// Shift+Tab from the first to the last (the browser would otherwise leave the page for its
// own address bar before coming back).
export function wrapTab(dialog) {
  dialog.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab' || e.altKey || e.ctrlKey || e.metaKey) return;
    const stops = tabStops(dialog);
    if (!stops.length) return;
    const to = e.shiftKey ? stops.at(-1) : stops[0];
    const edge = e.shiftKey ? stops[0] : stops.at(-1);
    if (document.activeElement !== edge) return;
    e.preventDefault();
    to.focus();
  });
}

// The toolbar pattern for `toolbar` (role=toolbar): one Tab stop (the control used last, else
// the first that works), and ←/→ (Home/End) move between its controls. Controls that become
// disabled or hidden are skipped; the Tab stop moves on by itself.
export function rovingToolbar(toolbar) {
  const controls = () => [...toolbar.querySelectorAll('button, input, select, a[href]')];
  const usable = () => controls().filter((el) => !el.disabled && !el.closest('[hidden]'));
  let current = null;
  const update = () => {
    const ok = usable();
    if (!ok.includes(current)) current = ok[0] ?? null;
    for (const el of controls()) el.tabIndex = el === current ? 0 : -1;
  };
  toolbar.addEventListener('focusin', (e) => {
    if (!usable().includes(e.target)) return;
    current = e.target;
    update();
  });
  toolbar.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    const ok = usable();
    const at = ok.indexOf(e.target);
    if (at < 0) return;
    const to = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: ok.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    ok[(to + ok.length) % ok.length].focus();
  });
  new MutationObserver(update).observe(toolbar, { subtree: true, childList: true,
                                                  attributes: true,
                                                  attributeFilter: ['disabled', 'hidden'] });
  update();
  return toolbar;
}
