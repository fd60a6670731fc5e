// / and /fleet: counts, then every host with its state, MTA, policy, compliance and per-listener
// verdicts; filters (label, state, status) live in the URL.
import {h, replace, table} from './dom.js';
import {can, get} from './api.js';
import {rollbackDialog} from './dialogs.js';
import {agoText, enumText, labelsText, timeText} from './format.js';
import {badge, coalesce, guard, loading, pageHeader} from './ui.js';
import {verdictBadge} from './compliance_view.js';

const STATUSES = ['compliant', 'drifted', 'relay-open', 'inconclusive', 'error', 'unreachable', 'never-checked'];

// "FLEET_HOST_STATUS_RELAY_OPEN" -> "relay-open" (the URL's spelling).
export function statusKey(status) {
  return enumText(status, 'FLEET_HOST_STATUS_').toLowerCase().replaceAll('_', '-');
}

export function listenerVerdicts(check) {
  const listeners = (check && check.report && check.report.listeners) || [];
  if (listeners.length === 0) return h('span', {class: 'muted'}, '—');
  return h('ul', {class: 'verdicts'}, listeners.map((l) =>
    h('li', {title: l.note || l.service || ''}, h('span', {class: 'mono'}, l.address || l.bind || '?'), ' ',
      verdictBadge(l.verdict, l.internal))));
}

function matchLabel(host, filter) {
  if (!filter) return true;
  const eq = filter.indexOf('=');
  const labels = host.labels || {};
  if (eq < 0) return filter in labels;
  return labels[filter.slice(0, eq)] === filter.slice(eq + 1);
}

function counts(rows) {
  const n = (pred) => rows.filter(pred).length;
  const by = (s) => n((r) => r.status === s);
  return [
    ['Hosts', rows.length, ''],
    ['Online', n((r) => r.host.online), 'good'],
    ['Compliant', by('compliant'), 'good'],
    ['Drifted', by('drifted'), by('drifted') ? 'bad' : ''],
    ['Relay open', by('relay-open'), by('relay-open') ? 'bad' : ''],
    ['Inconclusive', by('inconclusive'), by('inconclusive') ? 'warn' : ''],
    ['Unreachable / never checked', by('unreachable') + by('never-checked'), ''],
  ];
}

function hostRow(r) {
  const host = r.host;
  return h('tr', {'data-host': host.name},
    h('th', {scope: 'row'}, h('a', {href: `/hosts/${encodeURIComponent(host.name)}`}, host.name)),
    h('td', {}, host.online ? badge('ONLINE') : badge('OFFLINE'),
      h('div', {class: 'muted small', title: timeText(host.last_seen)}, agoText(host.last_seen))),
    h('td', {}, host.mta || '—', h('div', {class: 'muted small'}, host.mta_version || '')),
    h('td', {}, host.applied_policy ? `${host.applied_policy} v${host.applied_version}` : h('span', {class: 'muted'}, 'none')),
    h('td', {class: 'status'}, badge(r.compliance ? r.compliance.status : 'FLEET_HOST_STATUS_NEVER_CHECKED', 'FLEET_HOST_STATUS_'),
      r.compliance && r.compliance.last ?
        h('div', {class: 'muted small', title: timeText(r.compliance.last.received_at)},
          (r.compliance.last.report && r.compliance.last.report.summary) || agoText(r.compliance.last.received_at)) : null),
    h('td', {}, listenerVerdicts(r.compliance && r.compliance.last)),
    h('td', {}, h('ul', {class: 'chips'}, labelsText(host.labels).map((l) => h('li', {}, l)))));
}

