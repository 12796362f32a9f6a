// The page frame around every view: header with the product name and navigation, the main
// area views render into, and a footer. Navigation links come from the route table.
import { mountBillingBanners } from './billing/banner.js';
import { h } from './dom.js';
import { currentUser, onUserChange } from './session.js';

export const kAppName = 'Nimbus';

// Builds the frame inside `root` and returns { main, accountNav, banner, setCurrent(path) }.
// `accountNav` (the header's account links) and `banner` (above the main area) are filled by
// account_bar.js. `setCurrent` marks the links to the current page with aria-current="page".
export function mountLayout(root, routes) {
  const links = routes.filter((r) => r.nav).map((r) => h('a', {
    href: r.href ?? r.path, class: 'nav-link', hidden: r.auth && !currentUser(),
    dataset: r.auth ? { auth: 'true' } : undefined }, r.nav));
  // Links for signed-in users (Files, Trash) follow the session.
  onUserChange((user) => {
    for (const link of links) if (link.dataset.auth) link.hidden = !user;
  });
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const accountNav = h('nav', { class: 'account-nav', 'aria-label': 'Account' });
  const banner = h('div', { class: 'banner-slot' });
  // Past due and storage almost full (billing/banner.js), on every signed-in page.
  const billingBanners = h('div', { class: 'banner-slot billing-banners' });
  mountBillingBanners(billingBanners);
  root.replaceChildren(
      h('a', { href: '#main', class: 'skip-link' }, 'Skip to content'),
      h('header', { class: 'site-header' },
        h('div', { class: 'container header-inner' },
          h('a', { href: '/', class: 'brand', 'aria-label': `${kAppName} home` },
            h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), kAppName),
          h('nav', { class: 'site-nav', 'aria-label': 'Main' }, links), accountNav)),
      h('div', { class: 'container main-wrap' }, banner, billingBanners, main),
      h('footer', { class: 'site-footer' },
        h('div', { class: 'container' },
          h('p', {}, `${kAppName} — self-hosted cloud storage.`))));

  function setCurrent(path) {
    for (const link of [...links, ...accountNav.querySelectorAll('a')]) {
      const linkPath = new URL(link.href).pathname;
      const under = link.dataset.auth && path.startsWith(`${linkPath}/`);
      if (linkPath === path || under) link.setAttribute('aria-current', 'page');
      else link.removeAttribute('aria-current');
    }
  }
  return { main, accountNav, banner, setCurrent };
}
