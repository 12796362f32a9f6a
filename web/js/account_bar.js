// The signed-in state in the frame: the header's account links (log in / sign up, or the
// user's name, admin and log out) and the "Please confirm your email" banner with "resend".
import { post } from './api.js';
import { h } from './dom.js';
import { currentUser, logout, onUserChange } from './session.js';

// Keeps `accountNav` and `banner` (from mountLayout) in step with the signed-in user.
// `navigate(path)` is the router's; `afterRender()` re-marks the current link.
export function mountAccountBar({ accountNav, banner, navigate, afterRender }) {
  const draw = (user) => {
    accountNav.replaceChildren(...(user ? signedInLinks(user, navigate) : signedOutLinks()));
    banner.replaceChildren(...(user && user.email_verified === false ? [verifyBanner(user)]
                                                                       : []));
    afterRender();
  };
  onUserChange(draw);
  draw(currentUser());
}

function signedOutLinks() {
  return [
    h('a', { href: '/login', class: 'nav-link' }, 'Log in'),
    h('a', { href: '/signup', class: 'nav-link nav-link-primary' }, 'Sign up'),
  ];
}

function signedInLinks(user, navigate) {
  const out = h('button', { type: 'button', class: 'nav-button' }, 'Log out');
  out.addEventListener('click', async () => {
    out.disabled = true;
    try {
      await logout();
    } catch {
      // Signed out here anyway; the server session ends at its idle limit.
    }
    navigate('/login');
  });
  return [
    user.is_admin ? h('a', { href: '/admin', class: 'nav-link' }, 'Admin') : null,
    h('a', { href: '/plan', class: 'nav-link', title: 'Your plan and invoices' }, 'Plan'),
    h('a', { href: '/settings', class: 'nav-link user-name', title: 'Account settings' },
      user.name || user.email),
    out,
  ].filter(Boolean);
}

function verifyBanner(user) {
  const status = h('span', { class: 'banner-status', role: 'status', 'aria-live': 'polite' });
  const resend = h('button', { type: 'button', class: 'link-button' }, 'Resend the link');
  resend.addEventListener('click', async () => {
    resend.disabled = true;
    status.textContent = 'Sending…';
    try {
      await post('/api/v1/auth/resend-verification', { email: user.email });
      status.textContent = `We sent a new link to ${user.email}.`;
    } catch (err) {
      status.textContent = err.message;
      resend.disabled = false;
    }
  });
  return h('section', { class: 'banner', 'aria-label': 'Email confirmation' },
           h('p', {}, h('strong', {}, 'Please confirm your email. '),
             `We sent a link to ${user.email}; open it to confirm your address. `, resend,
             ' ', status));
}
