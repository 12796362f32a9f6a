// A small tus 1.0.0 client (core, creation, termination, checksum) for /api/v1/uploads: sends a
// File in chunks, resumes after a network error from the server's offset (HEAD), and after a
// page reload from the upload URL kept in localStorage under a fingerprint of the file.
import { pauseBeforeRetry } from './retry_wait.js';
import { send, errorOf } from './xhr.js';

// The file's own modified time (a photo's date) as RFC 3339, or null when the browser has none
// usable: sent with every upload (X-Modified-At, or tus modified_at) so it keeps its date, as
// Dropbox shows it.
export function fileModifiedAt(file) {
  const changed = Number(file.lastModified);
  if (!Number.isFinite(changed) || changed <= 0 || changed >= Date.now() + 86400000) return null;
  return new Date(changed).toISOString();
}

// Web uploads larger than this go through tus (files.toml tus_threshold_bytes, default 16 MiB).
// No endpoint exposes it, so the default lives here.
export const kTusThresholdBytes = 16 * 1024 * 1024;

// Chunk sizes. Each chunk carries an Upload-Checksum, so the server keeps nothing of a chunk
// cut off by a dropped connection (tus checksum extension): a fixed 8 MiB chunk took ~170 s
// at 400 kbit/s and a link that dropped more often never got past 0 bytes (QA pass 17c). The
// size follows the speed measured on the last chunk, so that one takes about kChunkSeconds:
// a drop loses seconds of work, not minutes. It starts small and grows (at most 4x a chunk)
// up to upload_chunk_bytes (8 MiB, files.toml), in steps of 64 KiB.
export const kMinChunkBytes = 256 * 1024;
export const kMaxChunkBytes = 8 * 1024 * 1024;
const kChunkStepBytes = 64 * 1024;
const kChunkSeconds = 12;
const kChunkGrowth = 4;

// The size of the next chunk after `bytes` went in `ms` with chunks of `current` bytes.
export function nextChunkBytes(current, bytes, ms) {
  const rate = bytes / Math.max(ms, 1) * 1000;  // Bytes per second.
  const wanted = Math.floor(rate * kChunkSeconds / kChunkStepBytes) * kChunkStepBytes;
  return Math.max(kMinChunkBytes, Math.min(kMaxChunkBytes, current * kChunkGrowth, wanted));
}

const kEndpoint = '/api/v1/uploads';
const kStorePrefix = 'nimbus.tus.';
const kMaxServerRetries = 7;  // Server errors in a row before giving up (a lost connection: never).
// A stalled link (hotel Wi-Fi: the connection stays up, nothing moves): no byte of a chunk handed
// to the network for kStallAbortMs while its body is still going out, and the chunk is given up
// and resumed from the server's offset (HEAD), rather than waiting for the server's 30 s body
// timeout plus buffers (QA bigfiles: a minute frozen at "19.0 MB/s · 48 s left"). Once the whole
// chunk is handed over, the buffers may hold seconds of a slow link: the clock starts after the
// time the chunk takes at the last measured speed. A HEAD gets kHeadTimeoutMs.
export const kStallAbortMs = 15000;
const kHeadTimeoutMs = 15000;

// The key a file's upload is remembered by: name, size, lastModified, target folder and path.
export function fingerprint(file, parentId, path) {
  return [file.name, file.size, file.lastModified, parentId, path].join('\u0001');
}

// Uploads started earlier (also before a reload) and not finished: [{ fingerprint, url, name,
// path, size, parentId, savedAt }]. Choosing the same file again for the same folder resumes.
export function pendingUploads() {
  const out = [];
  try {
    for (let i = 0; i < localStorage.length; i += 1) {
      const key = localStorage.key(i);
      if (!key?.startsWith(kStorePrefix)) continue;
      const value = JSON.parse(localStorage.getItem(key));
      if (value?.url) out.push({ ...value, fingerprint: key.slice(kStorePrefix.length) });
    }
  } catch {
    // Storage unavailable or a bad entry: nothing to resume.
  }
  return out;
}

// Forgets a remembered upload (and, when `terminate`, asks the server to drop its bytes).
export async function forgetUpload(fp, { terminate = false } = {}) {
  const saved = load(fp);
  try {
    localStorage.removeItem(kStorePrefix + fp);
  } catch {
    // Nothing stored.
  }
  if (terminate && saved?.url) {
    await send('DELETE', saved.url, { headers: { 'Tus-Resumable': '1.0.0' } }).catch(() => {});
  }
}

