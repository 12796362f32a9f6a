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
