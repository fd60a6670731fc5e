// /plan: choose a policy and targets, see every host's diff (POST /api/plan changes nothing), then
// start the rollout with waves, failure budget, pauses and rollback-on-halt.
import {h, replace} from './dom.js';
import {can, enc, get, post, session} from './api.js';
import {labelsText, parseLabels} from './format.js';
import {badge, diffView, errorBox, guard, loading, notify, pageHeader} from './ui.js';

function planResult(plan) {
  const hosts = plan.hosts || [];
  const changing = hosts.filter((x) => x.status === 'PLAN_STATUS_WOULD_CHANGE').length;
  return h('div', {class: 'plan-result'},
    h('h2', {id: 'h-plan-result'}, `Plan: ${plan.policy} v${plan.version}`),
    h('p', {}, `${changing} of ${hosts.length} host(s) would change.`),
    hosts.map((x) => h('section', {class: 'plan-host', 'data-host': x.host, 'data-status': x.status},
      h('h3', {}, x.host, ' ', badge(x.status, 'PLAN_STATUS_')),
      x.error ? h('p', {class: 'error-text'}, x.error) : null,
      x.status === 'PLAN_STATUS_WOULD_CHANGE' || x.diff ? diffView(x.diff, {label: `planned diff on ${x.host}`}) : null)));
}

export async function render(ctx) {
  const body = h('div', {}, loading());
  replace(ctx.root, pageHeader('Plan a rollout'), body);
  await guard(body, async () => {
    const [policies, hosts] = await Promise.all([get('/api/policies'), get('/api/hosts')]);
    replace(body, form(ctx, policies.policies || [], (hosts.hosts || []).sort((a, b) => a.name.localeCompare(b.name))));
  });
}

function form(ctx, policies, hosts) {
  const operator = can('operator');
  const policy = h('select', {id: 'plan-policy', required: true},
    policies.map((p) => h('option', {value: p.name, selected: p.name === ctx.query.get('policy')}, `${p.name} v${p.version}`)));
  const chosen = new Set((ctx.query.get('hosts') || '').split(',').filter(Boolean));
  const boxes = hosts.map((x) => h('input', {type: 'checkbox', id: `t-${x.name}`, name: 'host', value: x.name,
    checked: chosen.has(x.name)}));
  const labels = h('input', {id: 'plan-labels', type: 'text', placeholder: 'env=prod, role=mx', autocomplete: 'off',
    value: ctx.query.get('labels') || ''});
  const all = h('button', {type: 'button', class: 'ghost small'}, 'Select all');
  const none = h('button', {type: 'button', class: 'ghost small'}, 'Select none');
  all.addEventListener('click', () => boxes.forEach((b) => { b.checked = true; }));
  none.addEventListener('click', () => boxes.forEach((b) => { b.checked = false; }));
  const planButton = h('button', {type: 'submit', class: 'primary', id: 'plan-run', 'data-write': ''}, 'Plan');
  const result = h('div', {class: 'plan-output', 'aria-live': 'polite'});
  const start = h('div', {class: 'start-box'});

  const targetsForm = h('form', {class: 'card stack plan-form', 'aria-label': 'Policy and targets'},
    h('label', {for: policy.id}, 'Policy'),
    policies.length ? policy : h('p', {class: 'muted'}, 'No playbook is loaded.'),
    h('fieldset', {class: 'targets'}, h('legend', {}, 'Hosts'),
      hosts.length ? h('div', {class: 'host-boxes'}, hosts.map((x, i) => h('label', {class: 'check', for: boxes[i].id}, boxes[i],
        ` ${x.name}`, h('span', {class: 'muted small'}, ` ${x.online ? 'online' : 'offline'} ${labelsText(x.labels).join(' ')}`)))) :
        h('p', {class: 'muted'}, 'No host has connected.'),
      h('div', {class: 'actions'}, all, none)),
    h('label', {for: labels.id}, 'and/or hosts with labels (all must match)'), labels,
    operator ? h('div', {class: 'actions'}, planButton) :
      h('p', {class: 'muted'}, `Planning and starting rollouts need the operator role; you are a ${(session() || {}).role || 'viewer'}.`));

  function targets() {
    const parsed = parseLabels(labels.value);
    if (parsed.error) throw new Error(parsed.error);
    const picked = boxes.filter((b) => b.checked).map((b) => b.value);
    if (picked.length === 0 && Object.keys(parsed.labels).length === 0) throw new Error('Choose at least one host or a label.');
    return {policy: policy.value, hosts: picked, labels: parsed.labels};
  }

  targetsForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    let t;
    try {
      t = targets();
    } catch (err) {
      replace(result, errorBox(err));
      return;
    }
    ctx.setQuery({policy: t.policy, hosts: t.hosts.join(','), labels: labels.value.trim()});
    planButton.disabled = true;
    replace(start);
    replace(result, loading('Asking every target what it would change (up to 60 s)…'));
    try {
      const plan = await post('/api/plan', {...t, timeout_s: 60});
      replace(result, planResult(plan));
      replace(start, startForm(ctx, t, plan));
    } catch (err) {
      replace(result, errorBox(err, 'Plan failed'));
    } finally {
      planButton.disabled = false;
    }
  });
  return [targetsForm, result, start];
}

function startForm(ctx, targets, plan) {
  const waves = h('input', {id: 'ro-waves', type: 'text', value: '1,50%,100%', required: true, autocomplete: 'off'});
  const budget = h('input', {id: 'ro-budget', type: 'number', min: '0', value: '0'});
  const pause = h('input', {id: 'ro-pause', type: 'checkbox'});
  const rollbackOnHalt = h('input', {id: 'ro-rollback', type: 'checkbox', checked: true});
  const reason = h('input', {id: 'ro-reason', type: 'text', maxlength: '500', autocomplete: 'off',
    placeholder: 'Why (shown in the audit log)'});
  const go = h('button', {type: 'submit', class: 'primary', id: 'ro-start', 'data-write': ''}, 'Start rollout');
  const message = h('div', {'aria-live': 'polite'});
  const f = h('form', {class: 'card stack start-form', 'aria-labelledby': 'h-start'},
    h('h2', {id: 'h-start'}, `Start the rollout of ${plan.policy} v${plan.version}`),
    h('label', {for: waves.id}, 'Waves (host counts or percentages, e.g. 1,50%,100%)'), waves,
    h('label', {for: budget.id}, 'Failure budget per wave (failed hosts tolerated)'), budget,
    h('label', {class: 'check', for: pause.id}, pause, ' Pause between waves'),
    h('label', {class: 'check', for: rollbackOnHalt.id}, rollbackOnHalt, ' Roll back the changed hosts when the rollout halts'),
    h('label', {for: reason.id}, 'Reason'), reason,
    h('div', {class: 'actions'}, go), message);
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    go.disabled = true;
    replace(message);
    try {
      const r = await post('/api/rollouts', {
        policy: targets.policy, hosts: targets.hosts, labels: targets.labels, waves: waves.value.trim(),
        wave_failure_budget: Number(budget.value || 0), pause_between_waves: pause.checked,
        rollback_on_halt: rollbackOnHalt.checked, reason: reason.value.trim(),
        expect_version: String(plan.version),
      });
      notify(`Rollout ${r.id} started.`);
      ctx.navigate(`/rollouts/${enc(r.id)}`);
    } catch (err) {
      replace(message, errorBox(err, 'Cannot start the rollout'));
      go.disabled = false;
    }
  });
  return f;
}
