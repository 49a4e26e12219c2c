// The guests' photo album (premium): the switch that opens it on the guests' page, then the
// photos guests sent, waiting ones with approve and remove, approved ones with remove. Each
// decision is one POST; approve and remove may be repeated safely.
import {api} from './api.js';
import {errorBox, showError} from './app.js';
import {announce, h, replace} from './dom.js';
import {addStrings, t} from './i18n.js';

addStrings({
  album: ['하객 사진 앨범', "Guests' photo album"],
  albumOn: ['하객이 사진을 보낼 수 있게 하기', 'Let guests send photos'],
  albumHint: ['하객이 보낸 사진은 확인 후 승인한 것만 청첩장에 보여요.', 'Photos guests send show on the invitation only once you approve them.'],
  albumPremium: ['하객 사진 앨범은 프리미엄 기능이에요. 요금제 탭에서 업그레이드하면 켤 수 있어요.', "The guests' photo album is a premium feature: upgrade in the Plan tab to turn it on."],
  albumPending: ['확인을 기다리는 사진 · {n}', 'Waiting for you · {n}'],
  albumApproved: ['앨범에 공개된 사진 · {n}', 'Shown in the album · {n}'],
  albumNone: ['아직 없어요.', 'None yet.'],
  approve: ['승인', 'Approve'],
  removePhoto: ['삭제', 'Remove'],
  photoFrom: ['{name}님이 보낸 사진', 'Photo from {name}'],
  photoAnon: ['하객이 보낸 사진', 'Photo from a guest'],
  albumApprovedNote: ['사진을 승인했어요.', 'Photo approved.'],
  albumRemovedNote: ['사진을 삭제했어요.', 'Photo removed.'],
});

export function albumSection(ctx) {
  const host = h('section', {class: 'album', 'aria-labelledby': 'album-title'});
  const error = errorBox();

  function photoItem(photo, actions) {
    const label = photo.guest_name ? t('photoFrom', {name: photo.guest_name}) : t('photoAnon');
    return h('li', {class: 'photo', 'data-photo-id': photo.id},
      h('img', {src: photo.thumbnail || '', alt: label, width: 120, height: 120, loading: 'lazy'}),
      h('div', {class: 'row wrap'}, actions.map(([action, text, cls]) => h('button', {
        type: 'button', class: `small ${cls}`, 'aria-label': `${text}: ${label}`,
        onclick: () => decide(photo.id, action),
      }, text))));
  }

  async function decide(photoId, action) {
    showError(error, null);
    try {
      await api(`/api/pages/${ctx.page.id}/photos/${photoId}/${action}`, {method: 'POST'});
      announce(t(action === 'approve' ? 'albumApprovedNote' : 'albumRemovedNote'));
    } catch (caught) {
      showError(error, caught);
    }
    await render();
  }

  async function toggle(box) {
    showError(error, null);
    try {
      await ctx.reload();
      await ctx.patch({guest_photos: {enabled: box.checked}});
    } catch (caught) {
      box.checked = !box.checked;
      showError(error, caught);
    }
  }

  async function render() {
    const page = ctx.page;
    const premium = page.plan === 'premium';
    const on = Boolean(page.guest_photos?.enabled);
    const box = h('input', {type: 'checkbox', id: 'album-enabled', checked: on, disabled: !premium && !on,
      'aria-describedby': 'album-hint', onchange: () => toggle(box)});
    const [pending, approved] = await Promise.all(['pending', 'approved'].map((state) =>
      api(`/api/pages/${page.id}/photos?state=${state}&limit=100`)));
    const list = (items, actions) => items.length
      ? h('ul', {class: 'gallery'}, items.map((p) => photoItem(p, actions)))
      : h('p', {class: 'muted'}, t('albumNone'));
    replace(host,
      h('h2', {id: 'album-title'}, t('album')),
      h('div', {class: 'field check'}, box, h('label', {for: 'album-enabled'}, t('albumOn'))),
      h('p', {id: 'album-hint', class: 'hint'}, premium ? t('albumHint') : t('albumPremium')),
      error,
      h('h3', {}, t('albumPending', {n: pending.items.length})),
      list(pending.items, [['approve', t('approve'), 'primary'], ['remove', t('removePhoto'), 'danger']]),
      h('h3', {}, t('albumApproved', {n: approved.items.length})),
      list(approved.items, [['remove', t('removePhoto'), 'danger']]));
  }

  render().catch((caught) => {
    showError(error, caught);
    host.append(error);
  });
  return host;
}