// Forgets whatever this browser remembers of the upload at `url` ("/api/v1/uploads/<id>"),
// e.g. after it was discarded; the server is not asked.
export function forgetUploadUrl(url) {
  for (const p of pendingUploads()) {
    if (p.url === url) forgetUpload(p.fingerprint);
  }
}

// Uploads `file` as `path` (may hold folders) under the folder `parentId` with tus.
// onProgress(bytesOnServer) fires as bytes go out; onHeld() once the upload exists on the server
// (made or resumed: it holds its size of the quota); onConfirmed(offset) each time the server
// says how far it has the file (the upload opened, a chunk answered, a HEAD after a failure);
// onStatus(text, retryNow) tells about
// reconnects ('' when sending again), with a function that ends the wait at once (or null).
// start() resolves to the node's id when the last byte landed (the node then exists) and
// rejects with an ApiError (its message is for the person) or an AbortError after cancel().
export class TusUpload {
  // `keptUrl`: an upload of this file kept by the server with every byte after its name was
  // taken meanwhile (see keptError): finished with `onConflict` (replace or rename) without
  // sending the bytes again.
  constructor({ file, parentId, path, onConflict = 'rename', chunkBytes = kMinChunkBytes,
                onProgress = () => {}, onStatus = () => {}, onHeld = () => {},
                onConfirmed = () => {}, keptUrl = null }) {
    Object.assign(this, { file, parentId, path, onConflict, chunkBytes, onProgress, onStatus,
                          onHeld, onConfirmed, keptUrl });
    this.kept = null;  // The kept upload's error (keptError), once open() found it so.
    this.fp = fingerprint(file, parentId, path);
    this.controller = new AbortController();
    this.url = null;
    this.resumed = false;
    this.ahead = null;  // The checksum computed last: { start, end, checksum (a promise) }.
    this.flight = null;  // The chunk on its way: { moved (ms), all (handed over), graceMs }.
    this.bytesPerMs = 0;  // Measured on the last chunk answered.
  }

  // How long (ms) no byte of the chunk on its way has moved, beyond what the link's buffers
  // explain (see kStallAbortMs); 0 when none is on its way, and for the last chunk once handed
  // over (the server is saving the file then).
  stalledFor(now = performance.now()) {
    const f = this.flight;
    if (!f || (f.all && f.last)) return 0;
    return Math.max(0, now - f.moved - (f.all ? f.graceMs : 0));
  }

  async start() {
    const size = this.file.size;
    let offset = await this.open();
    this.onHeld();
    this.onStatus('', null);
    this.onProgress(offset);
    this.onConfirmed(offset);
    if (this.kept) return this.finishKept();
    let nodeId = null;
    let failures = 0;
    while (offset < size) {
      try {
        // After a failed chunk the server says how far it got (it may have kept part of it).
        if (failures > 0) {
          offset = await this.serverOffset();
          // The server answered: the connection is back, bytes flow again ("Retrying…" would
          // otherwise stay up for a whole chunk).
          this.onStatus('', null);
        }
        const began = performance.now();
        const sent = await this.sendChunk(offset);
        const took = performance.now() - began;
        if (sent.offset > offset) this.bytesPerMs = (sent.offset - offset) / Math.max(took, 1);
        this.chunkBytes = nextChunkBytes(this.chunkBytes, sent.offset - offset, took);
        offset = sent.offset;
        this.onConfirmed(offset);
        nodeId = sent.nodeId ?? nodeId;
        const saved = load(this.fp);  // How far it got, for the "Unfinished uploads" list.
        if (saved) store(this.fp, { ...saved, sent: offset });
        failures = 0;
      } catch (err) {
        // Failed on the server for good (410 upload_failed: its folder was deleted): nothing
        // left to resume, so this browser forgets it.
        if (err?.status === 410) await forgetUpload(this.fp);
        // The name taken by another file as the last bytes arrived: the server may have kept
        // every byte for a decision (HEAD 409); then that is what is said.
        if (err?.code === 'name_taken' && !err.kept) throw await this.keptOrGone(err);
        // A chunk that did not get through: the next try sends a smaller one.
        this.chunkBytes = halved(this.chunkBytes);
        await this.pauseAfter(err, failures, retryable);
        failures += 1;
      }
    }
    await forgetUpload(this.fp);
    return nodeId;
  }

  // The URL of this upload on the server (e.g. "/api/v1/uploads/3f…"), once created.
  get uploadUrl() {
    return this.url;
  }

