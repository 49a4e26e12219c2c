// One invitation: the chat (or another tool) beside a live preview of the guests' page.
import {connectChat} from '/static/mocheong-client.js';
import {accessToken, api, getPage, onSessionChange, patchPage, refresh} from './api.js';
import {errorBox, showError} from './app.js';
import {h} from './dom.js';
import {has, t} from './i18n.js';

const TABS = ['chat', 'preview', 'edit', 'photos', 'publish', 'guests', 'plan'];
// Which section of the guests' page shows a changed field.
const SECTION_OF = {
  couple: ['cover', 'couple'], ceremony: ['calendar', 'cover'], venue: ['venue'],
  greeting: ['greeting'], gallery: ['gallery'], cover_file_id: ['cover'],
  gift_accounts: ['gift_accounts'], rsvp: ['rsvp'], sections: [], theme: [], music: [], share: [],
};

export async function workspace(id, initialTab) {
  let page = await getPage(id);
  const closers = [];
  const ctx = {
    get page() {
      return page;
    },
    set page(value) {
      if (value.version >= page.version) page = value;
      for (const listener of ctx.listeners) listener(page);
    },
    listeners: new Set(),
    async reload() {
      ctx.page = await getPage(id);
      return page;
    },
    async patch(patch) {
      ctx.page = await patchPage(page, patch);
      preview.refresh(Object.keys(patch));
      return page;
    },
  };

  const preview = previewPane(ctx);
  const panels = {};
  const tabButtons = {};
  const tablist = h('div', {role: 'tablist', class: 'tabs', 'aria-label': t('tabs')});
  const panelHost = h('div', {class: 'panel-host'});
  const loaders = {
    chat: () => chatPanel(ctx, preview, closers),
    edit: async () => (await import('./edit.js')).editPanel(ctx, preview),
    photos: async () => (await import('./photos.js')).photosPanel(ctx),
    publish: async () => (await import('./publish.js')).publishPanel(ctx),
    guests: async () => (await import('./guests.js')).guestsPanel(ctx),
    plan: async () => (await import('./plan.js')).planPanel(ctx),
  };

  const wide = matchMedia('(min-width: 960px)');
  const panelOf = (tab, content) => h('div', {role: 'tabpanel', id: `panel-${tab}`, 'aria-labelledby': `tab-${tab}`, class: `panel panel-${tab}`}, content);

  async function select(wanted, focus = false) {
    // On a desktop the preview is always beside the tool: no tab of its own.
    const tab = wanted === 'preview' && wide.matches ? 'chat' : wanted;
    for (const name of TABS) {
      const on = name === tab;
      tabButtons[name].setAttribute('aria-selected', String(on));
      tabButtons[name].tabIndex = on ? 0 : -1;
      // The preview is shown by the stylesheet: beside the chat on a desktop, as a tab on a phone.
      if (panels[name] && name !== 'preview') panels[name].hidden = !on;
    }
    view.dataset.tab = tab;
    if (!panels[tab]) {
      panels[tab] = panelOf(tab, await loaders[tab]());
      panelHost.append(panels[tab]);
    }
    history.replaceState(null, '', `#/p/${id}/${tab}`);
    if (focus) tabButtons[tab].focus();
  }

  for (const name of TABS) {
    tabButtons[name] = h('button', {
      type: 'button', role: 'tab', id: `tab-${name}`, class: `tab tab-${name}`,
      'aria-controls': `panel-${name}`, 'aria-selected': 'false',
      onclick: () => select(name),
      onkeydown: (event) => {
        const step = {ArrowRight: 1, ArrowLeft: -1}[event.key];
        if (!step) return;
        event.preventDefault();
        select(TABS[(TABS.indexOf(name) + step + TABS.length) % TABS.length], true);
      },
    }, t(`tab_${name}`));
    tablist.append(tabButtons[name]);
  }
  preview.wrapper.id = 'panel-preview';
  const view = h('div', {class: 'workspace'},
    h('div', {class: 'workspace-head'},
      h('a', {href: '#/', class: 'link'}, `← ${t('back')}`),
      h('h1', {class: 'visually-hidden'}, t('title'))),
    tablist,
    h('div', {class: 'workspace-body'}, panelHost, preview.wrapper));
  panels.preview = preview.wrapper;
  // The chat's socket brings every page-updated, whichever tool is open.
  panels.chat = panelOf('chat', loaders.chat());
  panelHost.append(panels.chat);
  await select(TABS.includes(initialTab) ? initialTab : 'chat');
  preview.refresh([]);
  return {view, close: () => closers.forEach((close) => close())};
}

