// Boot: draws the page frame, then hands the main area to the router.
import { kAppName, mountLayout } from './layout.js';
import { Router } from './router.js';
import { notFound, routes } from './routes.js';

const root = document.getElementById('app');
const { main, setCurrent } = mountLayout(root, routes);

let firstRender = true;
export const router = new Router({
  routes,
  notFound,
  outlet: main,
  appName: kAppName,
  onChange({ url }) {
    setCurrent(url.pathname);
    // After a client-side navigation, move focus to the new content (screen readers announce
    // it) and start at the top, as a page load would.
    if (!firstRender) {
      main.focus({ preventScroll: true });
      window.scrollTo(0, 0);
    }
    firstRender = false;
    root.dataset.ready = 'true';
  },
});
router.start();
