// The List / Grid choice of the file lists (my files, a folder shared with me): two toggle
// buttons (aria-pressed) for a toolbar, remembered for this browser (localStorage), so every
// folder, a reload and the next visit show the files the way the person chose last.
import { h } from '../dom.js';

const kLayoutKey = 'nimbus.fileLayout';
const kLayouts = [['list', 'List'], ['grid', 'Grid']];

// 'grid' or 'list' (the default, and what shows when storage is blocked).
export function rememberedLayout() {
  try {
    return localStorage.getItem(kLayoutKey) === 'grid' ? 'grid' : 'list';
  } catch {
    return 'list';
  }
}

function rememberLayout(layout) {
  try {
    if (layout === 'grid') localStorage.setItem(kLayoutKey, 'grid');
    else localStorage.removeItem(kLayoutKey);
  } catch {
    // Storage blocked: the choice holds for this page only.
  }
}

// The toggle for `table` (fileTable()), which it draws in the remembered layout at once.
// A group of its own in the toolbar, named for screen readers ("Show files as").
export function layoutToggle(table) {
  const buttons = kLayouts.map(([layout, label]) => {
    const b = h('button', { type: 'button', class: 'button button-secondary button-small',
                            dataset: { layout }, 'aria-pressed': 'false' }, label);
    b.addEventListener('click', () => {
      rememberLayout(layout);
      show(layout);
    });
    return b;
  });
  function show(layout) {
    for (const b of buttons) b.setAttribute('aria-pressed', String(b.dataset.layout === layout));
    table.setLayout(layout);
  }
  show(rememberedLayout());
  return h('span', { class: 'layout-toggle', role: 'group', 'aria-label': 'Show files as' },
           buttons);
}