function previewPane(ctx) {
  const frame = h('iframe', {title: t('previewTitle'), class: 'preview-frame', loading: 'eager'});
  const note = h('p', {class: 'preview-note', role: 'status'});
  // The region is named "Preview" whether it stands beside the chat (desktop) or is the
  // content of the Preview tab (phone).
  const wrapper = h('div', {class: 'preview'}, h('section', {'aria-label': t('tab_preview')},
    h('div', {class: 'phone'}, frame), note));
  let highlight = [];
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    if (!doc) return;
    let first = null;
    for (const kind of highlight) {
      const section = doc.getElementById(kind);
      if (!section) continue;
      section.style.outline = '3px solid #c2185b';
      section.style.outlineOffset = '-3px';
      section.style.transition = 'outline-color 2s';
      first ||= section;
    }
    if (first) first.scrollIntoView({block: 'start'});
  });
  return {
    wrapper,
    refresh(changed, by) {
      const kinds = new Set();
      for (const field of changed) for (const kind of SECTION_OF[field.split('.')[0]] || []) kinds.add(kind);
      highlight = [...kinds];
      const params = new URLSearchParams({token: accessToken() || '', v: String(ctx.page.version)});
      frame.src = `/studio/preview/${ctx.page.id}?${params}`;
      const shown = [...new Set(changed.map((f) => f.split('.')[0]))].filter((f) => has(`sec_${f}`));
      if (shown.length && by) {
        note.textContent = t(`updatedBy_${by}`, {f: shown.map((f) => t(`sec_${f}`)).join(', ')});
      }
    },
    show(kind) {
      highlight = [kind];
      frame.src = frame.src;
    },
  };
}

