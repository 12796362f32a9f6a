// The page frame around every view: header with the product name and navigation, the main
// area views render into, and a footer. Navigation links come from the route table. When they
// do not fit on one line (a phone) both navigations (the pages, the account) fold behind a
// "Menu" button.
import { mountBillingBanners } from './billing/banner.js';
import { h } from './dom.js';
import { currentUser, onUserChange } from './session.js';

export const kAppName = 'Nimbus';

// Builds the frame inside `root` and returns { main, accountNav, banner, setCurrent(path) }.
// `accountNav` (the header's account links) and `banner` (above the main area) are filled by
// account_bar.js. `setCurrent` marks the links to the current page with aria-current="page".
export function mountLayout(root, routes) {
  const user = currentUser();
  const links = routes.filter((r) => r.nav).map((r) => h('a', {
    href: r.href ?? r.path, class: 'nav-link', hidden: (r.auth && !user) || (r.guest && user),
    dataset: Object.fromEntries([['auth', r.auth && 'true'], ['guest', r.guest && 'true'],
                                 ['alsoAt', r.alsoAt]].filter(([, v]) => v)) }, r.nav));
  // Links for signed-in users (Files, Trash) and for the others (Home) follow the session.
  onUserChange((next) => {
    for (const link of links) {
      if (link.dataset.auth) link.hidden = !next;
      if (link.dataset.guest) link.hidden = !!next;
    }
  });
  const main = h('main', { id: 'main', class: 'main', tabindex: '-1' });
  const accountNav = h('nav', { class: 'account-nav', 'aria-label': 'Account' });
  const banner = h('div', { class: 'banner-slot' });
  // Past due and storage almost full (billing/banner.js), on every signed-in page.
  const billingBanners = h('div', { class: 'banner-slot billing-banners' });
  mountBillingBanners(billingBanners);
  const header = h('header', { class: 'site-header' });
  const menu = h('div', { id: 'site-menu', class: 'site-menu' },
                 h('nav', { class: 'site-nav', 'aria-label': 'Main' }, links), accountNav);
  const menuButton = h('button', { type: 'button', class: 'menu-button', 'aria-expanded': 'false',
                                   'aria-controls': 'site-menu' },
                       h('span', { class: 'menu-icon', 'aria-hidden': 'true' }), 'Menu');
  header.append(h('div', { class: 'container header-inner' },
                  h('a', { href: '/', class: 'brand', 'aria-label': `${kAppName} home` },
                    h('span', { class: 'brand-mark', 'aria-hidden': 'true' }), kAppName),
                  menuButton, menu));
  root.replaceChildren(
      h('a', { href: '#main', class: 'skip-link' }, 'Skip to content'),
      header,
      h('div', { class: 'container main-wrap' }, banner, billingBanners, main),
      h('footer', { class: 'site-footer' },
        h('div', { class: 'container' },
          h('p', {}, `${kAppName} — self-hosted cloud storage.`))));

  // The menu of a narrow screen: the button opens and closes it; Escape closes it (focus back
  // on the button), and so do a click elsewhere and the choice of a link in it.
  const setOpen = (open, { refocus = false } = {}) => {
    header.classList.toggle('menu-open', open);
    menuButton.setAttribute('aria-expanded', String(open));
    if (refocus) menuButton.focus();
  };
  const isOpen = () => menuButton.getAttribute('aria-expanded') === 'true';
  menuButton.addEventListener('click', () => setOpen(!isOpen()));
  menu.addEventListener('click', (e) => {
    if (isOpen() && e.target.closest?.('a, button')) setOpen(false);
  });
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Escape' || !isOpen()) return;
    e.preventDefault();
    setOpen(false, { refocus: header.contains(document.activeElement) });
  });
  document.addEventListener('pointerdown', (e) => {
    if (isOpen() && !header.contains(e.target)) setOpen(false);
  });
  // The links fold behind "Menu" when they do not fit on the header's line: measured unfolded
  // (in the same task, so nothing flickers) when the window's width changes and when the
  // links change (signed in or out, another name).
  const fit = () => {
    header.classList.remove('nav-folded');
    const folded = menu.scrollWidth > menu.clientWidth + 1;
    header.classList.toggle('nav-folded', folded);
    if (!folded && isOpen()) setOpen(false);
  };
  fit();
  window.addEventListener('resize', fit);
  document.fonts?.ready.then(fit);
  new MutationObserver(fit).observe(menu, { subtree: true, childList: true, characterData: true,
                                            attributes: true, attributeFilter: ['hidden'] });

  function setCurrent(path) {
    for (const link of [...links, ...accountNav.querySelectorAll('a')]) {
      const linkPath = new URL(link.href).pathname;
      const under = link.dataset.auth && path.startsWith(`${linkPath}/`);
      if (linkPath === path || under || link.dataset.alsoAt === path) {
        link.setAttribute('aria-current', 'page');
      } else {
        link.removeAttribute('aria-current');
      }
    }
  }
  // closeMenu(): the narrow screen's menu closes (the session ended: the login page comes).
  return { main, accountNav, banner, setCurrent, closeMenu: () => setOpen(false) };
}
