// Launches Debian's chromium through playwright-core (headless, no network beyond loopback
// needed) and opens pages that record console errors, page errors and CSP violations.
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
