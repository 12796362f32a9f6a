// What the file browser and a shared folder's page both do: actions on a folder's items (each
// asks with a dialog, calls the API, says what happened in `message`, a messageBox(), then
// calls `reload()`; errors reject, the caller's run() shows them), the toolbar buttons, the
// upload pickers and the refresh after uploads.
import { h } from '../dom.js';
import { shortName, shortenLongRuns } from '../format.js';
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
      // Signed out (401): the app is on its way to the login page; no dialog opens again
      // over it (QA pass 18: a Rename dialog stayed on top of the login form).
      const retry = err?.status === 0 || err?.status >= 500;
      const fixable = err?.status >= 400 && err.status < 500 &&
                      ![401, 403, 404].includes(err.status);
      if (!retry && !fixable) throw err;
      error = shortenLongRuns(err.message);
    }
  }
}

// "New folder" in the folder `parentId`; resolves to the folder made (null when cancelled).
// A name with "/" ("Q1/Reports") makes the folders missing on the way too (the API does), and
// the message says which were made: `exists(relativePath)`, when given, tells whether a folder
// at that path below `parentId` was there before (else all are taken as new).
export async function createFolder(parentId, { message, reload, exists = null }) {
  message.clear();
  let made = null;
  let had = 0;  // How many of the leading folders of a nested name were there already.
  const name = await askUntilDone(
    { title: 'New folder', label: 'Folder name', confirmLabel: 'Create', original: null },
    async (n) => {
      const parts = n.split('/').map((p) => p.trim()).filter(Boolean);
      had = 0;
      if (exists && parts.length > 1) {
        for (let i = parts.length - 1; i > 0; i -= 1) {
          if (await exists(parts.slice(0, i).join('/'))) {
            had = i;
            break;
          }
        }
      }
      made = await makeFolders(parentId, n);
    }, 'Type a name for the folder.');
  if (name === null) return null;
  message.success(createdText(name.split('/').map((p) => p.trim()).filter(Boolean), had));
  await reload();
  return made;
}

// What "New folder" made of the path `parts`, whose first `had` folders were there already:
// 'Created the folder "Q1".', 'Created "Reports" in the new folder "Q1".', 'Created the folders
// Q1/Reports/2025.', 'Created "Reports" in "Q1".', 'Created the folders Reports/2025 in "Q1".'
function createdText(parts, had) {
  const name = (p) => shortName(p);
  if (parts.length <= 1) return `Created the folder "${name(parts[0] ?? '')}".`;
  const made = parts.slice(had);
  const where = parts.slice(0, had).map(name).join('/');
  if (!had) {
    return parts.length === 2 ? `Created "${name(parts[1])}" in the new folder "${name(parts[0])}".`
                              : `Created the folders ${parts.map(name).join('/')}.`;
  }
  return made.length === 1 ? `Created "${name(made[0])}" in "${where}".`
                           : `Created the folders ${made.map(name).join('/')} in "${where}".`;
}

// "Rename" of `node` (nothing when it is null or the name is unchanged).
export async function renameItem(node, { message, reload }) {
  if (!node) return;
  message.clear();
  const name = await askUntilDone(
    { title: `Rename "${shortName(node.name)}"`, label: 'New name', value: node.name,
      original: node.name,
      confirmLabel: 'Rename', wholeName: node.type === 'folder' },
    (n) => renameNode(node.id, n), 'Type the new name.');
  if (name === null) return;
  message.success(`Renamed "${shortName(node.name)}" to "${shortName(name)}".`);
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
