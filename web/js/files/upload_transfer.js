// Sends one file of the upload queue into its folder: PUT …/content for a small file, tus
// (tus.js) for a large one, with the item's on_conflict. A lost connection is waited out
// (retry_wait.js) for as long as it takes, with a "Retry now" (item.retryNow) meanwhile.
import { getNode, resolvePath } from './node_api.js';
import { sameFile } from './upload_folders.js';
import { pauseBeforeRetry } from './retry_wait.js';
import { fileModifiedAt, kTusThresholdBytes, TusUpload } from './tus.js';
import { addSample, rateMeter } from './upload_rate.js';
import { errorOf, send } from './xhr.js';

// Sends `item` ({ file, name, size, onConflict, … } of uploads.js) into the folder `folderId`;
// resolves to the node when known (null after tus, unless a kept copy got another name), and
// rejects with an ApiError or an AbortError (item.cancel() aborts). redraw(item) is called as
// item.sent, item.note and item.retryNow change. onHeld() runs once the server holds the
// file's size of the quota (the tus upload made or found, or a PUT's body on its way).
export function sendFile(item, folderId, redraw, onHeld = () => {}) {
  return item.size > kTusThresholdBytes ? sendTus(item, folderId, redraw, onHeld)
                                        : sendPut(item, folderId, redraw, onHeld);
}

async function sendPut(item, folderId, redraw, onHeld) {
  const controller = new AbortController();
  item.cancel = () => controller.abort();
  const url = `/api/v1/nodes/${encodeURIComponent(folderId)}/content?` +
              new URLSearchParams({ path: item.name, on_conflict: item.onConflict });
  const headers = { 'Content-Type': 'application/octet-stream' };
  const changed = fileModifiedAt(item.file);
  if (changed) headers['X-Modified-At'] = changed;
  let lostAnswer = false;
  for (let failures = 0; ; failures += 1) {
    try {
      // The connection broke after the body was sent: the server may have saved the file and
      // the answer was lost. Sending it again would ask about a conflict with itself (or keep a
      // second copy "name (1)"): the file already there with this size and date is this one.
      if (lostAnswer && item.onConflict !== 'replace') {
        const saved = await alreadySaved(item, folderId, controller.signal);
        if (saved) return saved;
      }
      const onProgress = progressOf(item, redraw);
      let told = false;
      const r = await send('PUT', url, { body: item.file, signal: controller.signal, headers,
        onProgress: (sent) => {
          onProgress(sent);
          if (!told && sent > 0) onHeld();
          told ||= sent > 0;
        } });
      if (r.status === 200 || r.status === 201) return r.data;
      throw errorOf(r);
    } catch (err) {
      if (err?.name === 'AbortError') throw err;
      // A lost connection is waited out however long it takes; a server error 3 times.
      const lost = err?.status === 0;
      if (!lost && !(err?.status >= 500 && err.status !== 507 && failures < 3)) throw err;
      lostAnswer ||= lost;
      await waitToRetry(item, failures, controller.signal, redraw);
    }
  }
}

// The file at the item's path in `folderId` when it is the one being sent (same size, and the
// same modified time when one was sent); null when not there, another file, or not known.
async function alreadySaved(item, folderId, signal) {
  try {
    const folder = await getNode(folderId, { signal });
    if (!folder?.path) return null;
    const path = `${folder.path.replace(/\/$/, '')}/${item.name}`;
    const node = await resolvePath(path, { signal });
    return sameFile(node, item.file) ? node : null;
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    return null;
  }
}

async function waitToRetry(item, failures, signal, redraw) {
  let now = null;
  item.retryNow = () => now?.();
  const pause = pauseBeforeRetry(failures, { signal, onStatus: (text) => {
    item.note = text;
    redraw(item);
  } });
  now = pause.now;
  try {
    await pause.done;
  } finally {
    // A PUT sent again starts from nothing: the server kept none of it.
    Object.assign(item, { retryNow: null, note: '', sent: 0, shown: 0, meter: rateMeter() });
    redraw(item);
  }
}

