// The uploads panel: a summary ("12 uploaded, 288 failed, 1 cancelled"), an overall line
// (bytes sent of the total, speed, time left), the unfinished resumable uploads, one row per
// file being sent, failures grouped by cause (one sentence each, with Retry all and Clear) and
// the finished rows collapsed into one "N done" line. Rows never move while the pointer or the
// focus is in the panel: a finished row leaves the list only once it is left alone.
import { h, replaceChildren } from '../dom.js';
import { formatBytes, shortName, shortenLongRuns, visibleText } from '../format.js';
import { unfinishedList } from './unfinished_uploads.js';
import { discardLabel } from './upload_held.js';
import { addSample, rateMeter, rateOf } from './upload_rate.js';

const kActive = ['queued', 'uploading', 'conflict', 'paused'];
const kFinished = ['done', 'canceled', 'skipped'];
const kListedFailures = 100;  // File names shown under a failure group.
// Waiting files shown as rows; the rest are one line ("4,950 more files waiting") and get their
// row when they start: 5,000 rows of a dropped folder made every progress update lay out the
// whole list again (QA pass 16: 14 files/s instead of a thousand).
const kShownWaiting = 50;
// No byte moved for this long (a stalled link: the connection up, nothing going through): the
// row and the header stop saying the last speed and time left (QA bigfiles: "19.0 MB/s · 48 s
// left" for a minute). tus.js gives the chunk up after kStallAbortMs and resumes.
const kStallShowMs = 5000;
export const kStalledText = 'Stalled — waiting for the connection…';

// What the row of `item` (being sent) says of its speed at `now`: { speed (0: none said),
// stalled }. The header says the same of a file sent alone (one meter for both).
function liveSpeed(item, now) {
  const stalled = !item.note && !isSaving(item) && (item.stalledFor?.(now) ?? 0) >= kStallShowMs;
  item.stalled = stalled;
  return { speed: item.note || stalled ? 0 : rateOf(item.meter, now), stalled };
}

// Every byte is sent and the server is putting the file together (tus state "saving"; a 2 GB
// file takes about 12 s): it says "Saving…", and it can no longer be cancelled.
export function isSaving(item) {
  return item.state === 'uploading' && item.size > 0 && item.sent >= item.size && !item.note;
}

// The counters of the panel, from one pass over `items`.
function countItems(items) {
  const c = { done: 0, failed: 0, canceled: 0, skipped: 0, already: 0, active: 0, unlisted: 0,
              renamed: 0, sending: 0, waiting: 0, asking: 0, paused: 0 };
  for (const i of items) {
    if (i.state === 'done') {
      c.done += 1;
      if (i.savedAs) c.renamed += 1;
    } else if (i.state === 'failed') c.failed += 1;
    else if (i.state === 'canceled') c.canceled += 1;
    else if (i.state === 'skipped') c[i.already ? 'already' : 'skipped'] += 1;
    if (kActive.includes(i.state)) c.active += 1;
    if (i.state === 'uploading') c.sending += 1;
    else if (i.state === 'queued') c.waiting += 1;
    else if (i.state === 'conflict') c.asking += 1;
    else if (i.state === 'paused') c.paused += 1;
    if (i.state === 'queued' && !i.row) c.unlisted += 1;
  }
  return c;
}

// Said once, under the summary, while files chosen with the folder picker are listed: browsers
// leave empty folders out of such a pick, and a drop keeps them (tree_walk.js).
export const kPickedFolderNote = 'Empty folders are not included when a folder is chosen ' +
                                 'this way; drag the folder in to keep them.';

