// Calls the real server's JSON API from the test process (Node's fetch), as a second client
// beside the browser: sign up, log in with a cookie of its own, Bearer tokens.

import { findLink, waitForMail } from './mail.mjs';

// One request: resolves to { status, body (parsed JSON or null), headers }.
// auth: { cookie, csrf } for a session, { bearer } for a personal token.
export async function apiCall(baseUrl, method, path, { body, cookie, csrf, bearer } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (cookie) headers.Cookie = cookie;
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  const response = await fetch(`${baseUrl}${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

// Creates an account (POST /api/v1/auth/signup); throws unless the server answers 201.
export async function apiSignup(baseUrl, { email, password, name }) {
  const r = await apiCall(baseUrl, 'POST', '/api/v1/auth/signup', {
    body: { email, password, name },
  });
  if (r.status !== 201) throw new Error(`signup ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

// Creates an account and confirms its address with the link of the sign-up mail (found under
// `<dataDir>/mail`): an account that things can be shared with. Throws on any failure.
export async function apiSignupConfirmed(baseUrl, dataDir, user) {
  await apiSignup(baseUrl, user);
  const mail = await waitForMail(dataDir, { to: user.email, contains: /verify-email\?token=/ });
  const link = findLink(mail, '/verify-email');
  if (!link) throw new Error(`no confirmation link in the mail to ${user.email}`);
  const r = await apiCall(baseUrl, 'POST', '/api/v1/auth/verify-email', {
    body: { token: link.searchParams.get('token') },
  });
  if (r.status !== 204) throw new Error(`verify ${user.email}: ${r.status} ${JSON.stringify(r.body)}`);
}

// Logs in: resolves to { status, cookie ("nimbus_session=…" or null), csrf, body }.
export async function apiLogin(baseUrl, email, password) {
  const r = await apiCall(baseUrl, 'POST', '/api/v1/auth/login', { body: { email, password } });
  const setCookie = r.headers.getSetCookie?.() ?? [];
  const session = setCookie.map((c) => c.split(';')[0])
      .find((c) => c.startsWith('nimbus_session='));
  return { status: r.status, cookie: session ?? null, csrf: r.body?.csrf_token ?? null,
           body: r.body };
}
