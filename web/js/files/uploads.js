// The upload manager: one queue for the whole page (it keeps running while the person browses
// other folders or the trash) shown in the uploads panel (upload_panel.js). Before a byte is
// sent, the files already there are set aside (upload_folders.js existingFiles), the size of
// the rest is checked against the free quota and the batch's folders are made
// (upload_folders.js); each file then goes into its folder by id, small ones with PUT
// …/content, large ones with tus (tus.js), with on_conflict=fail: a name taken asks the person
// (upload_conflicts.js). A lost connection is waited out (retry_wait.js); a folder deleted
// meanwhile stops the files bound for it, and failures are told once per cause.
import { formatBytes } from '../format.js';
import { formatCount } from './bulk.js';
import { choiceDialog, confirmDialog } from './dialogs.js';
import { getNode, makeFolders, resolvePath } from './node_api.js';
import { usageChanged } from './quota.js';
import { discardUnfinished, listUnfinished, onDiscarded } from './unfinished_uploads.js';
import { decideConflict, withdrawConflict } from './upload_conflicts.js';
import { sameBytesThere } from './upload_same.js';
import {
  existingFiles, goneFolder, planFolders, prepareFolders,
} from './upload_folders.js';
import { createPanel, isSaving, kPickedFolderNote } from './upload_panel.js';
import { sendFile } from './upload_transfer.js';
import { fingerprint, kTusThresholdBytes, pendingUploads } from './tus.js';
import {
  heldBySameFiles, heldText, offerDiscardHeld, offerDiscardOthers,
} from './upload_held.js';
import { rateMeter } from './upload_rate.js';
import { signedInId, whenSignedInAgain } from './upload_signin.js';
import {
  filesThatFit, namesText, shortOfSpace, spaceNeededBy, spaceWayOut, uploadSpace,
} from './upload_space.js';
import { planBytes } from './tree_walk.js';

export { formatDuration } from './upload_panel.js';

const kParallel = 3;
// Cancel asks first once this much is sent, or after this long sending: on a shaky link that
// is hours of work, and the button sits next to "Retry now".
const kAskCancelBytes = 10 * 1024 * 1024;
const kAskCancelMs = 10000;
// 'paused': the session ended while it was sent (401); it goes on once signed in again.
const kActive = ['queued', 'uploading', 'conflict', 'paused'];
// A folder picker gives no files for a folder holding only empty folders (or nothing).
const kEmptyPick = `The chosen folder has no files. ${kPickedFolderNote}`;
const items = [];
const listeners = new Set();
const failureListeners = new Set();
let panel = null;
let nextId = 0;
let unfinished = [];  // GET /api/v1/uploads, last read.
let unfinishedTimer = null;
let unfinishedRead = false;  // The list was read once.
// The session ended while files were sent (401: logged out in another tab, or expired): no
// file starts until the person is signed in again; `signedOut` stops watching for that.
let signedOut = null;
let signedOutUser = null;  // Whose uploads they are (another person signing in does not resume them).

