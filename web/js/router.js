// Client-side router on the History API: matches the URL against a route table (with :params
// and a trailing *rest), intercepts clicks on same-origin links, follows back/forward, and
// shows the not-found view when nothing matches. Views are ES modules loaded on first use.

// Paths the server answers itself: links to them are real page loads, never routed.
const kServerPrefixes = ['/api/', '/dav/', '/assets/', '/healthz', '/readyz', '/metrics'];

// Compiles '/files/:id/*rest' into { regex, names }. ':name' matches one non-empty segment,
// '*name' (last only) matches the rest of the path, possibly empty.
export function compilePath(pattern) {
  const names = [];
  const parts = pattern.split('/').filter(Boolean).map((part, i, all) => {
    if (part.startsWith(':')) {
      names.push(part.slice(1));
      return '/([^/]+)';
    }
    if (part.startsWith('*') && i === all.length - 1) {
      names.push(part.slice(1) || 'rest');
      return '(?:/(.*))?';
    }
    return '/' + part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return { regex: new RegExp(`^${parts.join('') || '/'}/?$`), names };
}

// Finds the first route whose path matches `pathname`; returns { route, params } or null.
// Params are URI-decoded; a malformed escape makes the route not match.
export function matchRoute(routes, pathname) {
  for (const route of routes) {
    route.compiled ??= compilePath(route.path);
    const m = route.compiled.regex.exec(pathname);
    if (!m) continue;
    try {
      const params = {};
      route.compiled.names.forEach((name, i) => {
        params[name] = m[i + 1] === undefined ? '' : decodeURIComponent(m[i + 1]);
      });
      return { route, params };
    } catch {
      return null;
    }
  }
  return null;
}

// Overlays over a page (the file viewer, dialogs, the row menu) each push a history entry of
// the same URL, so that the browser's Back (or a phone's back button) closes the topmost one
// instead of changing the page under it. An entry's state holds its depth (nimbusOverlay: 1
// for the first overlay, 2 for one opened over it), so Back closes only the overlays above.
const overlays = [];  // { href, onBack, pushed }, the innermost last.
let ownBacks = 0;  // Steps back made by overlays that closed themselves: no page changes.
let ownBackTimer = null;
const backsDone = [];  // Resolvers waiting for those steps (see afterOwnBacks).

function pushEntry(overlay) {
  overlay.pushed = true;
  history.pushState({ ...(history.state ?? {}), nimbusOverlay: overlays.indexOf(overlay) + 1 },
                    '', location.href);
}

// One own step back was made (its popstate came, or never will): overlays opened meanwhile get
// their entries now. history.back() is asynchronous, and an entry pushed before it lands would
// be the one it takes away (a menu closes, and the dialog it opens pushes at once).
function ownBackDone() {
  ownBacks = Math.max(0, ownBacks - 1);
  if (ownBacks > 0) return;
  clearTimeout(ownBackTimer);
  for (const overlay of overlays) {
    if (!overlay.pushed) pushEntry(overlay);
  }
  for (const resolve of backsDone.splice(0)) resolve();
}

// Resolves once the steps back of overlays that closed themselves have landed; a navigation
// waits for them, or its new entry would be the one taken away.
export function afterOwnBacks() {
  return ownBacks ? new Promise((resolve) => { backsDone.push(resolve); }) : Promise.resolve();
}

// Pushes an entry for an overlay that opens now; `onBack()` is called when Back (or any other
// step in the history) leaves it. Returns `closed()`, to call when the overlay closes by
// itself (Escape, a Close button, a choice made): its entry is taken away again
// (history.back()), so no stale entry is left for Back to step through.
export function pushOverlay(onBack) {
  const overlay = { href: location.href, onBack, pushed: false };
  overlays.push(overlay);
  if (!ownBacks) pushEntry(overlay);
  return function closed() {
    const i = overlays.indexOf(overlay);
    if (i < 0) return;  // Left with Back: the entry is gone already.
    overlays.splice(i, 1);
    if (overlay.pushed && history.state?.nimbusOverlay) {
      ownBacks += 1;
      // A popstate that never comes (the entry was gone after all) must not hold the others.
      clearTimeout(ownBackTimer);
      ownBackTimer = setTimeout(() => {
        ownBacks = 1;
        ownBackDone();
      }, 1000);
      history.back();
    }
  };
}

// Closes every overlay now (their entries stay behind, as when another page opens): the session
// ended and the login page comes, with nothing left on top of it.
export function closeOverlays() {
  for (const overlay of overlays.splice(0).reverse()) overlay.onBack();
}

// True when clicking `anchor` should be handled by the router instead of the browser.
function isRoutableClick(event, anchor) {
  if (event.defaultPrevented || event.button !== 0) return false;
  if (event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return false;
  if (anchor.hasAttribute('download') || anchor.getAttribute('rel')?.includes('external')) {
    return false;
  }
  const target = anchor.getAttribute('target');
  if (target && target !== '_self') return false;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin) return false;
  if (kServerPrefixes.some((p) => url.pathname === p || url.pathname.startsWith(p))) return false;
  // A link to an anchor on the same page: let the browser scroll.
  if (url.pathname === location.pathname && url.search === location.search && url.hash) {
    return false;
  }
  return true;
}

// Router: `routes` is [{ path, view: () => import(...), title? }], `notFound` a loader of the
// not-found view, `outlet` the element views render into. `onChange({ route, params, url })`
// runs after each render (route is null for not-found), e.g. to mark the current nav link.
// A view module exports `render(outlet, ctx)` (may be async) which may return a cleanup
// function, and optionally `title` (string or (ctx) => string).
// ctx = { params, query (URLSearchParams), url (URL), navigate, signal (AbortSignal that fires
// when the user navigates away), from (the URL of the view shown before, or null) }.
export class Router {
  constructor({ routes, notFound, outlet, onChange = () => {}, appName = document.title }) {
    this.routes = routes;
    this.notFound = notFound;
    this.outlet = outlet;
    this.onChange = onChange;
    this.appName = appName;
    this.cleanup = null;
    this.controller = null;
    this.onClick = this.onClick.bind(this);
    this.shownHref = null;  // The URL of the view on screen (or being drawn).
    this.onPopState = () => {
      if (ownBacks > 0) {  // An overlay that closed itself took its entry away.
        ownBackDone();
        return;
      }
      // Back from an overlay's entry: the overlays above the entry now shown close, the page
      // under them stays as it is. Another page: they all close.
      const top = overlays.at(-1);
      const same = top && location.href === top.href;
      const depth = same ? Number(history.state?.nimbusOverlay) || 0 : 0;
      for (const overlay of overlays.splice(depth).reverse()) overlay.onBack();
      if (same) return;
      // Forward (or back) onto the entry of an overlay closed before: the same page.
      if (location.href === this.shownHref) return;
      this.render();
    };
  }

  // Starts listening to link clicks and back/forward, and renders the current URL.
  start() {
    document.addEventListener('click', this.onClick);
    window.addEventListener('popstate', this.onPopState);
    return this.render();
  }

  // Stops listening (the current view stays on screen).
  stop() {
    document.removeEventListener('click', this.onClick);
    window.removeEventListener('popstate', this.onPopState);
  }

  // Goes to `to` (a path or URL, same origin) without a page load; `replace` replaces the
  // current history entry. Resolves when the new view has rendered.
  navigate(to, { replace = false } = {}) {
    // An overlay closed just now (a menu item, a dialog's choice) is still taking its entry
    // away: the new page's entry comes after that.
    if (ownBacks) return afterOwnBacks().then(() => this.navigate(to, { replace }));
    const url = new URL(to, location.href);
    if (url.origin !== location.origin) {
      location.assign(url.href);
      return Promise.resolve();
    }
    // Another page: the overlays over this one close (their entries stay behind it).
    for (const overlay of overlays.splice(0).reverse()) overlay.onBack();
    if (replace) history.replaceState(null, '', url.href);
    else if (url.href !== location.href) history.pushState(null, '', url.href);
    return this.render();
  }

  onClick(event) {
    const anchor = event.target instanceof Element ? event.target.closest('a[href]') : null;
    if (!anchor || !isRoutableClick(event, anchor)) return;
    event.preventDefault();
    this.navigate(anchor.href);
  }

  // Renders the view for the current location. A newer navigation cancels an older one that
  // is still loading, so a slow view never replaces a faster, later one.
  async render() {
    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    const url = new URL(location.href);
    const from = this.shownHref;
    this.shownHref = url.href;
    const match = matchRoute(this.routes, url.pathname);
    const ctx = {
      params: match?.params ?? {}, query: url.searchParams, url,
      navigate: (to, opts) => this.navigate(to, opts), signal: controller.signal, from,
    };
    let view;
    try {
      view = await (match ? match.route.view() : this.notFound());
    } catch (err) {
      view = failedView(err);
    }
    if (controller.signal.aborted) return;
    this.runCleanup();
    this.outlet.replaceChildren();
    // The title first: a view may draw its heading and then wait for data.
    const title = typeof view.title === 'function' ? view.title(ctx) : view.title;
    document.title = title ? `${title} · ${this.appName}` : this.appName;
    try {
      const cleanup = await view.render(this.outlet, ctx);
      if (controller.signal.aborted) {
        if (typeof cleanup === 'function') cleanup();
        return;
      }
      this.cleanup = typeof cleanup === 'function' ? cleanup : null;
    } catch (err) {
      if (controller.signal.aborted) return;
      failedView(err).render(this.outlet);
    }
    this.onChange({ route: match?.route ?? null, params: ctx.params, url });
  }

  runCleanup() {
    const cleanup = this.cleanup;
    this.cleanup = null;
    try {
      cleanup?.();
    } catch (err) {
      console.warn('view cleanup failed', err);
    }
  }
}

// A view that reports a view that failed to load or render (e.g. the network dropped).
function failedView(err) {
  return {
    title: 'Error',
    render(outlet) {
      const box = document.createElement('section');
      box.className = 'notice notice-error';
      box.setAttribute('role', 'alert');
      const heading = document.createElement('h1');
      heading.textContent = 'This page could not be shown';
      const text = document.createElement('p');
      text.textContent = err?.message || String(err);
      // A way on: a folder that was deleted or moved meanwhile is the usual cause.
      const on = document.createElement('p');
      const files = document.createElement('a');
      files.href = '/files';
      files.textContent = 'Go to your files';
      on.append(files);
      box.append(heading, text, on);
      outlet.replaceChildren(box);
    },
  };
}
