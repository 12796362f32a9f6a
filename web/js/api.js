// The only module that calls fetch(): JSON in and out, same-origin cookies, the CSRF header on
// state-changing requests, and every failure turned into an ApiError with a readable message.

const kCsrfKey = 'nimbus.csrf_token';
const kUnsafeMethods = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// Messages for error codes of docs/api.md when the server sent none, then per HTTP status.
const kCodeMessages = {
  unauthenticated: 'Please sign in to continue.',
  csrf_failed: 'Your session has expired. Reload the page and try again.',
  not_found: 'That item does not exist or you do not have access to it.',
  too_many_attempts: 'Too many attempts. Please wait a moment and try again.',
  quota_exceeded: 'There is not enough space left in your plan.',
  network_error: 'Could not reach the server. Check your connection and try again.',
  invalid_credentials: 'That email and password do not match an account.',
  email_unverified: 'Please confirm your email address first: open the link we sent you.',
  invalid_token: 'This link has expired or was already used.',
  invalid_email: 'Please enter a valid email address.',
  weak_password: 'Please choose a stronger password.',
  email_taken: 'An account with this email address already exists.',
};
const kStatusMessages = {
  400: 'The request was not valid.',
  401: kCodeMessages.unauthenticated,
  403: 'You are not allowed to do that.',
  404: 'Not found.',
  409: 'That conflicts with the current state. Reload and try again.',
  413: 'That is too large.',
  429: kCodeMessages.too_many_attempts,
  503: 'The server is busy. Please try again shortly.',
  507: 'The server has no storage space left for this.',
};

// An API call that failed. `status` is the HTTP status (0 when the server was not reached),
// `code` the snake_case error code of docs/api.md, `message` a sentence for a person.
export class ApiError extends Error {
  constructor(status, code, message, details = null) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

let csrfToken = null;
let onUnauthenticated = null;

// The server could not be reached by the last request: `unreachable` until one gets through.
// Listeners of whenReachable() are told then (a "Could not reach the server" on screen goes);
// meanwhile GET /healthz is tried every few seconds and when the browser is back online, so
// the message also goes when the person does nothing.
let unreachable = false;
const reachableListeners = new Set();
let probeTimer = null;
const kProbeMs = 5000;

// True when `message` is the sentence of a request that did not reach the server.
export function isConnectionMessage(message) {
  return message === kCodeMessages.network_error;
}

// Calls `fn()` once, when a request next reaches the server; returns a function that cancels
// it.
export function whenReachable(fn) {
  reachableListeners.add(fn);
  return () => reachableListeners.delete(fn);
}

function markUnreachable() {
  unreachable = true;
  if (probeTimer !== null) return;
  const probe = () => {
    clearTimeout(probeTimer);
    probeTimer = null;
    if (!unreachable) return;
    fetch('/healthz', { credentials: 'same-origin', cache: 'no-store' })
      .then((r) => r.ok && markReachable(), () => {})
      .finally(() => {
        if (unreachable && probeTimer === null) probeTimer = setTimeout(probe, kProbeMs);
      });
  };
  probeTimer = setTimeout(probe, kProbeMs);
  window.addEventListener('online', probe, { once: true });
}

function markReachable() {
  unreachable = false;
  clearTimeout(probeTimer);
  probeTimer = null;
  if (!reachableListeners.size) return;
  const listeners = [...reachableListeners];
  reachableListeners.clear();
  for (const fn of listeners) fn();
}

// Registers `fn(error)`, called when a request answers 401 `unauthenticated` (the session is
// gone): the app sends the person to /login?next=…. A request made with
// { redirectOn401: false } (e.g. the boot-time GET /api/v1/me) only rejects.
export function setUnauthenticatedHandler(fn) {
  onUnauthenticated = fn;
}

// Stores the CSRF token (from login or GET /api/v1/me) for later unsafe requests; null clears it.
// Kept in sessionStorage so a reload keeps it, and in memory if storage is unavailable.
export function setCsrfToken(token) {
  csrfToken = token || null;
  try {
    if (csrfToken) sessionStorage.setItem(kCsrfKey, csrfToken);
    else sessionStorage.removeItem(kCsrfKey);
  } catch {
    // Storage disabled (privacy mode): the in-memory copy is enough for this page.
  }
}

// The stored CSRF token, or null.
export function csrfTokenValue() {
  if (csrfToken) return csrfToken;
  try {
    csrfToken = sessionStorage.getItem(kCsrfKey);
  } catch {
    csrfToken = null;
  }
  return csrfToken;
}

// Sends one request and resolves to the parsed body: an object for JSON, a string for text,
// null for an empty body (204). Rejects with ApiError on an HTTP error or a network failure;
// an aborted request (options.signal) rejects with the AbortError itself.
// options: { body, query, headers, signal, redirectOn401 }. A plain-object `body` is sent as
// JSON; FormData, Blob, ArrayBuffer, URLSearchParams and strings are sent as they are.
export async function request(method, path, options = {}) {
  method = method.toUpperCase();
  const headers = new Headers(options.headers ?? {});
  headers.set('Accept', 'application/json');
  let body = options.body;
  if (body !== undefined && body !== null && isPlainObject(body)) {
    headers.set('Content-Type', 'application/json');
    body = JSON.stringify(body);
  }
  const token = csrfTokenValue();
  if (kUnsafeMethods.has(method) && token) headers.set('X-CSRF-Token', token);

  let response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method, headers, body, signal: options.signal, credentials: 'same-origin',
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    markUnreachable();
    throw new ApiError(0, 'network_error', kCodeMessages.network_error);
  }
  markReachable();
  const data = await readBody(response);
  if (!response.ok) throw failed(response, data, options);
  if (data && typeof data === 'object' && typeof data.csrf_token === 'string') {
    setCsrfToken(data.csrf_token);
  }
  return data;
}

