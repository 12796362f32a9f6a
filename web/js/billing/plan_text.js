// The sentences of the plan page (plan_view.js): what a change costs now, the confirmation, the
// credit of a downgrade, the categories.
import { h } from '../dom.js';
import { formatMoney } from './billing_api.js';
import { monthlyText } from './plan_status.js';

// What changing to `quote` costs now, in minor units: `charge` (> 0 for an upgrade), the part
// of it the account's credit pays (`fromBalance`, as the invoice applies it) and what is left
// to pay today (`due`); `credit` (> 0) for a downgrade.
export function dueNow(quote, plan) {
  const amount = Number(quote.prorated_amount);
  const charge = Math.max(amount, 0);
  const fromBalance = Math.min(charge, Math.max(Number(plan.balance ?? 0), 0));
  return { charge, fromBalance, due: charge - fromBalance, credit: Math.max(-amount, 0) };
}

// The sentence of the confirmation dialog for `quote` (from `plan`).
export function confirmText(quote, plan, currency) {
  const { charge, fromBalance, due, credit } = dueNow(quote, plan);
  const monthly = monthlyText(quote.monthly_price, currency).toLowerCase();
  const what = Number(plan.monthly_price) === 0 ? 'the first month'
                                                : 'the rest of the current period';
  const balance = fromBalance
    ? ` (${formatMoney(charge, currency)} less ${formatMoney(fromBalance, currency)} from your ` +
      'balance)' : '';
  const now = due > 0
    ? `${formatMoney(due, currency)} is invoiced today for ${what}${balance}`
    : charge > 0
      ? `Nothing is due today: your balance pays the ${formatMoney(charge, currency)} for ${what}`
      : credit > 0
        ? `${formatMoney(credit, currency)} for the unused part of the current period is ` +
          'credited to your account: it pays what you owe first, then your next invoices'
        : 'Nothing is due today';
  const move = quote.category !== plan.category
    ? ` Your files move to the storage of category ${quote.category} in the background.` : '';
  return `${now}; from then on the plan is ${monthly}.${move}`;
}

// What happened to the credit of a downgrade: `credited` in all, `settled` of it paid open
// invoices (the server's figures, minor units). Leftover credit means nothing is owed any more.
export function creditText(credited, settled, currency) {
  if (settled <= 0) {
    return `${formatMoney(credited, currency)} was credited to your balance for your next invoices.`;
  }
  if (settled >= credited) {
    return `${formatMoney(credited, currency)} was credited and went to your open invoices.`;
  }
  return `${formatMoney(credited, currency)} was credited: ${formatMoney(settled, currency)} ` +
         `paid your open invoices and ${formatMoney(credited - settled, currency)} is on your ` +
         'balance for your next invoices.';
}

// What the categories are and what crossing one means.
export function categoriesNote(plans) {
  const list = plans.categories ?? [];
  if (!list.length) return null;
  return h('p', { class: 'field-hint plan-categories' }, 'Storage categories: ',
           list.map((c, i) => [i ? ', ' : '', `${c.name} `,
                               c.min_gb === c.max_gb ? `${c.min_gb} GB` : `${c.min_gb}–${c.max_gb} GB`]),
           '. A change to another category moves your files to its disks in the background; ',
           'your files stay available meanwhile.');
}
