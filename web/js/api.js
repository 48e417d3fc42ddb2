// Thin wrapper over fetch() for the Relais JSON API (see docs/api.md).
//
// - Requests go to the same origin with the session cookie (credentials: 'same-origin').
// - A request with a body sends it as JSON with `Content-Type: application/json`;
//   DELETE and GET send no body. The browser adds the Origin header (CSRF check).
// - An error answer `{"error": {"code", "message", "field"?}}` becomes an ApiError whose
//   `message` is the server's French message, ready to be shown to people.

import { t } from './i18n.js';

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status, 0 when the server could not be reached
   * @param {string} code stable machine code (e.g. "identifiants_invalides")
   * @param {string} message French message for people
   * @param {string|undefined} field the invalid input field, for 400 champ_invalide
   */
  constructor(status, code, message, field) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

// Called when a request answers 401 outside of signing in: the session may have
// expired. Set by the application shell.
let unauthorizedHandler = null;

export function onUnauthorized(handler) {
  unauthorizedHandler = handler;
}

/**
 * Sends one request and returns the decoded JSON answer (null for 204).
 * Throws ApiError on network failure or on a non-2xx answer.
 *
 * @param {string} method
 * @param {string} path e.g. "/api/me"
 * @param {object} [body] JSON-serialisable object
 * @param {{quiet401?: boolean, signal?: AbortSignal}} [options]
 *   quiet401: do not call the unauthorized handler (used by the session calls)
 */
export async function request(method, path, body, options = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json' },
    cache: 'no-store',
    signal: options.signal,
  };
  if (body !== undefined && method !== 'GET' && method !== 'DELETE') {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch (err) {
    if (err && err.name === 'AbortError') throw err;
    throw new ApiError(0, 'reseau', t('errors.network'));
  }

  let data = null;
  if (response.status !== 204) {
    const type = response.headers.get('Content-Type') || '';
    if (type.includes('json')) {
      try {
        data = await response.json();
      } catch (err) {
        // Aborted while the body was read (the page or a newer search took over): an
        // abort, not an empty answer.
        if (err && err.name === 'AbortError') throw err;
        data = null;
      }
    }
  }

  if (!response.ok) {
    const e = data && typeof data.error === 'object' && data.error ? data.error : {};
    const error = new ApiError(
      response.status,
      typeof e.code === 'string' ? e.code : 'inconnu',
      typeof e.message === 'string' && e.message ? e.message
        // A proxy in front (nginx) answers a body over its own limit with an HTML page.
        : response.status === 413 ? t('errors.tooLarge')
          : t('errors.unexpected', { status: response.status }),
      typeof e.field === 'string' ? e.field : undefined,
    );
    // What else the error answer carries (the feeds a page offers, say).
    error.data = data && typeof data === 'object' ? data : {};
    if (response.status === 401 && !options.quiet401 && unauthorizedHandler) {
      unauthorizedHandler(error);
    }
    throw error;
  }
  return data;
}

export const api = {
  get: (path, options) => request('GET', path, undefined, options),
  post: (path, body = {}, options) => request('POST', path, body, options),
  patch: (path, body, options) => request('PATCH', path, body, options),
  put: (path, body, options) => request('PUT', path, body, options),
  del: (path, options) => request('DELETE', path, undefined, options),
};
