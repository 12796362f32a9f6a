// The plan page (/plan): the current plan (with the migration progress while files move to
// another category), and a form to pick a new size with a slider and a number field over the
// free size and min_gb..max_gb. Category, monthly price and what is due today come live from
// GET /api/v1/plan/quote (debounced; an answer for a size no longer shown is ignored). The
// change is confirmed in a dialog naming the amount, then PUT /api/v1/plan; the answer shows
// the new plan and its invoice. below_usage and no_capacity say what happened and what to do.
import { ApiError } from '../api.js';
import { h, replaceChildren } from '../dom.js';
import { field, messageBox, onSubmit, submitButton } from '../forms.js';
import { formatTime } from '../format.js';
import { confirmDialog } from '../files/dialogs.js';
import { refreshUser, requireUser } from '../session.js';
import {
  allowedSizesText, changePlan, formatMoney, getPlan, getPlans, getQuote, invoiceUrl,
  isPlanSize, snapSize,
} from './billing_api.js';
import { monthlyText, planStatus } from './plan_status.js';
import { categoriesNote, confirmText, creditText, dueNow } from './plan_text.js';

export const title = 'Plan';

const kQuoteDelayMs = 250;

function quoteRow(label, cls) {
  const value = h('dd', { class: cls }, '—');
  return { value, nodes: [h('dt', {}, label), value] };
}

