// One invoice (/invoices/<id>), laid out to be printed: issuer, customer, number, dates,
// status, the lines with their amounts and the total, from GET /api/v1/invoices/{id}. The
// Print button prints it; the print style sheet hides the app's header, footer and buttons.
import { h } from '../dom.js';
import { formatDay, invoiceName, periodText } from './invoices_view.js';
import { requireUser } from '../session.js';
import { formatMoney, getInvoice, getPlans, invoiceStatusLabel } from './billing_api.js';

// The page title names the invoice shown last (the router reads it after render).
let shownName = null;
export const title = () => shownName ?? 'Invoice';

function fact(label, value) {
  return [h('dt', {}, label), h('dd', {}, value)];
}

export async function render(outlet, { params, signal }) {
  shownName = null;
  const user = await requireUser();
  const [invoice, plans] = await Promise.all([
    getInvoice(params.id, { signal }),
    getPlans({ signal }).catch(() => null),  // Only for how to pay: the invoice shows without.
  ]);
  const currency = invoice.currency;
  const money = (minor) => formatMoney(minor, currency);
  const lines = invoice.lines ?? [];
  const totals = [
    invoice.subtotal !== undefined && invoice.subtotal !== invoice.total
      ? ['Subtotal', invoice.subtotal] : null,
    invoice.credit_applied ? ['Credit from your balance', -Math.abs(invoice.credit_applied)]
                           : null,
  ].filter(Boolean);
  shownName = invoiceName(invoice);

  const print = h('button', { type: 'button', class: 'button' }, 'Print');
  print.addEventListener('click', () => window.print());

  outlet.append(h('article', { class: 'invoice', 'aria-labelledby': 'invoice-h' },
    h('div', { class: 'invoice-toolbar no-print' }, h('a', { href: '/invoices' }, 'All invoices'),
      print),
    h('header', { class: 'invoice-head' },
      h('div', {}, h('h1', { id: 'invoice-h' }, invoiceName(invoice)),
        h('p', { class: 'invoice-issuer' }, invoice.issuer ?? 'Nimbus')),
      h('p', { class: `badge invoice-status badge-invoice-${invoice.status}` },
        invoiceStatusLabel(invoice.status))),
    h('dl', { class: 'invoice-facts' },
      fact('Billed to', user.name ? `${user.name} <${user.email}>` : user.email),
      fact('Issued', formatDay(invoice.issued_at ?? invoice.created_at)),
      invoice.due_at ? fact('Due', formatDay(invoice.due_at)) : null,
      invoice.paid_at ? fact('Paid', formatDay(invoice.paid_at)) : null,
      fact('Period', periodText(invoice))),
    h('table', { class: 'table invoice-lines', 'aria-label': 'Invoice lines' },
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Description'),
                       h('th', { scope: 'col', class: 'money' }, 'Amount'))),
      h('tbody', {}, lines.length
        ? lines.map((line) => h('tr', { class: 'invoice-line' },
                                h('td', {}, line.description ?? '—'),
                                h('td', { class: 'money' }, money(line.amount))))
        : h('tr', {}, h('td', { colspan: 2, class: 'status' }, 'This invoice has no lines.'))),
      h('tfoot', {},
        totals.map(([label, amount]) => h('tr', {}, h('th', { scope: 'row' }, label),
                                          h('td', { class: 'money' }, money(amount)))),
        h('tr', { class: 'invoice-total' }, h('th', { scope: 'row' }, 'Total'),
          h('td', { class: 'money' }, money(invoice.total))))),
    h('p', { class: 'invoice-note' }, 'Amounts in ', currency ?? '—', '. ',
      invoice.status === 'open' ? 'This invoice is waiting for payment.' : null,
      invoice.status === 'void' ? 'This invoice was cancelled and is not to be paid.' : null),
    invoice.status === 'open' && plans?.payment_instructions
      ? h('p', { class: 'invoice-note payment-howto' }, h('strong', {}, 'How to pay: '),
          plans.payment_instructions) : null));
}
