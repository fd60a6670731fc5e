// The confirmation dialogs: a reason prompt (pause / resume / abort) and the rollback dialog that
// previews what will be undone, asks for a reason and shows each host's result. Native <dialog>:
// modal, Escape closes it, focus goes to the reason field on open and returns afterwards.
import {h, replace, table} from './dom.js';
import {post} from './api.js';
import {badge, diffView, errorBox, loading} from './ui.js';
import {shortCommit} from './format.js';

function modal(title, ...content) {
  const returnTo = document.activeElement;
  const close = h('button', {type: 'button', class: 'icon close', 'aria-label': 'Close'}, '×');
  const heading = h('h2', {id: `dlg-${Date.now()}`}, title);
  const dialog = h('dialog', {class: 'dialog', 'aria-labelledby': heading.id},
    h('div', {class: 'dialog-head'}, heading, close), content);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (returnTo && returnTo.isConnected) returnTo.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

const REASON_MAX = 500;

function reasonField(id, required) {
  return h('input', {id, name: 'reason', type: 'text', maxlength: String(REASON_MAX), required,
    autocomplete: 'off', placeholder: required ? 'Why (required, shown in the audit log)' :
      'Why (shown in the audit log)'});
}

// Asks for a reason; resolves to the text, or null when cancelled.
export function askReason({title, text, confirmLabel, danger = false, required = false}) {
  return new Promise((resolve) => {
    const input = reasonField('reason-input', required);
    const ok = h('button', {type: 'submit', class: danger ? 'danger' : 'primary', 'data-write': ''},
      confirmLabel);
    const cancel = h('button', {type: 'button'}, 'Cancel');
    let answer = null;
    const form = h('form', {class: 'stack'},
      text ? h('p', {}, text) : null,
      h('label', {for: input.id}, 'Reason'), input,
      h('div', {class: 'actions'}, cancel, ok));
    const dialog = modal(title, form);
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      answer = input.value.trim();
      if (required && !answer) return;
      dialog.close();
    });
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => resolve(answer));
    input.focus();
  });
}

function previewHost(p) {
  return h('section', {class: 'rb-host', 'data-host': p.host},
    h('h3', {},
      p.host, ' ',
      p.will_roll_back ? badge('WILL ROLL BACK', '', {tone: 'warn'}) : badge('SKIPPED'),
      ' ', p.online ? badge('ONLINE') : badge('OFFLINE'),
      h('span', {class: 'muted'}, ` to ${p.to_commit ? shortCommit(p.to_commit) : 'the commit before its newest apply'}`)),
    p.note ? h('p', {class: 'muted note'}, p.note) : null,
    diffView(p.diff, {label: `diff undone on ${p.host}`}));
}

function resultsTable(hosts) {
  return table(['Host', 'Result', 'To commit', 'Result commit', 'Error'], hosts.map((r) =>
    h('tr', {class: 'rb-result', 'data-host': r.host, 'data-status': r.status},
      h('td', {}, r.host),
      h('td', {class: 'status'}, badge(r.status, 'ROLLBACK_STATUS_')),
      h('td', {class: 'mono'}, r.to_commit ? shortCommit(r.to_commit) : 'previous'),
      h('td', {class: 'mono'}, shortCommit(r.result_commit)),
      h('td', {}, r.error || ''))), {class: 'results'});
}

// The rollback dialog for a RollbackHostsRequest without reason (e.g. {rollout_id} or
// {hosts: [NAME], to_commit}). onDone(results) runs after the rollback answered.
export function rollbackDialog({title, request, intro, onDone}) {
  const preview = h('div', {class: 'rb-preview', 'aria-live': 'polite'}, loading('Asking what a rollback would undo…'));
  const input = reasonField('rollback-reason', true);
  const confirm = h('button', {type: 'submit', class: 'danger', 'data-write': '', disabled: true},
    'Confirm rollback');
  const cancel = h('button', {type: 'button'}, 'Cancel');
  const status = h('div', {class: 'rb-status', 'aria-live': 'polite'});
  const form = h('form', {class: 'stack rb-form'},
    h('label', {for: input.id}, 'Reason'), input,
    h('div', {class: 'actions'}, cancel, confirm));
  const dialog = modal(title, h('div', {class: 'dialog-body'},
    intro ? h('p', {}, intro) : null, preview, form, status));
  dialog.classList.add('wide');
  let previewOk = false;
  const update = () => { confirm.disabled = !previewOk || !input.value.trim(); };
  input.addEventListener('input', update);
  cancel.addEventListener('click', () => dialog.close());
  input.focus();

  post('/api/rollback/preview', request).then((answer) => {
    const hosts = answer.hosts || [];
    const will = hosts.filter((p) => p.will_roll_back);
    previewOk = will.length > 0;
    replace(preview,
      h('p', {class: 'rb-summary'}, hosts.length === 0 ? 'No host to roll back.' :
        `${will.length} of ${hosts.length} host(s) will be rolled back; each agent restores the ` +
        'files, reloads the MTA and verifies. The diffs below are the changes being undone.'),
      hosts.map(previewHost));
    update();
  }).catch((err) => replace(preview, errorBox(err, 'Preview failed')));

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const reason = input.value.trim();
    if (!reason || !previewOk) return;
    confirm.disabled = true;
    input.disabled = true;
    cancel.textContent = 'Close';
    replace(status, loading('Rolling back… each agent answers when it has restored and verified (up to 120 s).'));
    try {
      const answer = await post('/api/rollback', {...request, reason, wait_s: 120});
      const hosts = answer.hosts || [];
      replace(status, h('h3', {}, 'Results'), resultsTable(hosts));
      if (onDone) onDone(hosts);
    } catch (err) {
      replace(status, errorBox(err, 'Rollback failed'));
      input.disabled = false;
      update();
    }
    cancel.focus();
  });
  return dialog;
}
