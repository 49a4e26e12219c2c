// Editing without the chat: every field of the page document in one form, saved as one merge
// patch guarded by If-Match with the version the form was filled from. If the page changed
// meanwhile (an agent's edit, another tab), the server answers 409 and nothing is lost: the
// form keeps what was typed and offers to load the latest version. Below it, the history.
import {api, getPage, patchPage} from './api.js';
import {errorBox, showError} from './app.js';
import {announce, field, h, replace} from './dom.js';
import {lang, t} from './i18n.js';

const THEMES = ['classic', 'modern', 'minimal', 'romantic', 'floral', 'hanok'];
const RELATIONS = ['groom', 'bride', 'groom_father', 'groom_mother', 'bride_father', 'bride_mother'];

// The offset of a time zone at a given local time, as "+09:00".
function offsetOf(zone, local) {
  try {
    const parts = new Intl.DateTimeFormat('en-US', {timeZone: zone, timeZoneName: 'longOffset'})
      .formatToParts(new Date(`${local}:00Z`));
    const name = parts.find((p) => p.type === 'timeZoneName').value.replace('GMT', '');
    return name || '+00:00';
  } catch {
    return '+09:00';
  }
}

const localOf = (iso) => (iso ? iso.slice(0, 16) : '');
const instantOf = (local, zone) => (local ? `${local}:00${offsetOf(zone, local)}` : null);

