// A file picked again whose earlier upload was cut off (on another device, or forgotten here):
// that unfinished upload holds the file's whole size of the space until it expires, so the
// check before sending said "free up some space" about the space the same file holds (QA
// family). When the free space is short, such uploads (GET /api/v1/uploads: same name, same
// folder) are named, with "Discard the unfinished upload and start again". The same is offered
// when the server refuses for space in the middle of an upload (507 after the check passed:
// the space was taken meanwhile), in the uploads panel.
import { formatBytes } from '../format.js';
import { choiceDialog } from './dialogs.js';
import { discardUnfinished, listUnfinished } from './unfinished_uploads.js';

// The unfinished uploads of files of `plan` into their folders (`folderOf(dir)`: the id of the
// folder of the plan's `dir`, or undefined when it does not exist yet). Also used after a
// refusal in the middle of an upload (uploads.js): plan { files: [{ path: name }] }.
export async function heldBySameFiles(plan, folderOf) {
  let uploads;
  try {
    uploads = await listUnfinished();
  } catch {
    return [];  // Not known: the usual sentence about the space.
  }
  return uploads.filter((u) => plan.files.some(({ path }) => {
    const cut = path.lastIndexOf('/');
    const parent = folderOf(cut < 0 ? '' : path.slice(0, cut));
    return parent !== undefined && u.parent_id === parent && u.name === path.slice(cut + 1);
  }));
}

// Offers to discard the unfinished uploads of files of `plan` when there are some; `short`:
// the sentence on the space missing. Resolves to the bytes freed (0: none there, or the person
// kept them).
export async function offerDiscardHeld(plan, folderOf, short) {
  const held = await heldBySameFiles(plan, folderOf);
  if (!held.length) return 0;
  const choice = await choiceDialog({
    title: held.length === 1 ? 'An unfinished upload of this file holds the space'
                             : 'Unfinished uploads of these files hold the space',
    message: `${short} ${heldText(held)}`,
    choices: [{ value: 'discard', label: discardLabel(held.length) }],
  });
  if (choice !== 'discard') return 0;
  for (const u of held) await discardUnfinished(u.id);
  return heldBytes(held);
}

const heldBytes = (held) => held.reduce((sum, u) => sum + (Number(u.size) || 0), 0);

// 'Of that space, an earlier upload of "a.mov" into this folder, cut off at 1.0 MB of 40.0 MB,
// still holds 40.0 MB (started on this or another device).' for the unfinished uploads `held`.
export function heldText(held) {
  const bytes = heldBytes(held);
  const which = held.length === 1
    ? `an earlier upload of "${held[0].name}" into this folder, cut off at ` +
      `${formatBytes(Number(held[0].offset) || 0)} of ${formatBytes(Number(held[0].size) || 0)}, ` +
      `still holds ${formatBytes(bytes)}`
    : `${held.length} earlier uploads of these files into this folder, cut off before their end, ` +
      `still hold ${formatBytes(bytes)}`;
  return `Of that space, ${which} (started on this or another device).`;
}

// The button that discards `n` such uploads and sends the files again.
export function discardLabel(n) {
  return n === 1 ? 'Discard the unfinished upload and start again'
                 : 'Discard the unfinished uploads and start again';
}

// Short of space while other unfinished uploads hold some of it (one started elsewhere, or
// abandoned: QA bigfiles, a 3 GB file refused with "empty the trash, delete files" while 8 GB
// were held by one): says so, as the server's 507 does, and when discarding them would make
// room for `needed` bytes (with `free` free), offers that. `plan` and `folderOf` as for
// offerDiscardHeld (uploads of the same files are left to it); `skip(url)`: an upload this page
// is sending. Resolves to { freed (bytes), text (the sentence on what they hold, '' when none
// or discarded) }.
export async function offerDiscardOthers(plan, folderOf, short, needed, free, skip = () => false) {
  let uploads;
  try {
    const same = new Set((await heldBySameFiles(plan, folderOf)).map((u) => u.id));
    uploads = (await listUnfinished()).filter((u) => !same.has(u.id) && u.state === 'receiving' &&
                                                     !skip(`/api/v1/uploads/${u.id}`));
  } catch {
    return { freed: 0, text: '' };
  }
  const bytes = heldBytes(uploads);
  if (!bytes) return { freed: 0, text: '' };
  const n = uploads.length;
  const named = uploads.slice(0, 3).map((u) => `"${u.name}", ${formatBytes(Number(u.offset) || 0)} ` +
                                               `of ${formatBytes(Number(u.size) || 0)} sent`);
  const text = `Of that space, ${formatBytes(bytes)} is held by ` +
    `${n === 1 ? 'an upload not finished yet' : `${n} uploads not finished yet`} ` +
    `(${named.join('; ')}${n > 3 ? `; and ${n - 3} more` : ''}): it is freed when ` +
    `${n === 1 ? 'it finishes or is discarded' : 'they finish or are discarded'}.`;
  if (needed > free + bytes) return { freed: 0, text };
  const choice = await choiceDialog({
    title: n === 1 ? 'An unfinished upload holds the space' : 'Unfinished uploads hold the space',
    message: `${short} ${text}`,
    choices: [{ value: 'discard', label: n === 1 ? 'Discard the unfinished upload and upload'
                                                 : 'Discard the unfinished uploads and upload' }],
  });
  if (choice !== 'discard') return { freed: 0, text };
  for (const u of uploads) await discardUnfinished(u.id);
  return { freed: bytes, text: '' };
}
