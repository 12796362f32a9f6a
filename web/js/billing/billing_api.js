// The "Plans and billing" calls of docs/api.md (plans, my plan, quotes, plan changes,
// invoices) and the rules the plan page needs from them: which sizes are plans, and money
// for people. Money is integer minor units with a currency code; it is never turned into a
// floating-point number (Intl.NumberFormat gets an exact decimal string).
import { get, put } from '../api.js';

const enc = encodeURIComponent;

export const getPlans = (options) => get('/api/v1/plans', options);
export const getPlan = (options) => get('/api/v1/plan', options);
export const getQuote = (sizeGb, options = {}) =>
  get('/api/v1/plan/quote', { ...options, query: { size_gb: sizeGb } });
export const changePlan = (sizeGb) => put('/api/v1/plan', { size_gb: sizeGb });
export const listInvoices = ({ cursor, signal } = {}) =>
  get('/api/v1/invoices', { signal, query: { cursor } });
export const getInvoice = (id, options) => get(`/api/v1/invoices/${enc(id)}`, options);

// The web app's page of one invoice.
export function invoiceUrl(id) {
  return `/invoices/${enc(id)}`;
}

// True when `size` (a number) is a plan of `plans` (GET /plans): the free size, or a whole
// number from min_gb to max_gb on the step_gb grid.
export function isPlanSize(size, plans) {
  if (!Number.isInteger(size)) return false;
  if (size === plans.free_gb) return true;
  const step = plans.step_gb || 1;
  return size >= plans.min_gb && size <= plans.max_gb && (size - plans.min_gb) % step === 0;
}

// The sentence that says which sizes exist, e.g. "Plans are 1 GB (free) or any whole number
// of GB from 10 to 100."
export function allowedSizesText(plans) {
  const step = plans.step_gb || 1;
  const grid = step === 1 ? 'any whole number of GB' : `a multiple of ${step} GB`;
  return `Plans are ${plans.free_gb} GB (free) or ${grid} from ${plans.min_gb} to ` +
         `${plans.max_gb}.`;
}

// Where the slider lands when it is moved into the gap between the free size and min_gb:
// the side it was moving towards (from `previous`), so both ends stay reachable by keyboard.
export function snapSize(size, previous, plans) {
  if (isPlanSize(size, plans)) return size;
  if (size > plans.free_gb && size < plans.min_gb) {
    return previous !== null && previous <= plans.free_gb ? plans.min_gb : plans.free_gb;
  }
  const step = plans.step_gb || 1;
  const clamped = Math.min(plans.max_gb, Math.max(plans.min_gb, Math.round(size)));
  return plans.min_gb + Math.round((clamped - plans.min_gb) / step) * step;
}

// The number of minor-unit digits of `currency` (USD 2, JPY 0, BHD 3).
function minorDigits(currency) {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency })
        .resolvedOptions().maximumFractionDigits;
  } catch {
    return 2;
  }
}

// 1234 USD -> "$12.34" (in the browser's locale); -50 -> "-$0.50". `minor` is an integer
// (or a string or BigInt of one); the decimal point is placed by string, not by division.
export function formatMoney(minor, currency) {
  if (minor === null || minor === undefined || minor === '' || !currency) return '—';
  let value;
  try {
    value = BigInt(minor);
  } catch {
    return String(minor);
  }
  const digits = minorDigits(currency);
  const negative = value < 0n;
  const units = (negative ? -value : value).toString().padStart(digits + 1, '0');
  const decimal = digits ? `${units.slice(0, -digits)}.${units.slice(-digits)}` : units;
  const text = `${negative ? '-' : ''}${decimal}`;
  try {
    return new Intl.NumberFormat(undefined, { style: 'currency', currency,
                                              minimumFractionDigits: digits }).format(text);
  } catch {
    return `${text} ${currency}`;
  }
}

// What an invoice's status means, for people.
export function invoiceStatusLabel(status) {
  if (status === 'open') return 'Open';
  if (status === 'paid') return 'Paid';
  if (status === 'void') return 'Void';
  return String(status ?? '—');
}
