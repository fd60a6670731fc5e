// /rollouts/ID: the rollout's waves and every host's phase, live (refetched on each `change`
// event, no reload); pause / resume / abort with a reason; "Roll back this rollout".
import {h, replace, table} from './dom.js';
import {can, enc, get, post} from './api.js';
import {badge, coalesce, guard, loading, notify, pageHeader} from './ui.js';
import {askReason, rollbackDialog} from './dialogs.js';
import {waveText} from './page_rollouts.js';

const ACTIVE = new Set(['ROLLOUT_STATUS_RUNNING', 'ROLLOUT_STATUS_PAUSED']);

function summary(r) {
  return h('dl', {class: 'facts card'},
    h('dt', {}, 'Status'), h('dd', {class: 'rollout-status', 'data-status': r.status}, badge(r.status, 'ROLLOUT_STATUS_')),
    h('dt', {}, 'Policy'), h('dd', {}, `${r.policy} v${r.version}`),
    h('dt', {}, 'Wave'), h('dd', {}, waveText(r)),
    h('dt', {}, 'Started by'), h('dd', {}, r.created_by || '—'),
    h('dt', {}, 'Reason'), h('dd', {}, r.reason || '—'),
    r.halt_reason ? [h('dt', {}, 'Halted'), h('dd', {class: 'error-text'}, r.halt_reason)] : null);
}

function waves(r) {
  const byWave = new Map();
  for (const host of r.hosts || []) {
    const w = Number(host.wave || 0);
    if (!byWave.has(w)) byWave.set(w, []);
    byWave.get(w).push(host);
  }
  const current = Number(r.current_wave);
  return [...byWave.keys()].sort((a, b) => a - b).map((w) => {
    const hosts = byWave.get(w).sort((a, b) => a.host.localeCompare(b.host));
    const done = hosts.filter((x) => x.phase === 'HOST_PHASE_SUCCEEDED').length;
    const state = w < current ? 'done' : w === current ? 'current' : 'waiting';
    return h('section', {class: ['wave', `wave-${state}`], 'data-wave': String(w)},
      h('h3', {}, `Wave ${w + 1}`, h('span', {class: 'muted'}, ` · ${done}/${hosts.length} succeeded${state === 'current' && ACTIVE.has(r.status) ? ' · in progress' : ''}`)),
      h('div', {class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': String(hosts.length),
        'aria-valuenow': String(done), 'aria-label': `wave ${w + 1} progress`},
      h('div', {class: 'progress-bar', 'data-done': String(done), 'data-total': String(hosts.length)})),
      table(['Host', 'Phase', 'Error'], hosts.map((x) => h('tr', {class: 'rollout-host', 'data-host': x.host, 'data-phase': x.phase},
        h('th', {scope: 'row'}, h('a', {href: `/hosts/${enc(x.host)}`}, x.host)),
        h('td', {class: 'phase'}, badge(x.phase, 'HOST_PHASE_')),
        h('td', {class: 'error-text'}, x.error || ''))), {class: 'compact'}));
  });
}

// The progress bars' widths are set through the CSSOM (allowed by the CSP, unlike style="").
function sizeBars(root) {
  for (const bar of root.querySelectorAll('.progress-bar')) {
    const total = Number(bar.dataset.total) || 1;
    bar.style.width = `${Math.round((100 * Number(bar.dataset.done)) / total)}%`;
  }
}

export async function render(ctx) {
  const id = ctx.params[0];
  const actions = h('div', {class: 'actions rollout-actions'});
  const body = h('div', {class: 'rollout-body', 'aria-live': 'polite'}, loading());
  const updated = h('span', {class: 'muted small updated'});
  let updates = 0;
  let rollout = null;
  replace(ctx.root, pageHeader(`Rollout ${id}`, h('a', {href: '/rollouts', class: 'back'}, '← Rollouts')),
    actions, body, h('p', {}, updated));

  async function steer(what, label, danger) {
    const reason = await askReason({title: `${label} rollout ${id}`, confirmLabel: label, danger,
      text: what === 'abort' ? 'Aborting stops the rollout; hosts already changed keep the new policy until rolled back.' : undefined});
    if (reason === null) return;
    try {
      rollout = await post(`/api/rollouts/${enc(id)}/${what}`, {reason});
      notify(`Rollout ${id}: ${what} done.`);
      draw();
    } catch (err) {
      notify(`${label} failed: ${err.message}`, 'error');
    }
  }

  const pause = h('button', {type: 'button', 'data-write': '', onclick: () => steer('pause', 'Pause')}, 'Pause');
  const resume = h('button', {type: 'button', 'data-write': '', onclick: () => steer('resume', 'Resume')}, 'Resume');
  const abort = h('button', {type: 'button', class: 'danger', 'data-write': '', onclick: () => steer('abort', 'Abort', true)}, 'Abort');
  const rollback = h('button', {type: 'button', class: 'danger', id: 'rollback-rollout', 'data-write': '',
    onclick: () => rollbackDialog({
      title: `Roll back rollout ${id}`,
      intro: 'Every host this rollout changed returns to its commit from before the rollout.',
      request: {rollout_id: id},
      onDone: () => refresh(),
    })}, 'Roll back this rollout');
  if (can('operator')) replace(actions, pause, resume, abort, rollback);

  function draw() {
    const s = rollout.status;
    pause.hidden = s !== 'ROLLOUT_STATUS_RUNNING';
    resume.hidden = s !== 'ROLLOUT_STATUS_PAUSED';
    abort.hidden = !ACTIVE.has(s);
    // The controller refuses to roll back a rollout still going: its later waves would push again.
    rollback.disabled = ACTIVE.has(s);
    rollback.title = ACTIVE.has(s) ? 'Abort the rollout first, then roll it back' : '';
    replace(body, summary(rollout), waves(rollout));
    sizeBars(body);
    updated.textContent = `Updated ${new Date().toLocaleTimeString()} (${updates} live update${updates === 1 ? '' : 's'})`;
  }
  async function load() {
    rollout = await get(`/api/rollouts/${enc(id)}`);
    draw();
  }
  const refresh = coalesce(async () => {
    updates += 1;
    await guard(body, load, {refresh: true});
  });
  await guard(body, load);
  ctx.live(['rollouts'], refresh);
}
