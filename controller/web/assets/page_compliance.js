// /compliance: the fleet percentage over time, per-host status, enforcement holds, and a
// drill-down per host into the evidence of its newest check.
import {h, replace, table} from './dom.js';
import {enc, get} from './api.js';
import {agoText, timeText} from './format.js';
import {badge, coalesce, guard, loading, pageHeader} from './ui.js';
import {complianceChart} from './chart.js';
import {checkDetails} from './compliance_view.js';

export async function render(ctx) {
  const body = h('div', {}, loading());
  replace(ctx.root, pageHeader('Compliance'), body);
  async function load() {
    const answer = await get('/api/compliance?history=true&limit=1000');
    const hosts = (answer.hosts || []).slice().sort((a, b) => a.host.localeCompare(b.host));
    const open = new Set([...body.querySelectorAll('details.drill[open]')].map((d) => d.dataset.host));
    const total = Number(answer.total || hosts.length);
    const compliant = Number(answer.compliant || 0);
    const holds = answer.holds || [];
    replace(body,
      h('div', {class: 'counts'},
        h('div', {class: ['count', compliant === total && total ? 'good' : 'warn']},
          h('div', {class: 'count-value'}, total ? `${Math.round((100 * compliant) / total)}%` : '—'),
          h('div', {class: 'count-label'}, `compliant now (${compliant} of ${total})`)),
        h('div', {class: ['count', holds.length ? 'bad' : '']}, h('div', {class: 'count-value'}, String(holds.length)),
          h('div', {class: 'count-label'}, 'enforcement holds'))),
      h('section', {'aria-labelledby': 'h-chart'}, h('h2', {id: 'h-chart'}, 'Over time'), complianceChart(answer.history || [])),
      h('section', {'aria-labelledby': 'h-holds'}, h('h2', {id: 'h-holds'}, 'Enforcement holds'),
        holds.length ? h('ul', {class: 'holds'}, holds.map((x) => h('li', {}, x))) :
          h('p', {class: 'muted'}, 'None: enforcement runs where playbooks ask for it.')),
      h('section', {'aria-labelledby': 'h-hosts'}, h('h2', {id: 'h-hosts'}, 'Hosts'),
        hosts.length === 0 ? h('p', {class: 'empty'}, 'No host.') :
          table(['Host', 'Status', 'State', 'Last check', 'Refused (24 h)', 'Summary'], hosts.map((c) => {
            const r = (c.last && c.last.report) || {};
            const seen = r.relay_seen && r.relay_seen.client_address;
            return h('tr', {'data-host': c.host},
              h('th', {scope: 'row'}, h('a', {href: `/hosts/${enc(c.host)}`}, c.host)),
              h('td', {}, badge(c.status, 'FLEET_HOST_STATUS_'),
                seen ? h('div', {class: 'small error-text'}, `relay seen from ${r.relay_seen.client_address}`) : null),
              h('td', {}, c.online ? badge('ONLINE') : badge('OFFLINE'), h('div', {class: 'small muted'}, agoText(c.last_seen))),
              h('td', {}, c.last ? timeText(r.checked_at || c.last.received_at) : 'never'),
              h('td', {class: 'num'}, h('a', {href: `/attempts?host=${enc(c.host)}`}, String(c.refused_24h || 0))),
              h('td', {}, r.summary || ''));
          }), {class: 'compact'}),
        h('h3', {}, 'Evidence per host'),
        hosts.filter((c) => c.last).map((c) => h('details', {class: 'drill card', 'data-host': c.host, open: open.has(c.host)},
          h('summary', {}, h('strong', {}, c.host), ' ', badge(c.status, 'FLEET_HOST_STATUS_'), ' ',
            h('span', {class: 'muted'}, (c.last.report && c.last.report.summary) || '')),
          checkDetails(c.last)))));
  }
  await guard(body, load);
  ctx.live(['compliance', 'hosts', 'attempts'], coalesce(() => guard(body, load, {refresh: true})));
}
