// The pause of an upload between two tries after the connection was lost: a countdown that
// ticks every second, cut short when the browser says it is back online ('online') or when the
// person asks to retry now; while the browser knows it is offline it just waits for the
// connection, however long that takes.

// Pauses after a failed try; longer after each one in a row, up to 30 s.
const kDelaysMs = [1000, 2000, 4000, 8000, 15000, 30000];

// Waits before try number `attempt` + 1 (attempt 0 is the first failure). onStatus(text) says
// what happens ("retrying in 7 s…", "Waiting for the connection…") each second. Returns
// { done, now }: `done` resolves when it is time to try again and rejects with an AbortError
// when `signal` aborts; `now()` ends the wait at once (a "Retry now" button).
export function pauseBeforeRetry(attempt, { signal, onStatus = () => {} } = {}) {
  let finish;
  let fail;
  const done = new Promise((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const delay = kDelaysMs[Math.min(attempt, kDelaysMs.length - 1)];
  const until = Date.now() + delay;
  const tell = () => {
    if (navigator.onLine === false) {
      onStatus('Waiting for the connection…');
      return;
    }
    const left = Math.max(1, Math.ceil((until - Date.now()) / 1000));
    onStatus(`Connection lost; retrying in ${left} s…`);
  };
  const tick = () => {
    // Offline: no countdown, the 'online' event ends the wait. Online and the time is up: go.
    if (navigator.onLine !== false && Date.now() >= until) end();
    else tell();
  };
  const timer = setInterval(tick, 1000);
  const stop = () => {
    clearInterval(timer);
    window.removeEventListener('online', end);
    window.removeEventListener('offline', tell);
    signal?.removeEventListener('abort', abort);
  };
  const end = () => {
    stop();
    finish();
  };
  const abort = () => {
    stop();
    fail(new DOMException('The upload was cancelled.', 'AbortError'));
  };
  if (signal?.aborted) {
    abort();
    return { done, now: () => {} };
  }
  window.addEventListener('online', end);
  window.addEventListener('offline', tell);
  signal?.addEventListener('abort', abort, { once: true });
  tell();
  return { done, now: end };
}