// The panel for `items` (the upload queue, read on every refresh). `actions`: cancel(item),
// retry(items), clear(items), clearFinished(), reloadUnfinished(), discardHeld(items).
export function createPanel(items, actions) {
  const summary = h('p', { class: 'upload-summary', role: 'status', 'aria-live': 'polite' });
  const clear = h('button', { type: 'button', class: 'link-button', hidden: true },
                  'Clear finished');
  clear.addEventListener('click', () => actions.clearFinished());
  const overall = h('p', { class: 'upload-overall', hidden: true });
  const prep = h('p', { class: 'upload-prep status', hidden: true });
  const note = h('p', { class: 'upload-note item-meta', hidden: true }, kPickedFolderNote);
  // "You were signed out — sign in again to finish 3 uploads." while uploads wait for that.
  const signIn = h('a', { href: '/login' }, 'Sign in');
  const signedOutText = h('span');
  const signedOutNote = h('p', { class: 'notice upload-signed-out', role: 'status', hidden: true },
                      signedOutText, ' ', signIn);
  const resumable = h('div', { class: 'upload-resumable' });
  const list = h('ul', { class: 'upload-list', 'aria-label': 'Uploads in progress' });
  const more = h('p', { class: 'upload-more item-meta', hidden: true });
  const failures = h('div', { class: 'upload-failures' });
  const finishedSummary = h('summary');
  const finishedList = h('ul', { class: 'upload-list', 'aria-label': 'Finished uploads' });
  const finished = h('details', { class: 'upload-finished', hidden: true }, finishedSummary,
                     finishedList);
  const panel = h('section', { class: 'upload-panel', 'aria-label': 'Uploads' },
                  h('div', { class: 'upload-head' }, h('h2', {}, 'Uploads'), summary, clear),
                  signedOutNote, note, overall, prep, resumable, list, more, failures, finished);

  // Rows to take out of the list once the person is not pointing at or focused in it.
  const leaving = new Set();
  const busy = () => panel.matches(':hover') || list.contains(document.activeElement);
  const settle = () => {
    if (busy()) return;
    for (const item of leaving) {
      if (kFinished.includes(item.state)) finishedList.append(item.row);
      else if (item.state === 'failed') item.row.remove();  // Its failure group tells.
    }
    leaving.clear();
    drawCountsSoon();
  };
  panel.addEventListener('pointerleave', () => setTimeout(settle, 0));
  panel.addEventListener('focusout', () => setTimeout(settle, 0));

  let overallMeter = rateMeter();  // Bytes sent overall by this page, for the overall speed.
  let countsTimer = null;  // drawCounts is due.
  let ticker = null;  // Redraws the files being sent every second (time left goes down).
  let unfinishedKey = '';

  Object.assign(panel, {
    add(item) {
      item.row = null;
      if (item.state === 'queued' && waitingRows() >= kShownWaiting) {
        drawCountsSoon();
        return;
      }
      item.row = buildRow(item, actions);
      list.append(item.row);
      panel.draw(item);
    },
    remove(item) {
      leaving.delete(item);
      item.row?.remove();
    },
    draw(item) {
      if (!item.row) {
        if (item.state === 'queued') {  // Still one of the "more waiting".
          drawCountsSoon();
          return;
        }
        item.row = buildRow(item, actions);
      }
      drawRow(item);
      if (item.state === 'uploading') ticker ??= setInterval(tick, 1000);
      if (kActive.includes(item.state)) {
        leaving.delete(item);
        if (item.row.parentNode !== list) list.append(item.row);  // Back from a retry.
      } else if (item.row.parentNode === list) {
        leaving.add(item);
        settle();
      }
      drawCountsSoon();
    },
    refresh(unfinished) {
      note.hidden = !items.some((i) => i.batch.folderPicked);
      drawFailures();
      drawCounts();
      drawUnfinished(unfinished);
      panel.hidden = !items.length && !unfinished.length && prep.hidden;
    },
    // `n` uploads wait for the person to sign in again (0: none).
    signedOut(n) {
      signedOutNote.hidden = !n;
      if (!n) return;
      const text = `You were signed out — sign in again to finish ${n === 1 ? 'the upload'
                                                                      : `${n} uploads`}.`;
      if (signedOutText.textContent !== text) signedOutText.textContent = text;
      // Back to this page after signing in (the uploads go on by themselves).
      signIn.href = `/login?next=${encodeURIComponent(location.pathname + location.search)}`;
    },
    // "Creating folders: 3 of 40…" while an upload's folders are made; '' when done.
    preparing(text) {
      prep.textContent = text;
      prep.hidden = !text;
      if (text) panel.hidden = false;
    },
  });
  return panel;

  // Bytes may not move for a while (a chunk waiting for its answer): the time left and the
  // speed are said anew all the same.
  function tick() {
    const sending = items.filter((i) => i.state === 'uploading' && i.row);
    if (!sending.length) {
      clearInterval(ticker);
      ticker = null;
      return;
    }
    for (const item of sending) drawRow(item);
    drawOverall();
  }

  // The waiting files that have a row in the list.
  function waitingRows() {
    let n = 0;
    for (const row of list.children) n += row.dataset.state === 'queued' ? 1 : 0;
    return n;
  }

  // The counters are drawn at most four times a second, not once per file (a batch of 5,000
  // files counted 5,000 rows 10,000 times), and all at once from one count of the queue: drawn
  // each on a timer of its own they disagreed ("294 of 300 uploaded" beside "270 done").
  function drawCountsSoon() {
    countsTimer ??= setTimeout(drawCounts, 250);
  }

  function drawCounts() {
    clearTimeout(countsTimer);
    countsTimer = null;
    const c = countItems(items);
    const text = !c.failed && !c.canceled && !c.skipped && !c.already
      ? `${c.done} of ${items.length} uploaded`
      : [`${c.done} uploaded`, c.failed && `${c.failed} failed`,
         c.canceled && `${c.canceled} cancelled`, c.skipped && `${c.skipped} skipped`,
         c.already && `${c.already} already there`].filter(Boolean).join(', ');
    // "3 sending, 182 waiting" ("185 in progress" read as 185 files on their way, QA bigfiles).
    const going = [c.sending && `${c.sending} sending`,
                   c.waiting && `${c.waiting} waiting`,
                   c.asking && `${c.asking} waiting for your answer`,
                   c.paused && `${c.paused} paused`].filter(Boolean).join(', ');
    summary.textContent = items.length ? `${text}${going ? ` · ${going}` : ''}` : '';
    clear.hidden = !(c.done + c.canceled + c.skipped + c.already);
    more.hidden = !c.unlisted;
    more.textContent = c.unlisted ? `${c.unlisted === 1 ? '1 more file'
                                                        : `${c.unlisted} more files`} waiting` : '';
    finished.hidden = !finishedList.children.length;
    finishedSummary.textContent = [`${c.done} done`, c.canceled && `${c.canceled} cancelled`,
      c.skipped && `${c.skipped} skipped`, c.already && `${c.already} already there`]
        .filter(Boolean).join(', ') + (c.renamed ? ` (${c.renamed} saved under a new name)` : '');
    drawOverall();
  }

  function drawOverall() {
    const live = new Set(items.filter((i) => ['queued', 'uploading'].includes(i.state))
                              .map((i) => i.batch));
    overall.hidden = !live.size;
    if (!live.size) {
      overallMeter = rateMeter();
      return;
    }
    const mine = items.filter((i) => live.has(i.batch) &&
                                     (kActive.includes(i.state) || i.state === 'done'));
    const total = mine.reduce((sum, i) => sum + i.size, 0);
    const sentOf = (i) => (i.state === 'done' ? i.size : i.shown ?? 0);
    const sent = mine.reduce((sum, i) => sum + sentOf(i), 0);
    // The speed counts bytes sent by this page only: a resumed upload starts at the offset
    // sent before (item.base), which would read as megabytes in a moment ("10.7 MB/s · 4 s
    // left" on a 50 KB/s link, QA pass 17c).
    const moved = mine.reduce((sum, i) => sum + (i.state === 'done' ? i.size : i.sent) -
                                          (i.base ?? 0), 0);
    const now = performance.now();
    // A file sending again after a cut or a stall: the overall speed is measured anew too.
    const resumed = Math.max(-Infinity, ...mine.map((i) => i.resumedAt ?? -Infinity));
    if (overallMeter.t0 !== null && resumed > overallMeter.t0) overallMeter = rateMeter();
    addSample(overallMeter, now, moved);
    const sending = mine.filter((i) => i.state !== 'done');
    const saving = sending.length > 0 && sending.every(isSaving);
    // One file on its way: the same figures as its row, from its meter (they disagreed: "353
    // KB/s · 31 min" above, "98 KB/s · 1 h 52 min" on the row; "2.1 KB/s · 123 h" above, "879
    // KB/s · 17 min" on the row after a resume).
    const one = sending.length === 1 && sending[0].state === 'uploading' ? sending[0] : null;
    const uploading = sending.filter((i) => i.state === 'uploading');
    const speeds = uploading.map((i) => liveSpeed(i, now));
    const stalled = speeds.length > 0 && speeds.every((l) => l.stalled) &&
                    uploading.length === sending.length;
    const speed = one ? speeds[0].speed : stalled ? 0 : rateOf(overallMeter, now);
    overall.textContent = `${formatBytes(sent)} of ${formatBytes(total)} sent` +
      (saving ? ' · Saving…' : speedText(speed, total - sent)) +
      (stalled && !saving ? ` · ${kStalledText}` : '');
  }

  // One notice per cause; drawn again only when the groups change (keeps focus on a button).
  function drawFailures() {
    const groups = new Map();
    for (const item of items) {
      if (item.state !== 'failed') continue;
      if (!groups.has(item.cause.key)) groups.set(item.cause.key, []);
      groups.get(item.cause.key).push(item);
    }
    const key = [...groups].map(([k, g]) => `${k}\u0001${g.length}`).join('\u0002');
    if (key === failures.dataset.key) return;
    failures.dataset.key = key;
    replaceChildren(failures, [...groups.values()].map((g) => failureGroup(g, actions)));
  }

  function drawUnfinished(unfinished) {
    const key = unfinished.map((u) => `${u.id}:${u.offset}`).join(',');
    if (key === unfinishedKey) return;
    unfinishedKey = key;
    const error = h('p', { class: 'status-error', role: 'alert', hidden: true });
    replaceChildren(resumable, unfinished.length ? h('div', { class: 'notice' },
      h('p', {}, 'Unfinished uploads: each holds its whole size of your storage until it is ',
        'finished, discarded or expires.'),
      unfinishedList(unfinished, {
        hint: true, onDiscarded: () => actions.reloadUnfinished(),
        onError: (err) => {
          error.textContent = err.message;
          error.hidden = false;
        },
      }), error) : null);
  }
}

