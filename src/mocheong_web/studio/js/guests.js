// Guests and answers: the guest list with personal links, the RSVP summary as bars, the
// answers, the CSV export, guestbook moderation and the guests' photo album.
import {albumSection} from './album.js';
import {api} from './api.js';
import {errorBox, showError} from './app.js';
import {field, h, replace} from './dom.js';
import {t} from './i18n.js';

function bars(rows) {
  const top = Math.max(1, ...rows.map(([, n]) => n));
  return h('div', {class: 'bars'}, rows.map(([label, n]) => h('div', {class: 'bar'},
    h('span', {}, label),
    h('span', {class: 'track', 'aria-hidden': 'true'}, h('span', {class: 'fill', 'data-share': String(n / top)})),
    h('span', {}, String(n)))));
}

export async function guestsPanel(ctx) {
  const host = h('div', {class: 'guests'});
  const error = errorBox();
  const page = ctx.page;

  async function render() {
    const [guests, summary, answers, book] = await Promise.all([
      api(`/api/pages/${page.id}/guests?limit=100`),
      api(`/api/pages/${page.id}/rsvps/summary`),
      api(`/api/pages/${page.id}/rsvps?limit=100`),
      api(`/api/pages/${ctx.page.id}/guestbook?limit=50`).catch(() => ({items: []})),
    ]);
    const name = h('input', {name: 'guest-name', maxLength: 30, required: true});
    const side = h('select', {name: 'guest-side'}, ['groom', 'bride'].map((s) => h('option', {value: s}, t(`side_${s}`))));
    const add = h('form', {class: 'row wrap', onsubmit: async (event) => {
      event.preventDefault();
      try {
        await api(`/api/pages/${page.id}/guests`, {method: 'POST', body: {name: name.value, side: side.value}});
        await render();
      } catch (caught) {
        showError(error, caught);
      }
    }}, field(t('f_name'), name), field(t('f_side'), side), h('button', {type: 'submit'}, t('addGuest')));
    const sides = ['groom', 'bride'];
    const meals = {};
    for (const s of sides) for (const [k, n] of Object.entries(summary.by_side?.[s]?.meals || {})) meals[k] = (meals[k] || 0) + n;
    const chart = h('div', {class: 'card'},
      h('h3', {}, `${t('attending')} (${t('headcount')})`),
      bars(sides.map((s) => [t(`side_${s}`), summary.by_side?.[s]?.headcount || 0])),
      h('h3', {}, t('meals')),
      bars(Object.entries(meals).map(([k, n]) => [t(`meal_${k}`), n])));
    const csv = h('button', {type: 'button', onclick: async () => {
      const response = await api(`/api/pages/${page.id}/rsvps.csv`, {raw: true});
      const link = h('a', {href: URL.createObjectURL(await response.blob()), download: `rsvps-${page.slug}.csv`});
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 1000);
    }}, t('exportCsv'));
    replace(host,
      h('h2', {}, t('guests')), add, error,
      guests.items.length ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, t('f_name')), h('th', {}, t('f_side')), h('th', {}, t('personalLink')))),
        h('tbody', {}, guests.items.map((g) => h('tr', {}, h('td', {}, g.name), h('td', {}, t(`side_${g.side}`)),
          h('td', {}, h('a', {href: g.link, target: '_blank', rel: 'noopener'}, t('personalLink'))))))) : h('p', {class: 'muted'}, t('noGuests')),
      h('h2', {}, `${t('rsvps')} · ${summary.total?.responses ?? 0}`), chart, csv,
      h('table', {}, h('tbody', {}, answers.items.map((a) => h('tr', {}, h('td', {}, a.name), h('td', {}, t(`side_${a.side}`)),
        h('td', {}, a.attending ? `${t('attending')} ${a.party_size}` : t('declined')), h('td', {}, a.note || ''))))),
      h('h2', {}, t('guestbook')),
      book.items.length ? h('ul', {class: 'history'}, book.items.map((entry) => h('li', {},
        h('span', {}, h('strong', {}, entry.name), ' ', entry.message),
        h('button', {type: 'button', class: 'small danger', 'aria-label': `${t('delete')} ${entry.name}`, onclick: async () => {
          await api(`/api/public/pages/${page.slug}/guestbook/${entry.id}`, {method: 'DELETE'});
          await render();
        }}, t('delete'))))) : h('p', {class: 'muted'}, t('noEntries')));
    for (const fill of host.querySelectorAll('.fill')) fill.style.width = `${Number(fill.dataset.share) * 100}%`;
  }
  await render().catch((caught) => showError(error, caught));
  if (!host.children.length) host.append(error);
  return h('div', {}, host, albumSection(ctx));
}