// Calls fn(folderId) each time a file lands in a folder (for a folder upload: the folder it
// was dropped on, and the subfolder it went into); returns an unsubscribe function.
export function onUploaded(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// True while files are being sent (or wait their turn, or a taken name is being asked about)
// into the folder `folderId`: dropped on it, or going into it as a subfolder of an upload. The
// live refresh waits for them (each file that lands refreshes the list: onUploaded).
export function uploadingInto(folderId) {
  return items.some((i) => kActive.includes(i.state) &&
                           (i.batch.targetId === folderId ||
                            i.batch.folders?.get(i.dir) === folderId));
}

// Calls fn(parentId, err) each time an upload into the folder `parentId` is refused (not when
// cancelled); returns an unsubscribe function. A 403 or 404 there may mean a share was revoked.
export function onUploadFailed(fn) {
  failureListeners.add(fn);
  return () => failureListeners.delete(fn);
}

// The uploads panel (one element for the page; views append it where they like).
export function uploadPanel() {
  if (panel) return panel;
  panel = createPanel(items, {
    cancel: askToCancel, retry, clear: (list) => clearItems(list), discardHeld: discardHeldAndRetry,
    clearFinished: () => clearItems(items.filter((i) => ['done', 'canceled', 'skipped']
                                                  .includes(i.state))),
    reloadUnfinished: loadUnfinished,
  });
  // Discarded on the usage page (or elsewhere) while this page sends it: stop sending.
  onDiscarded((id) => {
    for (const item of items) {
      if (item.tus?.uploadUrl === `/api/v1/uploads/${id}` && kActive.includes(item.state)) {
        cancel(item);
      }
    }
    loadUnfinished();
  });
  window.addEventListener('online', loadUnfinished);
  refresh();
  loadUnfinished();
  return panel;
}

// Bytes queued or in flight (not yet on the server) into the space `key` (uploadSpace): they
// are about to take its quota.
function pendingBytes(key) {
  return items.filter((i) => kActive.includes(i.state) && i.batch.spaceKey === key)
      .reduce((sum, i) => sum + (i.size - i.sent), 0);
}

// Uploads `plan` ({ files: [{file, path}], folders: [path] }, see tree_walk.js) into the folder
// `parentId`. Resolves to null when queued (or cancelled), or to a sentence for the person when
// nothing was sent (not enough free space, or a folder could not be created) or some files
// were left out. Files already there (same path, size and modified time: a folder or photos
// picked again after an interrupted copy) are not sent, not counted against the free space and not
// asked about; they are listed as "already there". When the free space holds some of the
// other files but not all, the person is asked first: "Upload the N files that fit" or Cancel.
// `ownSpace: false` for a folder shared with me: its owner's space takes the bytes, so that is
// the space checked (upload_space.js), and the sentences name the owner.
// `folderPicked`: the plan comes from a folder picker, which leaves empty folders out (the
// panel says so). Other names taken in the folder are found by the server.
export async function uploadPlan(plan, parentId, { ownSpace = true, folderPicked = false } = {}) {
  if (!plan.files.length && !plan.folders.length) return folderPicked ? kEmptyPick : null;
  const [space, target] = await Promise.all([uploadSpace(parentId, ownSpace), getNode(parentId)]);
  // What is there already is looked up: a folder dropped again, and loose files picked again
  // after an interrupted upload (photos from a phone's gallery). Asking about a "conflict" with
  // an identical file offered "Keep both" and made duplicates (QA pass 17c); the folder's
  // listing (a page per 1,000 items) costs less than that question.
  const existing = plan.files.length ? await existingFiles(plan, target.id)
                                     : { same: new Set(), folders: new Map() };
  const already = plan.files.filter((f) => existing.same.has(f));
  plan = { files: plan.files.filter((f) => !existing.same.has(f)), folders: plan.folders };
  const needed = planBytes(plan);
  let free = Math.max(0, space.free - pendingBytes(space.key));
  // Short of space: is some of it held by an unfinished upload of these very files?
  const folderOf = (dir) => (dir ? existing.folders.get(dir) : target.id);
  if (needed > free) {
    free += await offerDiscardHeld(
        plan, folderOf, shortOfSpace(space, spaceNeededBy(plan, already.length), needed, free));
  }
  // Or by other unfinished uploads (of my space): said, and their discard offered.
  let heldNote = '';
  if (needed > free && !space.owner) {
    const sending = sendingUrls();
    const others = await offerDiscardOthers(
        plan, folderOf, shortOfSpace(space, spaceNeededBy(plan, already.length), needed, free),
        needed, free, (url) => sending.has(url));
    free += others.freed;
    heldNote = others.text ? ` ${others.text}` : '';
  }
  let leftOut = null;
  if (needed > free) {
    const short = shortOfSpace(space, spaceNeededBy(plan, already.length), needed, free) +
                  heldNote;
    const fit = filesThatFit(plan.files, free);
    // None fits: the same way out as for the files left out below.
    if (!fit.length) {
      return `${short} ${spaceWayOut(space, plan.files.length === 1 ? 'it' : 'them')}`;
    }
    const left = plan.files.filter((f) => !fit.includes(f));
    const bytes = formatBytes(planBytes({ files: fit }));
    const n = formatCount(fit.length);
    const fitting = fit.length === 1 ? 'file that fits' : 'files that fit';
    const choice = await choiceDialog({
      title: 'Not enough free space for all of them',
      message: `${short} ${n} of the ${formatCount(plan.files.length)} files fit (${bytes}); ` +
               `left out for lack of space: ${namesText(left)}.`,
      choices: [{ value: 'fit', label: `Upload the ${n} ${fitting} (${bytes})` }],
    });
    if (choice !== 'fit') return null;
    plan = { files: fit, folders: plan.folders };
    leftOut = `Not uploaded, for lack of free space: ${namesText(left)}. ` +
              spaceWayOut(space, left.length === 1 ? 'it' : 'them');
  }
  uploadPanel();
  const dirs = planFolders(plan);
  let folders;
  try {
    folders = await prepareFolders(dirs, target.id, {
      known: existing.folders,
      onProgress: (done, total) => panel.preparing(total > 1 && done < total
        ? `Creating folders: ${done} of ${total}…` : ''),
    });
  } catch (err) {
    return err.message;
  } finally {
    panel.preparing('');
    refresh();
  }
  // Folders alone (an empty folder dropped) make no upload: tell the views now.
  if (!plan.files.length) notifyUploaded(target.id, target.id);
  const batch = {
    targetId: target.id, targetName: target.name || 'Files', ownSpace, folderPicked, dirs, folders,
    targetPath: ownSpace && target.path ? target.path : null,
    quotaBytes: space.quota, spaceKey: space.key,
    gone: new Map(), checks: new Map(), held: 0, items: [], single: plan.files.length === 1,
    policy: null, waiting: [], asking: null,
    hasPending: () => batch.items.some((i) => i.state === 'queued' || i.state === 'uploading'),
  };
  for (const { file, path } of plan.files) addItem(batch, file, path);
  for (const { file, path } of already) addItem(batch, file, path, { already: true });
  refresh();
  pump();
  return leftOut;
}

// One file of `batch` in the queue and the panel; `already`: it is there, so it is listed as
// skipped at once.
function addItem(batch, file, path, { already = false } = {}) {
  const cut = path.lastIndexOf('/');
  const item = { id: ++nextId, batch, file, path, dir: cut < 0 ? '' : path.slice(0, cut),
                 name: path.slice(cut + 1), onConflict: 'fail', size: file.size, sent: 0,
                 state: already ? 'skipped' : 'queued', already, error: '', note: '',
                 savedAs: '', shown: 0, meter: rateMeter() };
  batch.items.push(item);
  items.push(item);
  panel.add(item);
  return item;
}

function pump() {
  if (signedOut) return;  // Every request would answer 401 too.
  let running = items.filter((i) => i.state === 'uploading').length;
  for (const item of items) {
    if (running >= kParallel) break;
    if (item.state !== 'queued' || item.batch.held) continue;
    running += 1;
    run(item);
  }
}

async function run(item) {
  Object.assign(item, { state: 'uploading', sent: 0, shown: 0, base: 0, error: '', note: '',
                        meter: rateMeter(), startedAt: performance.now(), cause: null,
                        final: false });
  // Once the person chose Replace or Keep both for all, the rest go up that way directly.
  const { policy } = item.batch;
  if (item.onConflict === 'fail' && (policy === 'replace' || policy === 'rename')) {
    item.onConflict = policy;
  }
  panel.draw(item);
  const folderId = item.batch.folders.get(item.dir);
  try {
    const node = await sendFile(item, folderId, (i) => panel.draw(i), usageChanged);
    // The server keeps names in NFC: a macOS (NFD) name stored so is not a new name.
    if (typeof node?.name === 'string' &&
        node.name.normalize('NFC') !== item.name.normalize('NFC')) item.savedAs = node.name;
    Object.assign(item, { state: 'done', sent: item.size, shown: item.size, note: '',
                          keptUrl: null });
    notifyUploaded(item.batch.targetId, folderId);
  } catch (err) {
    failed(item, err);
  }
  item.cancel = null;
  item.retryNow = null;
  if (!signedOut) {  // Signed out, these would only answer 401 (and send this tab to log in).
    usageChanged();  // Its size is now used, or no longer held.
    if (item.tus) loadUnfinished();
  }
  panel.draw(item);
  refresh();
  pump();
}

function notifyUploaded(targetId, folderId) {
  for (const fn of listeners) {
    fn(targetId);
    if (folderId !== targetId) fn(folderId);
  }
}

// A transfer of `item` (state 'uploading') ended with `err`.
function failed(item, err) {
  if (item.state === 'canceled') return;
  if (err?.name === 'AbortError') {
    item.state = 'canceled';
    return;
  }
  if (err?.code === 'name_taken' && item.onConflict === 'fail') {
    // Kept by the server with every byte (another upload of the name was saved first, as this
    // one's last bytes arrived): Replace or Keep both finish it without sending it again.
    item.keptUrl = err.kept ? err.uploadUrl : null;
    askAbout(item);
    return;
  }
  if (err?.status === 401) {
    pauseSignedOut(item);
    return;
  }
  item.state = 'failed';
  item.error = err?.message ?? String(err);
  // One notice per error code (fifty refused names: one notice listing them, each file's own
  // reason beside it); errors without a code are told per message.
  item.cause = { key: err?.code ? `error:${err.code}` : `error::${item.error}`, kind: 'error',
                 code: err?.code ?? null, text: item.error };
  // A refusal that sending again cannot change (a bad name, too large): no Retry.
  item.final = !worthRetrying(item, err);
  if (err?.code === 'quota_exceeded') offerDiscardHeldAfter(item);
  for (const fn of failureListeners) fn(item.batch.targetId, err);
  // A folder shared with me answers 403 or 404 once its share is revoked. A resumable upload
  // whose folder was deleted while its bytes were on their way fails on the server: 410
  // upload_failed, from then on (tus_service); said as the folder deleted, as a 404 is.
  if (err?.status === 404 || err?.code === 'upload_failed' ||
      (err?.status === 403 && !item.batch.ownSpace)) {
    stopIfFolderGone(item);
  }
}

// Whether sending `item` again may end differently after `err`: a lost connection, a server
// error (5xx: storage unavailable, no capacity), a full space that may free up, a past-due
// account that may be paid, a folder gone (Retry makes it again), an upload expired or failed
// on the server (Retry starts a new one), a checksum spoilt on the way, too many requests. Not
// for what it would meet again: a file larger than the whole plan (or than uploads may be:
// too_large), a name that cannot be used, a name taken (409 name_taken: asked about when
// on_conflict is fail), no permission to write there, a bad request (api.md's error table).
function worthRetrying(item, err) {
  const status = err?.status ?? 0;
  if (err?.code === 'quota_exceeded') {
    const plan = item.batch.quotaBytes;
    return !(plan > 0 && item.size > plan) &&
           !/more than (your|their) whole plan/.test(err.message ?? '');
  }
  if (status === 0 || status >= 500) return true;
  if (err?.code === 'name_taken') return false;
  return [402, 404, 408, 409, 410, 423, 429, 460].includes(status) ||
         err?.code === 'checksum_mismatch';
}

// Cancel in the panel: at once for a file that has sent little, else after asking (Keep
// uploading is the default). A file being saved by the server cannot be cancelled any more.
async function askToCancel(item) {
  if (isSaving(item)) return;
  const sentMuch = item.state === 'uploading' &&
                   (item.shown >= kAskCancelBytes ||
                    performance.now() - (item.startedAt ?? performance.now()) >= kAskCancelMs);
  if (sentMuch) {
    const sent = item.shown > 0 ? `The ${formatBytes(item.shown)} sent so far will be discarded.`
                                : 'What was sent so far will be discarded.';
    const yes = await confirmDialog({
      title: `Cancel the upload of "${item.name}"?`, message: sent,
      confirmLabel: 'Cancel upload', cancelLabel: 'Keep uploading', danger: true,
    });
    // Finished, failed or cancelled meanwhile: nothing left to cancel.
    if (!yes || item.state !== 'uploading' || isSaving(item)) return;
  }
  cancel(item);
}

// The name is taken in its folder: the person chooses (once for the whole upload, by default),
// unless the file there has the same bytes (the same file dropped from two tabs): then it is
// "already there", as a file seen before sending is, and nothing is asked.
async function askAbout(item) {
  item.state = 'conflict';
  item.note = '';
  panel.draw(item);
  const same = await sameBytesThere(item, item.batch.folders.get(item.dir));
  if (item.state !== 'conflict') return;  // Cancelled meanwhile.
  if (same) {
    Object.assign(item, { state: 'skipped', already: true, identical: true });
    dropKept(item);
    panel.draw(item);
    refresh();
    pump();
    return;
  }
  decideConflict(item.batch, item).then((choice) => {
    if (item.state !== 'conflict') return;  // Cancelled meanwhile.
    // A one-file upload cancelled: it stays listed as cancelled, and the summary says so.
    if (choice === null) item.state = 'canceled';
    else if (choice === 'skip') item.state = 'skipped';
    else Object.assign(item, { onConflict: choice, state: 'queued' });
    if (choice === null || choice === 'skip') dropKept(item);
    panel.draw(item);
    refresh();
    pump();
  });
}

// Deletes the upload the server kept for `item` after its name was taken (not finished: skipped,
// cancelled, or the same bytes are there already): left, it would hold the file's size.
function dropKept(item) {
  const url = item.keptUrl;
  if (!url) return;
  item.keptUrl = null;
  discardUnfinished(decodeURIComponent(url.split('/').pop()))
      .catch(() => {}).finally(() => {
        usageChanged();
        loadUnfinished();
      });
}

// Refused for space in the middle of an upload (507 from the server, after the check before
// sending passed): when an unfinished upload of the same file into the same folder holds space
// (cut off on another device), its failure says so and offers "Discard the unfinished upload
// and start again" (upload_held.js), rather than only "free up space".
async function offerDiscardHeldAfter(item) {
  const folderId = item.batch.folders.get(item.dir);
  const own = item.tus?.uploadUrl;
  const held = (await heldBySameFiles({ files: [{ path: item.name }] }, () => folderId))
      .filter((u) => `/api/v1/uploads/${u.id}` !== own);
  if (!held.length || item.state !== 'failed' || item.cause?.code !== 'quota_exceeded') return;
  item.cause = { key: `held:${item.id}`, kind: 'held', code: 'quota_exceeded', held,
                 text: `${item.error.replace(/[.]?$/, '.')} ${heldText(held)}` };
  item.final = false;
  refresh();
}

// "Discard the unfinished upload and start again" of a failure group (offerDiscardHeldAfter).
async function discardHeldAndRetry(group) {
  for (const item of group) {
    for (const u of item.cause?.held ?? []) {
      try {
        await discardUnfinished(u.id);
      } catch {
        // Not discarded (offline…): sending again says what is still in the way.
      }
    }
  }
  usageChanged();
  retry(group);
}

// The session ended while `item` was sent (logged out in another tab, or expired): not a
// failure. It and the files waiting are paused, the panel says "You were signed out — sign in
// again to finish N uploads", and all go on once the same person is signed in again, in this
// tab or another (upload_signin.js): a resumable upload from the server's offset (tus.js
// remembers it), a small one sent again from its start.
function pauseSignedOut(item) {
  Object.assign(item, { state: 'paused', note: '', error: '' });
  if (signedOut) return;
  signedOutUser = signedInId() ?? signedOutUser;
  signedOut = whenSignedInAgain(signedOutUser, resumeSignedIn);
}

function resumeSignedIn() {
  signedOut = null;
  for (const item of items) {
    if (item.state !== 'paused') continue;
    item.state = 'queued';
    panel.draw(item);
  }
  usageChanged();
  loadUnfinished();
  refresh();
  pump();
}

// After a 404: the folder dropped on, or one of the upload, was deleted? Every file bound for
// it fails at once, under one sentence.
async function stopIfFolderGone(item) {
  const { batch } = item;
  batch.held += 1;  // No other file of the batch starts until this is known.
  const gone = await goneFolder(batch, item.dir);
  batch.held -= 1;
  if (gone) {
    batch.gone.set(gone.id, gone.name);
    // Where "Upload again" makes it again (my own folders: their path is known).
    const where = batch.targetPath ? `${batch.targetPath.replace(/\/$/, '')}` +
                                     `${gone.dir ? `/${gone.dir}` : ''}` : null;
    const cause = { key: `gone:${gone.id}`, kind: 'gone', where,
                    text: batch.ownSpace ? `The folder "${gone.name}" was deleted while uploading`
                                         : `The folder "${gone.name}" is no longer shared with ` +
                                           'you (or was deleted)' };
    for (const other of batch.items) {
      const inside = !gone.dir || other.dir === gone.dir || other.dir.startsWith(`${gone.dir}/`);
      const stopped = other.state === 'queued' ||
                      (other.state === 'failed' && other.cause?.kind !== 'gone');
      if (!inside || !stopped) continue;
      // "Upload again" makes a deleted folder again, at its path (the folder dropped on too:
      // the person asks for the files to go there); not the folder shared with me that is gone.
      Object.assign(other, { state: 'failed', error: cause.text, cause,
                             final: !gone.dir && !batch.targetPath });
      panel.draw(other);
    }
  }
  refresh();
  pump();
}

function cancel(item) {
  const was = item.state;
  item.state = 'canceled';
  item.error = '';
  // The tus upload is dropped on the server (DELETE): its size is free once that is done.
  if (was === 'uploading') Promise.resolve(item.cancel?.()).catch(() => {}).finally(usageChanged);
  // Paused while signed out: this browser forgets the resumable upload (the server drops it
  // when it expires; the DELETE is refused until signed in again).
  if (was === 'paused') item.tus?.cancel().catch(() => {});
  if (was === 'conflict') {
    withdrawConflict(item.batch, item);
    dropKept(item);
  }
  panel.draw(item);
  refresh();
  pump();
}

// Sends failed `list` again. Folders of theirs deleted meanwhile are made again first: the
// folder dropped on at its path (my own folders), then the upload's folders under it.
async function retry(list) {
  const batches = new Set(list.map((i) => i.batch));
  for (const batch of batches) {
    batch.checks.clear();
    if (!batch.gone.size) continue;
    const targetGone = batch.gone.has(batch.targetId);
    batch.gone.clear();
    try {
      if (targetGone && batch.targetPath) batch.targetId = await folderAt(batch.targetPath);
      batch.folders = await prepareFolders(batch.dirs, batch.targetId);
    } catch (err) {
      const cause = { key: `error:folders:${err.message}`, kind: 'error', text: err.message };
      for (const item of list) {
        if (item.batch === batch) Object.assign(item, { error: err.message, cause });
      }
      batches.delete(batch);
    }
  }
  for (const item of list) {
    if (item.state !== 'failed' || item.final || !batches.has(item.batch)) continue;
    item.state = 'queued';
    panel.draw(item);
  }
  refresh();
  pump();
}

// The id of my folder at `path` ("/Holiday/Trip"), made with its missing parents when it is
// not there.
async function folderAt(path) {
  try {
    return (await makeFolders('root', path.replace(/^\/+/, ''))).id;
  } catch (err) {
    if (err?.code !== 'name_taken') {
      throw new Error(`The folder ${path} could not be made again: ${err?.message ?? err}`);
    }
    return (await resolvePath(path)).id;  // Made again meanwhile (another tab).
  }
}

function clearItems(list) {
  for (const item of list) {
    const i = items.indexOf(item);
    if (i >= 0) items.splice(i, 1);
    const j = item.batch.items.indexOf(item);
    if (j >= 0) item.batch.items.splice(j, 1);
    panel.remove(item);
  }
  refresh();
}

// While files are sent (or wait their turn, or a question about a taken name is open), leaving
// or reloading the page would stop them: the browser asks first. Files only waiting to be
// resumed with tus lose nothing, and finished ones nothing either: no question then.
function guardLeaving(e) {
  e.preventDefault();
  e.returnValue = '';  // Older browsers ask only when this is set.
}
let guarding = false;

function refresh() {
  const active = items.some((i) => kActive.includes(i.state));
  if (active !== guarding) {
    guarding = active;
    if (active) window.addEventListener('beforeunload', guardLeaving);
    else window.removeEventListener('beforeunload', guardLeaving);
  }
  if (!panel) return;
  panel.signedOut(signedOut ? items.filter((i) => kActive.includes(i.state)).length : 0);
  const sending = sendingUrls();
  // The server's unfinished uploads, less those this page is sending, about to send or has
  // finished (the list may be older than the last chunk: a finished upload must not show as
  // unfinished, at 0 bytes, until the list is loaded again).
  panel.refresh(unfinished.filter((u) => !sending.has(`/api/v1/uploads/${u.id}`)));
}

// The upload URLs of the tus uploads this page is sending, will send or has sent. The URL this
// browser remembers for the file counts too: a resumed upload knows its own only once its HEAD
// is answered, and one waiting its turn not at all ("choose the same file again" was shown for
// a file being sent, QA pass 17c).
function sendingUrls() {
  const remembered = new Map(pendingUploads().map((p) => [p.fingerprint, p.url]));
  const urls = new Set();
  for (const i of items) {
    if (i.size <= kTusThresholdBytes || !(kActive.includes(i.state) || i.state === 'done')) {
      continue;
    }
    if (i.tus?.uploadUrl) urls.add(i.tus.uploadUrl);
    const fp = i.tus?.fp ?? fingerprint(i.file, i.batch.folders.get(i.dir), i.name);
    if (remembered.has(fp)) urls.add(remembered.get(fp));
  }
  return urls;
}

function loadUnfinished() {
  clearTimeout(unfinishedTimer);
  unfinishedTimer = setTimeout(async () => {
    let list;
    try {
      list = await listUnfinished({ redirectOn401: false });
    } catch {
      return;  // Offline or signed out: the last list stays.
    }
    // The uploads holding space changed (one finished, or was discarded elsewhere): the quota
    // line reads the usage again ("3.0 GB held for unfinished uploads" stayed beside "1 of 1
    // uploaded", QA bigfiles).
    // Not on the first look (the quota line reads it anyway), nor while signed out (a read of
    // the usage would answer 401 and send this tab to log in).
    const ids = (l) => l.map((u) => u.id).join(',');
    if (unfinishedRead && !signedOut && ids(list) !== ids(unfinished)) usageChanged();
    unfinishedRead = true;
    unfinished = list;
    refresh();
  }, 300);
}
