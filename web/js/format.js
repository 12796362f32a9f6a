// Formatting for people: byte sizes, dates and times (the API sends bytes and RFC 3339 UTC).

// 1536 -> "1.5 KB" (binary units, as plan sizes are: 1 GB = 2^30 bytes).
export function formatBytes(bytes) {
  const n = Number(bytes);
  if (!Number.isFinite(n) || n < 0) return '—';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = n;
  let i = 0;
  // Up a unit also when the shown number would round to 1024 ("1.0 GB", not "1024 MB").
  while ((value >= 1024 || (i > 0 && value >= 1023.5)) && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  if (i === 0) return `${n} ${n === 1 ? 'byte' : 'bytes'}`;
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[i]}`;
}

// `bytes` in the unit formatBytes gives `like` (a quota), so that two numbers side by side
// compare at a glance: "0.99 GB free of 1.0 GB", not "1018 MB free of 1.0 GB" (QA family).
// Below a tenth of that unit ("0.00 GB") it is formatBytes's own ("50.0 KB free of 1.0 GB").
export function formatBytesAs(bytes, like) {
  const n = Number(bytes);
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  const i = units.indexOf(formatBytes(like).split(' ')[1]);
  const value = n / 1024 ** i;
  if (i <= 0 || !Number.isFinite(value) || value < 0.1) return formatBytes(n);
  const digits = value >= 99.95 ? 0 : value >= 0.995 ? 1 : 2;
  return `${value.toFixed(digits)} ${units[i]}`;
}

// An RFC 3339 timestamp (or milliseconds) as a local date and time; "—" when absent.
export function formatTime(value) {
  if (value === null || value === undefined || value === '') return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// The items of a list response: {<key>: [...]} (e.g. {sessions: [...]}), {items: [...]} or a
// bare array; [] for anything else.
export function itemsOf(data, key = 'items') {
  if (Array.isArray(data)) return data;
  if (data && Array.isArray(data[key])) return data[key];
  if (data && Array.isArray(data.items)) return data.items;
  return [];
}

// `text` (a file name or path) with the characters that cannot be seen made visible, as the
// server writes them in its messages (names.cpp VisibleName): a C0 control character as its
// Control Picture (U+0007 → "␇"), DEL as "␡", and a C1 control or a text-direction character
// (U+202A–202E, U+2066–2069), or a line or paragraph separator (U+2028, U+2029) as "<U+202E>":
// the person sees what to rename.
export function visibleText(text) {
  return String(text).replace(/[\u0000-\u001f\u007f-\u009f\u2028-\u202e\u2066-\u2069]/gu, (c) => {
    const code = c.codePointAt(0);
    if (code < 0x20) return String.fromCodePoint(0x2400 + code);
    if (code === 0x7f) return '\u2421';
    return `<U+${code.toString(16).toUpperCase().padStart(4, '0')}>`;
  });
}

// A long name shortened in the middle for a message: its first 40 and last 20 characters
// around "…" (the end holds the extension and what tells a batch apart), so a 400-character
// name does not fill the screen. Names of up to 80 characters are left whole.
const kShortHead = 40;
const kShortTail = 20;
const kLongRun = 80;
export function shortName(name) {
  const chars = Array.from(String(name));
  if (chars.length <= kLongRun) return String(name);
  return `${chars.slice(0, kShortHead).join('')}…${chars.slice(-kShortTail).join('')}`;
}

// `text` (a sentence to show, perhaps the server's) with every run of 80 or more characters
// without a space shortened as shortName() does: a long name quoted in it reads once, briefly.
export function shortenLongRuns(text) {
  return String(text).replace(/\S{80,}/gu, (run) => shortName(run));
}
