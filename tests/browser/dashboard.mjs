#!/usr/bin/env node
// Drives Debian's Chromium (headless, through playwright-core) through the relayguard dashboard.
// Run by the C++ browser tests as `node tests/browser/dashboard.mjs STEP` with STEP one of
// rollout | rollback | viewer | screenshots, and the environment:
//   RG_URL (https://127.0.0.1:PORT), RG_OPERATOR / RG_OPERATOR_PASSWORD, RG_VIEWER /
//   RG_VIEWER_PASSWORD, RG_POLICY, RG_HOSTS (comma list), RG_SHOTS (screenshot dir),
//   RG_ROLLOUT (rollback, screenshots), RG_REASON.
// Each step prints ONE JSON line on stdout as its result and exits 0; any failed check exits 1
// with a message on stderr saying what was expected and what the page showed (2: bad usage).
// Passwords are never printed.
import fs from 'node:fs';
import path from 'node:path';
import {chromium} from 'playwright-core';

class CheckFailed extends Error {}

function check(cond, message) {
  if (!cond) throw new CheckFailed(message);
}

function log(...args) { console.error('[dashboard]', ...args); }

function env(name, {optional = false} = {}) {
  const v = process.env[name];
  if (!v && !optional) {
    console.error(`dashboard.mjs: environment variable ${name} is not set`);
    process.exit(2);
  }
  return v || '';
}

const BASE = () => env('RG_URL').replace(/\/+$/, '');
const HOSTS = () => env('RG_HOSTS').split(',').map((s) => s.trim()).filter(Boolean);
const WRITE_TEXT = /^(Start rollout|Pause|Resume|Abort|Roll back.*|Confirm rollback|Reload playbooks|Plan|Plan a rollout)$/;

