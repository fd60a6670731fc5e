// The evidence of one compliance check: drifted settings (with where they are set), changed
// files with their diffs, every listener with its probe replies, warnings. Used by the
// compliance page's drill-down and the host page.
import {h, table} from './dom.js';
import {enumText, timeText} from './format.js';
import {badge, diffView} from './ui.js';

function verdictBadge(verdict, internal = false) {
  const v = internal ? 'INTERNAL' : enumText(verdict, 'PROBE_VERDICT_');
  const tone = {REFUSED: 'good', RELAY_ACCEPTED: 'bad', INCONCLUSIVE: 'warn'}[v] || 'muted';
  return badge(v === 'UNSPECIFIED' || v === '—' ? 'NOT PROBED' : v, '', {tone});
}

function exchanges(probe) {
  const list = (probe && probe.exchanges) || [];
  if (list.length === 0) return h('p', {class: 'muted small'}, 'No SMTP exchange recorded.');
  return h('pre', {class: 'smtp', tabindex: '0'}, list.map((x) =>
    h('span', {class: 'dl'}, h('span', {class: 'cmd'}, `> ${x.command}`), '\n', h('span', {class: 'reply'}, `< ${x.reply}`))));
}

function probeBlock(title, probe) {
  if (!probe || (!probe.verdict && !(probe.exchanges || []).length)) return null;
  return h('div', {class: 'probe'},
    h('h5', {}, title, ' ', verdictBadge(probe.verdict),
      probe.source_address ? h('span', {class: 'muted'}, ` from ${probe.source_address}`) : null),
    probe.detail ? h('p', {class: 'small'}, probe.detail) : null,
    exchanges(probe));
}

function settingsTable(settings) {
  return table(['Setting', 'Effective', 'Desired', 'Listener', 'Where'], settings.map((s) =>
    h('tr', {}, h('td', {class: 'mono'}, s.setting, s.unproven ? h('span', {class: 'muted'}, ' (unproven)') : null),
      h('td', {class: 'mono'}, s.effective), h('td', {class: 'mono'}, s.desired),
      h('td', {class: 'mono'}, s.listener || 'host-wide'), h('td', {class: 'mono'}, s.where || '—'))),
  {class: 'compact'});
}

function listenerBlock(l) {
  return h('details', {class: 'listener'},
    h('summary', {}, h('span', {class: 'mono'}, l.address || l.bind), ' ', verdictBadge(l.verdict, l.internal),
      h('span', {class: 'muted'}, ` ${l.service || ''} ${enumText(l.role, 'LISTENER_ROLE_').toLowerCase()} ` +
        `${enumText(l.tls, 'LISTENER_TLS_').toLowerCase()}${l.declared_at ? ` · ${l.declared_at}` : ''}`)),
    l.note ? h('p', {class: 'small'}, l.note) : null,
    probeBlock('Untrusted probe', l.untrusted),
    probeBlock('Trusted (smoke) probe', l.trusted));
}

export {verdictBadge};

// The relay a host's log monitor saw (the report's relay_seen): who, from whom, to whom, and the
// log lines that prove it; null when the report has none.
export function relaySeenBlock(report) {
  const seen = report && report.relay_seen;
  if (!seen || !seen.client_address) return null;
  return h('div', {class: 'relay-seen notice error', role: 'note'},
    h('h4', {}, 'Relay seen in the mail log'),
    h('dl', {class: 'facts'},
      h('dt', {}, 'When'), h('dd', {}, timeText(seen.seen_at)),
      h('dt', {}, 'Client'), h('dd', {class: 'mono'}, seen.client_address, seen.client_name ? ` (${seen.client_name})` : ''),
      h('dt', {}, 'Sender'), h('dd', {class: 'mono'}, `<${seen.sender || ''}>`),
      h('dt', {}, 'Recipients'), h('dd', {class: 'mono'}, (seen.recipients || []).map((r) => `<${r}>`).join(', ') || '—'),
      h('dt', {}, 'Queue id'), h('dd', {class: 'mono'}, seen.queue_id || '—'),
      h('dt', {}, 'Log'), h('dd', {class: 'mono'}, seen.log_source || '—')),
    (seen.lines || []).length ? h('pre', {class: 'log-lines', tabindex: '0'}, seen.lines.join('\n')) : null);
}

export function checkDetails(check) {
  const r = (check && check.report) || {};
  const settings = r.settings || [];
  const files = r.changed_files || [];
  const listeners = r.listeners || [];
  const warnings = r.warnings || [];
  return h('div', {class: 'evidence'},
    relaySeenBlock(r),
    h('dl', {class: 'facts'},
      h('dt', {}, 'Checked'), h('dd', {}, timeText(r.checked_at || check.received_at)),
      h('dt', {}, 'Status'), h('dd', {}, badge(r.status, 'COMPLIANCE_STATUS_')),
      h('dt', {}, 'Policy'), h('dd', {}, r.policy_name ? `${r.policy_name} v${r.policy_version}` : '—'),
      h('dt', {}, 'Mode'), h('dd', {}, enumText(r.mode, 'COMPLIANCE_MODE_').toLowerCase()),
      h('dt', {}, 'Enforcement'), h('dd', {}, enumText(r.enforcement, 'ENFORCEMENT_').toLowerCase().replaceAll('_', ' ')),
      h('dt', {}, 'Summary'), h('dd', {}, r.summary || '—'),
      r.trigger ? [h('dt', {}, 'Trigger'), h('dd', {}, r.trigger)] : null,
      r.error ? [h('dt', {}, 'Error'), h('dd', {class: 'error-text'}, r.error)] : null),
    h('h4', {}, `Drifted settings (${settings.length})`),
    settings.length ? settingsTable(settings) : h('p', {class: 'muted small'}, 'None.'),
    h('h4', {}, `Changed files (${files.length})`),
    files.length ? files.map((f) => h('div', {class: 'changed-file'},
      h('h5', {class: 'mono'}, f.path, f.modified_at && f.modified_at !== '0' ?
        h('span', {class: 'muted'}, ` modified ${timeText(f.modified_at)}`) : null),
      diffView(f.diff, {label: `changes to ${f.path}`}))) : h('p', {class: 'muted small'}, 'None.'),
    h('h4', {}, `Listeners (${listeners.length})`),
    listeners.length ? listeners.map(listenerBlock) : h('p', {class: 'muted small'}, 'None reported.'),
    probeBlock('Host probe (untrusted source)', r.probe),
    warnings.length ? [h('h4', {}, 'Warnings'), h('ul', {}, warnings.map((w) => h('li', {}, w)))] : null);
}
