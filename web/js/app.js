// Boot: draws the page frame, starts the router, and shows who is signed in.
import { mountAccountBar } from './account_bar.js';
import { setUnauthenticatedHandler } from './api.js';
import { installPageDrop } from './files/page_drop.js';
import { kAppName, mountLayout } from './layout.js';
import { Router, closeOverlays } from './router.js';
import { notFound, routes } from './routes.js';
import { maybeSignedIn, refreshUser, setUser } from './session.js';

const root = document.getElementById('app');
const { main, accountNav, banner, setCurrent, closeMenu } = mountLayout(root, routes);

let firstRender = true;
export const router = new Router({
  routes,
  notFound,
  outlet: main,
  appName: kAppName,
  onChange({ url }) {
    setCurrent(url.pathname);
    // After a client-side navigation, move focus to the new content (screen readers announce
    // it) and start at the top, as a page load would; unless the view put the focus somewhere
    // itself (going up a folder: the row of the folder left).
    const active = document.activeElement;
    if (!firstRender && (active === main || !main.contains(active))) {
      focusHeading();
      window.scrollTo(0, 0);
    }
    firstRender = false;
    root.dataset.ready = 'true';
  },
});

// Focus on the page's heading: it says where one is, and Tab goes on from there (focus on
// <main> makes some screen readers read the whole page).
function focusHeading() {
  const heading = main.querySelector('h1') ?? main;
  if (heading !== main) heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

mountAccountBar({
  accountNav, banner,
  navigate: (to) => router.navigate(to),
  afterRender: () => setCurrent(location.pathname),
});

// A request found the session gone: forget the user and ask them to sign in, then come back.
// Whatever is open over the page (a dialog, a row's menu or sheet, the viewer, the header's
// menu) closes first, and again once the login page is drawn (one opened meanwhile): left open,
// a modal dialog sat on top of the login form and took its clicks (QA pass 18).
setUnauthenticatedHandler(() => {
  setUser(null);
  closeEverything();
  if (location.pathname === '/login') return;
  const next = location.pathname + location.search;
  router.navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true })
      .then(closeEverything, closeEverything);
});

function closeEverything() {
  closeOverlays();
  for (const dialog of document.querySelectorAll('dialog[open]')) dialog.close();
  closeMenu();
}

// Only a browser that signed in before asks who is signed in: an anonymous visit makes no
// request that would answer 401.
if (maybeSignedIn()) refreshUser().catch(() => {});
installPageDrop();  // Files dropped off a drop target never make the browser leave the app.
router.start();
