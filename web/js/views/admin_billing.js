// Admin billing page (/admin/billing, is_admin only): revenue per month and users and allocated
// GB per disk category (GET /api/v1/admin/billing). Also the admin users list's plan control:
// a number field, a "Gift" box and Set, which sets a user's plan without charging for the
// current period (PATCH /api/v1/admin/users/{id} {plan_gb, complimentary}); a gift is never
// invoiced, otherwise the next period is. The server's errors (invalid_plan_size, below_usage,
// no_capacity, …) show under the field.
import { get, patch, post } from '../api.js';
import { formatMoney } from '../billing/billing_api.js';
import { h, replaceChildren } from '../dom.js';
import { messageBox } from '../forms.js';
import { requireUser } from '../session.js';

export const title = 'Billing (admin)';

let nextId = 0;

// The signed-in user when they are an admin; otherwise null, with "page not found" in `outlet`
// (the admin pages do not exist for others, as the admin API answers 404).
export async function requireAdmin(outlet) {
  const me = await requireUser();
  if (me.is_admin) return me;
  outlet.append(h('section', { class: 'not-found' }, h('h1', {}, 'Page not found'),
                  h('p', {}, 'This page is for administrators.')));
  return null;
}

// The plan control of one user in the admin users list. `onDone(plan)` runs after a success.
export function planSetter(user, { onDone = () => {} } = {}) {
  const id = `plan-gb-${++nextId}`;
  const label = user.name || user.email;
  const input = h('input', { id, type: 'number', min: 1, max: 100, step: 1, inputmode: 'numeric',
                             class: 'plan-setter-input', placeholder: 'GB',
                             value: user.plan?.size_gb ?? '' });
  const status = h('p', { class: 'plan-setter-status', role: 'status', hidden: true });
  const button = h('button', { type: 'submit', class: 'button button-secondary' }, 'Set');
  const gift = h('input', { id: `${id}-gift`, type: 'checkbox',
                            checked: Boolean(user.plan?.complimentary) });
  const form = h('form', { class: 'plan-setter', 'aria-label': `Plan of ${label}` },
                 h('label', { for: id, class: 'visually-hidden' }, `Plan of ${label} in GB`),
                 input,
                 h('label', { for: gift.id, class: 'plan-setter-gift',
                              title: 'A gift is never invoiced, and only an admin changes it.' },
                   // The user's name too: every row has a Gift box.
                   gift, ' Gift', h('span', { class: 'visually-hidden' }, ` for ${label}`)),
                 button, status);
  form.noValidate = true;  // The server's sentence says which sizes are plans.
  const show = (kind, text) => {
    status.className = `plan-setter-status status-${kind}`;
    status.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    status.textContent = text;
    status.hidden = false;
  };
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    status.hidden = true;
    const text = input.value.trim();
    // A JSON number when it is one (the server judges the size); anything else as typed, so
    // the server's invalid_plan_size sentence answers it.
    const value = text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    button.disabled = true;
    try {
      const answer = await patch(`/api/v1/admin/users/${encodeURIComponent(user.id)}`,
                                 { plan_gb: value, complimentary: gift.checked });
      const plan = answer?.plan;
      const what = plan ? `${plan.size_gb} GB (${plan.category})` : 'Plan set';
      // Said as it is: only a gift stays free; otherwise the next period is invoiced.
      show('success', !plan || plan.monthly_price === 0 && !plan.complimentary
        ? `${what}.`
        : plan.complimentary ? `${what}, a gift: never invoiced.`
          : `${what}, not charged for this period; invoiced from the next one.`);
      onDone(plan);
    } catch (err) {
      show('error', err?.message || 'The plan could not be set.');
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

function table(caption, headings, rows, empty) {
  return h('div', { class: 'table-wrap' },
           h('table', { class: 'table admin-billing-table' },
             h('caption', {}, caption),
             h('thead', {}, h('tr', {}, headings.map(([text, cls]) =>
               h('th', { scope: 'col', class: cls ?? null }, text)))),
             h('tbody', {}, rows.length ? rows
               : h('tr', {}, h('td', { colspan: headings.length, class: 'status' }, empty)))));
}

function revenueTable(report) {
  const money = (minor) => formatMoney(minor, report.currency);
  const rows = (report.months ?? []).map((m) =>
    h('tr', { dataset: { month: m.month } },
      h('th', { scope: 'row' }, m.month),
      h('td', { class: 'money' }, money(m.invoiced)),
      h('td', { class: 'money' }, money(m.paid)),
      h('td', { class: 'number' }, String(m.invoices))));
  return table('Revenue per month (UTC), newest first',
               [['Month'], ['Invoiced', 'money'], ['Paid', 'money'], ['Invoices', 'number']],
               rows, 'No invoices yet.');
}

function categoriesTable(report) {
  const rows = (report.categories ?? []).map((c) =>
    h('tr', { dataset: { category: c.name } },
      h('th', { scope: 'row' }, c.name),
      h('td', { class: 'number' }, String(c.users)),
      h('td', { class: 'number' }, `${c.allocated_gb} GB`),
      h('td', { class: 'number' }, `${c.capacity_gb} GB`)));
  return table('Users and allocated space per disk category',
               [['Category'], ['Users', 'number'], ['Allocated', 'number'],
                ['Capacity', 'number']],
               rows, 'No disk categories.');
}

// The open invoices of every user with "Mark paid" (a bank transfer, cash: a payment made
// outside the provider; POST /api/v1/admin/invoices/{id}/mark-paid). `onPaid` redraws the page.
function openInvoicesPanel(invoices, onPaid) {
  const status = h('p', { class: 'status', role: 'status' });
  const rows = invoices.map((inv) => {
    const button = h('button', { type: 'button', class: 'button button-secondary' },
                     h('span', {}, 'Mark paid'),
                     h('span', { class: 'visually-hidden' }, ` ${inv.number}`));
    button.addEventListener('click', async () => {
      button.disabled = true;
      status.textContent = `Recording the payment of ${inv.number}…`;
      try {
        const result = await post(`/api/v1/admin/invoices/${encodeURIComponent(inv.id)}/mark-paid`,
                                  {});
        status.textContent = result.already_paid ? `${inv.number} was already paid.`
          : `${inv.number} is paid; ${inv.email || 'the user'} gets a receipt` +
            (result.lifted ? ' and is no longer past due.' : '.');
        onPaid(status.textContent);
      } catch (err) {
        status.textContent = err?.message || 'The payment could not be recorded.';
        button.disabled = false;
      }
    });
    return h('tr', { dataset: { invoice: inv.number } },
      h('th', { scope: 'row' }, inv.number),
      h('td', {}, inv.email || 'a deleted user'),
      h('td', { class: 'money' }, formatMoney(inv.total, inv.currency)),
      h('td', {}, String(inv.due_at ?? '').slice(0, 10)),
      h('td', {}, button));
  });
  return h('section', { class: 'panel', 'aria-labelledby': 'open-invoices-h' },
    h('h2', { id: 'open-invoices-h' }, 'Open invoices'),
    table('Invoices not paid yet, newest first',
          [['Invoice'], ['User'], ['Total', 'money'], ['Due'], ['Payment']], rows,
          'Every invoice is paid.'),
    h('p', { class: 'field-hint' }, 'Mark an invoice paid when its payment came another way ',
      '(a bank transfer, cash). The user gets a receipt, and an account past due is lifted.'),
    status);
}

export async function render(outlet, { signal }) {
  if (!await requireAdmin(outlet)) return;
  const message = messageBox();
  const body = h('div', { class: 'admin-billing' }, h('p', { class: 'status' }, 'Loading…'));
  outlet.append(h('h1', {}, 'Billing'),
                h('p', { class: 'lead' }, h('a', { href: '/admin' }, 'Admin'), ' · ',
                  'Set a user\'s plan, or give one as a gift, in the users list of the admin ',
                  'page.'),
                message, body);
  await draw();

  async function draw(paidText = '') {
    let report;
    let open;
    try {
      [report, open] = await Promise.all([
        get('/api/v1/admin/billing', { signal }),
        get('/api/v1/admin/invoices?status=open', { signal }),
      ]);
    } catch (err) {
      if (err?.name === 'AbortError') return;
      replaceChildren(body);
      message.error(err.message);
      return;
    }
    if (paidText) message.success(paidText);
    replaceChildren(body,
      h('dl', { class: 'admin-billing-facts' },
        h('dt', {}, 'Open invoices'), h('dd', {}, formatMoney(report.open_amount, report.currency)),
        h('dt', {}, 'Past-due accounts'), h('dd', {}, String(report.past_due_users))),
      h('section', { class: 'panel', 'aria-labelledby': 'revenue-h' },
        h('h2', { id: 'revenue-h' }, 'Revenue'), revenueTable(report),
        h('p', { class: 'field-hint' }, 'Invoiced: the invoices issued that month (void ones ',
          'left out). Paid: the invoices paid that month. Downgrade credits are not shown: ',
          'they go to the user\'s balance and are used by the next invoices.')),
      openInvoicesPanel(open.items ?? [], (text) => draw(text)),
      h('section', { class: 'panel', 'aria-labelledby': 'categories-h' },
        h('h2', { id: 'categories-h' }, 'Disk categories'), categoriesTable(report)));
  }
}