async function launch() {
  return chromium.launch({executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox']});
}

// A fresh context (own cookies) and page; records script errors and CSP violations.
async function open(browser, {colorScheme = 'light'} = {}) {
  const context = await browser.newContext({ignoreHTTPSErrors: true, viewport: {width: 1280, height: 800}, colorScheme});
  context.setDefaultTimeout(30000);
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (err) => page.problems.push(`script error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    // 401/403/429 answers are logged by Chromium as failed loads; the checks look at those.
    if (/Content Security Policy|Refused to/.test(text)) page.problems.push(`CSP violation: ${text}`);
    else log(`console error (ignored): ${text}`);
  });
  return {context, page};
}

function noProblems(page) {
  check(page.problems.length === 0, `the page reported problems:\n  ${page.problems.join('\n  ')}`);
}

// Waits until the page in <main> has drawn its heading and no part still says "Loading…".
async function settled(page, what) {
  try {
    await page.waitForFunction(() => document.querySelector('main .page h1') && !document.querySelector('main .loading'),
      null, {timeout: 30000});
  } catch {
    throw new CheckFailed(`${what}: the page did not finish loading within 30 s (url ${page.url()}); ` +
      `it shows: ${(await page.locator('main').innerText().catch(() => '?')).slice(0, 400)}`);
  }
  const err = page.locator('main .notice.error');
  if (await err.count()) throw new CheckFailed(`${what}: the page shows an error: ${await err.first().innerText()}`);
}

async function go(page, pathname, what) {
  await page.goto(BASE() + pathname);
  await settled(page, what || pathname);
}

// Clicks a header link (client-side navigation, no reload) and waits for the page.
async function nav(page, text, pathname) {
  await page.getByRole('navigation', {name: 'Main'}).getByRole('link', {name: text, exact: true}).click();
  await page.waitForURL((u) => u.pathname === pathname);
  await settled(page, pathname);
}

async function login(page, user, password) {
  await page.goto(`${BASE()}/login`);
  await page.locator('#login-user').fill(user);
  await page.locator('#login-password').fill(password);
  await page.getByRole('button', {name: 'Sign in'}).click();
  try {
    await page.locator('header .user-name').filter({hasText: user}).waitFor({timeout: 15000});
  } catch {
    const msg = await page.locator('.login-message').innerText().catch(() => '');
    throw new CheckFailed(`login as ${user} failed: ${msg || 'the header never showed the user'} (url ${page.url()})`);
  }
  await settled(page, 'the page after login');
}

async function writeButtons(page) {
  const marked = await page.locator('[data-write]').count();
  const named = [];
  for (const b of await page.locator('button:visible, a.button:visible').all()) {
    const t = (await b.innerText()).trim();
    if (WRITE_TEXT.test(t)) named.push(t);
  }
  return {marked, named};
}

async function diffLines(locator) {
  return locator.locator('.dl.add, .dl.del').count();
}

// ---- rollout -------------------------------------------------------------------------------
async function stepRollout(browser) {
  const {page} = await open(browser);
  await login(page, env('RG_OPERATOR'), env('RG_OPERATOR_PASSWORD'));
  await nav(page, 'Fleet', '/');
  for (const host of HOSTS()) {
    check(await page.locator(`.fleet-table tr[data-host="${host}"]`).count() === 1, `the fleet page does not list host ${host}`);
  }

  await nav(page, 'Plan', '/plan');
  const policy = env('RG_POLICY');
  const options = await page.locator('#plan-policy option').evaluateAll((os) => os.map((o) => o.value));
  check(options.includes(policy), `the plan page offers no policy ${policy} (offers: ${options.join(', ') || 'none'})`);
  await page.locator('#plan-policy').selectOption(policy);
  for (const host of HOSTS()) await page.locator(`input[name="host"][value="${host}"]`).check();
  await page.locator('#plan-run').click();
  await page.locator('.plan-result').waitFor({timeout: 90000}).catch(async () => {
    throw new CheckFailed(`the plan showed no result within 90 s: ${(await page.locator('.plan-output').innerText()).slice(0, 400)}`);
  });
  for (const host of HOSTS()) {
    const section = page.locator(`.plan-host[data-host="${host}"]`);
    check(await section.count() === 1, `the plan does not show host ${host}`);
    const status = await section.getAttribute('data-status');
    const lines = await diffLines(section);
    check(lines > 0, `the plan shows no diff for ${host} (status ${status}): ${(await section.innerText()).slice(0, 300)}`);
  }

  await page.locator('#ro-waves').fill('1,100%');
  await page.locator('#ro-reason').fill(env('RG_REASON'));
  await page.locator('#ro-start').click();
  await page.waitForURL(/\/rollouts\/[^/]+$/, {timeout: 30000}).catch(async () => {
    throw new CheckFailed(`starting the rollout did not open its page: ${(await page.locator('.start-form').innerText()).slice(0, 400)}`);
  });
  const id = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
  await settled(page, `rollout ${id}`);

  // Watch the host phases change without a reload: a marker on window survives only if the
  // document is never reloaded; a MutationObserver records every distinct set of phases.
  await page.evaluate(() => {
    window.rgMarker = 'no-reload';
    const snap = () => [...document.querySelectorAll('tr.rollout-host')].map((r) => `${r.dataset.host}:${r.dataset.phase}`).join(' ');
    window.rgSnapshots = [snap()];
    window.rgMutations = 0;
    new MutationObserver(() => {
      window.rgMutations += 1;
      const s = snap();
      if (s && s !== window.rgSnapshots[window.rgSnapshots.length - 1]) window.rgSnapshots.push(s);
    }).observe(document.querySelector('main'), {childList: true, subtree: true, attributes: true});
  });
  try {
    await page.locator('.rollout-status[data-status="ROLLOUT_STATUS_SUCCEEDED"]').waitFor({timeout: 120000});
  } catch {
    const status = await page.locator('.rollout-status').getAttribute('data-status').catch(() => '?');
    throw new CheckFailed(`rollout ${id} did not reach SUCCEEDED within 120 s (status ${status}): ` +
      `${(await page.locator('.rollout-body').innerText()).slice(0, 600)}`);
  }
  const seen = await page.evaluate(() => ({marker: window.rgMarker, snapshots: window.rgSnapshots, mutations: window.rgMutations}));
  check(seen.marker === 'no-reload', 'the rollout page was reloaded while watching it');
  check(seen.snapshots.length >= 2, `no phase change was observed on the page (phases seen: ${JSON.stringify(seen.snapshots)})`);
  log(`rollout ${id}: ${seen.snapshots.length} distinct phase states, ${seen.mutations} DOM mutations:`);
  for (const s of seen.snapshots) log(`  ${s}`);
  for (const host of HOSTS()) {
    const phase = await page.locator(`tr.rollout-host[data-host="${host}"]`).getAttribute('data-phase').catch(() => null);
    check(phase === 'HOST_PHASE_SUCCEEDED', `host ${host} is ${phase || 'not listed'} in rollout ${id}, not HOST_PHASE_SUCCEEDED`);
  }
  noProblems(page);
  return {rollout: id};
}

// ---- rollback ------------------------------------------------------------------------------
async function stepRollback(browser) {
  const {page} = await open(browser);
  const operator = env('RG_OPERATOR');
  const reason = env('RG_REASON');
  const id = env('RG_ROLLOUT');
  await login(page, operator, env('RG_OPERATOR_PASSWORD'));
  await go(page, `/rollouts/${encodeURIComponent(id)}`, `rollout ${id}`);
  await page.getByRole('button', {name: 'Roll back this rollout'}).click();
  const dialog = page.locator('dialog[open]');
  await dialog.waitFor();
  check(await page.evaluate(() => document.activeElement && document.activeElement.id) === 'rollback-reason',
    'the rollback dialog did not put the focus on its reason field');
  try {
    await page.waitForFunction(() => document.querySelector('dialog[open] .rb-summary, dialog[open] .rb-preview .notice'), null, {timeout: 30000});
  } catch {
    throw new CheckFailed(`the rollback preview did not load within 30 s: ${(await dialog.innerText()).slice(0, 400)}`);
  }
  const previewError = dialog.locator('.rb-preview .notice.error');
  if (await previewError.count()) throw new CheckFailed(`the rollback preview failed: ${await previewError.innerText()}`);
  const listed = await dialog.locator('.rb-host').evaluateAll((els) => els.map((e) => e.dataset.host));
  check(listed.length > 0, 'the rollback dialog lists no host');
  for (const host of HOSTS()) check(listed.includes(host), `the rollback dialog does not list host ${host} (lists ${listed.join(', ')})`);
  for (const host of listed) {
    const lines = await diffLines(dialog.locator(`.rb-host[data-host="${host}"]`));
    check(lines > 0, `the rollback dialog shows no diff for host ${host}`);
  }
  const confirm = dialog.getByRole('button', {name: 'Confirm rollback'});
  check(await confirm.isDisabled(), 'Confirm rollback is enabled before a reason was given');
  await dialog.locator('#rollback-reason').fill(reason);
  check(await confirm.isEnabled(), 'Confirm rollback stays disabled after a reason was given');
  await confirm.click();
  try {
    await dialog.locator('.rb-status table.results, .rb-status .notice.error').first().waitFor({timeout: 150000});
  } catch {
    throw new CheckFailed(`no rollback result within 150 s: ${(await dialog.locator('.rb-status').innerText()).slice(0, 400)}`);
  }
  const failure = dialog.locator('.rb-status .notice.error');
  if (await failure.count()) throw new CheckFailed(`the rollback failed: ${await failure.innerText()}`);
  const results = await dialog.locator('tr.rb-result').evaluateAll((rows) => rows.map((r) => ({host: r.dataset.host, status: r.dataset.status,
    text: r.innerText})));
  check(results.length === listed.length, `the rollback answered for ${results.length} host(s), the preview listed ${listed.length}`);
  for (const r of results) {
    check(r.status === 'ROLLBACK_STATUS_RESTORED', `host ${r.host} was not restored: ${r.status} (${r.text.replace(/\s+/g, ' ')})`);
  }
  await page.keyboard.press('Escape');
  await dialog.waitFor({state: 'detached'});

  await nav(page, 'Audit', '/audit');
  const who = `web:${operator}`;
  let found = false;
  for (let i = 0; i < 20 && !found; i++) {
    found = await page.locator('tr.audit-row').evaluateAll((rows, want) => rows.some((r) =>
      r.querySelector('.who').textContent === want.who && r.querySelector('.reason').textContent === want.reason &&
      /rollback/.test(r.querySelector('.action').textContent)), {who, reason});
    if (!found) await page.waitForTimeout(500);
  }
  check(found, `the audit page has no rollback row by ${who} with the reason given`);
  // The search box filters on the page and keeps q in the URL.
  await page.locator('#audit-q').fill(reason);
  await page.waitForURL((u) => u.searchParams.get('q') === reason, {timeout: 5000}).catch(() => {
    throw new CheckFailed(`the audit search is not kept in the URL (q): ${page.url()}`);
  });
  check(await page.locator('tr.audit-row').count() >= 1, 'searching the audit log for the reason shows no row');
  noProblems(page);
  return {restored: results.map((r) => r.host)};
}

// ---- viewer --------------------------------------------------------------------------------
async function apiStatus(page, method, pathname, {body = {}, csrf = true, contentType = 'application/json'} = {}) {
  return page.evaluate(async ({method, pathname, body, csrf, contentType}) => {
    const headers = {};
    if (method !== 'GET') {
      headers['Content-Type'] = contentType;
      if (csrf) {
        const s = await fetch('/api/session', {credentials: 'same-origin'});
        if (s.ok) headers['X-CSRF-Token'] = (await s.json()).csrf_token;
      }
    }
    const r = await fetch(pathname, {method, credentials: 'same-origin', headers,
      body: method === 'GET' ? undefined : (contentType === 'application/json' ? JSON.stringify(body) : 'x=1')});
    return r.status;
  }, {method, pathname, body, csrf, contentType});
}

async function stepViewer(browser) {
  const {page} = await open(browser);
  const viewer = env('RG_VIEWER');
  await login(page, viewer, env('RG_VIEWER_PASSWORD'));
  check((await page.locator('header .role').innerText()).trim() === 'viewer', 'the header does not show the role viewer');
  const hosts = HOSTS();
  const rollouts = JSON.parse(JSON.stringify(await page.evaluate(async () => (await (await fetch('/api/rollouts')).json()).rollouts || [])));
  const rolloutId = env('RG_ROLLOUT', {optional: true}) || (rollouts[0] && rollouts[0].id) || '';
  const pages = ['/', '/fleet', '/rollouts', '/plan', '/compliance', '/attempts', '/audit'];
  if (hosts.length) pages.splice(2, 0, `/hosts/${encodeURIComponent(hosts[0])}`);
  if (rolloutId) pages.push(`/rollouts/${encodeURIComponent(rolloutId)}`);
  for (const p of pages) {
    await go(page, p);
    const {marked, named} = await writeButtons(page);
    check(marked === 0 && named.length === 0, `a viewer sees write buttons on ${p}: ${named.join(', ') || `${marked} marked`}`);
  }

  const target = rolloutId || 'r-none';
  const writes = [
    ['/api/rollouts', {policy: env('RG_POLICY'), hosts, waves: '100%', reason: 'viewer must be refused'}],
    [`/api/rollouts/${target}/pause`, {reason: 'viewer must be refused'}],
    [`/api/rollouts/${target}/resume`, {reason: 'viewer must be refused'}],
    [`/api/rollouts/${target}/abort`, {reason: 'viewer must be refused'}],
    ['/api/rollback/preview', {hosts}],
    ['/api/rollback', {hosts, reason: 'viewer must be refused', wait_s: 0}],
    ['/api/plan', {policy: env('RG_POLICY'), hosts, timeout_s: 5}],
    ['/api/playbooks/reload', {}],
  ];
  const forbidden = [];
  for (const [p, body] of writes) {
    const status = await apiStatus(page, 'POST', p, {body});
    check(status === 403, `POST ${p} as viewer answered ${status}, not 403`);
    forbidden.push(p);
  }

  // CSRF: the operator's own session, without the token header or with a non-JSON body.
  const op = await open(browser);
  await login(op.page, env('RG_OPERATOR'), env('RG_OPERATOR_PASSWORD'));
  const noToken = await apiStatus(op.page, 'POST', `/api/rollouts/${target}/pause`, {body: {reason: 'no csrf'}, csrf: false});
  check(noToken === 403, `POST without X-CSRF-Token as operator answered ${noToken}, not 403`);
  const formBody = await apiStatus(op.page, 'POST', `/api/rollouts/${target}/pause`, {contentType: 'application/x-www-form-urlencoded'});
  check(formBody === 403, `POST with a form body (not JSON) as operator answered ${formBody}, not 403`);
  await op.context.close();

  // A wrong password: 401, then 429 once the failures exceed the limit (Retry-After given).
  const anon = await open(browser);
  await anon.page.goto(`${BASE()}/login`);
  const wrong = 'not-the-password-' + Date.now();
  let first = 0;
  let limitedAfter = 0;
  let retryAfter = null;
  for (let i = 1; i <= 30; i++) {
    const r = await anon.page.request.post(`${BASE()}/api/login`, {data: {user: viewer, password: wrong},
      headers: {'Content-Type': 'application/json'}});
    if (i === 1) first = r.status();
    if (r.status() === 429) {
      limitedAfter = i - 1;
      retryAfter = r.headers()['retry-after'] || null;
      break;
    }
    check(r.status() === 401, `login with a wrong password answered ${r.status()} (attempt ${i}), not 401`);
  }
  check(first === 401, `the first wrong password answered ${first}, not 401`);
  check(limitedAfter > 0, 'thirty wrong passwords in a row were never answered 429');
  check(retryAfter !== null, 'the 429 answer has no Retry-After header');
  // The login page says so too.
  await anon.page.locator('#login-user').fill(viewer);
  await anon.page.locator('#login-password').fill(wrong);
  await anon.page.getByRole('button', {name: 'Sign in'}).click();
  await anon.page.locator('.login-message').filter({hasText: /Too many/}).waitFor({timeout: 10000}).catch(async () => {
    throw new CheckFailed(`the login page does not say it is rate-limited: ${await anon.page.locator('.login-message').innerText()}`);
  });
  await anon.context.close();

  // Logout ends the session on the server: the old cookie is refused afterwards.
  const cookies = await page.context().cookies();
  const cookieHeader = cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  await page.getByRole('button', {name: 'Log out'}).click();
  await page.waitForURL((u) => u.pathname === '/login');
  const after = await page.request.get(`${BASE()}/api/session`);
  check(after.status() === 401, `GET /api/session after logout answered ${after.status()}, not 401`);
  const replay = await page.request.get(`${BASE()}/api/session`, {headers: {Cookie: cookieHeader}});
  check(replay.status() === 401, `the session cookie from before the logout still works (GET /api/session answered ${replay.status()})`);
  noProblems(page);
  return {pages, forbidden, csrf_refused: true, rate_limited_after: limitedAfter, logged_out: true};
}

// ---- screenshots ---------------------------------------------------------------------------
async function stepScreenshots(browser) {
  const dir = env('RG_SHOTS');
  fs.mkdirSync(dir, {recursive: true});
  const shots = [];
  const hosts = HOSTS();
  for (const scheme of ['light', 'dark']) {
    const {page, context} = await open(browser, {colorScheme: scheme});
    let n = 0;
    const shot = async (name, {full = true} = {}) => {
      n += 1;
      const file = path.join(dir, `${scheme}-${String(n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({path: file, fullPage: full});
      shots.push(file);
    };
    await page.goto(`${BASE()}/login`);
    await page.locator('#login-user').waitFor();
    await shot('login');
    await login(page, env('RG_OPERATOR'), env('RG_OPERATOR_PASSWORD'));
    await go(page, '/');
    await shot('fleet');
    if (hosts.length) {
      await go(page, `/hosts/${encodeURIComponent(hosts[0])}`);
      await shot('host');
    }
    await go(page, '/rollouts');
    await shot('rollouts');
    const rolloutId = env('RG_ROLLOUT', {optional: true}) ||
      await page.locator('.rollouts-table tr[data-rollout]').first().getAttribute('data-rollout').catch(() => '');
    await go(page, '/plan');
    await page.locator('#plan-policy').selectOption(env('RG_POLICY'));
    for (const host of hosts) await page.locator(`input[name="host"][value="${host}"]`).check();
    await page.locator('#plan-run').click();
    await page.locator('.plan-result, .plan-output .notice').first().waitFor({timeout: 90000});
    await shot('plan');
    await go(page, '/compliance');
    await page.locator('details.drill').first().evaluate((d) => { d.open = true; }).catch(() => {});
    await shot('compliance');
    await go(page, '/attempts');
    await shot('attempts');
    await go(page, '/audit');
    await shot('audit');
    if (rolloutId) {
      await go(page, `/rollouts/${encodeURIComponent(rolloutId)}`);
      await shot('rollout');
      await page.getByRole('button', {name: 'Roll back this rollout'}).click();
      await page.waitForFunction(() => document.querySelector('dialog[open] .rb-summary, dialog[open] .rb-preview .notice'), null, {timeout: 30000});
      await shot('rollback-dialog', {full: false});
      await page.keyboard.press('Escape');
      check(await page.locator('dialog[open]').count() === 0, 'Escape did not close the rollback dialog');
    } else {
      log('no rollout yet: no rollout detail or rollback dialog screenshot');
    }
    noProblems(page);
    await context.close();
  }
  check(shots.length >= 16, `only ${shots.length} screenshots were taken (no rollout to show?)`);
  return {shots};
}

const STEPS = {rollout: stepRollout, rollback: stepRollback, viewer: stepViewer, screenshots: stepScreenshots};

async function main() {
  const step = process.argv[2];
  if (!STEPS[step]) {
    console.error(`usage: node dashboard.mjs ${Object.keys(STEPS).join('|')}`);
    process.exit(2);
  }
  env('RG_URL');
  let browser;
  try {
    browser = await launch();
    const result = await STEPS[step](browser);
    console.log(JSON.stringify(result));
    await browser.close();
    process.exit(0);
  } catch (err) {
    const what = err instanceof CheckFailed ? 'check failed' : 'error';
    console.error(`dashboard.mjs ${step}: ${what}: ${err instanceof CheckFailed ? err.message : err.stack || err}`);
    if (browser) await browser.close().catch(() => {});
    process.exit(1);
  }
}

main();
