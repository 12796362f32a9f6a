// My invoices (/invoices): number, date, period, status and total of each, newest first as
// GET /api/v1/invoices sends them, with "Load more" for the next page. Each opens the
// printable invoice page (/invoices/<id>).
import { h, replaceChildren } from '../dom.js';
import { actionButton } from '../forms.js';
import { formatTime, itemsOf } from '../format.js';
import { requireUser } from '../session.js';
import {
  formatMoney, getPlans, invoiceStatusLabel, invoiceUrl, listInvoices,
} from './billing_api.js';

export const title = 'Invoices';

// "Invoice 2026-0001" (the number when there is one, else the id).
export function invoiceName(invoice) {
  return `Invoice ${invoice.number ?? invoice.id}`;
}

// A date without the time, for invoice dates and periods.
export function formatDay(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleDateString(undefined, { dateStyle: 'medium' });
}

export function periodText(invoice) {
  return invoice.period_start && invoice.period_end
    ? `${formatDay(invoice.period_start)} – ${formatDay(invoice.period_end)}` : '—';
}

function invoiceRow(invoice) {
  return h('tr', { dataset: { id: invoice.id } },
           h('td', {}, h('a', { href: invoiceUrl(invoice.id) }, invoiceName(invoice))),
           h('td', {}, formatDay(invoice.issued_at ?? invoice.created_at)),
           h('td', {}, periodText(invoice)),
           h('td', {}, h('span', { class: `badge badge-invoice-${invoice.status}` },
                         invoiceStatusLabel(invoice.status))),
           h('td', { class: 'money' }, formatMoney(invoice.total, invoice.currency)));
}

export async function render(outlet, { signal }) {
  await requireUser();
  const body = h('tbody', {});
  const more = h('div', { class: 'form-actions' });
  const plans = await getPlans({ signal }).catch(() => null);  // For how to pay only.
  outlet.append(h('section', { class: 'invoices-page' },
    h('h1', {}, 'Invoices'),
    h('p', { class: 'lead' }, 'An invoice is issued when you upgrade and at the start of each ',
      'paid period. ', h('a', { href: '/plan' }, 'Change plan')),
    plans?.payment_instructions
      ? h('p', { class: 'payment-howto' }, h('strong', {}, 'How to pay: '),
          plans.payment_instructions) : null,
    h('div', { class: 'table-wrap' },
      h('table', { class: 'table invoice-table', 'aria-label': 'Invoices' },
        h('thead', {}, h('tr', {}, ['Invoice', 'Issued', 'Period', 'Status', 'Total'].map(
          (name) => h('th', { scope: 'col', class: name === 'Total' ? 'money' : null }, name)))),
        body)),
    more));

  async function load(cursor) {
    const data = await listInvoices({ cursor, signal });
    const items = itemsOf(data);
    if (!cursor && !items.length) {
      replaceChildren(body, h('tr', {}, h('td', { colspan: 5, class: 'status' },
                                          'No invoices yet: the free plan has none.')));
    } else {
      body.append(...items.map(invoiceRow));
    }
    replaceChildren(more, data?.next_cursor
      ? actionButton('Load more', () => load(data.next_cursor)) : null);
  }
  await load();
}
