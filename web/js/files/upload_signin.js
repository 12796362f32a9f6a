// Uploads paused because the session ended (logged out in another tab, or expired: the
// requests answer 401) go on once the person is signed in again (uploads.js). Signed in again in
// this tab, the session's listeners say so at once; in another tab (the cookie is shared, this
// tab cannot see it) this tab asks GET /api/v1/me when it comes back into view or regains
// focus, and every few seconds while it is shown.
import { get } from '../api.js';
import { currentUser, onUserChange, setUser } from '../session.js';

// How often a shown tab asks whether the person is signed in again.
const kPollMs = 10000;

// Calls `fn()` once the user `userId` (null: whoever) is signed in again; returns a function
// that stops watching. Another person signing in does not count: the uploads are not theirs.
export function whenSignedInAgain(userId, fn) {
  let stopped = false;
  const stop = () => {
    stopped = true;
    unsubscribe();
    window.removeEventListener('focus', check);
    document.removeEventListener('visibilitychange', onVisible);
    clearInterval(timer);
  };
  const back = (user) => {
    if (stopped || !user || (userId && user.id !== userId)) return;
    stop();
    fn();
  };
  // setUser() tells every listener (the header, the banners), and this one too.
  const unsubscribe = onUserChange(back);
  async function check() {
    if (stopped) return;
    try {
      // Not redirected to the login page: this only asks (the answer brings a fresh CSRF token).
      setUser(await get('/api/v1/me', { redirectOn401: false }));
    } catch {
      // Still signed out, or offline: asked again later.
    }
  }
  function onVisible() {
    if (document.visibilityState === 'visible') check();
  }
  window.addEventListener('focus', check);
  document.addEventListener('visibilitychange', onVisible);
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') check();
  }, kPollMs);
  return stop;
}

// The id of the person signed in now, or null.
export function signedInId() {
  return currentUser()?.id ?? null;
}
