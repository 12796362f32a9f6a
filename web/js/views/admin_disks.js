// Admin section: the disks (GET /api/v1/admin/disks): id, category, role, state, mirror, a fill
// bar (allocated and used against capacity) and a resilver progress bar while a task runs.
// Shows "not available" while the server has no admin disk API (404). A failed or degraded
// disk in service gets a warning at the top of the page with the commands that mend it, ready
// to copy (admin_disk_alert.js); a retired one (replaced by a spare) only a quiet line.
import { ApiError, get } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatBytes, itemsOf } from '../format.js';
import {
  isRetired, noSpareNotice, retiredNote, troubleNotice, userCount,
} from './admin_disk_alert.js';

const kRefreshMs = 5000;  // Poll while a resilver runs, so its bar moves.

// Fills `section` (and `alert`, an element at the top of the page, with the warning about
// disks in trouble); refreshes itself while a task runs and `signal` has not fired.
export async function renderDisks(section, { signal, alert = null }) {
  const list = h('div', { class: 'disk-list' });
  const retired = h('div', { class: 'disk-retired-slot' });
  replaceChildren(section, h('h2', { id: 'disks-h' }, 'Disks'), retired, list);
  let timer = null;
  signal?.addEventListener('abort', () => clearTimeout(timer));

  async function load() {
    let disks;
    try {
      disks = itemsOf(await get('/api/v1/admin/disks', { signal }), 'disks');
    } catch (err) {
      if (err?.name === 'AbortError') return;
      const text = err instanceof ApiError && err.status === 404
          ? 'Disk information is not available on this server yet.' : err.message;
      replaceChildren(list, h('p', { class: 'notice', role: 'status' }, text));
      return;
    }
    replaceChildren(list, disks.length ? disks.map(card) : h('p', {}, 'No disks.'));
    replaceChildren(retired, retiredNote(disks));
    if (alert) replaceChildren(alert, troubleNotice(disks), noSpareNotice(disks));
    if (disks.some((d) => taskOf(d)) && !signal?.aborted) timer = setTimeout(load, kRefreshMs);
  }
  await load();
}

function card(disk) {
  const capacity = Number(disk.capacity_bytes) || 0;
  const task = taskOf(disk);
  // A retired disk's "failed" is no alarm: it is out of service for good, nobody on it.
  const state = isRetired(disk) ? 'retired' : disk.state ?? 'unknown';
  return h('article', { class: 'disk', 'aria-label': `Disk ${disk.id}` },
           h('header', { class: 'disk-head' },
             h('h3', {}, disk.id),
             h('span', { class: `badge badge-${state}`,
                         title: state === 'retired' ? `replaced (state ${disk.state})` : null },
               state)),
           h('dl', { class: 'disk-facts' },
             fact('Category', disk.category || '—'), fact('Role', disk.role),
             fact('Mirror', disk.mirror_id || '—'), fact('Users', userCount(disk) ?? '—'),
             disk.uri ? fact('Location', h('code', {}, disk.uri)) : null),
           meterRow('Allocated', disk.allocated_bytes, capacity),
           meterRow('Used', disk.used_bytes, capacity),
           task ? progressRow(task) : null);
}

function fact(term, value) {
  return [h('dt', {}, term), h('dd', {}, value ?? '—')];
}

// One fill bar: a <meter> (its value is read out by screen readers) and the numbers.
function meterRow(label, bytes, capacity) {
  const value = Number(bytes) || 0;
  const text = `${formatBytes(value)} of ${formatBytes(capacity)}`;
  return h('div', { class: 'bar-row' },
           h('span', { class: 'bar-label' }, label),
           h('meter', { min: 0, max: capacity || 1, value, low: capacity * 0.75,
                        high: capacity * 0.9, optimum: 0, 'aria-label': `${label}: ${text}` }),
           h('span', { class: 'bar-text' }, text));
}

// The running task (resilver, scrub) of a disk, in whichever shape the API gives it.
function taskOf(disk) {
  const task = disk.task ?? disk.resilver ?? null;
  if (!task || ['done', 'failed'].includes(task.state)) return null;
  return task;
}

function progressRow(task) {
  const total = Number(task.total_bytes) || Number(task.total_blobs) || 0;
  const done = Number(task.done_bytes) || Number(task.done_blobs) || 0;
  const fraction = typeof task.progress === 'number' ? task.progress
                                                     : total > 0 ? done / total : 0;
  const percent = Math.round(Math.min(Math.max(fraction, 0), 1) * 100);
  const kind = task.kind ?? 'resilver';
  const label = `${kind[0].toUpperCase()}${kind.slice(1)}`;
  return h('div', { class: 'bar-row' },
           h('span', { class: 'bar-label' }, label),
           h('progress', { max: 100, value: percent, 'aria-label': `${label}: ${percent}%` }),
           h('span', { class: 'bar-text' }, `${percent}%`,
             task.total_bytes ? ` · ${formatBytes(task.done_bytes)} of ` +
                                `${formatBytes(task.total_bytes)}` : ''));
}
