// Admin section: the disks (GET /api/v1/admin/disks): id, category, role, state, mirror, a fill
// bar (allocated and used against capacity) and a resilver progress bar while a task runs.
// Shows "not available" while the server has no admin disk API (404). A failed or degraded
// disk gets a warning at the top of the page with the commands that mend it, ready to copy.
import { ApiError, get } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { formatBytes, itemsOf } from '../format.js';
import { copyField } from '../shares/activity.js';

const kRefreshMs = 5000;  // Poll while a resilver runs, so its bar moves.

// Fills `section` (and `alert`, an element at the top of the page, with the warning about
// disks in trouble); refreshes itself while a task runs and `signal` has not fired.
export async function renderDisks(section, { signal, alert = null }) {
  const list = h('div', { class: 'disk-list' });
  replaceChildren(section, h('h2', { id: 'disks-h' }, 'Disks'), list);
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
    if (alert) replaceChildren(alert, troubleNotice(disks));
    if (disks.some((d) => taskOf(d)) && !signal?.aborted) timer = setTimeout(load, kRefreshMs);
  }
  await load();
}

// What is wrong with each failed or degraded disk and how to mend it, as CLI commands to copy:
// a failed disk that is back is healed, a degraded one (in service, missing some files its
// mirror holds) scrubbed; one that is broken is replaced by a spare (those known here are
// named). null when every disk is well.
function troubleNotice(disks) {
  const trouble = disks.filter((d) => d.state === 'failed' || d.state === 'degraded');
  if (!trouble.length) return null;
  const spares = disks.filter((d) => d.state === 'spare' || d.role === 'spare').map((d) => d.id);
  const spare = spares[0] ?? 'SPARE';
  return h('section', { class: 'notice notice-error disk-alert', role: 'alert',
                        'aria-labelledby': 'disk-alert-h' },
           h('h2', { id: 'disk-alert-h' },
             trouble.length > 1 ? `${trouble.length} disks need attention`
               : `Disk ${trouble[0].id} ${trouble[0].state === 'failed' ? 'has failed'
                                                                       : 'is degraded'}`),
           trouble.map((disk) => h('div', { class: 'disk-trouble' },
             disk.state === 'failed'
               ? [h('p', {}, `${disk.id} failed: `,
                    disk.mirror_id ? `its mirror ${disk.mirror_id} serves its users alone, ` +
                                     'without a second copy.' : 'it is out of service.',
                    ' If the disk is back (mounted again, writable, space freed), mark it ' +
                    'healthy:'),
                  copyField(`nimbus admin disk heal ${disk.id}`, `Command to heal ${disk.id}`)]
               : [h('p', {}, `${disk.id} is degraded: it lacks some files its mirror holds. ` +
                             'They are copied back in the background; to do it now:'),
                  copyField(`nimbus admin disk scrub ${disk.id}`, `Command to scrub ${disk.id}`)],
             h('p', {}, 'If it is broken, rebuild its copy on a spare disk from its mirror:'),
             copyField(`nimbus admin disk replace ${disk.id} --with ${spare}`,
                       `Command to replace ${disk.id}`))),
           h('p', { class: 'disk-spares' }, spares.length
             ? `Spare disks: ${spares.join(', ')}.`
             : 'No spare disk is attached: attach one first (nimbus admin disk attach ID ' +
               '--uri URI), then put its id in place of SPARE.'));
}

function card(disk) {
  const capacity = Number(disk.capacity_bytes) || 0;
  const task = taskOf(disk);
  return h('article', { class: 'disk', 'aria-label': `Disk ${disk.id}` },
           h('header', { class: 'disk-head' },
             h('h3', {}, disk.id),
             h('span', { class: `badge badge-${disk.state}` }, disk.state ?? 'unknown')),
           h('dl', { class: 'disk-facts' },
             fact('Category', disk.category), fact('Role', disk.role),
             fact('Mirror', disk.mirror_id || '—'), fact('Users', userCount(disk)),
             disk.uri ? fact('Location', h('code', {}, disk.uri)) : null),
           meterRow('Allocated', disk.allocated_bytes, capacity),
           meterRow('Used', disk.used_bytes, capacity),
           task ? progressRow(task) : null);
}

// `users` of api.md: a count or a list of users; older shapes call it owner_count.
function userCount(disk) {
  const users = disk.users ?? disk.owner_count;
  if (Array.isArray(users)) return users.length;
  return users ?? '—';
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
