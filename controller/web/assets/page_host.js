// /hosts/NAME: the host's facts, its applies and rollbacks (each commit's diff) with "Roll back to
// this commit", and its compliance history with the newest check's evidence.
import {h, replace, table} from './dom.js';
import {can, enc, get} from './api.js';
import {agoText, enumText, labelsText, shortCommit, timeText} from './format.js';
import {badge, coalesce, diffView, guard, loading, pageHeader} from './ui.js';
import {rollbackDialog} from './dialogs.js';
import {checkDetails, relaySeenBlock} from './compliance_view.js';
import {listenerVerdicts} from './page_fleet.js';

function facts(host, compliance) {
  if (!host) return h('p', {class: 'notice error'}, 'This host is not known to the controller.');
  return h('dl', {class: 'facts card'},
    h('dt', {}, 'State'), h('dd', {}, host.online ? badge('ONLINE') : badge('OFFLINE'), ' last heard ',
      h('span', {title: timeText(host.last_seen)}, agoText(host.last_seen))),
    h('dt', {}, 'MTA'), h('dd', {}, `${host.mta || '—'} ${host.mta_version || ''}`),
    h('dt', {}, 'Policy'), h('dd', {}, host.applied_policy ? `${host.applied_policy} v${host.applied_version}` : 'none'),
    h('dt', {}, 'Compliance'), h('dd', {}, badge(compliance ? compliance.status : 'FLEET_HOST_STATUS_NEVER_CHECKED', 'FLEET_HOST_STATUS_')),
    h('dt', {}, 'Listeners'), h('dd', {}, listenerVerdicts(compliance && compliance.last)),
    h('dt', {}, 'Relay attempts'), h('dd', {}, h('a', {href: `/attempts?host=${enc(host.name)}`},
      `${(compliance && compliance.refused_24h) || 0} refused in the last 24 h`)),
    h('dt', {}, 'Labels'), h('dd', {}, h('ul', {class: 'chips'}, labelsText(host.labels).map((l) => h('li', {}, l)))));
}

function historyEntry(name, r, reload) {
  const outcome = enumText(r.outcome, 'OUTCOME_');
  const rollback = can('operator') && r.backup_commit ?
    h('button', {type: 'button', class: 'danger small', 'data-write': '', onclick: () => rollbackDialog({
      title: `Roll back ${name} to ${shortCommit(r.backup_commit)}`,
      intro: `Restore ${name} to commit ${r.backup_commit}, from before this change (${timeText(r.at)}).`,
      request: {hosts: [name], to_commit: r.backup_commit},
      onDone: reload,
    })}, 'Roll back to this commit') : null;
  return h('li', {class: 'history-entry', 'data-commit': r.result_commit || ''},
    h('details', {},
      h('summary', {},
        h('span', {class: 'when'}, timeText(r.at)), ' ', badge(outcome, '', {}), ' ',
        r.rollout_id ? h('a', {href: `/rollouts/${enc(r.rollout_id)}`}, r.rollout_id) : h('span', {class: 'muted'}, 'no rollout'),
        ' ', h('span', {class: 'mono muted'}, `→ ${shortCommit(r.result_commit)}`),
        r.phase ? h('span', {class: 'muted'}, ` phase ${r.phase}`) : null),
      r.error ? h('p', {class: 'error-text'}, r.error) : null,
      h('p', {class: 'small muted'}, 'Commit ', h('span', {class: 'mono'}, r.result_commit || '—'),
        ', before it ', h('span', {class: 'mono'}, r.backup_commit || '—')),
      diffView(r.diff, {label: `diff of the change at ${timeText(r.at)}`})),
    rollback);
}

function complianceTable(history) {
  if (history.length === 0) return h('p', {class: 'muted'}, 'No compliance check yet.');
  return table(['Checked', 'Status', 'Policy', 'Enforcement', 'Summary'], history.map((c) => {
    const r = c.report || {};
    return h('tr', {}, h('td', {}, timeText(r.checked_at || c.received_at)), h('td', {}, badge(r.status, 'COMPLIANCE_STATUS_')),
      h('td', {}, r.policy_name ? `${r.policy_name} v${r.policy_version}` : '—'),
      h('td', {}, enumText(r.enforcement, 'ENFORCEMENT_').toLowerCase().replaceAll('_', ' ')), h('td', {}, r.summary || ''));
  }), {class: 'compact'});
}

export async function render(ctx) {
  const name = ctx.params[0];
  const factsBox = h('div', {}, loading());
  const historyBox = h('div', {}, loading());
  const complianceBox = h('div', {}, loading());
  replace(ctx.root,
    pageHeader(name, h('a', {href: '/', class: 'back'}, '← Fleet')),
    factsBox,
    h('section', {'aria-labelledby': 'h-history'}, h('h2', {id: 'h-history'}, 'Applies and rollbacks'),
      h('p', {class: 'muted small'}, 'Newest first; open one to see its diff. "Roll back to this commit" restores the commit from before that change.'),
      historyBox),
    h('section', {'aria-labelledby': 'h-compliance'}, h('h2', {id: 'h-compliance'}, 'Compliance'), complianceBox));

  async function loadFacts() {
    const [hosts, compliance] = await Promise.all([get('/api/hosts'), get(`/api/compliance?host=${enc(name)}`)]);
    const host = (hosts.hosts || []).find((x) => x.name === name);
    const state = (compliance.hosts || [])[0];
    const seen = relaySeenBlock(state && state.last && state.last.report);
    replace(factsBox, seen, facts(host, state));
  }
  async function loadHistory() {
    const answer = await get(`/api/hosts/${enc(name)}/history?limit=50`);
    const results = answer.results || [];
    const open = new Set([...historyBox.querySelectorAll('details[open]')].map((d) => d.parentElement.dataset.commit));
    replace(historyBox, results.length === 0 ? h('p', {class: 'muted'}, 'Nothing applied yet.') :
      h('ol', {class: 'history'}, results.map((r, i) => {
        const li = historyEntry(name, r, () => refresh());
        if (open.has(r.result_commit || '') || (open.size === 0 && i === 0)) li.querySelector('details').open = true;
        return li;
      })));
  }
  async function loadCompliance() {
    const answer = await get(`/api/compliance?host=${enc(name)}&history=true&limit=50`);
    const history = answer.history || [];
    const newest = ((answer.hosts || [])[0] || {}).last || history[0];
    const wasOpen = Boolean(complianceBox.querySelector('details.drill[open]'));
    replace(complianceBox,
      complianceTable(history),
      newest ? h('details', {class: 'drill', open: wasOpen},
        h('summary', {}, 'Evidence of the newest check'), checkDetails(newest)) : null);
  }
  const refresh = coalesce(() => Promise.all([
    guard(factsBox, loadFacts, {refresh: true}), guard(historyBox, loadHistory, {refresh: true}),
    guard(complianceBox, loadCompliance, {refresh: true})]));
  await Promise.all([guard(factsBox, loadFacts), guard(historyBox, loadHistory), guard(complianceBox, loadCompliance)]);
  ctx.live(['hosts', 'compliance', 'rollouts', 'attempts'], refresh);
}
