// The route table: adding a page = one view module in views/ + one line here.
// `nav` puts a link in the header navigation (in this order); `view` loads the module lazily.
// `href` is the nav link's target when `path` has parameters; `auth` shows the link only to a
// signed-in user (and marks it current on every page under it), `guest` only to everyone else;
// `alsoAt` is another path where the link is the current one.
import { maybeSignedIn, sessionKnown } from './session.js';

// "/" is the file browser for a signed-in user, the landing page for everyone else.
async function homeOrFiles() {
  if (maybeSignedIn() && await sessionKnown()) return import('./files/browser_view.js');
  return import('./views/home.js');
}

export const routes = [
  // Signed in, "/" is the file list: "Files" is its link then, and "Home" goes.
  { path: '/', nav: 'Home', guest: true, view: homeOrFiles },
  { path: '/files/*rest', nav: 'Files', href: '/files', auth: true, alsoAt: '/',
    view: () => import('./files/browser_view.js') },
  { path: '/shared', nav: 'Shared with me', auth: true,
    view: () => import('./shares/shared_with_me_view.js') },
  { path: '/shared/:id', view: () => import('./shares/shared_folder_view.js') },
  { path: '/shared-by-me', nav: 'Shared by me', auth: true,
    view: () => import('./shares/shared_by_me_view.js') },
  { path: '/trash', nav: 'Trash', auth: true, view: () => import('./files/trash_view.js') },
  { path: '/usage', auth: true, view: () => import('./files/usage_view.js') },
  { path: '/search', auth: true, view: () => import('./files/search_view.js') },
  // Plans and billing: linked from the account bar, the quota bar and the usage page.
  { path: '/plan', view: () => import('./billing/plan_view.js') },
  { path: '/invoices', view: () => import('./billing/invoices_view.js') },
  { path: '/invoices/:id', view: () => import('./billing/invoice_view.js') },
  { path: '/about', nav: 'About', view: () => import('./views/about.js') },
  // A public link's page: no sign-in (its view never calls requireUser).
  { path: '/s/:token', view: () => import('./shares/public_view.js') },
  // Account pages: linked from the header's account navigation (account_bar.js) and from mail.
  { path: '/signup', view: () => import('./views/signup.js') },
  { path: '/login', view: () => import('./views/login.js') },
  { path: '/verify-email', view: () => import('./views/verify_email.js') },
  { path: '/confirm-email', view: () => import('./views/confirm_email.js') },
  { path: '/forgot-password', view: () => import('./views/forgot_password.js') },
  { path: '/reset-password', view: () => import('./views/reset_password.js') },
  { path: '/settings', view: () => import('./views/settings.js') },
  { path: '/admin', view: () => import('./views/admin.js') },
  { path: '/admin/billing', view: () => import('./views/admin_billing.js') },
];

// Shown when no route matches (the server answers index.html for every unknown page path).
export const notFound = () => import('./views/not_found.js');
