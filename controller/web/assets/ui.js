// Small shared pieces of the pages: badges, notices, loading and error states, diffs.
import {h, replace} from './dom.js';
import {enumText, tone} from './format.js';

// A state badge: badge('ROLLOUT_STATUS_RUNNING', 'ROLLOUT_STATUS_') -> <span class="badge info">RUNNING</span>
export function badge(value, prefix, extra = {}) {
  const text = enumText(value, prefix);
  return h('span', {class: ['badge', extra.tone || tone(text)], title: extra.title}, text.replaceAll('_', ' '));
}

// A message at the top of the page that goes away by itself (errors stay until dismissed).
export function notify(message, kind = 'info') {
  const box = document.getElementById('notices');
  const close = h('button', {type: 'button', class: 'icon', 'aria-label': 'Dismiss'}, '×');
  const note = h('div', {class: ['notice', kind], role: kind === 'error' ? 'alert' : undefined},
    h('span', {}, message), close);
  close.addEventListener('click', () => note.remove());
  box.append(note);
  if (kind !== 'error') setTimeout(() => note.remove(), 6000);
}

export function errorBox(err, what) {
  const message = err && err.message ? err.message : String(err);
  return h('div', {class: 'notice error', role: 'alert'}, what ? `${what}: ${message}` : message);
}

export function loading(text = 'Loading…') {
  return h('p', {class: 'muted loading'}, text);
}

export function pageHeader(title, ...extra) {
  document.title = `${title} · relayguard`;
  return h('div', {class: 'page-head'}, h('h1', {}, title), extra);
}

// A unified diff as lines coloured by kind, with file headers set apart.
export function diffView(text, attrs = {}) {
  const body = String(text || '');
  if (!body.trim()) return h('p', {class: 'muted diff-empty'}, 'No diff.');
  const lines = body.replace(/\n$/, '').split('\n');
  const out = [];
  for (const line of lines) {
    let kind = 'ctx';
    if (/^(diff --git |index |new file mode|deleted file mode|similarity |rename )/.test(line)) kind = 'meta';
    else if (line.startsWith('+++ ') || line.startsWith('--- ')) kind = 'file';
    else if (line.startsWith('@@')) kind = 'hunk';
    else if (line.startsWith('+')) kind = 'add';
    else if (line.startsWith('-')) kind = 'del';
    else if (line.startsWith('\\')) kind = 'meta';
    out.push(h('span', {class: `dl ${kind}`}, line || ' '));
  }
  return h('pre', {class: ['diff', attrs.class], tabindex: '0', 'aria-label': attrs.label || 'diff'}, out);
}

// Runs `load` (which draws into the page itself). A failure shows in `el` on first load; on a live
// refresh it becomes a notice and the page keeps what it showed, so it does not go blank on one
// lost request.
export async function guard(el, load, {refresh = false} = {}) {
  try {
    await load();
    return true;
  } catch (err) {
    if (refresh) notify(err.message, 'error');
    else replace(el, errorBox(err));
    return false;
  }
}

// Wraps an async refresh so that bursts of live events run it at most once at a time, plus once
// more after the running one when events arrived meanwhile.
export function coalesce(fn) {
  let running = false;
  let again = false;
  return async function run() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        await fn();
      } while (again);
    } finally {
      running = false;
    }
  };
}
