// /audit: who did what, to what, with which result and why; the search box filters the rows on
// the page (q in the URL).
import {h, replace, table} from './dom.js';
import {get} from './api.js';
import {timeText} from './format.js';
import {coalesce, guard, loading, pageHeader} from './ui.js';

const FIELDS = ['who', 'action', 'target', 'result', 'reason'];

export async function render(ctx) {
  const search = h('input', {id: 'audit-q', type: 'search', value: ctx.query.get('q') || '',
    placeholder: 'who, action, target, result or reason', autocomplete: 'off'});
  const body = h('div', {}, loading());
  let entries = [];
  replace(ctx.root, pageHeader('Audit log'),
    h('form', {class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault()},
      h('label', {for: search.id}, 'Search'), search),
    body);

  function draw() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = entries.filter((e) => {
      const text = [timeText(e.at), ...FIELDS.map((f) => e[f] || '')].join(' ').toLowerCase();
      return words.every((w) => text.includes(w));
    });
    replace(body,
      h('p', {class: 'muted small', 'aria-live': 'polite'}, `${shown.length} of ${entries.length} entries`),
      shown.length === 0 ? h('p', {class: 'empty'}, entries.length ? 'No entry matches.' : 'The audit log is empty.') :
        table(['Time', 'Who', 'Action', 'Target', 'Result', 'Reason'], shown.map((e) =>
          h('tr', {class: 'audit-row'},
            h('td', {class: 'nowrap'}, timeText(e.at)), h('td', {class: 'who'}, e.who), h('td', {class: 'action'}, e.action),
            h('td', {class: 'target'}, e.target), h('td', {class: ['result', e.result === 'ok' ? '' : 'error-text']}, e.result),
            h('td', {class: 'reason'}, e.reason || ''))), {class: 'audit-table'}));
  }
  search.addEventListener('input', () => {
    ctx.setQuery({q: search.value.trim()});
    draw();
  });
  async function load() {
    entries = (await get('/api/audit?limit=1000')).entries || [];
    draw();
  }
  await guard(body, load);
  ctx.live(['audit'], coalesce(() => guard(body, load, {refresh: true})));
}
