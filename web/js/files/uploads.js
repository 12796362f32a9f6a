// The upload manager: one queue for the whole page (it keeps running while the person browses
// other folders or the trash), a panel with a progress bar, speed and time left per file, and
// cancel/retry. Small files go up with PUT …/content, large ones with tus (tus.js). Before a
// byte is sent, the batch's total size is checked against the free quota.
import { h, replaceChildren } from '../dom.js';
import { formatBytes } from '../format.js';
import { choiceDialog } from './dialogs.js';
import { freeBytes, fetchQuota, makeFolders } from './node_api.js';
import { leafFolders, planBytes } from './tree_walk.js';
import { forgetUpload, kTusThresholdBytes, pendingUploads, TusUpload } from './tus.js';
import { errorOf, send } from './xhr.js';

const kParallel = 3;
const items = [];
const listeners = new Set();
const failureListeners = new Set();
let panel = null;
let nextId = 0;

// Calls fn(parentId) each time a file lands in a folder; returns an unsubscribe function.
export function onUploaded(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Calls fn(parentId, err) each time an upload into a folder is refused (not when cancelled);
// returns an unsubscribe function. A 403 or 404 there may mean a share was revoked or changed.
export function onUploadFailed(fn) {
  failureListeners.add(fn);
  return () => failureListeners.delete(fn);
}

// The uploads panel (one element for the page; views append it where they like).
export function uploadPanel() {
  if (panel) return panel;
  const list = h('ul', { class: 'upload-list', 'aria-label': 'Uploads in progress' });
  const summary = h('p', { class: 'upload-summary', role: 'status', 'aria-live': 'polite' });
  const resumable = h('div', { class: 'upload-resumable' });
  const clear = h('button', { type: 'button', class: 'link-button', hidden: true },
                  'Clear finished');
  clear.addEventListener('click', () => {
    for (let i = items.length - 1; i >= 0; i -= 1) {
      if (['done', 'canceled'].includes(items[i].state)) items.splice(i, 1)[0].row.remove();
    }
    refresh();
  });
  panel = h('section', { class: 'upload-panel', 'aria-label': 'Uploads' },
            h('div', { class: 'upload-head' }, h('h2', {}, 'Uploads'), summary, clear),
            resumable, list);
  panel.list = list;
  panel.summary = summary;
  panel.clear = clear;
  panel.resumable = resumable;
  refresh();
  return panel;
}

// Bytes queued or in flight (not yet on the server): they are about to take quota.
function pendingBytes() {
  return items.filter((i) => i.state === 'queued' || i.state === 'uploading')
      .reduce((sum, i) => sum + (i.size - i.sent), 0);
}

// Uploads `plan` ({ files: [{file, path}], folders: [path] }, see tree_walk.js) into the folder
// `parentId`. Resolves to null when queued, or to a sentence for the person when nothing was
// sent (not enough free space, or a folder could not be created). `ownSpace: false` for a folder
// shared with me: its owner's space takes the bytes, which only the server knows (its 507 names
// the owner), so my own free space is not checked. `existingNames` (a Set), when the caller
// knows what the folder holds: a file of the plan whose name is taken there makes the person
// choose first between replacing and keeping both (the new one then gets a free name, "a (1).txt",
// which its row shows); a folder of the same name is merged into. Resolves to '' when the person
// cancelled that choice.
export async function uploadPlan(plan, parentId,
                                 { ownSpace = true, existingNames = null } = {}) {
  if (!plan.files.length && !plan.folders.length) return null;
  let onConflict = 'rename';
  const taken = existingNames ? plan.files.map((f) => f.path).filter((p) => existingNames.has(p))
                              : [];
  if (taken.length) {
    const one = taken.length === 1;
    const choice = await choiceDialog({
      title: one ? `"${taken[0]}" already exists here` : `${taken.length} files already exist here`,
      message: (one ? 'Replace it with the one you are uploading, or keep both? '
                    : 'Replace them with the ones you are uploading, or keep both? ') +
               'Keeping both saves the new file under a numbered name, like "name (1).txt".',
      choices: [{ value: 'rename', label: 'Keep both' },
                { value: 'replace', label: one ? 'Replace' : 'Replace them', danger: true }] });
    if (!choice) return '';
    onConflict = choice;
  }
  const needed = planBytes(plan);
  const usage = ownSpace ? await fetchQuota() : null;
  const free = ownSpace ? Math.max(0, freeBytes(usage) - pendingBytes()) : Infinity;
  if (needed > free) {
    const what = plan.folders.length ? 'This folder needs'
                                     : plan.files.length === 1 ? 'This file needs'
                                                               : 'These files need';
    return `${what} ${formatBytes(needed)} but only ${formatBytes(free)} is free.`;
  }
  for (const folder of leafFolders(plan)) {
    try {
      await makeFolders(parentId, folder);
    } catch (err) {
      if (err?.code !== 'name_taken') return `The folder "${folder}" could not be created: ${err.message}`;
    }
  }
  // Folders alone (an empty folder dropped) make no upload: tell the views now.
  if (!plan.files.length) for (const fn of listeners) fn(parentId);
  uploadPanel();
  for (const { file, path } of plan.files) {
    const item = { id: ++nextId, file, path, parentId, onConflict, size: file.size, sent: 0,
                   state: 'queued', error: '', note: '', savedAs: '', samples: [] };
    item.row = buildRow(item);
    items.push(item);
    panel.list.append(item.row);
    draw(item);
  }
  refresh();
  pump();
  return null;
}

function pump() {
  let running = items.filter((i) => i.state === 'uploading').length;
  for (const item of items) {
    if (running >= kParallel) break;
    if (item.state !== 'queued') continue;
    running += 1;
    run(item);
  }
}

async function run(item) {
  item.state = 'uploading';
  item.sent = 0;
  item.error = '';
  // Speed samples start at the first report: a resumed upload's first report is the offset it
  // resumes at, which is not bytes sent now. A report that goes back (a retry from the last
  // durable offset) starts them again.
  item.samples = [];
  draw(item);
  const onProgress = (sent) => {
    item.sent = Math.min(sent, item.size);
    const last = item.samples[item.samples.length - 1];
    if (last && item.sent < last[1]) item.samples = [];
    item.samples.push([performance.now(), item.sent]);
    if (item.samples.length > 40) item.samples.shift();
    draw(item);
  };
  try {
    if (item.size > kTusThresholdBytes) {
      const upload = new TusUpload({ file: item.file, parentId: item.parentId, path: item.path,
                                     onConflict: item.onConflict, onProgress,
                                     onStatus: (text) => { item.note = text; draw(item); } });
      item.cancel = () => upload.cancel();
      await upload.start();
    } else {
      const controller = new AbortController();
      item.cancel = () => controller.abort();
      const url = `/api/v1/nodes/${encodeURIComponent(item.parentId)}/content?` +
                  new URLSearchParams({ path: item.path, on_conflict: item.onConflict });
      const r = await send('PUT', url, { body: item.file, onProgress, signal: controller.signal,
                                         headers: { 'Content-Type': 'application/octet-stream' } });
      if (r.status !== 200 && r.status !== 201) throw errorOf(r);
      const leaf = item.path.split('/').pop();
      if (typeof r.data?.name === 'string' && r.data.name !== leaf) item.savedAs = r.data.name;
    }
    item.state = 'done';
    item.sent = item.size;
    item.note = '';
    for (const fn of listeners) fn(item.parentId);
  } catch (err) {
    if (item.state !== 'canceled') {
      item.state = err?.name === 'AbortError' ? 'canceled' : 'failed';
      item.error = err?.message ?? String(err);
      // A refusal that sending again cannot change (a bad name, a missing folder): no Retry.
      item.final = err?.status >= 400 && err?.status < 500 && ![408, 410, 429].includes(err.status);
      if (item.state === 'failed') for (const fn of failureListeners) fn(item.parentId, err);
    }
  }
  item.cancel = null;
  draw(item);
  refresh();
  pump();
}

function buildRow(item) {
  const progress = h('progress', { max: String(Math.max(item.size, 1)), value: '0',
                                   'aria-label': `Upload progress of ${item.path}` });
  const status = h('span', { class: 'upload-status' });
  const cancel = h('button', { type: 'button', class: 'button button-secondary button-small',
                               'aria-label': `Cancel upload of ${item.path}` }, 'Cancel');
  cancel.addEventListener('click', () => {
    const was = item.state;
    item.state = 'canceled';
    item.error = '';
    if (was === 'uploading') item.cancel?.();
    draw(item);
    refresh();
    pump();
  });
  const retry = h('button', { type: 'button', class: 'button button-secondary button-small',
                              'aria-label': `Retry upload of ${item.path}`, hidden: true }, 'Retry');
  retry.addEventListener('click', () => {
    item.state = 'queued';
    draw(item);
    pump();
  });
  const row = h('li', { class: 'upload' },
                h('span', { class: 'upload-name' }, item.path), progress, status, cancel, retry);
  Object.assign(row, { progress, status, cancel, retry });
  return row;
}

// Bytes per second over the last ~3 s of samples, or 0 before there is enough to say.
function speedOf(item) {
  const now = performance.now();
  const recent = item.samples.filter(([t]) => now - t <= 3000);
  if (recent.length < 2) return 0;
  const [t0, b0] = recent[0];
  const [t1, b1] = recent[recent.length - 1];
  return t1 > t0 ? ((b1 - b0) * 1000) / (t1 - t0) : 0;
}

function draw(item) {
  const { row } = item;
  row.dataset.state = item.state;
  row.progress.value = item.sent;
  let text;
  if (item.state === 'queued') text = `Waiting · ${formatBytes(item.size)}`;
  else if (item.state === 'done') {
    text = `Done · ${formatBytes(item.size)}` + (item.savedAs ? ` · saved as "${item.savedAs}"` : '');
  }
  else if (item.state === 'canceled') text = 'Cancelled';
  else if (item.state === 'failed') text = `Failed: ${item.error}`;
  else {
    const speed = speedOf(item);
    const left = speed > 0 ? Math.ceil((item.size - item.sent) / speed) : null;
    text = `${formatBytes(item.sent)} of ${formatBytes(item.size)}` +
           (speed > 0 ? ` · ${formatBytes(speed)}/s · ${formatDuration(left)} left` : '') +
           (item.note ? ` · ${item.note}` : '');
  }
  row.status.textContent = text;
  row.status.classList.toggle('status-error', item.state === 'failed');
  row.cancel.hidden = !(item.state === 'queued' || item.state === 'uploading');
  row.retry.hidden = item.state !== 'failed' || item.final;
}

function refresh() {
  if (!panel) return;
  const total = items.length;
  const done = items.filter((i) => i.state === 'done').length;
  const active = items.filter((i) => i.state === 'queued' || i.state === 'uploading').length;
  panel.hidden = total === 0 && pendingUploads().length === 0;
  panel.summary.textContent = total ? `${done} of ${total} uploaded` +
                                      (active ? ` · ${active} in progress` : '') : '';
  panel.clear.hidden = !items.some((i) => i.state === 'done' || i.state === 'canceled');
  drawResumable();
}

// Uploads remembered from before a reload that no item of this page is sending.
function drawResumable() {
  const activePaths = new Set(items.filter((i) => i.state !== 'done').map((i) => i.path));
  const waiting = pendingUploads().filter((p) => !activePaths.has(p.path));
  replaceChildren(panel.resumable, waiting.length ? h('div', { class: 'notice' },
    h('p', {}, 'Unfinished uploads: choose the same file again, in the same folder, to continue ',
      'where it stopped.'),
    h('ul', { class: 'plain-list' }, waiting.map((p) => {
      const forget = h('button', { type: 'button', class: 'link-button',
                                   'aria-label': `Forget ${p.path}` }, 'Forget');
      forget.addEventListener('click', async () => {
        await forgetUpload(p.fingerprint, { terminate: true });
        refresh();
      });
      const sent = Number(p.sent) || 0;
      return h('li', {}, `${p.path} (${sent ? `${formatBytes(sent)} of ` : ''}` +
                         `${formatBytes(p.size)}${sent ? ' sent' : ''}) `, forget);
    }))) : null);
}

// 75 -> "1 min 15 s".
export function formatDuration(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const min = Math.floor(seconds / 60);
  if (min < 60) return `${min} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