async function sendTus(item, folderId, redraw, onHeld) {
  const upload = new TusUpload({
    file: item.file, parentId: folderId, path: item.name, onConflict: item.onConflict, onHeld,
    keptUrl: item.keptUrl ?? null,  // Kept by the server after its name was taken (uploads.js).
    onProgress: progressOf(item, redraw, { resumes: true }),
    // The speed of a large file follows what the server confirms, chunk by chunk: what the
    // browser hands to the network goes first into buffers that hold seconds of a slow link,
    // so that count runs ahead, then stalls (QA: 2.2 MB/s, 387 KB/s, 1.1 MB/s within 30 s).
    onConfirmed: (offset) => {
      item.meter.steady = true;
      addSample(item.meter, performance.now(), offset);
      redraw(item);
    },
    onStatus: (text, retryNow) => {
      // Sending again after a lost connection: the speed is measured anew (a time left from
      // before the cut read "123 h 34 min" or "12 min" for 45 s, QA bigfiles).
      if (!text && item.note) restartMeter(item, true);
      Object.assign(item, { note: text, retryNow: retryNow ?? null });
      redraw(item);
    },
  });
  item.tus = upload;
  item.stalledFor = (now) => upload.stalledFor(now);
  item.cancel = () => upload.cancel();
  return oneTabAtATime(upload, item, redraw, async (waited) => {
    // The other tab may have sent this very file meanwhile.
    if (waited && item.onConflict !== 'replace') {
      const saved = await alreadySaved(item, folderId, upload.controller.signal);
      if (saved) return saved;
    }
    const nodeId = await upload.start();
    // Only a kept copy may have another name than the file's.
    return item.onConflict === 'rename' && nodeId ? getNode(nodeId).catch(() => null) : null;
  });
}

// Runs send(waited) holding a lock named after the upload (file, folder and path): two tabs
// sending the same file to the same place would otherwise share one resumable upload (the URL
// this browser remembers for it) and trip over each other's offsets (QA pass 16). The second
// tab waits, says so, and is told whether it waited. Without Web Locks (a page served over
// plain http from another machine) it just sends.
async function oneTabAtATime(upload, item, redraw, send) {
  const locks = globalThis.navigator?.locks;
  if (!locks) return send(false);
  const name = `nimbus.upload.${upload.fp}`;
  return locks.request(name, { ifAvailable: true }, async (lock) => {
    if (lock) return send(false);
    item.note = 'Waiting: another tab is uploading this file to the same place…';
    redraw(item);
    return locks.request(name, { signal: upload.controller.signal }, async () => {
      item.note = '';
      redraw(item);
      return send(true);
    });
  });
}

// A fresh meter for `item` (resumed after a cut or a stall): no speed and no time left are said
// until the new one is measured (upload_rate.js warm-up); item.resumedAt tells the panel's
// overall meter to start anew too.
function restartMeter(item, steady) {
  item.meter = Object.assign(rateMeter(), { steady });
  item.stalled = false;
  item.resumedAt = performance.now();
}

// The speed meter (upload_rate.js) starts at the first report: a resumed upload's first report
// is the offset it resumes at, which is not bytes sent now. With `resumes` (tus) that first
// offset is kept as item.base, so that the overall speed (upload_panel.js) does not count it as
// just sent. item.shown, what the panel says is sent, never goes back: after a reconnect the
// server's offset may be up to one small chunk below what had gone out (its checksum failed
// on the cut), and the figure waits there until the bytes sent again pass it.
function progressOf(item, redraw, { resumes = false } = {}) {
  let first = resumes;
  // A PUT's body stalled (what is handed to the network stops before its end); a tus upload
  // tells its own (TusUpload.stalledFor).
  let moved = performance.now();
  item.stalledFor = (now) => (item.sent < item.size ? now - moved : 0);
  return (sent) => {
    if (Math.min(sent, item.size) > item.sent) {
      moved = performance.now();
      // Moving again after the panel said "Stalled": the speed is measured anew.
      if (item.stalled) restartMeter(item, item.meter.steady);
    }
    item.sent = Math.min(sent, item.size);
    if (first) {
      item.base = item.sent;
      first = false;
    }
    item.shown = Math.max(item.shown ?? 0, item.sent);
    if (!item.meter.steady) addSample(item.meter, performance.now(), item.sent);
    redraw(item);
  };
}
