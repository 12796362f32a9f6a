// Launches Debian's chromium through playwright-core (headless, no network beyond loopback
// needed) and opens pages that record console errors, page errors and CSP violations.
import assert from 'node:assert/strict';

import { chromium } from 'playwright-core';

const kChromium = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

// A headless chromium. Playwright adds --no-sandbox, --headless and a temporary profile itself;
// the flags below keep it from reaching for the (closed) network.
export function launchBrowser() {
  return chromium.launch({
    executablePath: kChromium,
    args: [
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

// A page in a fresh context with `baseURL`, plus `problems`: arrays that fill up as the page
// runs. consoleErrors (console.error and resource failures Chromium logs), pageErrors
// (uncaught exceptions), cspViolations (securitypolicyviolation events: directive + blocked URI).
export async function openPage(browser, baseURL, contextOptions = {}) {
  const context = await browser.newContext({ baseURL, ...contextOptions });
  const page = await context.newPage();
  const problems = { consoleErrors: [], pageErrors: [], cspViolations: [] };
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.consoleErrors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.pageErrors.push(err.stack ?? String(err)));
  // Exposed functions survive navigations; the init script runs before any page script.
  await page.exposeFunction('__nimbusReportCsp', (v) => problems.cspViolations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__nimbusReportCsp(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}` +
                               ` at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  return { context, page, problems };
}

// Chromium logs every 4xx answer to fetch() as a console error; tests that cause some on
// purpose (a wrong password, a revoked share) pass this to assertNoProblems.
export const kExpectedHttpError =
    /Failed to load resource: the server responded with a status of 4\d\d/;

// Fails when the page had a CSP violation, an uncaught error, or a console error other than
// those matching `expected` (a RegExp, or null for none).
export function assertNoProblems(problems, expected = kExpectedHttpError) {
  assert.deepEqual(problems.cspViolations, [], 'CSP violations');
  assert.deepEqual(problems.pageErrors, [], 'uncaught page errors');
  assert.deepEqual(problems.consoleErrors.filter((e) => !expected?.test(e)), [],
                   'console errors');
}

// A fresh context of `user` ({ email, password }) logged in through the login form; resolves
// once the file browser shows: { context, page, problems }. `contextOptions` as openPage's
// (e.g. { hasTouch: true }).
export async function openSignedIn(browser, baseURL, user, contextOptions = {}) {
  const session = await openPage(browser, baseURL, contextOptions);
  const { page } = session;
  await page.goto('/login');
  await page.locator('#app[data-ready="true"]').waitFor();
  await page.getByLabel('Email', { exact: true }).fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(user.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('section.files-page').waitFor();
  return session;
}