// Reads raw bytes, e.g. a file's content or a Range of it (options.headers), or only the
// headers (options.method 'HEAD'). Resolves to { status, headers, bytes (an ArrayBuffer) };
// fails as request() does (ApiError with the server's message, the AbortError itself).
export async function fetchBytes(path, options = {}) {
  let response;
  try {
    response = await fetch(withQuery(path, options.query), {
      method: options.method ?? 'GET', headers: options.headers, signal: options.signal,
      credentials: 'same-origin',
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    markUnreachable();
    throw new ApiError(0, 'network_error', kCodeMessages.network_error);
  }
  markReachable();
  if (!response.ok) throw failed(response, await readBody(response), options);
  let bytes;
  try {
    bytes = await response.arrayBuffer();
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network_error', kCodeMessages.network_error);
  }
  return { status: response.status, headers: response.headers, bytes };
}

// Resolves when the download at `path` would start: its first byte is asked for (a zip, which
// ignores Range, is cut off after its headers; nothing is buffered). Rejects with the server's
// ApiError otherwise (503 storage_unavailable while the disks are out of reach), which the
// browser's own download would drop without a word ("canceled"). An empty file's 416 is fine.
export async function checkDownload(path, options = {}) {
  const controller = new AbortController();
  const abort = () => controller.abort();
  options.signal?.addEventListener('abort', abort);
  let response;
  try {
    response = await fetch(path, { headers: { Range: 'bytes=0-0' }, cache: 'no-store',
                                   signal: controller.signal, credentials: 'same-origin' });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    markUnreachable();
    throw new ApiError(0, 'network_error', kCodeMessages.network_error);
  } finally {
    options.signal?.removeEventListener('abort', abort);
  }
  markReachable();
  if (response.ok || response.status === 416) {
    controller.abort();  // The rest (a zip streams on) is the browser's download's.
    return;
  }
  throw failed(response, await readBody(response), options);
}

export const get = (path, options) => request('GET', path, options);
export const post = (path, body, options = {}) => request('POST', path, { ...options, body });
export const put = (path, body, options = {}) => request('PUT', path, { ...options, body });
export const patch = (path, body, options = {}) => request('PATCH', path, { ...options, body });
export const del = (path, options) => request('DELETE', path, options);

function isPlainObject(value) {
  const proto = Object.getPrototypeOf(value);
  return Array.isArray(value) || proto === Object.prototype || proto === null;
}

function withQuery(path, query) {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null) params.set(key, String(value));
  }
  const qs = params.toString();
  if (!qs) return path;
  return path + (path.includes('?') ? '&' : '?') + qs;
}

async function readBody(response) {
  if (response.status === 204 || response.status === 205) return null;
  let text;
  try {
    text = await response.text();
  } catch {
    throw new ApiError(0, 'network_error', kCodeMessages.network_error);
  }
  if (!text) return null;
  const type = response.headers.get('Content-Type') ?? '';
  if (!type.includes('json')) return text;
  try {
    return JSON.parse(text);
  } catch {
    if (!response.ok) return text;
    throw new ApiError(response.status, 'bad_response', 'The server sent a response we could not read.');
  }
}

// The ApiError of a failed `response` whose body is `data`; a 401 `unauthenticated` (the
// session is gone) also forgets the CSRF token and, unless options.redirectOn401 is false,
// calls the handler that sends the person to the login page.
function failed(response, data, options) {
  const error = toApiError(response, data);
  if (error.status === 401 && error.code === 'unauthenticated') {
    setCsrfToken(null);
    if (options.redirectOn401 !== false) onUnauthenticated?.(error);
  }
  return error;
}

function toApiError(response, data) {
  const status = response.status;
  const error = data && typeof data === 'object' ? data.error : null;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message = (typeof error?.message === 'string' && error.message) ||
      kCodeMessages[code] || kStatusMessages[status] ||
      (status >= 500 ? 'Something went wrong on the server. Please try again.'
                     : `The request failed (HTTP ${status}).`);
  return new ApiError(status, code, message, error);
}