export async function render(outlet, { signal }) {
  await requireUser();
  const [plans, initialPlan] = await Promise.all([getPlans({ signal }), getPlan({ signal })]);
  const currency = plans.currency;
  let plan = initialPlan;

  const status = planStatus({ currency, onSettled: (next) => { plan = next; } });
  status.show(plan);

  // A plan the administrator gives (complimentary): it costs nothing, and only they change it.
  if (plan.complimentary) {
    outlet.append(h('section', { class: 'plan-page' },
      h('h1', {}, 'Plan'), status,
      h('p', { class: 'notice plan-gift', role: 'status' },
        `Your ${plan.size_gb} GB plan is a gift from the administrator of this server: it costs `,
        'you nothing and is never invoiced. Ask them if you need another size.'),
      h('p', {}, h('a', { href: '/invoices' }, 'Invoices'), ' · ',
        h('a', { href: '/usage' }, 'What uses my space?'))));
    return () => status.stop();
  }

  const allowed = allowedSizesText(plans);
  const sizeField = field({ label: 'Size in GB', name: 'size_gb', type: 'number',
                            min: plans.free_gb, max: plans.max_gb, step: 1,
                            inputmode: 'numeric', value: plan.size_gb, hint: allowed });
  const ticks = h('datalist', { id: 'plan-ticks' },
                  [plans.free_gb, ...(plans.categories ?? []).map((c) => c.min_gb), plans.max_gb]
                      .filter((v, i, all) => all.indexOf(v) === i)
                      .map((v) => h('option', { value: v })));
  const slider = h('input', { type: 'range', id: 'plan-slider', class: 'plan-slider',
                              min: plans.free_gb, max: plans.max_gb, step: 1,
                              value: plan.size_gb, list: 'plan-ticks',
                              'aria-valuetext': `${plan.size_gb} GB` });
  const category = quoteRow('Category', 'quote-category');
  const monthly = quoteRow('Monthly price', 'quote-monthly');
  const due = quoteRow('Due today', 'quote-due');
  const effective = quoteRow('Takes effect', 'quote-effective');
  const quoteNote = h('p', { class: 'field-hint quote-note' });
  const quoteBox = h('section', { class: 'quote', 'aria-label': 'Price of the new plan',
                                  'aria-live': 'polite' },
                     h('dl', { class: 'quote-facts' }, category.nodes, monthly.nodes, due.nodes,
                       effective.nodes), quoteNote);
  const submit = submitButton('Change plan');
  const message = messageBox();
  const form = h('form', { class: 'form plan-form', 'aria-label': 'Change plan' },
                 h('div', { class: 'field' }, h('label', { for: 'plan-slider' }, 'Plan size'),
                   slider, ticks),
                 sizeField, quoteBox, h('div', { class: 'form-actions' }, submit), message);

  outlet.append(h('section', { class: 'plan-page' },
    h('h1', {}, 'Plan'),
    h('p', { class: 'lead' }, `Every account has ${plans.free_gb} GB free. Buy any whole number `,
      `of GB from ${plans.min_gb} to ${plans.max_gb} at ${formatMoney(plans.price_per_gb_month,
                                                                       currency)} per GB a `,
      'month, and change it at any time: you pay only for the days you hold each size.'),
    status,
    h('section', { class: 'panel', 'aria-labelledby': 'plan-change-h' },
      h('h2', { id: 'plan-change-h' }, 'Change plan'), form,
      categoriesNote(plans)),
    h('p', {}, h('a', { href: '/invoices' }, 'Invoices'), ' · ',
      h('a', { href: '/usage' }, 'What uses my space?'))));

  // The size the form shows, or null while the number field holds no plan size.
  let selected = plan.size_gb;
  let seq = 0;
  let timer = null;
  let quoteController = null;
  let lastQuote = null;
  let attempt = null;  // { size, category } of the change last sent.

  // A quote refused (the size is below what is stored, or the disks have no room for it): its
  // sentence instead of the price note, and no "Change plan" until another size is picked.
  // `null` lifts it.
  let refused = false;
  function refuse(text) {
    refused = Boolean(text);
    quoteNote.classList.toggle('quote-refusal', refused);
    submit.disabled = refused;
  }

  function showCurrent() {
    lastQuote = null;
    refuse(null);
    category.value.textContent = plan.category;
    monthly.value.textContent = monthlyText(plan.monthly_price, currency);
    due.value.textContent = formatMoney(0, currency);
    effective.value.textContent = '—';
    quoteNote.textContent = 'This is your plan now. Pick another size to see its price.';
    quoteBox.removeAttribute('aria-busy');
  }

  function showQuote(quote) {
    lastQuote = quote;
    const now = dueNow(quote, plan);
    category.value.textContent = quote.category;
    monthly.value.textContent = monthlyText(quote.monthly_price, currency);
    due.value.textContent = formatMoney(now.due, currency);
    effective.value.textContent = formatTime(quote.effective_at);
    const what = Number(plan.monthly_price) === 0
      ? 'The first month, from today; then the monthly price each month.'
      : 'For the rest of the current period; then the monthly price.';
    quoteNote.textContent = now.credit > 0
      ? `${formatMoney(now.credit, currency)} is credited for the unused part of this period: ` +
        'it pays open invoices first, and the rest stays on your balance.'
      : now.fromBalance > 0
        ? `${what} ${formatMoney(now.fromBalance, currency)} of the ` +
          `${formatMoney(now.charge, currency)} is paid from your balance.`
        : now.charge > 0 ? what : '';
    if (quote.refusal) {
      // Nothing would be due or take effect: the change is refused.
      due.value.textContent = '—';
      effective.value.textContent = '—';
      // Too small for what is stored: where to free space. No room on the disks (no_capacity)
      // or a plan given by the administrator: the sentence says what to do.
      if ((quote.refusal_code ?? 'below_usage') === 'below_usage') {
        replaceChildren(quoteNote, quote.refusal, ' ',
                        h('a', { href: '/usage' }, 'See what uses your space'), ' or ',
                        h('a', { href: '/trash' }, 'empty the trash'), '.');
      } else {
        quoteNote.textContent = quote.refusal;
      }
    }
    refuse(quote.refusal || null);
    quoteBox.removeAttribute('aria-busy');
  }

  function clearQuote(text) {
    lastQuote = null;
    refuse(null);
    for (const row of [category, monthly, due, effective]) row.value.textContent = '—';
    quoteNote.textContent = text;
    quoteBox.removeAttribute('aria-busy');
  }

  // Shows `size` (a plan size) and asks for its quote after a pause; a newer size wins.
  function select(size) {
    selected = size;
    seq += 1;
    clearTimeout(timer);
    quoteController?.abort();
    slider.value = String(size);
    slider.setAttribute('aria-valuetext', `${size} GB`);
    if (size === plan.size_gb) return showCurrent();
    refuse(null);
    quoteBox.setAttribute('aria-busy', 'true');
    quoteNote.textContent = 'Working out the price…';
    const mine = seq;
    timer = setTimeout(async () => {
      quoteController = new AbortController();
      try {
        const quote = await getQuote(size, { signal: quoteController.signal });
        if (mine === seq) showQuote(quote);
      } catch (err) {
        if (err?.name === 'AbortError' || mine !== seq) return;
        if (err instanceof ApiError && err.code === 'invalid_plan_size') {
          sizeField.showError(err.message);
        }
        clearQuote(err.message);
      }
    }, kQuoteDelayMs);
  }

  // The number field as a plan size, or null (with the reason under the field).
  function typedSize() {
    const text = sizeField.input.value.trim();
    const size = Number(text);
    if (text === '' || !isPlanSize(size, plans)) {
      sizeField.showError(text === '' ? `Enter a size in GB. ${allowed}`
                                      : `${text} GB is not a plan. ${allowed}`);
      return null;
    }
    sizeField.clearError();
    return size;
  }

  // A new size: an error shown for the previous one (a refusal, say) is about that one.
  function forgetError() {
    if (message.classList.contains('notice-error')) message.clear();
  }

  let previous = plan.size_gb;
  slider.addEventListener('input', () => {
    forgetError();
    const size = snapSize(Number(slider.value), previous, plans);
    previous = size;
    sizeField.input.value = String(size);
    sizeField.clearError();
    select(size);
  });
  // Typing: judged after a pause, so "50" is not called wrong at its "5".
  let typing = null;
  sizeField.input.addEventListener('input', () => {
    forgetError();
    clearTimeout(typing);
    seq += 1;  // Whatever was being quoted is no longer what the field says.
    selected = null;
    typing = setTimeout(() => {
      const size = typedSize();
      if (size === null) {
        clearQuote('');
        return;
      }
      previous = size;
      select(size);
    }, kQuoteDelayMs);
  });

  onSubmit(form, {
    message,
    fieldsByCode: { invalid_plan_size: sizeField },
    onSettled() {
      submit.disabled = refused;  // The form is enabled again: not for a size refused.
    },
    onError(err) {
      if (!(err instanceof ApiError)) return false;
      if (err.code === 'below_usage') {
        message.error(err.message, h('p', {}, 'Your plan was not changed. Free some space: ',
                                     h('a', { href: '/usage' }, 'see what uses it'), ' or ',
                                     h('a', { href: '/trash' }, 'empty the trash'), '.'));
        return true;
      }
      if (err.code === 'no_capacity') {
        // The server keeps the details of a 5xx to its log (they name disks): its message is
        // a reference for the administrator, not the sentence for the person.
        message.error(`There is no room for a ${attempt.size} GB plan on the storage of ` +
                      `category ${attempt.category} right now.`,
                      h('p', {}, 'Your plan was not changed and nothing was charged. Please try ',
                        'again later, or pick a size in your current category ',
                        `(${plan.category}).`),
                      h('p', { class: 'field-hint' }, `Reference for the administrator: `,
                        err.message));
        return true;
      }
      return false;
    },
    async action() {
      clearTimeout(typing);
      const size = selected ?? typedSize();
      if (size === null) {
        sizeField.input.focus();
        return;
      }
      if (size === plan.size_gb) {
        message.success(`${size} GB is your plan already.`);
        return;
      }
      // Name the amount of a fresh quote: the one on screen may be a moment old.
      const quote = lastQuote?.size_gb === size ? lastQuote : await getQuote(size);
      showQuote(quote);
      // Too small for what is stored: the quote says so (showQuote), nothing to ask.
      if (quote.refusal) return;
      const ok = await confirmDialog({
        title: `Change your plan to ${size} GB?`,
        message: confirmText(quote, plan, currency),
        confirmLabel: dueNow(quote, plan).due > 0
          ? `Change plan (${formatMoney(dueNow(quote, plan).due, currency)} due)` : 'Change plan',
      });
      if (!ok) return;
      attempt = { size, category: quote.category };
      const result = await changePlan(size);
      plan = result.plan;
      status.show(plan);
      const invoice = result.invoice;
      const credited = Number(result.credited ?? 0);
      const settled = Math.min(Number(result.settled ?? 0), credited);
      const extra = [
        credited > 0 ? h('p', {}, creditText(credited, settled, currency)) : null,
        invoice ? h('p', {}, h('a', { href: invoiceUrl(invoice.id) },
                               `Invoice ${invoice.number ?? invoice.id}`), ': ',
                    formatMoney(invoice.total, invoice.currency ?? currency), '.') : null,
        invoice && invoice.status === 'open' && plans.payment_instructions
          ? h('p', { class: 'payment-howto' }, `How to pay: ${plans.payment_instructions}`) : null,
      ].filter(Boolean);
      message.success(`Your plan is now ${plan.size_gb} GB (category ${plan.category}), ` +
                      `${monthlyText(plan.monthly_price, currency).toLowerCase()}.`, ...extra);
      select(plan.size_gb);
      // The header and quota bars read the new quota from GET /api/v1/me.
      await refreshUser().catch(() => {});
    },
  });

  select(plan.size_gb);
  return () => {
    status.stop();
    clearTimeout(timer);
    clearTimeout(typing);
    quoteController?.abort();
  };
}
