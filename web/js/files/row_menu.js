// The "⋯" button of a row of the file list and its small menu of the row's actions (Open,
// Download, Share, Rename, Move, Copy, Delete, as the view allows). A menu button
// (aria-haspopup, aria-expanded) opens a list of menu items: the arrow keys, Home and End move
// between them, Enter or a click runs one; Escape, Tab or a click elsewhere closes the menu and
// focus goes back to the button. On a desktop the menu drops down under the button (or up, near
// the bottom of the window); on a phone it is a sheet at the bottom of the screen, with the
// item's name on top. One menu is open at a time; Back closes it (it has a history entry).
import { h } from '../dom.js';
import { pushOverlay } from '../router.js';

let current = null;  // The open menu: { close(refocus) }.

// The button for the item called `name`; `actions()` gives the menu's entries when it opens:
// [{ label, run(), danger }] (run is called once the menu is closed, focus on the button).
export function rowMenuButton(name, actions) {
  const button = h('button', { type: 'button', class: 'row-menu-button', 'aria-haspopup': 'menu',
                               'aria-expanded': 'false', 'aria-label': `More actions for ${name}`,
                               title: 'More actions' },
                   h('span', { 'aria-hidden': 'true' }, '⋯'));
  const wrap = h('span', { class: 'row-menu-wrap' }, button);
  button.addEventListener('click', () => {
    if (button.getAttribute('aria-expanded') === 'true') current?.close(true);
    else open(0);
  });
  // ↓ and ↑ on the button open the menu on its first or last entry, as a menu bar does.
  button.addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    e.stopPropagation();  // Not the list's own arrow keys (they move between rows).
    open(e.key === 'ArrowDown' ? 0 : -1);
  });

  function open(focusAt) {
    current?.close(false);
    const entries = actions().filter(Boolean);
    const items = entries.map(({ label, danger }) => h('button', {
      type: 'button', role: 'menuitem', tabindex: '-1',
      class: danger ? 'row-menu-item row-menu-danger' : 'row-menu-item' }, label));
    const menu = h('div', { class: 'row-menu', role: 'menu', 'aria-label': `Actions for ${name}` },
                   h('p', { class: 'row-menu-title', 'aria-hidden': 'true' }, name), items);
    items.forEach((item, i) => item.addEventListener('click', () => {
      close(true);
      entries[i].run();
    }));
    menu.addEventListener('keydown', (e) => {
      if (e.key === 'Tab') {  // Focus goes on from the button, as from a closed menu.
        close(true);
        return;
      }
      // No key reaches the list or the page (Escape there clears the selection, Delete deletes).
      e.stopPropagation();
      const at = items.indexOf(document.activeElement);
      const to = { ArrowDown: at + 1, ArrowUp: at - 1, Home: 0, End: items.length - 1 }[e.key];
      if (e.key === 'Escape') {
        e.preventDefault();
        close(true);
      } else if (to !== undefined) {
        e.preventDefault();
        items[(to + items.length) % items.length].focus();
      }
    });
    const outside = (e) => {
      if (!wrap.contains(e.target)) close(false);
    };
    let leaveHistory = () => {};
    function close(refocus) {
      if (current?.menu !== menu) return;
      current = null;
      leaveHistory();
      document.removeEventListener('pointerdown', outside, true);
      menu.remove();
      wrap.classList.remove('is-open');
      button.setAttribute('aria-expanded', 'false');
      if (refocus) button.focus();
    }
    wrap.append(menu);
    wrap.classList.add('is-open');
    button.setAttribute('aria-expanded', 'true');
    current = { menu, close };
    // Back (a phone's back button, with the sheet open) closes the menu; the page stays.
    leaveHistory = pushOverlay(() => close(false));
    document.addEventListener('pointerdown', outside, true);
    // Too close to the bottom of the window to drop down: it opens upwards.
    const below = menu.getBoundingClientRect();
    if (below.bottom > window.innerHeight && button.getBoundingClientRect().top > below.height) {
      menu.classList.add('row-menu-up');
    }
    items.at(focusAt)?.focus();
  }

  return wrap;
}
