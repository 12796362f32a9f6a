// Byte transfers that need upload progress (fetch() has none): one XMLHttpRequest, same-origin
// cookies, the CSRF header, and failures turned into ApiError like api.js does.
import { ApiError, csrfTokenValue } from '../api.js';

// Sends `body` with `method` to `url`. onProgress(sentBytes) fires as the body goes out.
// Resolves to { status, header(name), data } for any HTTP answer, including errors (the
// caller decides); rejects with ApiError(0, 'network_error') when the server was not reached
// (or did not answer within `timeoutMs`, when given) and with a DOMException 'AbortError' when
// `signal` aborts.
export function send(method, url, { body = null, headers = {}, onProgress, signal,
                                    timeoutMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
      return;
    }
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    if (timeoutMs > 0) xhr.timeout = timeoutMs;
    xhr.setRequestHeader('Accept', 'application/json');
    const token = csrfTokenValue();
    if (token) xhr.setRequestHeader('X-CSRF-Token', token);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    xhr.onload = () => {
      done();
      let data = xhr.responseText || null;
      if (data && (xhr.getResponseHeader('Content-Type') ?? '').includes('json')) {
        try {
          data = JSON.parse(data);
        } catch {
          // Left as text.
        }
      }
      resolve({ status: xhr.status, header: (n) => xhr.getResponseHeader(n), data });
    };
    xhr.onerror = xhr.ontimeout = () => {
      done();
      reject(new ApiError(0, 'network_error',
                          'Could not reach the server. Check your connection and try again.'));
    };
    xhr.onabort = () => {
      done();
      reject(new DOMException('The upload was cancelled.', 'AbortError'));
    };
    xhr.send(body);
  });
}

// An ApiError for a non-2xx answer of send(): the server's error.message when it sent one.
export function errorOf(response) {
  const error = response.data && typeof response.data === 'object' ? response.data.error : null;
  const status = response.status;
  let message = error?.message;
  if (!message) {
    if (status === 507) message = 'There is not enough space left in your plan.';
    else if (status === 413) message = 'That file is too large.';
    else if (status === 409) message = 'An item with that name already exists.';
    else if (status === 401) message = 'Please sign in to continue.';
    else if (status >= 500) message = 'Something went wrong on the server. Please try again.';
    else message = `The upload failed (HTTP ${status}).`;
  }
  return new ApiError(status, error?.code ?? `http_${status}`, message, error);
}