function buildRow(item, actions) {
  const button = (label, name, fn) => {
    const b = h('button', { type: 'button', class: 'button button-secondary button-small',
                            'aria-label': name, hidden: true }, label);
    b.addEventListener('click', fn);
    return b;
  };
  const path = visibleText(item.path);
  const progress = h('progress', { max: String(Math.max(item.size, 1)), value: '0',
                                   'aria-label': `Upload progress of ${path}` });
  const status = h('span', { class: 'upload-status' });
  const now = button('Retry now', `Retry upload of ${path} now`, () => item.retryNow?.());
  const cancel = button('Cancel', `Cancel upload of ${path}`, () => actions.cancel(item));
  const retry = button('Retry', `Retry upload of ${path}`, () => actions.retry([item]));
  const row = h('li', { class: 'upload' }, nameOf(path), progress,
                h('span', { class: 'upload-actions' }, now, cancel, retry), status);
  Object.assign(row, { progress, status, cancel, retry, now });
  return row;
}

// The name of a row, cut in the middle when it does not fit: its end (where photos of a batch
// differ, "…_01.jpg", "…_02.jpg", and the extension) always shows; cut at the end, three rows
// read the same (QA pass 17c). Screen readers get the whole name once, unsplit.
const kNameTail = 12;
function nameOf(path) {
  const cut = Math.max(0, path.length - kNameTail);
  return h('span', { class: 'upload-name', title: path },
           h('span', { class: 'visually-hidden' }, path),
           h('span', { class: 'upload-name-cut', 'aria-hidden': 'true' },
             h('span', { class: 'upload-name-head' }, path.slice(0, cut)),
             h('span', { class: 'upload-name-tail' }, path.slice(cut))));
}

