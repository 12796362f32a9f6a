// Admin section: the background jobs (GET /api/v1/admin/jobs): schedule, how the last run went
// (its summary or error), when the next one is due, and how many runs failed. `nimbus job run
// NAME` runs one now; the table says so.
import { get } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { actionButton } from '../forms.js';
import { formatTime, itemsOf } from '../format.js';

// Fills `section` with the jobs table and a Refresh button.
export async function renderJobs(section, { signal }) {
  const body = h('tbody');
  const refresh = actionButton('Refresh', () => load());
  replaceChildren(section,
                  h('div', { class: 'panel-head' }, h('h2', { id: 'jobs-h' }, 'Jobs'), refresh),
                  h('p', { class: 'status' }, 'Run one now from the server\'s shell: ',
                    h('code', {}, 'nimbus job run NAME'), '.'),
                  h('div', { class: 'table-wrap' },
                    h('table', { class: 'table jobs-table' },
                      h('caption', { class: 'visually-hidden' }, 'Background jobs'),
                      h('thead', {}, h('tr', {}, ['Job', 'Schedule', 'Last run', 'Result',
                                                  'Next run', 'Runs'].map(
                          (t) => h('th', { scope: 'col' }, t)))),
                      body)));

  async function load() {
    let jobs;
    try {
      jobs = itemsOf(await get('/api/v1/admin/jobs', { signal }), 'jobs');
    } catch (err) {
      if (err?.name === 'AbortError') return;
      replaceChildren(body, h('tr', {}, h('td', { colspan: 6, class: 'status-error' },
                                          err.message)));
      return;
    }
    replaceChildren(body, jobs.length ? jobs.map(row)
                                      : h('tr', {}, h('td', { colspan: 6 }, 'No jobs.')));
  }
  await load();
}

function row(job) {
  return h('tr', { dataset: { job: job.name } },
           h('th', { scope: 'row' }, job.name,
             job.registered === false ? h('span', { class: 'badge' }, 'not in this version')
                                      : null),
           h('td', {}, job.schedule || '—'),
           h('td', {}, formatTime(job.last_started_at), duration(job.last_duration_ms)),
           h('td', {}, outcome(job)),
           h('td', {}, formatTime(job.next_run_at)),
           h('td', {}, String(job.run_count ?? 0),
             job.failure_count ? ` (${job.failure_count} failed)` : ''));
}

function outcome(job) {
  const state = job.last_outcome || 'never run';
  const cls = { ok: 'badge-healthy', failed: 'badge-failed', running: 'badge-resilvering' }[
      job.last_outcome] ?? '';
  return [h('span', { class: `badge ${cls}` }, state),
          job.last_message ? h('div', { class: 'job-message' }, job.last_message) : null];
}

function duration(ms) {
  if (ms === null || ms === undefined) return '';
  const n = Number(ms);
  return ` · ${n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(n < 10000 ? 1 : 0)} s`}`;
}
