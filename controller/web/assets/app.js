// The dashboard's entry point: session, header, client-side router (history.pushState) and the
// live-update stream. Pages live in page_*.js; each exports render(ctx) and draws into ctx.root.
import {h, replace} from './dom.js';
import * as api from './api.js';
import {Live} from './live.js';
import {errorBox, notify} from './ui.js';
import * as loginPage from './page_login.js';
import * as fleetPage from './page_fleet.js';
import * as hostPage from './page_host.js';
import * as rolloutsPage from './page_rollouts.js';
import * as rolloutPage from './page_rollout.js';
import * as planPage from './page_plan.js';
import * as compliancePage from './page_compliance.js';
import * as auditPage from './page_audit.js';
import * as attemptsPage from './page_attempts.js';

const ROUTES = [
  {path: /^\/login$/, page: loginPage, open: true},
  {path: /^\/(fleet)?$/, page: fleetPage, nav: '/'},
  {path: /^\/hosts\/([^/]+)$/, page: hostPage, nav: '/'},
  {path: /^\/rollouts$/, page: rolloutsPage, nav: '/rollouts'},
  {path: /^\/rollouts\/([^/]+)$/, page: rolloutPage, nav: '/rollouts'},
  {path: /^\/plan$/, page: planPage, nav: '/plan'},
  {path: /^\/compliance$/, page: compliancePage, nav: '/compliance'},
  {path: /^\/audit$/, page: auditPage, nav: '/audit'},
  {path: /^\/attempts$/, page: attemptsPage, nav: '/attempts'},
];

const NAV = [['/', 'Fleet'], ['/rollouts', 'Rollouts'], ['/plan', 'Plan'], ['/compliance', 'Compliance'],
  ['/attempts', 'Attempts'], ['/audit', 'Audit']];

const main = document.getElementById('main');
const top = document.getElementById('top');
const LIVE_TEXT = {live: 'live', connecting: 'connecting…', offline: 'updates paused, retrying', off: 'not live'};
const liveBadge = h('span', {class: 'live-state off', title: 'Live updates from the controller'}, LIVE_TEXT.off);
const live = new Live((state) => {
  liveBadge.className = `live-state ${state}`;
  liveBadge.textContent = LIVE_TEXT[state] || state;
});
let cleanups = [];

function navigate(url, {replace: replaceEntry = false} = {}) {
  if (replaceEntry) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.scrollTo(0, 0);
  route();
}

async function reloadPlaybooks() {
  try {
    const r = await api.post('/api/playbooks/reload', {});
    const errors = r.errors || [];
    notify(`Playbooks reloaded: ${(r.loaded || []).join(', ') || 'none'}` +
      (errors.length ? `; errors: ${errors.join('; ')}` : ''), errors.length ? 'error' : 'info');
  } catch (err) {
    notify(`Reload failed: ${err.message}`, 'error');
  }
}

async function doLogout() {
  live.stop();
  try {
    await api.logout();
  } catch (err) {
    notify(`Logout: ${err.message}`, 'error');
  }
  navigate('/login', {replace: true});
}

function renderHeader(navPath) {
  const s = api.session();
  if (!s) {
    top.hidden = true;
    replace(top);
    return;
  }
  top.hidden = false;
  const links = NAV.map(([href, text]) => h('a', {href, class: 'nav-link',
    'aria-current': href === navPath ? 'page' : undefined}, text));
  const reload = api.can('admin') ?
    h('button', {type: 'button', class: 'ghost', 'data-write': '', onclick: reloadPlaybooks}, 'Reload playbooks') : null;
  replace(top,
    h('a', {href: '/', class: 'brand'}, h('img', {src: '/assets/favicon.svg', alt: '', width: '20', height: '20'}), 'relayguard'),
    h('nav', {'aria-label': 'Main'}, links),
    h('div', {class: 'who'}, liveBadge, reload,
      h('span', {class: 'user'}, h('strong', {class: 'user-name'}, s.user), ' ',
        h('span', {class: ['role', `role-${s.role}`]}, s.role)),
      h('button', {type: 'button', class: 'ghost', id: 'logout', onclick: doLogout}, 'Log out')));
}

async function route() {
  for (const fn of cleanups) fn();
  cleanups = [];
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const match = ROUTES.map((r) => ({r, m: path.match(r.path)})).find((x) => x.m);
  if (!match) {
    renderHeader('');
    replace(main, h('h1', {}, 'Not found'), h('p', {}, 'No page at ', h('code', {}, path), '. ',
      h('a', {href: '/'}, 'Go to the fleet')));
    return;
  }
  const {r, m} = match;
  if (!r.open && !api.session()) {
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, {replace: true});
    return;
  }
  if (api.session()) live.start();
  renderHeader(r.nav);
  const root = h('div', {class: 'page'});
  replace(main, root);
  const ctx = {
    root,
    params: m.slice(1).map((p) => (p === undefined ? p : decodeURIComponent(p))),
    query: new URLSearchParams(location.search),
    navigate,
    // Rewrites the query string without a new history entry or re-render (filters, search).
    setQuery(params) {
      const q = new URLSearchParams();
      for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
      const qs = q.toString();
      history.replaceState(null, '', location.pathname + (qs ? `?${qs}` : ''));
    },
    live(topics, fn) { cleanups.push(live.subscribe(topics, fn)); },
    onLeave(fn) { cleanups.push(fn); },
  };
  try {
    await r.page.render(ctx);
  } catch (err) {
    replace(root, errorBox(err));
  }
}

document.addEventListener('click', (e) => {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = e.target.closest('a[href]');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || /^\/(api|assets)\//.test(url.pathname)) return;
  e.preventDefault();
  if (url.pathname + url.search !== location.pathname + location.search) navigate(url.pathname + url.search);
  main.focus({preventScroll: true});
});
window.addEventListener('popstate', route);
api.onUnauthorized(() => {
  live.stop();
  if (location.pathname !== '/login') {
    navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, {replace: true});
  }
});
window.addEventListener('relayguard:signed-in', () => live.start());

async function boot() {
  try {
    await api.restore();
  } catch (err) {
    replace(main, errorBox(err, 'Cannot ask the controller for the session'));
    return;
  }
  route();
}

boot();
