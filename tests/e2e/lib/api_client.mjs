// Calls the real server's JSON API from the test process (Node's fetch), as a second client
// beside the browser: sign up, log in with a cookie of its own, Bearer tokens.

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

// Logs in: resolves to { status, cookie ("nimbus_session=…" or null), csrf, body }.
export async function apiLogin(baseUrl, email, password) {
  const r = await apiCall(baseUrl, 'POST', '/api/v1/auth/login', { body: { email, password } });
  const setCookie = r.headers.getSetCookie?.() ?? [];
  const session = setCookie.map((c) => c.split(';')[0])
      .find((c) => c.startsWith('nimbus_session='));
  return { status: r.status, cookie: session ?? null, csrf: r.body?.csrf_token ?? null,
           body: r.body };
}
