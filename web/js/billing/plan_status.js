// The "Your plan" panel of the plan page: size, category, monthly price and period of
// GET /api/v1/plan, a past-due notice with what to do, and while the files move to disks of
// a new category (`migration`, also while past due) a progress bar that follows GET
// /api/v1/plan by polling.
import { h, replaceChildren } from '../dom.js';
import { formatBytes, formatTime } from '../format.js';
import { formatMoney, getPlan } from './billing_api.js';

const kPollMs = 1500;

// "$1.00 a month", or "Free" for a plan that costs nothing.
export function monthlyText(minor, currency) {
  return Number(minor) === 0 ? 'Free' : `${formatMoney(minor, currency)} a month`;
}

// How far a migration is: { moved, total } in bytes, from `plan.migration` ({state,
// copied_bytes, copied_blobs, total_bytes}); null when the server gives no figures yet.
function migrationProgress(plan) {
  const m = plan.migration;
  if (!m || m.state === 'pending') return null;
  const total = Number(m.total_bytes);
  const moved = Number(m.copied_bytes);
  if (!Number.isFinite(total) || !Number.isFinite(moved) || total <= 0) return null;
  return { moved: Math.min(moved, total), total };
}

function migrationBox(plan) {
  if (plan.migration?.state === 'failed' || plan.migration?.state === 'cancelled') {
    // The server retries (a disk of the new category is being replaced, for one).
    return h('div', { class: 'plan-migration', role: 'status' },
             h('p', {}, `Your files will move to the storage of category ${plan.category} as `,
               'soon as it is ready. Until then they stay where they are, with both copies.'),
             h('p', { class: 'field-hint' },
               'Your new space is yours already; keep reading and writing files meanwhile.'));
  }
  const progress = migrationProgress(plan);
  const percent = progress && progress.total > 0
    ? Math.floor((progress.moved * 100) / progress.total) : null;
  const text = progress
    ? `Moving your files to the storage of category ${plan.category}: ` +
      `${formatBytes(progress.moved)} of ${formatBytes(progress.total)}` +
      (percent === null ? '.' : ` (${percent} %).`)
    : plan.migration?.state === 'pending'
      ? `Your files will move to the storage of category ${plan.category} in a moment.`
      : `Moving your files to the storage of category ${plan.category}…`;
  return h('div', { class: 'plan-migration', role: 'status' },
           h('p', {}, text),
           h('progress', { max: 100, value: percent ?? undefined,
                           'aria-label': 'Moving your files' }),
           h('p', { class: 'field-hint' },
             'Your new space is yours already; keep reading and writing files meanwhile.'));
}

function pastDueBox() {
  return h('div', { class: 'notice notice-error plan-past-due', role: 'alert' },
           h('p', {}, h('strong', {}, 'Your account is past due. '),
             'An invoice is unpaid beyond the grace period, so uploads, copies and restores ',
             'are paused. Reading, downloading, deleting and sharing still work, and nothing ',
             'is deleted.'),
           h('p', {}, 'Pay the open invoice (see ', h('a', { href: '/invoices' }, 'your invoices'),
             '): the account works fully again as soon as the payment arrives.'));
}

// The panel element: `.show(plan, note)` draws a plan (polling again while it migrates) with
// an optional error `note`; `.stop()` ends the polling (call it when the page goes away).
// `onSettled(plan)` runs when a migration seen here has finished.
export function planStatus({ currency, onSettled = () => {} }) {
  const body = h('div', {});
  const panel = h('section', { class: 'panel plan-current', 'aria-labelledby': 'plan-current-h' },
                  h('h2', { id: 'plan-current-h' }, 'Your plan'), body);
  let timer = null;
  let controller = null;
  let stopped = false;

  panel.stop = () => {
    stopped = true;
    clearTimeout(timer);
    controller?.abort();
  };

  panel.show = (plan, note = null) => {
    clearTimeout(timer);
    const period = plan.period_start && plan.period_end
      ? `Current period: ${formatTime(plan.period_start)} to ${formatTime(plan.period_end)}.`
      : null;
    replaceChildren(body,
        h('p', { class: 'plan-summary' },
          h('strong', { class: 'plan-size' }, `${plan.size_gb} GB`),
          ` · category ${plan.category} · `,
          h('span', { class: 'plan-price' }, monthlyText(plan.monthly_price, currency))),
        period ? h('p', { class: 'field-hint' }, period) : null,
        Number(plan.balance) > 0
          ? h('p', { class: 'plan-balance' }, `Credit on your balance: `,
              `${formatMoney(plan.balance, currency)}, used by your next invoices.`) : null,
        plan.state === 'past_due' ? pastDueBox() : null,
        plan.migration ? migrationBox(plan) : null,  // Also while past due.
        note ? h('p', { class: 'status status-error' }, note) : null);
    if (plan.migration && !stopped) {
      timer = setTimeout(async () => {
        controller = new AbortController();
        try {
          const next = await getPlan({ signal: controller.signal });
          if (stopped) return;
          panel.show(next);
          if (!next.migration) onSettled(next);
        } catch (err) {
          if (err?.name === 'AbortError' || stopped) return;
          // A dropped connection: say so and try again later.
          panel.show(plan, err.message);
        }
      }, plan.migration.state === 'failed' ? kPollMs * 10 : kPollMs);
    }
  };
  return panel;
}
