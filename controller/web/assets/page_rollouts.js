// /rollouts: every rollout, newest first as the controller lists them; live.
import {h, replace, table} from './dom.js';
import {can, enc, get} from './api.js';
import {badge, coalesce, guard, loading, pageHeader} from './ui.js';

export function waveText(r) {
  const n = Number(r.waves || 0);
  const cur = Number(r.current_wave);
  if (!n) return '—';
  return cur < 0 ? `not started / ${n}` : `${Math.min(cur + 1, n)}/${n}`;
}

export async function render(ctx) {
  const body = h('div', {}, loading());
  replace(ctx.root,
    pageHeader('Rollouts', can('operator') ? h('a', {href: '/plan', class: 'button primary', 'data-write': ''}, 'Plan a rollout') : null),
    body);
  async function load() {
    const answer = await get('/api/rollouts');
    const rollouts = answer.rollouts || [];
    replace(body, rollouts.length === 0 ? h('p', {class: 'empty'}, 'No rollout yet.') :
      table(['Rollout', 'Policy', 'Status', 'Wave', 'Hosts', 'Started by', 'Reason'], rollouts.map((r) => {
        const hosts = r.hosts || [];
        const done = hosts.filter((x) => x.phase === 'HOST_PHASE_SUCCEEDED').length;
        return h('tr', {'data-rollout': r.id},
          h('th', {scope: 'row'}, h('a', {href: `/rollouts/${enc(r.id)}`, class: 'mono'}, r.id)),
          h('td', {}, `${r.policy} v${r.version}`),
          h('td', {}, badge(r.status, 'ROLLOUT_STATUS_'), r.halt_reason ? h('div', {class: 'small error-text'}, r.halt_reason) : null),
          h('td', {}, waveText(r)),
          h('td', {}, `${done}/${hosts.length} succeeded`),
          h('td', {}, r.created_by || '—'),
          h('td', {class: 'reason'}, r.reason || h('span', {class: 'muted'}, '—')));
      }), {class: 'rollouts-table'}));
  }
  await guard(body, load);
  ctx.live(['rollouts'], coalesce(() => guard(body, load, {refresh: true})));
}