function drawRow(item) {
  const { row } = item;
  row.dataset.state = item.state;
  if (item.savedAs) row.dataset.renamed = 'true';
  if (item.already) row.dataset.already = 'true';
  row.progress.value = item.state === 'done' ? item.size : item.shown ?? item.sent;
  let text;
  if (item.state === 'queued') text = `Waiting · ${formatBytes(item.size)}`;
  else if (item.state === 'done') {
    text = `Done · ${formatBytes(item.size)}` +
           (item.savedAs ? ` · saved as "${item.savedAs}"` : '') +
           (item.onConflict === 'replace' ? ' · replaced the old one' : '');
  } else if (item.state === 'canceled') text = 'Cancelled';
  else if (item.state === 'skipped') {
    text = item.identical ? 'Already there (the same file, byte for byte)'
         : item.already ? 'Skipped: already there (same size and date)'
                        : 'Skipped: it already exists';
  }
  else if (item.state === 'conflict') {
    text = item.keptUrl ? 'Saved meanwhile by another upload: choose what to do'
                        : 'Already exists: choose what to do';
  }
  else if (item.state === 'paused') text = 'Paused: you were signed out';
  else if (item.state === 'failed') text = `Failed: ${said(item.error)}`;
  else if (isSaving(item)) text = `Saving… · ${formatBytes(item.size)} sent`;
  else {
    const shown = item.shown ?? item.sent;
    const { speed, stalled } = liveSpeed(item, performance.now());
    text = `${formatBytes(shown)} of ${formatBytes(item.size)}` +
           speedText(speed, item.size - shown) +
           (item.note ? ` · ${item.note}` : stalled ? ` · ${kStalledText}` : '');
  }
  row.status.textContent = text;
  row.status.title = text;
  row.status.classList.toggle('status-error', item.state === 'failed');
  row.cancel.hidden = !kActive.includes(item.state) || isSaving(item);
  row.retry.hidden = item.state !== 'failed' || item.final;
  row.now.hidden = !item.retryNow;
}

