// /attempts: what the hosts' log monitors counted (relay attempts refused, failed logins, relays)
// per host and source address, most refused first, with each host's totals. The host and the
// range are filters in the URL (?host=mx1&since=7d).
import {h, replace, table} from './dom.js';
import {enc, get} from './api.js';
import {timeText} from './format.js';
import {badge, coalesce, guard, loading, pageHeader} from './ui.js';

const RANGES = [['1h', 3600], ['24h', 86400], ['7d', 7 * 86400], ['30d', 30 * 86400], ['90d', 90 * 86400]];

function rangeSeconds(text) {
  const found = RANGES.find(([name]) => name === text);
  return found ? found[1] : 86400;
}

function sourceRow(row) {
  return h('tr', {class: 'attempt-row', 'data-host': row.host, 'data-source': row.source},
    h('th', {scope: 'row'}, h('a', {href: `/hosts/${enc(row.host)}`}, row.host)),
    h('td', {class: 'mono'}, row.source, row.over_threshold ?
      [' ', badge('OVER THRESHOLD', '', {tone: 'bad', title: "passed the monitor's thresholds"})] : null),
    h('td', {class: 'num'}, String(row.refused || 0)),
    h('td', {class: 'num'}, String(row.recipients || 0)),
    h('td', {class: 'num'}, String(row.sasl_failures || 0)),
    h('td', {class: ['num', Number(row.relayed || 0) > 0 ? 'error-text' : '']}, String(row.relayed || 0)),
    h('td', {class: 'nowrap'}, timeText(row.first_seen)),
    h('td', {class: 'nowrap'}, timeText(row.last_seen)),
    h('td', {}, (row.samples || []).length ?
      h('details', {}, h('summary', {}, `${row.samples.length} line${row.samples.length === 1 ? '' : 's'}`),
        h('pre', {class: 'log-lines', tabindex: '0'}, row.samples.join('\n'))) : ''));
}

export async function render(ctx) {
  const hostInput = h('input', {id: 'attempts-host', type: 'search', value: ctx.query.get('host') || '',
    placeholder: 'every host', autocomplete: 'off'});
  const since = ctx.query.get('since') || '24h';
  const rangeSelect = h('select', {id: 'attempts-since'},
    RANGES.map(([name]) => h('option', {value: name, selected: name === since}, `last ${name}`)));
  const body = h('div', {}, loading());
  replace(ctx.root, pageHeader('Relay attempts'),
    h('p', {class: 'muted small'}, 'Counted by the hosts\' log monitors from their MTAs\' logs. Distinct ' +
      'recipients are the most of any one report period, not a count over the whole range.'),
    h('form', {class: 'filters', role: 'search', onsubmit: (e) => { e.preventDefault(); apply(); }},
      h('label', {for: hostInput.id}, 'Host'), hostInput,
      h('label', {for: rangeSelect.id}, 'Range'), rangeSelect,
      h('button', {type: 'submit'}, 'Show')),
    body);

  function apply() {
    ctx.setQuery({host: hostInput.value.trim(), since: rangeSelect.value === '24h' ? '' : rangeSelect.value});
    guard(body, load);
  }
  rangeSelect.addEventListener('change', apply);

  async function load() {
    const host = hostInput.value.trim();
    const from = Math.floor(Date.now() / 1000) - rangeSeconds(rangeSelect.value);
    const answer = await get(`/api/attempts?since=${from}&limit=1000${host ? `&host=${enc(host)}` : ''}`);
    const rows = answer.rows || [];
    const hosts = answer.hosts || [];
    replace(body,
      h('section', {'aria-labelledby': 'h-sources'}, h('h2', {id: 'h-sources'}, 'Sources, most refused first'),
        rows.length === 0 ? h('p', {class: 'empty'}, `No attempt since ${timeText(answer.since)}.`) :
          table(['Host', 'Source', 'Refused', 'Recipients', 'SASL failures', 'Relayed', 'First seen', 'Last seen', 'Log lines'],
            rows.map(sourceRow), {class: 'attempts-table compact'})),
      h('section', {'aria-labelledby': 'h-totals'}, h('h2', {id: 'h-totals'}, 'Per host'),
        hosts.length === 0 ? h('p', {class: 'muted'}, 'No report in this range.') :
          table(['Host', 'Reports', 'Refused', 'SASL failures', 'Relayed', 'Lines read', 'Unknown lines', 'Last report', 'Log'],
            hosts.map((t) => h('tr', {'data-host': t.host},
              h('th', {scope: 'row'}, h('a', {href: `/attempts?host=${enc(t.host)}${rangeSelect.value === '24h' ? '' : `&since=${rangeSelect.value}`}`}, t.host)),
              h('td', {class: 'num'}, String(t.reports || 0)), h('td', {class: 'num'}, String(t.refused || 0)),
              h('td', {class: 'num'}, String(t.sasl_failures || 0)),
              h('td', {class: ['num', Number(t.relayed || 0) > 0 ? 'error-text' : '']}, String(t.relayed || 0)),
              h('td', {class: 'num'}, String(t.lines || 0)), h('td', {class: 'num'}, String(t.unknown_lines || 0)),
              h('td', {class: 'nowrap'}, timeText(t.last_report_at)), h('td', {class: 'mono small'}, t.log_source || '—'))),
            {class: 'compact'})));
  }
  await guard(body, load);
  ctx.live(['attempts'], coalesce(() => guard(body, load, {refresh: true})));
}
