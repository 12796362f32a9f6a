// What to do with files of an upload whose name is taken in their folder. Uploads are sent
// with on_conflict=fail: the server's 409 name_taken (not the rows the list happens to have
// loaded) says a file exists. The person is asked once per upload: Replace, Keep both (the new
// file gets a free name, "a (1).txt") or Skip, with "do this for all N conflicts" ticked, as
// desktop sync clients do; unticked, the next conflict asks again.
import { h, wrapTab } from '../dom.js';
import { visibleText } from '../format.js';

let turns = Promise.resolve();  // One question on the screen at a time, for every upload.

// Resolves to 'replace', 'rename' or 'skip' for `item` of `batch`, or to null when the person
// cancelled an upload of one file. `batch` holds { single, policy, waiting: [], asking,
// hasPending() }: the answer given for all is its policy.
export function decideConflict(batch, item) {
  if (batch.policy) return Promise.resolve(batch.policy);
  return new Promise((resolve) => {
    batch.waiting.push({ item, resolve });
    batch.onWaiting?.();
    batch.asking ??= askInTurn(batch);
  });
}

// Drops `item` from the questions of its batch (it was cancelled meanwhile).
export function withdrawConflict(batch, item) {
  const i = batch.waiting.findIndex((w) => w.item === item);
  if (i < 0) return;
  batch.waiting.splice(i, 1)[0].resolve('skip');
  batch.onWaiting?.();
}

function askInTurn(batch) {
  const turn = turns.then(async () => {
    while (batch.waiting.length && !batch.policy) {
      const first = batch.waiting[0];
      const { choice, all } = await ask(batch, first.item);
      if (all) {
        batch.policy = choice ?? 'skip';  // Answers `first` too, below.
        break;
      }
      first.resolve(choice);  // No effect if it was withdrawn meanwhile.
      const i = batch.waiting.indexOf(first);
      if (i >= 0) batch.waiting.splice(i, 1);
    }
    for (const w of batch.waiting.splice(0)) w.resolve(batch.policy);
    batch.asking = null;
    batch.onWaiting = null;
  });
  turns = turn.catch(() => {});
  return turn;
}

// "a.txt" -> "a (1).txt", as the server names a kept copy.
function numbered(name) {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)} (1)${name.slice(dot)}` : `${name} (1)`;
}

// Why the name is taken, for an upload the server kept with every byte (uploads.js): another
// upload of the same name was saved first, while this one was on its way (QA bigfiles #1: the
// person was told "The server no longer has this upload. Please upload the file again.").
export function keptReason(batch, item) {
  const folder = item.dir ? item.dir.split('/').pop() : batch.targetName;
  return `A file named "${visibleText(item.name)}" was saved in "${visibleText(folder ?? '')}" ` +
         'meanwhile, by another upload, while this one was on its way. All of this one has ' +
         'reached the server: Replace or Keep both saves it without sending it again.';
}

// One question; resolves to { choice: 'replace' | 'rename' | 'skip' | null, all }.
function ask(batch, item) {
  const single = batch.single;
  const title = item.path.includes('/') ? `"${visibleText(item.path)}" already exists`
                                        : `"${visibleText(item.name)}" already exists here`;
  const all = h('input', { type: 'checkbox', id: 'conflict-all', checked: true });
  const allText = h('span');
  const allField = h('p', { class: 'conflict-all' }, h('label', { for: 'conflict-all' }, all, ' ',
                                                        allText));
  const count = () => {
    const n = batch.waiting.length;
    const more = batch.hasPending();
    allField.hidden = single || (n <= 1 && !more);
    allText.textContent = n > 1 ? `Do this for all ${n} conflicts` +
                                  (more ? ' and any others in this upload' : '')
                                : 'Do this for every conflict in this upload';
  };
  batch.onWaiting = count;
  count();
  const button = (value, label, cls, extra = {}) =>
    h('button', { type: 'submit', value, class: cls, ...extra }, label);
  const dialog = h('dialog', { class: 'dialog conflict-dialog', 'aria-label': title },
    h('form', { method: 'dialog' }, h('h2', {}, title),
      item.keptUrl ? h('p', { class: 'conflict-reason' }, keptReason(batch, item)) : null,
      h('p', {}, `Replace it with the one you are uploading, keep both (the new one is saved as ` +
                 `"${visibleText(numbered(item.name))}" or the next free name), or ` +
                 `${single ? 'cancel the upload' : 'skip it'}?`),
      allField,
      h('div', { class: 'form-actions' },
        button('rename', 'Keep both', 'button', { autofocus: true }),
        button('replace', batch.ownSpace ? 'Replace (the current file is overwritten for good)'
                                         : 'Replace (the current file goes to its owner\'s trash)',
               'button button-secondary button-danger'),
        button('skip', single ? 'Cancel' : 'Skip', 'button button-secondary')),
      // There is no version history: in my own space the server frees the old bytes at once; in
      // a folder shared with me the owner's version goes to the owner's trash (docs/api.md).
      h('p', { class: 'conflict-warning' },
        batch.ownSpace ? 'Replace overwrites the current file for good: it cannot be recovered, ' +
                         'not even from the trash.'
                       : 'Replace puts the current file in the trash of the person who shared ' +
                         'this folder with you, where they can restore it.')));
  wrapTab(dialog);
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      const value = dialog.returnValue;
      dialog.remove();
      const choice = ['rename', 'replace'].includes(value) ? value : single ? null : 'skip';
      resolve({ choice, all: !allField.hidden && all.checked });
    }, { once: true });
    dialog.showModal();
  });
}