export function editPanel(ctx, preview) {
  const host = h('div', {class: 'edit'});
  const history = h('div', {class: 'history-host'});
  let base = ctx.page;

  function build() {
    const page = base;
    const inputs = {};
    const text = (key, label, value, props = {}) => {
      inputs[key] = h(props.multiline ? 'textarea' : 'input', {
        name: key, value: value ?? '', ...(props.multiline ? {rows: props.rows || 4} : {type: props.type || 'text'}),
        ...(props.max ? {maxLength: props.max} : {}), autocomplete: 'off',
      });
      return field(label, inputs[key]);
    };
    const check = (key, label, value) => {
      inputs[key] = h('input', {type: 'checkbox', name: key, checked: Boolean(value)});
      return h('div', {class: 'field check'}, inputs[key], h('label', {for: inputs[key].id ||= `c-${key}`}, label));
    };
    const person = (side) => {
      const p = page.couple?.[side] || {};
      return h('fieldset', {}, h('legend', {}, t(side)),
        h('div', {class: 'grid2'},
          text(`${side}.name`, t('f_name'), p.name, {max: 30}),
          text(`${side}.title`, t('f_title'), p.title, {max: 10}),
          text(`${side}.phone`, t('f_phone'), p.phone, {type: 'tel'}),
          text(`${side}.father`, t('f_father'), p.father?.name, {max: 30}),
          text(`${side}.mother`, t('f_mother'), p.mother?.name, {max: 30})));
    };
    const zone = page.ceremony?.time_zone || 'Asia/Seoul';
    const venue = page.venue || {};
    const directions = venue.directions || {};

    const accounts = h('ul', {class: 'sections-list'});
    const addAccount = (account = {}) => {
      const relation = h('select', {name: 'relation'}, RELATIONS.map((r) => h('option', {value: r, selected: account.relation === r}, t(`rel_${r}`))));
      const bank = h('input', {name: 'bank', value: account.bank || '', maxLength: 30});
      const holder = h('input', {name: 'holder', value: account.holder || '', maxLength: 30});
      const number = h('input', {name: 'number', value: account.number || '', inputMode: 'numeric'});
      const row = h('li', {class: 'card account'}, h('div', {class: 'grid2'},
        field(t('f_relation'), relation), field(t('f_bank'), bank), field(t('f_holder'), holder), field(t('f_number'), number)),
        h('button', {type: 'button', class: 'small danger', onclick: () => row.remove()}, t('remove')));
      row.read = () => ({relation: relation.value, bank: bank.value, holder: holder.value, number: number.value});
      accounts.append(row);
    };
    (page.gift_accounts || []).forEach(addAccount);

    const sections = h('ol', {class: 'sections-list', 'aria-label': t('sections')});
    for (const s of page.sections || []) {
      const visible = h('input', {type: 'checkbox', checked: s.visible, 'aria-label': `${t('visible')}: ${t(`sec_${s.kind}`)}`});
      const item = h('li', {'data-kind': s.kind}, h('span', {}, t(`sec_${s.kind}`)),
        h('span', {class: 'row'}, visible,
          h('button', {type: 'button', class: 'small', 'aria-label': `${t('moveUp')}: ${t(`sec_${s.kind}`)}`, onclick: () => item.previousElementSibling?.before(item)}, '↑'),
          h('button', {type: 'button', class: 'small', 'aria-label': `${t('moveDown')}: ${t(`sec_${s.kind}`)}`, onclick: () => item.nextElementSibling?.after(item)}, '↓')));
      item.read = () => ({kind: s.kind, visible: visible.checked});
      sections.append(item);
    }
    const theme = h('select', {name: 'theme'}, THEMES.map((name) => h('option', {value: name, selected: page.theme === name}, name)));
    const error = errorBox();
    const status = h('span', {role: 'status', class: 'muted'});
    const reload = h('button', {type: 'button', hidden: true, onclick: async () => {
      base = await getPage(page.id);
      ctx.page = base;
      build();
      announce(t('reload'));
    }}, t('reload'));

    const parent = (side, who) => {
      const name = inputs[`${side}.${who}`].value.trim();
      if (!name) return null;
      return {...(page.couple?.[side]?.[who] || {}), name};
    };
    const read = () => ({
      couple: Object.fromEntries(['groom', 'bride'].map((side) => [side, {
        name: inputs[`${side}.name`].value || null, title: inputs[`${side}.title`].value || null,
        phone: inputs[`${side}.phone`].value || null, father: parent(side, 'father'), mother: parent(side, 'mother'),
      }])),
      ceremony: {starts_at: instantOf(inputs.starts_at.value, inputs.time_zone.value || 'Asia/Seoul'), time_zone: inputs.time_zone.value || 'Asia/Seoul'},
      venue: {
        name: inputs['venue.name'].value || null, hall: inputs['venue.hall'].value || null, address: inputs['venue.address'].value || null,
        directions: Object.fromEntries(['subway', 'bus', 'car', 'parking'].map((k) => [k, inputs[`dir.${k}`].value || null])),
      },
      greeting: inputs.greeting.value || null,
      gift_accounts: [...accounts.children].map((row) => row.read()),
      sections: [...sections.children].map((item) => item.read()),
      rsvp: {enabled: inputs['rsvp.enabled'].checked, ask_meal: inputs['rsvp.ask_meal'].checked,
        deadline: instantOf(inputs['rsvp.deadline'].value, inputs.time_zone.value || 'Asia/Seoul')},
      share: {title: inputs['share.title'].value || null, description: inputs['share.description'].value || null},
      theme: theme.value,
      music: {autoplay: inputs['music.autoplay'].checked},
    });

    const form = h('form', {class: 'edit-form', onsubmit: async (event) => {
      event.preventDefault();
      showError(error, null);
      status.textContent = '';
      reload.hidden = true;
      const patch = read();
      try {
        base = await patchPage(base, patch);
        ctx.page = base;
        preview.refresh(Object.keys(patch), 'user');
        status.textContent = t('saved');
        loadHistory();
      } catch (caught) {
        if (caught.code === 'version_conflict') {
          showError(error, {message: t('conflict')});
          reload.hidden = false;
        } else showError(error, caught);
      }
    }},
      h('h2', {}, t('tab_edit')),
      person('groom'), person('bride'),
      h('fieldset', {}, h('legend', {}, t('ceremony')), h('div', {class: 'grid2'},
        text('starts_at', t('f_starts_at'), localOf(page.ceremony?.starts_at), {type: 'datetime-local'}),
        text('time_zone', t('f_time_zone'), zone))),
      h('fieldset', {}, h('legend', {}, t('venue')), h('div', {class: 'grid2'},
        text('venue.name', t('f_venue_name'), venue.name, {max: 60}),
        text('venue.hall', t('f_hall'), venue.hall, {max: 60})),
        text('venue.address', t('f_address'), venue.address, {max: 200}),
        h('div', {class: 'grid2'}, ['subway', 'bus', 'car', 'parking'].map((k) => text(`dir.${k}`, t(`f_${k}`), directions[k], {multiline: true, rows: 2, max: 500})))),
      h('fieldset', {}, h('legend', {}, t('greeting')), text('greeting', t('greeting'), page.greeting, {multiline: true, rows: 6})),
      h('fieldset', {}, h('legend', {}, t('gifts')), accounts,
        h('button', {type: 'button', class: 'small', onclick: () => addAccount()}, t('addAccount'))),
      h('fieldset', {}, h('legend', {}, t('sections')), sections),
      h('fieldset', {}, h('legend', {}, t('rsvpSettings')),
        check('rsvp.enabled', t('f_rsvp_enabled'), page.rsvp?.enabled),
        check('rsvp.ask_meal', t('f_ask_meal'), page.rsvp?.ask_meal),
        text('rsvp.deadline', t('f_deadline'), localOf(page.rsvp?.deadline), {type: 'datetime-local'})),
      h('fieldset', {}, h('legend', {}, t('shareMeta')),
        text('share.title', t('f_share_title'), page.share?.title, {max: 60}),
        text('share.description', t('f_share_description'), page.share?.description, {multiline: true, rows: 2, max: 200})),
      h('fieldset', {}, h('legend', {}, `${t('theme')} · ${t('music')}`),
        field(t('theme'), theme), check('music.autoplay', t('f_autoplay'), page.music?.autoplay)),
      h('div', {class: 'form-actions'}, h('button', {type: 'submit', class: 'primary'}, t('save')), reload, status),
      error);
    replace(host, form, history);
  }

  async function loadHistory() {
    let result;
    try {
      result = await api(`/api/pages/${base.id}/history`);
    } catch {
      replace(history); // this server keeps no history
      return;
    }
    const fmt = new Intl.DateTimeFormat(lang, {dateStyle: 'short', timeStyle: 'short'});
    replace(history, h('h2', {}, t('history')), h('ul', {class: 'history'}, (result.items || []).map((item) =>
      h('li', {},
        h('span', {}, h('strong', {}, t('version', {v: item.version})), ' · ',
          item.by === 'agent' ? `${t('by_agent')}${item.agent ? ` (${item.agent})` : ''}` : t('by_user'), ' · ',
          (item.changed || []).join(', '), ' · ', item.at ? fmt.format(new Date(item.at)) : ''),
        item.version === base.version ? null : h('button', {type: 'button', class: 'small', 'aria-label': `${t('revert')} ${item.version}`, onclick: async () => {
          ctx.page = await api(`/api/pages/${base.id}/revert`, {method: 'POST', body: {version: item.version}});
          base = ctx.page;
          preview.refresh(item.changed || [], 'user');
          build();
          loadHistory();
        }}, t('revert'))))));
  }

  build();
  loadHistory();
  return host;
}
