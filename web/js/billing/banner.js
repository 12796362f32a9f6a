// The billing banners on every signed-in page, from GET /api/v1/me: the past-due banner (the
// account is read-only until the open invoices are paid; a link to them) and the usage banner
// once live files and the trash pass 85, 90 or 95 % of the plan (a link to the plan page).
// They follow the signed-in user (session.js) and every later /me answer the app fetches for the
// quota bar (after uploads and deletes: files/node_api.js calls showBillingBanners).
import { h } from '../dom.js';
import { currentUser, onUserChange } from '../session.js';
import { formatMoney } from './billing_api.js';
import { formatDay } from './invoices_view.js';

export const kUsageThresholds = [95, 90, 85];

let slot = null;

// Draws the banners into `target` (a slot of the page frame) now and whenever the user changes.
export function mountBillingBanners(target) {
  slot = target;
  onUserChange(showBillingBanners);
  showBillingBanners(currentUser());
}

// Redraws the banners from a /me body (null: signed out, no banners).
export function showBillingBanners(me) {
  if (!slot) return;
  const banners = (me ? [pastDueBanner(me.billing), usageBanner(me.usage)] : []).filter(Boolean);
  // The same banners as shown (the quota bar reads /me again every 20 s): left as they are, so
  // a screen reader does not hear the alert again and nothing on the page moves.
  const shown = [...slot.children];
  if (shown.length === banners.length && banners.every((b, i) => b.isEqualNode(shown[i]))) return;
  slot.replaceChildren(...banners);
}

// The highest threshold (85, 90, 95) that `usage` has reached, or 0; and the whole percent.
export function usageLevel(usage) {
  const quota = Number(usage?.quota_bytes ?? 0);
  if (!(quota > 0)) return { level: 0, percent: 0 };
  const held = Number(usage.used_bytes ?? 0) + Number(usage.trash_bytes ?? 0);
  const percent = Math.floor((held / quota) * 100);
  return { level: kUsageThresholds.find((t) => percent >= t) ?? 0, percent };
}

function pastDueBanner(billing) {
  if (!billing || billing.state !== 'past_due') return null;
  const due = Number(billing.amount_due ?? 0) > 0 && billing.currency
    ? `${formatMoney(billing.amount_due, billing.currency)} unpaid` : 'An invoice is unpaid';
  const since = billing.past_due_since ? ` since ${formatDay(billing.past_due_since)}` : '';
  return h('section', { class: 'banner banner-alert billing-past-due', role: 'alert',
                        'aria-label': 'Account past due' },
           h('p', {}, h('strong', {}, 'Your account is past due: '), `${due}${since}. `,
             'Uploads, copies and restores are paused; your files are safe. ',
             h('a', { href: '/invoices', class: 'banner-action' }, 'Pay invoices')));
}

function usageBanner(usage) {
  const { level, percent } = usageLevel(usage);
  if (!level) return null;
  return h('section', { class: `banner banner-usage billing-usage usage-${level}`,
                        'aria-label': 'Storage almost full', dataset: { level: String(level) } },
           h('p', {}, h('strong', {}, `Your storage is ${percent}% full. `),
             'Free some space or choose a larger plan. ',
             h('a', { href: '/plan', class: 'banner-action' }, 'Change plan')));
}
