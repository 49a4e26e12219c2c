// The studio's shell: a hash router between the sign-in screens, the list of invitations and
// an invitation's workspace.
import {api, ApiError, login, logout, onSessionChange, refresh, register, signedIn} from './api.js';
import {announce, field, h, replace} from './dom.js';
import {has, lang, otherLanguageHref, t} from './i18n.js';

const main = document.getElementById('main');
const account = document.getElementById('account');
let leaving = null; // the open view's clean-up (closes the chat socket)
const ADMIN = location.pathname.replace(/\/$/, '') === '/studio/admin'; // the admin console

export function errorText(error) {
  if (!(error instanceof ApiError)) return String(error.message || error);
  if (has(`err_${error.code}`)) return t(`err_${error.code}`);
  if (error.errors.length) return error.errors.map((e) => `${e.field}: ${e.message}`).join('\n');
  return error.message;
}

export function errorBox() {
  return h('p', {class: 'error', role: 'alert', hidden: true});
}

export function showError(box, error) {
  box.textContent = error ? errorText(error) : '';
  box.hidden = !error;
}

function header() {
  replace(
    account,
    h('a', {href: otherLanguageHref(), lang: lang === 'en' ? 'ko' : 'en', class: 'link'}, t('lang')),
    signedIn()
      ? h('button', {type: 'button', class: 'ghost', onclick: async () => {
          await logout();
          location.hash = '#/login';
        }}, t('logout'))
      : null,
  );
}

function authView(mode) {
  const email = h('input', {type: 'email', name: 'email', autocomplete: 'email', required: true});
  const password = h('input', {
    type: 'password', name: 'password', required: true, minLength: 8,
    autocomplete: mode === 'signup' ? 'new-password' : 'current-password',
  });
  const name = h('input', {type: 'text', name: 'name', autocomplete: 'name', required: true, maxLength: 50});
  const error = errorBox();
  const submit = h('button', {type: 'submit', class: 'primary'}, t(mode));
  const form = h('form', {class: 'card auth', novalidate: false, onsubmit: async (event) => {
    event.preventDefault();
    submit.disabled = true;
    showError(error, null);
    try {
      if (mode === 'signup') await register(email.value.trim(), password.value, name.value.trim());
      else await login(email.value.trim(), password.value);
      location.hash = '#/';
    } catch (caught) {
      showError(error, caught);
    } finally {
      submit.disabled = false;
    }
  }},
    h('h1', {}, t(mode)),
    mode === 'signup' ? field(t('name'), name) : null,
    field(t('email'), email),
    field(t('password'), password, mode === 'signup' ? t('passwordHint') : null),
    error,
    submit,
    h('p', {}, mode === 'signup' ? t('haveAccount') : t('noAccount'), ' ',
      h('a', {href: mode === 'signup' ? '#/login' : '#/signup'}, mode === 'signup' ? t('login') : t('signup'))),
  );
  return h('div', {class: 'narrow'}, h('p', {class: 'tagline'}, t('tagline')), form);
}

function coupleName(page) {
  const groom = page.couple?.groom?.name;
  const bride = page.couple?.bride?.name;
  return groom || bride ? [groom, bride].filter(Boolean).join(' ♥ ') : t('untitled');
}

async function listView() {
  const list = h('ul', {class: 'pages', 'aria-label': t('myInvitations')});
  const error = errorBox();
  const create = h('button', {type: 'button', class: 'primary', onclick: async () => {
    create.disabled = true;
    try {
      const page = await api('/api/pages', {method: 'POST', body: {}});
      location.hash = `#/p/${page.id}`;
    } catch (caught) {
      showError(error, caught);
      create.disabled = false;
    }
  }}, t('newInvitation'));
  const view = h('div', {class: 'wide'},
    h('div', {class: 'row between'}, h('h1', {}, t('myInvitations')), create), error, list);
  const {items} = await api('/api/pages?limit=100');
  if (!items.length) list.append(h('li', {class: 'empty'}, t('noInvitations')));
  for (const page of items) {
    const counts = h('span', {class: 'muted'});
    const item = h('li', {class: 'card page-item'},
      h('div', {},
        h('h2', {}, h('a', {href: `#/p/${page.id}`}, coupleName(page))),
        h('p', {class: 'badges'},
          h('span', {class: `badge ${page.status}`}, t(`status_${page.status}`)),
          h('span', {class: `badge plan-${page.plan}`}, t(`plan_${page.plan}`)),
          page.ceremony?.starts_at ? h('span', {class: 'muted'}, new Date(page.ceremony.starts_at).toLocaleDateString(lang)) : null,
          counts)),
      h('div', {class: 'row'},
        h('a', {class: 'button', href: `#/p/${page.id}`, 'aria-label': `${t('open')} ${coupleName(page)}`}, t('open')),
        h('button', {type: 'button', class: 'ghost danger', 'aria-label': `${t('delete')} ${coupleName(page)}`, onclick: async () => {
          if (!confirm(t('confirmDelete'))) return;
          try {
            await api(`/api/pages/${page.id}`, {method: 'DELETE'});
            item.remove();
          } catch (caught) {
            showError(error, caught);
          }
        }}, t('delete'))));
    list.append(item);
    api(`/api/pages/${page.id}/rsvps/summary`).then((summary) => {
      counts.textContent = t('rsvpCount', {n: summary.total?.responses ?? 0});
    }, () => null);
  }
  return view;
}

async function route() {
  if (leaving) leaving();
  leaving = null;
  const path = location.hash.replace(/^#/, '') || '/';
  header();
  if (!signedIn() && !path.startsWith('/login') && !path.startsWith('/signup')) {
    location.hash = '#/login';
    return;
  }
  try {
    let view;
    if (path.startsWith('/signup')) view = authView('signup');
    else if (path.startsWith('/login')) view = authView('login');
    else if (ADMIN) view = await (await import('./admin.js')).adminView(path);
    else if (path.startsWith('/p/')) {
      const [, , id, tab] = path.split('/');
      const {workspace} = await import('./workspace.js');
      const opened = await workspace(id, tab || 'chat');
      view = opened.view;
      leaving = opened.close;
    } else view = await listView();
    replace(main, view);
    document.title = `${t('title')}`;
    const heading = main.querySelector('h1');
    if (heading) heading.tabIndex = -1;
  } catch (caught) {
    const box = errorBox();
    showError(box, caught);
    replace(main, h('div', {class: 'narrow'}, box, h('a', {href: '#/'}, t('back'))));
  }
}

async function start() {
  document.documentElement.lang = lang;
  document.title = t('title');
  document.querySelector('.skip').textContent = t('skip');
  account.setAttribute('aria-label', t('account'));
  document.body.append(h('div', {id: 'announcer', class: 'visually-hidden', role: 'status', 'aria-live': 'polite'}));
  onSessionChange((on) => {
    header();
    if (!on && !location.hash.startsWith('#/login') && !location.hash.startsWith('#/signup')) {
      announce(t('err_session'));
      location.hash = '#/login';
    }
  });
  await refresh().catch(() => false);
  // Back from PortOne's payment window (it replaced the page): the plan tab finishes the order.
  const back = new URLSearchParams(location.search);
  if (back.has('checkout') && back.has('page')) history.replaceState(null, '', `${location.pathname}${location.search}#/p/${back.get('page')}/plan`);
  window.addEventListener('hashchange', route);
  await route();
}

start();
