// Actions over many items (delete, restore, move, copy, delete forever): a few requests at a
// time, a progress line with Cancel while they run ("Deleting 1,200 of 5,000…"), and one
// summary at the end, with failures grouped by reason.
import { h } from '../dom.js';

// Requests in flight at once: fast enough for thousands of items, gentle on a small server.
export const kBulkConcurrency = 6;

// 5000 -> "5,000".
export const formatCount = (n) => Number(n).toLocaleString('en-US');
// 1 -> "1 item", 5000 -> "5,000 items".
export const itemsText = (n) => `${formatCount(n)} ${n === 1 ? 'item' : 'items'}`;

// Runs `work(item)` for each of `items`, `concurrency` at a time, in order of start. Calls
// `onProgress(settled, total)` after each; `cancelled()` is asked before each start (Cancel
// stops sending more; those in flight finish). A 401 (the session ended) stops it too.
// Resolves to { done: [{ item, result }], failed: [{ item, error }], notStarted }.
export async function runBulk(items, work, { concurrency = kBulkConcurrency,
                                             onProgress = () => {},
                                             cancelled = () => false } = {}) {
  const done = [];
  const failed = [];
  let next = 0;
  let settled = 0;
  let stopped = false;
  async function lane() {
    while (next < items.length && !stopped && !cancelled()) {
      const item = items[next];
      next += 1;
      try {
        done.push({ item, result: await work(item) });
      } catch (error) {
        failed.push({ item, error });
        if (error?.status === 401) stopped = true;
      }
      settled += 1;
      onProgress(settled, items.length);
    }
  }
  const lanes = Math.max(1, Math.min(concurrency, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return { done, failed, notStarted: items.length - next };
}

// Short reasons for a group of failures with the same error code (the server's own message
// names one item, which would mislead for a group).
const kGroupReasons = {
  name_taken: 'the name is taken there',
  not_found: 'deleted or moved elsewhere meanwhile',
  forbidden: 'not allowed',
  quota_exceeded: 'not enough space left',
  invalid_move: 'cannot go into itself',
};

// "3 could not be deleted: "a.txt", "b.txt": not allowed. "c.txt": <the server's message>"
// for `failed` ([{ item, error }]); items have a `name`. At most 5 names per reason.
export function failureSummary(failed, verbPast) {
  const groups = new Map();
  for (const { item, error } of failed) {
    const key = error?.code ?? error?.message ?? String(error);
    if (!groups.has(key)) groups.set(key, { error, names: [] });
    groups.get(key).names.push(`"${item.name}"`);
  }
  const parts = [...groups.values()].map(({ error, names }) => {
    const shown = names.slice(0, 5).join(', ') +
                  (names.length > 5 ? ` and ${formatCount(names.length - 5)} more` : '');
    const general = names.length > 1 || error?.code === 'not_found';
    const reason = general && kGroupReasons[error?.code] ? kGroupReasons[error.code]
                                                          : (error?.message ?? String(error));
    return `${shown}: ${reason.replace(/[.]?$/, '.')}`;
  });
  return `${formatCount(failed.length)} could not be ${verbPast}: ${parts.join(' ')}`;
}

// Shows the end of a bulk action in `message` (a messageBox): `parts` (what was done), then what
// Cancel left unsent and the failures by reason; an error when something failed. `extra` (e.g.
// an Undo button) follows the text.
export function showOutcome(message, parts, { failed, notStarted }, verbPast, ...extra) {
  if (notStarted) parts.push(`Cancelled: ${itemsText(notStarted)} not ${verbPast}.`);
  if (failed.length) parts.push(failureSummary(failed, verbPast));
  if (failed.length) message.error(parts.join(' '), ...extra);
  else message.success(parts.join(' '), ...extra);
}

// The progress line of a bulk action: hidden until start(); "Deleting 1,200 of 5,000…", a
// bar, and Cancel (which takes the focus, so a Delete or Enter pressed meanwhile does nothing
// else). Returns { element, start(label, total), update(settled), finish(), cancelled() }.
export function bulkProgress() {
  const text = h('span', { class: 'bulk-progress-text' });
  const bar = h('progress', { max: '1', value: '0', 'aria-hidden': 'true' });
  const cancel = h('button', { type: 'button', class: 'button button-secondary button-small' },
                   'Cancel');
  const element = h('div', { class: 'bulk-progress notice', role: 'status', hidden: true },
                    text, bar, cancel);
  let label = '';
  let total = 0;
  let stop = false;
  let shown = 0;  // When the text was last changed: screen readers hear it at most every second.
  cancel.addEventListener('click', () => {
    stop = true;
    cancel.disabled = true;
    text.textContent = `${label} stopped: waiting for the requests under way…`;
  });
  let frame = 0;
  let latest = 0;
  const say = (settled, force = false) => {
    latest = settled;
    // The bar moves once a frame at most (a page of thousands of rows is slow to paint).
    if (total !== null && !frame) {
      frame = requestAnimationFrame(() => {
        frame = 0;
        bar.value = latest;
      });
    }
    if (stop || (!force && Date.now() - shown < 1000 && settled < total)) return;
    shown = Date.now();
    text.textContent = format(settled, total);
  };
  let format = () => '';
  return {
    element,
    // "`what` 1,200 of 5,000…"; `count` null (not known): "`what` 1,200…", or what
    // `describe(settled, count)` says.
    start(what, count, { cancellable = true, describe = null } = {}) {
      [label, total, stop] = [what, count, false];
      format = describe ?? ((n, of) => (of === null
        ? `${label} ${formatCount(n)}…` : `${label} ${formatCount(n)} of ${formatCount(of)}…`));
      bar.max = Math.max(1, count ?? 1);
      if (count === null) bar.removeAttribute('value');
      cancel.disabled = false;
      cancel.hidden = !cancellable;
      element.hidden = false;
      say(0, true);
      if (cancellable) cancel.focus();
    },
    update(settled, count = total) {
      if (count !== total) {
        total = count;
        bar.max = Math.max(1, count ?? 1);
      }
      say(settled);
    },
    finish() {
      element.hidden = true;
      text.textContent = '';
    },
    cancelled: () => stop,
  };
}
