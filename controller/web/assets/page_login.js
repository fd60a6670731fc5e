// /login: user name and password; 401 and 429 (with Retry-After) are said plainly.
import {h, replace} from './dom.js';
import * as api from './api.js';
import {errorBox} from './ui.js';

function safeNext(query) {
  const next = query.get('next') || '/';
  // Only a path on this site (not "//evil" or "/login" again).
  return /^\/(?!\/)/.test(next) && !next.startsWith('/login') ? next : '/';
}

export async function render(ctx) {
  document.title = 'Sign in · relayguard';
  if (api.session()) {
    ctx.navigate(safeNext(ctx.query), {replace: true});
    return;
  }
  const user = h('input', {id: 'login-user', name: 'user', autocomplete: 'username', required: true,
    autocapitalize: 'none', spellcheck: 'false'});
  const password = h('input', {id: 'login-password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Sign in');
  const message = h('div', {class: 'login-message', 'aria-live': 'assertive'});
  const form = h('form', {class: 'stack login-form', method: 'post', action: '/login'},
    h('label', {for: user.id}, 'User name'), user,
    h('label', {for: password.id}, 'Password'), password,
    submit, message);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    submit.disabled = true;
    replace(message);
    try {
      await api.login(user.value.trim(), password.value);
      password.value = '';
      window.dispatchEvent(new Event('relayguard:signed-in'));
      ctx.navigate(safeNext(ctx.query), {replace: true});
    } catch (err) {
      let text = err.message;
      if (err.status === 401) text = 'Wrong user name or password.';
      else if (err.status === 429) {
        text = `Too many failed attempts; try again in ${err.retryAfter || 'a few'} seconds.`;
      }
      replace(message, errorBox(text));
      password.select();
    } finally {
      submit.disabled = false;
    }
  });
  replace(ctx.root, h('div', {class: 'login-wrap'},
    h('section', {class: 'card login-card', 'aria-labelledby': 'login-title'},
      h('div', {class: 'login-brand'}, h('img', {src: '/assets/favicon.svg', alt: '', width: '36', height: '36'}),
        h('h1', {id: 'login-title'}, 'relayguard')),
      h('p', {class: 'muted'}, 'Sign in to the fleet dashboard.'),
      form)));
  user.focus();
}