export async function render(ctx) {
  const q = ctx.query;
  const filters = {label: q.get('label') || '', state: q.get('state') || '', status: q.get('status') || ''};
  const labelInput = h('input', {id: 'f-label', type: 'search', value: filters.label, placeholder: 'key=value',
    list: 'label-options', autocomplete: 'off'});
  const labelOptions = h('datalist', {id: 'label-options'});
  const stateSelect = h('select', {id: 'f-state'}, h('option', {value: ''}, 'any'),
    ['online', 'offline'].map((s) => h('option', {value: s, selected: s === filters.state}, s)));
  const statusSelect = h('select', {id: 'f-status'}, h('option', {value: ''}, 'any'),
    STATUSES.map((s) => h('option', {value: s, selected: s === filters.status}, s)));
  const clearButton = h('button', {type: 'button', class: 'ghost'}, 'Clear filters');
  // Per label: with a key=value filter, an operator rolls back every host carrying it.
  const labelRollback = h('button', {type: 'button', class: 'danger', id: 'rollback-label', 'data-write': '',
    hidden: true, onclick: () => {
      const eq = filters.label.indexOf('=');
      rollbackDialog({
        title: `Roll back the hosts labelled ${filters.label}`,
        intro: 'Each host with this label returns to its commit from before its newest change.',
        request: {labels: {[filters.label.slice(0, eq)]: filters.label.slice(eq + 1)}},
        onDone: () => guard(body, load, {refresh: true}),
      });
    }}, 'Roll back these hosts');
  const countsBox = h('div', {class: 'counts'});
  const body = h('div', {class: 'fleet-body'}, loading());
  let rows = [];

  function draw() {
    labelRollback.hidden = !can('operator') || filters.label.indexOf('=') < 1;
    labelRollback.textContent = `Roll back the hosts labelled ${filters.label}`;
    replace(countsBox, counts(rows).map(([label, value, t]) =>
      h('div', {class: ['count', t]}, h('div', {class: 'count-value'}, String(value)), h('div', {class: 'count-label'}, label))));
    const shown = rows.filter((r) => matchLabel(r.host, filters.label) &&
      (!filters.state || (filters.state === 'online') === Boolean(r.host.online)) &&
      (!filters.status || r.status === filters.status));
    replace(body,
      h('p', {class: 'muted small', 'aria-live': 'polite'}, `${shown.length} of ${rows.length} hosts shown`),
      shown.length === 0 ? h('p', {class: 'empty'}, rows.length ? 'No host matches the filters.' : 'No host has connected yet.') :
        table(['Host', 'State / last heard', 'MTA', 'Policy', 'Compliance', 'Listeners', 'Labels'],
          shown.map(hostRow), {class: 'fleet-table'}));
  }

  function onFilter() {
    filters.label = labelInput.value.trim();
    filters.state = stateSelect.value;
    filters.status = statusSelect.value;
    ctx.setQuery(filters);
    draw();
  }
  labelInput.addEventListener('input', onFilter);
  stateSelect.addEventListener('change', onFilter);
  statusSelect.addEventListener('change', onFilter);
  clearButton.addEventListener('click', () => {
    labelInput.value = '';
    stateSelect.value = '';
    statusSelect.value = '';
    onFilter();
  });

  async function load() {
    const [hosts, compliance] = await Promise.all([get('/api/hosts'), get('/api/compliance')]);
    const byHost = new Map((compliance.hosts || []).map((c) => [c.host, c]));
    rows = (hosts.hosts || []).map((host) => {
      const c = byHost.get(host.name);
      return {host, compliance: c, status: c ? statusKey(c.status) : 'never-checked'};
    }).sort((a, b) => a.host.name.localeCompare(b.host.name));
    const labels = new Set(rows.flatMap((r) => labelsText(r.host.labels)));
    replace(labelOptions, [...labels].sort().map((l) => h('option', {value: l})));
    draw();
  }

  replace(ctx.root,
    pageHeader('Fleet'),
    countsBox,
    h('form', {class: 'filters', role: 'search', 'aria-label': 'Filter hosts', onsubmit: (e) => e.preventDefault()},
      h('label', {for: labelInput.id}, 'Label'), labelInput, labelOptions,
      h('label', {for: stateSelect.id}, 'State'), stateSelect,
      h('label', {for: statusSelect.id}, 'Compliance'), statusSelect, clearButton),
    can('operator') ? h('div', {class: 'actions'}, labelRollback) : null,
    body);
  await guard(body, load);
  ctx.live(['hosts', 'compliance'], coalesce(() => guard(body, load, {refresh: true})));
}