  // Resumes the upload remembered for this file (HEAD) or creates one; resolves to the offset
  // to send from. A lost connection is waited out; a refusal (409 name_taken with
  // on_conflict fail, 507, 413) rejects before any byte is sent.
  async open() {
    // A creation whose answer was lost (the connection broke): the server may have made the
    // upload, which then holds the file's size for a day; before making another, it is looked
    // for (QA bigfiles: two orphans of "IMG_0000.CR3" held 50 MB after the file was saved).
    let lostSince = null;
    for (let failures = 0; ; failures += 1) {
      let creating = false;
      try {
        if (lostSince !== null) {
          const offset = await this.adoptLostCreation(lostSince);
          if (offset !== null) return offset;
        }
        const saved = load(this.fp);
        const known = this.keptUrl ?? saved?.url;
        if (known) {
          let offset;
          try {
            offset = await this.headOffset(known);
          } catch (err) {
            if (!err?.kept) throw err;
            // Kept after its name was taken: finished with the rule chosen since (start()),
            // or asked about again.
            if (this.onConflict === 'fail') throw err;
            Object.assign(this, { url: known, kept: err, resumed: true });
            return this.file.size;
          }
          if (offset !== null) {
            this.url = known;
            this.resumed = offset > 0;
            return offset;
          }
          if (known === saved?.url) await forgetUpload(this.fp);
        }
        creating = true;
        lostSince ??= performance.now();
        this.url = await this.create();
        store(this.fp, { url: this.url, name: this.file.name, path: this.path,
                         size: this.file.size, parentId: this.parentId,
                         savedAt: new Date().toISOString() });
        return 0;
      } catch (err) {
        // Not answered at all: made or not, it cannot be told; otherwise nothing was made.
        if (creating && err?.status !== 0) lostSince = null;
        await this.pauseAfter(err, failures, (e) => e?.status === 0 ||
                                                     (e?.status >= 500 && e?.status !== 507));
      }
    }
  }

  // After a creation that got no answer: the unfinished upload the server made for it (same
  // folder, path and length, made since `since` (performance.now() ms) and not one this browser
  // knows), which is taken on, remembered as this file's upload; resolves to its offset, or to
  // null when there is none (create again). Others found alike are discarded (DELETE): left,
  // each would hold the file's size until it expires.
  async adoptLostCreation(since) {
    const r = await send('GET', kEndpoint, { signal: this.controller.signal });
    if (r.status !== 200) throw errorOf(r);
    const serverNow = Date.parse(r.header('Date') ?? '') || Date.now();
    // Server time, with a minute of slack for the seconds between a Date and a created_at.
    const after = serverNow - (performance.now() - since) - 60000;
    const known = new Set(pendingUploads().map((p) => p.url));
    const found = (Array.isArray(r.data?.uploads) ? r.data.uploads : [])
        .filter((u) => !u.sender && u.state === 'receiving' && u.parent_id === this.parentId &&
                       u.path === this.path && Number(u.size) === this.file.size &&
                       !known.has(`${kEndpoint}/${u.id}`) && Date.parse(u.created_at) >= after)
        .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    let offset = null;
    for (const u of found) {
      const url = `${kEndpoint}/${encodeURIComponent(u.id)}`;
      if (offset === null) {
        offset = await this.headOffset(url);
        if (offset !== null) {
          this.url = url;
          this.resumed = offset > 0;
          store(this.fp, { url, name: this.file.name, path: this.path, size: this.file.size,
                           parentId: this.parentId, savedAt: new Date().toISOString() });
          continue;
        }
      }
      await send('DELETE', url, { signal: this.controller.signal,
                                  headers: { 'Tus-Resumable': '1.0.0' } }).catch((err) => {
        if (err?.name === 'AbortError') throw err;
      });
    }
    return offset;
  }

  // The server's offset after a failure; rejects with 410 upload_expired when it is gone.
  async serverOffset() {
    const offset = await this.headOffset(this.url);
    if (offset !== null) {
      this.onProgress(offset);
      this.onConfirmed(offset);
      return offset;
    }
    await forgetUpload(this.fp);
    throw errorOf({ status: 410, data: { error: { code: 'upload_expired',
      message: 'The server no longer has this upload. Please upload the file again.' } } });
  }

