// Who is signed in: the user of GET /api/v1/me, kept for the header, the banner and the views,
// with listeners for changes. A "maybe signed in" hint in localStorage lets anonymous visitors
// skip the /me call (the session cookie itself is HttpOnly, so the page cannot see it).
import { ApiError, get, post, setCsrfToken } from './api.js';

const kHintKey = 'nimbus.signed_in';

let user = null;
let pending = null;  // A GET /api/v1/me in flight (resolves to the user or null).
const listeners = new Set();

// The signed-in user (the body of GET /api/v1/me, without csrf_token), or null.
export function currentUser() {
  return user;
}

// Calls `fn(user)` after every change of the signed-in user; returns an unsubscribe function.
export function onUserChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// Sets the signed-in user (null: signed out) and tells the listeners.
export function setUser(next) {
  if (next) {
    const { csrf_token: _csrf, ...rest } = next;
    user = rest;
  } else {
    user = null;
    setCsrfToken(null);
  }
  setHint(Boolean(user));
  for (const fn of listeners) fn(user);
}

// True when this browser signed in before and may still have a session cookie.
export function maybeSignedIn() {
  try {
    return localStorage.getItem(kHintKey) === '1';
  } catch {
    return false;
  }
}

// Asks the server who is signed in (GET /api/v1/me; it also returns the CSRF token) and
// resolves to the user or null. `redirect` false: a 401 only means "signed out".
export function refreshUser({ redirect = false } = {}) {
  const request = (async () => {
    try {
      setUser(await get('/api/v1/me', { redirectOn401: redirect }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) {
        setUser(null);
        if (redirect) throw err;
        return null;
      }
      throw err;
    }
    return user;
  })();
  const settled = request.catch(() => null).finally(() => {
    if (pending === settled) pending = null;
  });
  pending = settled;
  return request;
}

// Resolves once a GET /api/v1/me in flight (the boot-time one) has answered, so a view that
// posts at once (e.g. /verify-email in a new tab) has the CSRF token of the session first.
export async function sessionKnown() {
  if (pending) await pending;
  return user;
}

// For views that need a signed-in user: resolves to the user, asking the server when none is
// known. When the session is gone, api.js sends the person to /login?next=… and this rejects.
export async function requireUser() {
  if (!user && pending) await pending;
  if (user) return user;
  return refreshUser({ redirect: true });
}

// Signs in with email and password (POST /api/v1/auth/login) and resolves to the user.
// Rejects with the ApiError (invalid_credentials, email_unverified, too_many_attempts).
export async function login(email, password) {
  const data = await post('/api/v1/auth/login', { email, password }, { redirectOn401: false });
  setUser(data?.user ?? null);
  // GET /me has every field (email_verified, plan, usage); login's user may have fewer.
  await refreshUser().catch(() => {});
  return user;
}

// Ends the session on the server (POST /api/v1/auth/logout) and forgets the user here, also
// when the server could not be reached (the person asked to be signed out).
export async function logout() {
  try {
    await post('/api/v1/auth/logout', null, { redirectOn401: false });
  } finally {
    setUser(null);
  }
}

// A same-origin path from a `next` query parameter, or `fallback` (no open redirects).
export function safeNext(next, fallback = '/') {
  if (typeof next !== 'string' || !next.startsWith('/') || next.startsWith('//') ||
      next.startsWith('/\\')) {
    return fallback;
  }
  return next;
}

function setHint(on) {
  try {
    if (on) localStorage.setItem(kHintKey, '1');
    else localStorage.removeItem(kHintKey);
  } catch {
    // Storage disabled: every page load then starts signed out until the person signs in.
  }
}
