// The line over a long list whose loaded rows are all selected while more are not loaded yet
// (as Gmail and Dropbox do): "All 200 loaded items are selected. Select all items in this
// folder"; once that is chosen and done: "All 5,000 items in this folder are selected. Clear
// selection". The API gives no count of a folder's items, so the first line names none.
import { h } from '../dom.js';
import { formatCount, itemsText } from './bulk.js';

// onSelectAll() loads the rest and selects it; onClear() clears the selection.
export function selectAllBanner({ onSelectAll, onClear, what = 'this folder' }) {
  const text = h('span', {});
  const button = h('button', { type: 'button', class: 'link-button' });
  const element = h('div', { class: 'select-all-banner', role: 'status', hidden: true }, text,
                    ' ', button);
  let action = null;
  button.addEventListener('click', () => action?.());
  return {
    element,
    // selected, loaded: counts; more: pages are left to load; whole: "select all" was chosen
    // (everything is loaded and selected).
    update({ selected, loaded, more, whole, busy = false }) {
      const all = selected > 0 && selected === loaded && !busy;
      if (all && more) {
        text.textContent = `All ${formatCount(loaded)} loaded items are selected.`;
        button.textContent = `Select all items in ${what}`;
        action = onSelectAll;
      } else if (all && whole) {
        text.textContent = `All ${itemsText(loaded)} in ${what} are selected.`;
        button.textContent = 'Clear selection';
        action = onClear;
      } else {
        // Emptied too: a count kept in the hidden line would still be read out of the page
        // (screen readers' browse mode, a copy of the text) after the items went.
        element.hidden = true;
        text.textContent = '';
        button.textContent = '';
        action = null;
        return;
      }
      element.hidden = false;
    },
  };
}
