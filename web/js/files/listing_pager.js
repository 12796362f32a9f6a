// Paging helpers of long lists (a folder of thousands, the trash): the next page loads by
// itself when the end of the list comes near (an IntersectionObserver on an element after the
// list, whose "Load more" button stays for the keyboard), and each history entry remembers how
// many rows were loaded and where the page was scrolled, so Back finds the place again.

// Calls `loadMore()` whenever `sentinel` comes within `margin` of the bottom of the screen.
// loadMore resolves to true when it added rows (then the sentinel is looked at again: a tall
// screen may still show it), false when there was nothing more to load. Returns
// { check() (look again, e.g. after a reload), stop() }.
export function autoLoad(sentinel, loadMore, { margin = 800 } = {}) {
  if (typeof IntersectionObserver !== 'function') return { check() {}, stop() {} };
  let busy = false;
  let stopped = false;
  const observer = new IntersectionObserver((entries) => {
    if (busy || stopped || !entries.some((e) => e.isIntersecting)) return;
    busy = true;
    Promise.resolve()
        .then(loadMore)
        .then((added) => {
          busy = false;
          if (added) check();
        }, () => {
          busy = false;  // The caller reported the error; scrolling again tries again.
        });
  }, { rootMargin: `0px 0px ${margin}px 0px` });
  observer.observe(sentinel);
  // Observing anew delivers the current state once more.
  function check() {
    if (stopped) return;
    observer.unobserve(sentinel);
    observer.observe(sentinel);
  }
  return {
    check,
    stop() {
      stopped = true;
      observer.disconnect();
    },
  };
}

const kPlaceKey = 'nimbusListPlace';

// What the current history entry remembers of a list: { rows, scrollY, ... } or null.
export function savedPlace() {
  const place = history.state?.[kPlaceKey];
  return place && typeof place === 'object' ? place : null;
}

// Remembers `place` in the current history entry, while that entry is still `url` (the view's
// own page: not once a link click has pushed the next page).
export function savePlace(place, url) {
  if (location.href !== url) return;
  try {
    history.replaceState({ ...(history.state ?? {}), [kPlaceKey]: place }, '', url);
  } catch {
    // Too many calls (the browser throttles them): the next one saves it.
  }
}

// Keeps the place of the list shown at `url()` up to date: `place(scrollY)` gives what to
// remember; `restedY` is where the page is being scrolled to (a place restored). The scroll
// position kept is where the page rested (200 ms without scrolling): a click on a link far up
// the page scrolls there first, and Back should return to where the person was reading. Saved
// when scrolling stops, at once before a click (the router pushes the next page on a link's
// click) and before the page is left or reloaded. Returns { save() (e.g. after more rows
// loaded), stop() }.
export function trackPlace(url, place, restedY = window.scrollY) {
  let timer = null;
  let rested = restedY;
  const save = () => savePlace(place(Math.round(timer ? rested : window.scrollY)), url());
  const onScroll = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      rested = window.scrollY;
      save();
    }, 200);
  };
  window.addEventListener('scroll', onScroll, { passive: true });
  document.addEventListener('click', save, true);
  window.addEventListener('pagehide', save);
  return {
    save,
    stop() {
      window.removeEventListener('scroll', onScroll);
      document.removeEventListener('click', save, true);
      window.removeEventListener('pagehide', save);
      clearTimeout(timer);
    },
  };
}

// Scrolls to `y` once the router has finished showing the page (it scrolls to the top after a
// navigation).
export function restoreScroll(y) {
  if (!(y > 0)) return;
  requestAnimationFrame(() => setTimeout(() => window.scrollTo(0, y), 0));
}
