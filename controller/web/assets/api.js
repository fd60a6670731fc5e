// The JSON API under /api/: same-origin fetches with the session cookie; every POST carries the
// CSRF token from the login (or /api/session) answer and a JSON body.

export class ApiError extends Error {
  constructor(status, message, retryAfter) {
    super(message);
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

// The signed-in user: {user, role: 'viewer'|'operator'|'admin', csrf_token}; null when signed out.
let current = null;
const unauthorizedListeners = [];

// "USER_ROLE_OPERATOR" or "operator" -> "operator".
function roleName(role) {
  return String(role || '').replace(/^USER_ROLE_/, '').toLowerCase() || 'viewer';
}

function adopt(answer) {
  current = {user: answer.user, role: roleName(answer.role), csrf_token: answer.csrf_token};
  return current;
}

export function session() { return current; }

const RANK = {viewer: 1, operator: 2, admin: 3};
// Whether the signed-in user's role includes `need` (admin ⊇ operator ⊇ viewer).
export function can(need) {
  return Boolean(current) && (RANK[current.role] || 0) >= RANK[need];
}

export function onUnauthorized(fn) { unauthorizedListeners.push(fn); }

// The last time the user touched the page. Reads sent after a minute without any (live-update
// refreshes of an unattended tab) say so, and the controller does not count them as activity:
// an open tab alone does not keep a session from ending idle.
let lastInput = Date.now();
for (const type of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
  window.addEventListener(type, () => { lastInput = Date.now(); }, {capture: true, passive: true});
}
const IDLE_MS = 60000;

async function errorOf(response) {
  let message = `${response.status} ${response.statusText}`.trim();
  try {
    const body = await response.json();
    if (body && body.error) message = body.error;
  } catch { /* not JSON: keep the status line */ }
  const retry = Number(response.headers.get('Retry-After') || 0) || undefined;
  return new ApiError(response.status, message, retry);
}

async function call(method, path, body) {
  const init = {method, credentials: 'same-origin', headers: {Accept: 'application/json'}};
  if (method === 'GET' && Date.now() - lastInput > IDLE_MS) init.headers['X-Relayguard-Idle'] = '1';
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    if (current) init.headers['X-CSRF-Token'] = current.csrf_token;
    init.body = JSON.stringify(body || {});
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, `cannot reach the controller (${method} ${path}): ${e.message}`);
  }
  if (!response.ok) {
    const err = await errorOf(response);
    if (response.status === 401 && path !== '/api/login' && path !== '/api/session') {
      current = null;
      for (const fn of unauthorizedListeners) fn();
    }
    throw err;
  }
  if (response.status === 204) return {};
  const text = await response.text();
  return text ? JSON.parse(text) : {};
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);

export async function login(user, password) {
  return adopt(await call('POST', '/api/login', {user, password}));
}

// The session behind the cookie, or null when there is none.
export async function restore() {
  try {
    return adopt(await call('GET', '/api/session'));
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function logout() {
  try {
    await call('POST', '/api/logout', {});
  } finally {
    current = null;
  }
}

export const enc = encodeURIComponent;