// "The folder "KB folder" was deleted while uploading: 288 files were not uploaded." Failures
// of one error code whose messages differ (each names its own file) are told under the code's
// sentence, each file listed with its reason.
function failureGroup(group, actions) {
  const first = group[0];
  const n = group.length;
  const alike = group.every((i) => i.cause.text === first.cause.text);
  const what = n === 1 ? `"${saidName(first.path)}" was` : `${n} files were`;
  // The server's sentence names the file already: it is said once, on its own (a 400-character
  // name filled ten lines, twice, QA pass 18).
  const named = n === 1 && alike && namesFile(first.cause.text, first.path);
  // A folder deleted meanwhile: "Upload again" makes it again, which the sentence says.
  const again = first.cause.kind === 'gone' && !group.every((i) => i.final);
  const text = first.cause.kind === 'gone'
             ? `${said(first.cause.text)}: ${what} not uploaded.` +
               (again ? ` Upload again to make ${first.cause.where ?? 'the folder'} again and ` +
                        `send ${n === 1 ? 'it' : 'them'} there.` : '')
             : named ? `Not uploaded: ${said(first.cause.text)}`
             : alike ? `${what} not uploaded: ${said(first.cause.text)}`
                     : groupText(first.cause.code, n);
  const retry = h('button', { type: 'button', class: 'button button-secondary button-small',
                              hidden: group.every((i) => i.final) },
                   again ? 'Upload again' : n === 1 ? 'Retry' : 'Retry all');
  retry.addEventListener('click', () => actions.retry(group));
  const clear = h('button', { type: 'button', class: 'button button-secondary button-small' },
                  'Clear');
  clear.addEventListener('click', () => actions.clear(group));
  // Refused for space held by an unfinished upload of the same file (uploads.js): the way out
  // is to discard that one, as before sending (upload_held.js).
  let discard = null;
  if (first.cause.kind === 'held') {
    const held = group.reduce((sum, i) => sum + (i.cause.held?.length ?? 0), 0);
    discard = h('button', { type: 'button', class: 'button button-small' }, discardLabel(held));
    discard.addEventListener('click', () => {
      discard.disabled = true;
      actions.discardHeld(group);
    });
    retry.hidden = true;  // Sending again as it is would meet the same refusal.
  }
  const shown = group.slice(0, kListedFailures);
  const listed = (i) => h('li', {}, saidName(i.path),
                          alike ? null : h('span', { class: 'item-meta' },
                                           ` · ${said(i.cause.text)}`));
  return h('div', { class: 'notice notice-error upload-failure', role: 'group',
                    'aria-label': 'Not uploaded' },
    h('p', {}, text),
    n > 1 ? h('details', {}, h('summary', {}, 'Which files'),
              h('ul', { class: 'plain-list' }, shown.map(listed),
                n > shown.length ? h('li', {}, `and ${n - shown.length} more`) : null))
          : null,
    h('div', { class: 'form-actions' }, discard, retry, clear));
}

// A sentence for a message: control characters made visible, long names in it shortened in the
// middle; saidName() likewise for a name or path alone.
function said(text) {
  return shortenLongRuns(visibleText(text));
}
function saidName(path) {
  return visibleText(shortName(path));
}

// True when the server's sentence `text` names the file at `path` (its name, or the path).
function namesFile(text, path) {
  const name = String(path).split('/').filter(Boolean).pop() ?? '';
  return Boolean(name) && String(text).includes(name);
}

// The sentence of `n` failures of the error `code` whose messages differ.
function groupText(code, n) {
  if (code === 'invalid_name') {
    return `${n} files have names that cannot be used, so they were not uploaded. Rename ` +
           'them (see why beside each one), then upload them again.';
  }
  return `${n} files were not uploaded (see why beside each one).`;
}

// " · 98.0 KB/s · 1 h 52 min left" at `speed` bytes/s with `left` bytes to go; '' without a speed.
function speedText(speed, left) {
  return speed > 0 ? ` · ${formatBytes(speed)}/s · ${formatDuration(left / speed)} left` : '';
}

// 75 -> "1 min 15 s".
export function formatDuration(seconds) {
  if (seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const min = Math.floor(seconds / 60);
  if (min < 60) return `${min} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}