function chatPanel(ctx, preview, closers) {
  const messages = new Map();
  const log = h('div', {class: 'chat-log', role: 'log', 'aria-label': t('chatLog'), 'aria-live': 'polite'},
    h('div', {class: 'msg assistant hello'}, h('p', {class: 'text'}, t('chatHello'))));
  const state = h('p', {class: 'chat-state', role: 'status'});
  const input = h('textarea', {id: 'chat-input', name: 'message', rows: 2, maxLength: 4000, placeholder: t('messagePlaceholder'), 'aria-label': t('message')});
  const sendButton = h('button', {type: 'submit', class: 'primary'}, t('send'));
  const stopButton = h('button', {type: 'button', class: 'ghost', hidden: true}, t('cancel'));
  const error = errorBox();
  let streaming = null;

  function entry(id, role) {
    let m = messages.get(id);
    if (!m) {
      const text = h('p', {class: 'text'});
      const comps = h('div', {class: 'components'});
      const meta = h('p', {class: 'meta'});
      const el = h('div', {class: `msg ${role}`, 'data-message-id': id}, h('span', {class: 'visually-hidden'}, `${t(role === 'user' ? 'you' : 'assistant')}: `), text, comps, meta);
      m = {id, role, el, text, comps, meta, status: 'pending'};
      messages.set(id, m);
      log.append(el);
      log.scrollTop = log.scrollHeight;
    }
    return m;
  }

  function setText(m, body) {
    m.text.textContent = body;
    m.el.classList.toggle('typing', !body && m.role === 'assistant' && m.status !== 'completed');
  }

  function finish(m, status) {
    m.status = status;
    m.el.dataset.status = status;
    m.meta.textContent = status === 'failed' ? t('msg_failed') : status === 'cancelled' ? t('msg_cancelled') : '';
    m.el.classList.toggle('typing', false);
    if (streaming === m.id && ['completed', 'failed', 'cancelled'].includes(status)) {
      streaming = null;
      stopButton.hidden = true;
    }
  }

  function renderComponents(m, components) {
    m.comps.replaceChildren(...components.map((c) => component(c)));
  }

  function component(c) {
    switch (c.type) {
      case 'map':
        return h('div', {class: 'comp map-card'},
          h('strong', {}, c.name || ''), h('p', {}, c.address || ''),
          h('p', {class: 'row wrap', 'aria-label': t('mapLinks')},
            Object.entries(c.links || {}).filter(([, href]) => href).map(([name, href]) => h('a', {class: 'button small', href, target: '_blank', rel: 'noopener'}, {kakao: '카카오맵', naver: '네이버 지도', tmap: 'TMAP'}[name] || name))),
          c.attribution ? h('p', {class: 'muted'}, h('a', {href: c.attribution.url, target: '_blank', rel: 'noopener'}, c.attribution.text)) : null);
      case 'choices':
      case 'choice_list':
        return h('div', {class: 'comp choices', role: 'group', 'aria-label': c.question || c.prompt || ''},
          h('p', {}, c.question || c.prompt || ''),
          h('div', {class: 'row wrap'}, (c.options || []).map((o) => h('button', {type: 'button', class: 'chip', onclick: () => sendText(o.value ?? o.label)}, o.label))));
      case 'checklist':
        return h('div', {class: 'comp checklist'}, h('p', {}, t('checklist')),
          h('ul', {}, (c.missing || []).map((field) => h('li', {}, fieldName(field)))));
      case 'suggestions':
        return h('div', {class: 'comp suggestions'}, h('p', {}, t('suggestions')),
          h('ul', {}, (c.items || []).map((text) => {
            const apply = h('button', {type: 'button', class: 'small', onclick: async () => {
              apply.disabled = true;
              try {
                await ctx.reload();
                await ctx.patch({greeting: text});
                apply.textContent = t('applied');
              } catch (caught) {
                showError(error, caught);
                apply.disabled = false;
              }
            }}, t('apply'));
            return h('li', {}, h('p', {class: 'pre'}, text), apply);
          })));
      case 'section-preview':
        return h('button', {type: 'button', class: 'small', onclick: () => preview.show(c.section)}, `${t('tab_preview')}: ${t(`sec_${c.section}`)}`);
      default:
        return h('div', {class: 'comp'});
    }
  }

  // The chat's connection (/static/mocheong-client.js, docs/realtime.md): it signs in with
  // the access token (refreshed first when the server refused the last one), joins the page's
  // room, assembles each reply from its chunks in order and, after a dropped connection,
  // resumes from the last event it had.
  const chat = connectChat({
    url: location.origin,
    getToken: async ({refused}) => {
      if (refused || !accessToken()) await refresh().catch(() => false);
      return accessToken() || '';
    },
  });
  closers.push(() => chat.close());
  // A login refresh hands the new token to the open connection too.
  closers.push(onSessionChange((on) => on && chat.refresh()));
  chat.on('state', (s) => {
    state.textContent = s === 'reconnecting' ? t('reconnecting') : '';
    state.dataset.state = s;
  });

  function accepted(data) {
    const m = entry(data.message_id, 'assistant');
    if (m.status === 'pending') {
      streaming = data.message_id;
      stopButton.hidden = false;
      m.el.classList.add('typing');
    }
  }

  chat.on('newMessage', (data) => {
    let m = messages.get(data.message_id);
    if (!m && data.role === 'user' && data.client_message_id && messages.has(data.client_message_id)) {
      m = messages.get(data.client_message_id);
      messages.delete(data.client_message_id);
      m.id = data.message_id;
      m.el.dataset.messageId = data.message_id;
      messages.set(m.id, m);
    }
    m ||= entry(data.message_id, data.role);
    setText(m, data.content || '');
    renderComponents(m, data.components || []);
    finish(m, data.status);
  });
  // Chunks and components come here once each, in order (the client drops repeats).
  chat.on('message-chunk', (data) => {
    const m = entry(data.message_id, 'assistant');
    if (m.status === 'completed') return;
    m.status = 'streaming';
    setText(m, chat.text(data.message_id));
    if (!streaming) {
      streaming = m.id;
      stopButton.hidden = false;
    }
  });
  chat.on('component', (data) => entry(data.message_id, 'assistant').comps.append(component(data.component)));
  chat.on('stream-reset', (data) => {
    const m = data.message_id && messages.get(data.message_id);
    if (!m) return;
    m.comps.replaceChildren();
    setText(m, '');
  });
  chat.on('page-updated', (data) => {
    ctx.reload().then(() => preview.refresh(data.changed || [], data.by), () => null);
  });
  // A refused token is the client's to handle (it asks for a refreshed one); a refused
  // refresh signs the couple out.
  chat.on('error', (data) => data.code !== 'unauthorized' && showError(error, {message: data.message}));
  for (const event of ['newMessage', 'message-chunk', 'component']) {
    chat.on(event, () => {
      log.scrollTop = log.scrollHeight;
    });
  }

  function sendText(text) {
    const trimmed = text.trim();
    if (!trimmed) return;
    const clientId = `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const m = entry(clientId, 'user');
    setText(m, trimmed);
    // Typed before the room was joined: it goes as soon as it is; the id makes a message sent
    // again after a dropped connection count once.
    joined
      .then((ok) => ok && chat.send(trimmed, clientId))
      .then((answer) => answer && accepted(answer), (caught) => showError(error, caught));
  }

  const form = h('form', {class: 'chat-form', onsubmit: (event) => {
    event.preventDefault();
    sendText(input.value);
    input.value = '';
    input.focus();
  }}, input, h('div', {class: 'row'}, stopButton, sendButton));
  // Enter sends, Shift+Enter breaks the line; while a Korean (IME) composition is open Enter
  // only ends it: sending then would send the syllable twice or cut it off.
  input.addEventListener('keydown', (event) => {
    if (event.key !== 'Enter' || event.shiftKey) return;
    if (event.isComposing || event.keyCode === 229) return;
    event.preventDefault();
    form.requestSubmit();
  });
  stopButton.addEventListener('click', () => {
    if (streaming) chat.cancel(streaming);
  });

  const joined = (async () => {
    try {
      const session = await chat.join(`page-${ctx.page.id}`);
      const history = await api(`/api/chat/sessions/${session.session_id}/messages?limit=50`);
      const older = history.items.slice().reverse();
      const first = log.children[1] || null;
      for (const item of older) {
        if (messages.has(item.message_id || item.id)) continue;
        const m = entry(item.message_id || item.id, item.role);
        log.insertBefore(m.el, first);
        setText(m, item.content || '');
        renderComponents(m, item.components || []);
        finish(m, item.status);
        if (['pending', 'streaming'].includes(item.status)) {
          streaming = m.id;
          stopButton.hidden = false;
        }
      }
      log.scrollTop = log.scrollHeight;
      return true;
    } catch (caught) {
      showError(error, caught);
      return false;
    }
  })();
  return h('div', {class: 'chat'}, log, state, error, form);
}

export function fieldName(path) {
  const labels = {
    'couple.groom.name': `${t('groom')} ${t('f_name')}`, 'couple.bride.name': `${t('bride')} ${t('f_name')}`,
    'ceremony.starts_at': t('f_starts_at'), 'venue.name': t('f_venue_name'), 'venue.address': t('f_address'),
  };
  return labels[path] || path;
}
