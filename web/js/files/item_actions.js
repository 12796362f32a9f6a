// What the file browser and a shared folder's page both do: actions on a folder's items (each
// asks with a dialog, calls the API, says what happened in `message`, a messageBox(), then
// calls `reload()`; errors reject, the caller's run() shows them), the toolbar buttons, the
// upload pickers and the refresh after uploads.
import { h } from '../dom.js';
import { promptDialog } from './dialogs.js';
import { makeFolders, renameNode } from './node_api.js';
import { planFromFileList } from './tree_walk.js';
import { onUploaded } from './uploads.js';

// Asks with promptDialog(`ask`) and runs `act(name)` until it succeeds or the person cancels:
// a refusal the person can fix (a name taken or not allowed, nothing typed) shows in the dialog,
// which opens again with what was typed; so does a failure that trying again may cure (the
// server not reached, or busy), so the typed name is not lost. Resolves to the name, or null
// when cancelled; rejects with other errors.
async function askUntilDone(ask, act, emptyError) {
  let value = ask.value ?? '';
  let error = '';
  for (;;) {
    const name = await promptDialog({ ...ask, value, error });
    if (name === null) return null;
    value = name;
    if (!name) {
      error = emptyError;
      continue;
    }
    try {
      await act(name);
      return name;
    } catch (err) {
      // Gone (404) or not allowed (403, e.g. a share made read-only meanwhile): no other name
      // helps; the caller's run() says so and shows what is true now.
      const retry = err?.status === 0 || err?.status >= 500;
      const fixable = err?.status >= 400 && err.status < 500 && ![403, 404].includes(err.status);
      if (!retry && !fixable) throw err;
      error = err.message;
    }
  }
}

// "New folder" in the folder `parentId`; resolves to the folder made (null when cancelled).
export async function createFolder(parentId, { message, reload }) {
  message.clear();
  let made = null;
  const name = await askUntilDone(
    { title: 'New folder', label: 'Folder name', confirmLabel: 'Create', original: null },
    async (n) => {
      made = await makeFolders(parentId, n);
    }, 'Type a name for the folder.');
  if (name === null) return null;
  message.success(`Created the folder "${name}".`);
  await reload();
  return made;
}

// "Rename" of `node` (nothing when it is null or the name is unchanged).
export async function renameItem(node, { message, reload }) {
  if (!node) return;
  message.clear();
  const name = await askUntilDone(
    { title: `Rename "${node.name}"`, label: 'New name', value: node.name, original: node.name,
      confirmLabel: 'Rename', wholeName: node.type === 'folder' },
    (n) => renameNode(node.id, n), 'Type the new name.');
  if (name === null) return;
  message.success(`Renamed "${node.name}" to "${name}".`);
  await reload();
}

// Calls `refresh()` once uploads into the folder `folderId` settle (300 ms after the last
// one); returns the function that stops it (for the view's cleanup).
export function refreshAfterUploads(folderId, refresh) {
  let timer = null;
  const unsubscribe = onUploaded((parentId) => {
    if (parentId !== folderId) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  });
  return () => {
    unsubscribe();
    clearTimeout(timer);
  };
}

// button(label, fn, attrs) for a toolbar: a small secondary button whose click runs fn through
// `run` (the view's error reporter).
export function toolbarButtonMaker(run) {
  return (label, fn, attrs = {}) => {
    const b = h('button', { type: 'button', class: 'button button-secondary button-small',
                            ...attrs }, label);
    b.addEventListener('click', () => run(fn));
    return b;
  };
}

// "Upload files" and "Upload folder" with their hidden pickers, the same in my folders and in a
// folder shared with me with the edit permission. `button` is a toolbarButtonMaker's; each
// choice goes to onPlan(plan, { folderPicked }) (tree_walk.js's plan; folderPicked for the
// folder picker, which leaves empty folders out), after which the picker is emptied, so the
// same files can be chosen again. Returns { buttons, inputs } to put on the page.
export function uploadPickers(button, onPlan) {
  const picker = (label, cls, attrs) => {
    const input = h('input', { type: 'file', multiple: true, hidden: true, class: cls, ...attrs });
    input.addEventListener('change', async () => {
      try {
        await onPlan(planFromFileList(input.files), { folderPicked: !!attrs.webkitdirectory });
      } finally {
        input.value = '';
      }
    });
    return { input, button: button(label, () => input.click()) };
  };
  const files = picker('Upload files', 'upload-files-input', {});
  const folder = picker('Upload folder', 'upload-folder-input', { webkitdirectory: true });
  return { buttons: [files.button, folder.button], inputs: [files.input, folder.input] };
}