  // Rethrows `err` unless it is worth another try; else waits (see retry_wait.js). A lost
  // connection is retried for as long as it takes; a server error 7 times in a row.
  async pauseAfter(err, failures, worthRetry) {
    const lost = err?.status === 0;
    if (err?.name === 'AbortError' || !worthRetry(err) || (!lost && failures >= kMaxServerRetries)) {
      throw err;
    }
    let now = null;
    const pause = pauseBeforeRetry(failures, { signal: this.controller.signal,
      onStatus: (text) => this.onStatus(text, () => now?.()) });
    now = pause.now;
    await pause.done;
    this.onStatus('Retrying…', null);
  }

  // Stops sending and drops the upload on the server.
  async cancel() {
    this.controller.abort();
    await forgetUpload(this.fp, { terminate: true });
  }

  async create() {
    const pairs = [['parent_id', this.parentId], ['path', this.path],
                   ['filename', this.file.name], ['on_conflict', this.onConflict]];
    const changed = fileModifiedAt(this.file);
    if (changed) pairs.push(['modified_at', changed]);
    const metadata = pairs
        .map(([k, v]) => `${k} ${base64(v)}`).join(',');
    const r = await send('POST', kEndpoint, {
      signal: this.controller.signal,
      headers: { 'Tus-Resumable': '1.0.0', 'Upload-Length': String(this.file.size),
                 'Upload-Metadata': metadata },
    });
    if (r.status !== 201) throw errorOf(r);
    const location = r.header('Location');
    if (!location) throw errorOf({ status: 502, data: null });
    const url = new URL(location, window.location.href);
    return url.pathname + url.search;
  }

  // After the last PATCH's 409 name_taken (`err`): the error of the upload kept with every
  // byte (keptError) when the server kept it, else `err` (the upload is gone: forgotten).
  async keptOrGone(err) {
    try {
      if ((await this.headOffset(this.url)) === null) await forgetUpload(this.fp);
    } catch (kept) {
      if (kept?.kept) return kept;
    }
    return err;
  }

  // Finishes the kept upload (this.kept) with the rule chosen (replace or rename): an empty
  // PATCH at the full offset with Nimbus-On-Conflict; no byte is sent again. Resolves to the
  // node's id.
  async finishKept() {
    for (let failures = 0; ; failures += 1) {
      try {
        const r = await send('PATCH', this.url, { signal: this.controller.signal, headers: {
          'Tus-Resumable': '1.0.0', 'Upload-Offset': String(this.file.size),
          'Content-Type': 'application/offset+octet-stream',
          'Nimbus-On-Conflict': this.onConflict } });
        if (r.status !== 204 && r.status !== 200) throw errorOf(r);
        await forgetUpload(this.fp);
        return r.header('Nimbus-Node-Id');
      } catch (err) {
        await this.pauseAfter(err, failures, (e) => e?.status === 0 || e?.status >= 500);
      }
    }
  }

  // The server's offset for `url`, or null when the upload is gone (404/410/403). An upload
  // kept with every byte after its name was taken (409 with Nimbus-Upload-Error) rejects with
  // keptError.
  async headOffset(url) {
    const r = await send('HEAD', url, { signal: this.controller.signal, timeoutMs: kHeadTimeoutMs,
                                        headers: { 'Tus-Resumable': '1.0.0' } });
    if (r.status === 404 || r.status === 410 || r.status === 403) return null;
    if (r.status === 409 && r.header('Nimbus-Upload-Error') !== null) throw keptError(url, r);
    if (r.status < 200 || r.status >= 300) throw errorOf(r);
    const offset = Number(r.header('Upload-Offset'));
    if (!Number.isFinite(offset)) throw errorOf({ status: 502, data: null });
    return offset;
  }

  // The Upload-Checksum of the bytes [start, end) ("sha256 <base64>"), or null without Web
  // Crypto (a page served over plain http from another machine). The last one asked for is
  // kept, so that the one computed ahead (sendChunk) is not computed twice.
  checksumOf(start, end) {
    if (!globalThis.crypto?.subtle) return Promise.resolve(null);
    const ahead = this.ahead;
    if (ahead?.start === start && ahead.end === end) return ahead.checksum;
    const checksum = this.file.slice(start, end).arrayBuffer()
        .then((bytes) => crypto.subtle.digest('SHA-256', bytes))
        .then((digest) => `sha256 ${bytesToBase64(new Uint8Array(digest))}`);
    this.ahead = { start, end, checksum };
    return checksum;
  }

  // Sends the chunk at `offset`; resolves to { offset (the new one), nodeId (after the last) }.
  async sendChunk(offset) {
    const end = Math.min(this.file.size, offset + this.chunkBytes);
    // The body is the Blob slice, not its bytes: Chromium sends an ArrayBuffer body at about
    // 10 MB/s and a Blob at the speed of the disk (QA pass 16 measured 6 MB/s uploads).
    const slice = this.file.slice(offset, end);
    const headers = { 'Tus-Resumable': '1.0.0', 'Upload-Offset': String(offset),
                      'Content-Type': 'application/offset+octet-stream' };
    const checksum = await this.checksumOf(offset, end);
    if (checksum) headers['Upload-Checksum'] = checksum;
    // The next chunk's checksum is computed while this one is on its way.
    if (end < this.file.size) {
      this.checksumOf(end, Math.min(this.file.size, end + this.chunkBytes)).catch(() => {});
    }
    // Its own abort, for a stall (kStallAbortMs); cancel() aborts it too.
    const request = new AbortController();
    const abort = () => request.abort();
    this.controller.signal.addEventListener('abort', abort, { once: true });
    const graceMs = this.bytesPerMs > 0 ? Math.min(120000, (end - offset) / this.bytesPerMs)
                                        : kChunkSeconds * 1000;
    const flight = { moved: performance.now(), all: false, last: end >= this.file.size, graceMs };
    this.flight = flight;
    let stalled = false;
    const watch = setInterval(() => {
      if (this.stalledFor() < kStallAbortMs) return;
      stalled = true;
      request.abort();
    }, 1000);
    let r;
    try {
      r = await send('PATCH', this.url, {
        body: slice, headers, signal: request.signal,
        onProgress: (loaded) => {
          if (loaded > (flight.loaded ?? 0)) flight.moved = performance.now();
          flight.loaded = loaded;
          flight.all = loaded >= end - offset;
          this.onProgress(offset + loaded);
        },
      });
    } catch (err) {
      if (!stalled || this.controller.signal.aborted) throw err;
      throw errorOf({ status: 0, data: { error: { code: 'network_error',
        message: 'The connection stalled: nothing got through for a while.' } } });
    } finally {
      clearInterval(watch);
      this.controller.signal.removeEventListener('abort', abort);
      this.flight = null;
    }
    if (r.status !== 204 && r.status !== 200) throw errorOf(r);
    const next = Number(r.header('Upload-Offset'));
    return { offset: Number.isFinite(next) ? next : end, nodeId: r.header('Nimbus-Node-Id') };
  }
}

// The error of an upload the server kept with every byte because its name was taken meanwhile
// (two uploads of one name at once: the other was saved first; QA bigfiles #1): 409 name_taken
// with `kept` and the upload's `uploadUrl`, for the person to choose Replace, Keep both (then
// finished without sending the bytes again) or Skip (then deleted).
function keptError(url, r) {
  let reason = '';
  try {
    reason = decodeURIComponent(r.header('Nimbus-Upload-Error') ?? '');
  } catch {
    // Not percent-encoded as it should be: the sentence of the panel says it all.
  }
  const err = errorOf({ status: 409, data: { error: { code: 'name_taken',
    message: reason || 'A file of that name was saved meanwhile, by another upload.' } } });
  return Object.assign(err, { kept: true, uploadUrl: url });
}

// Half of a chunk size, in steps of 64 KiB, at least kMinChunkBytes.
function halved(bytes) {
  return Math.max(kMinChunkBytes, Math.floor(bytes / 2 / kChunkStepBytes) * kChunkStepBytes);
}

// Network errors, 5xx (but not 507), 409 (offset mismatch) and 423 (locked) are worth a retry.
// Not the 409 name_taken of the last chunk (the name was taken while the file was on its way,
// on_conflict fail): the upload fails on the server then, and the person is asked about it.
function retryable(err) {
  const s = err?.status;
  return s === 0 || (s === 409 && err?.code !== 'name_taken') || s === 423 ||
         (s >= 500 && s !== 507);
}

function base64(text) {
  return bytesToBase64(new TextEncoder().encode(String(text ?? '')));
}

function bytesToBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function load(fp) {
  try {
    return JSON.parse(localStorage.getItem(kStorePrefix + fp));
  } catch {
    return null;
  }
}

function store(fp, value) {
  try {
    localStorage.setItem(kStorePrefix + fp, JSON.stringify(value));
  } catch {
    // Storage full or disabled: the upload still works, it just cannot resume after a reload.
  }
}
