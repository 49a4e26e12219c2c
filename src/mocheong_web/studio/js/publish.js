// Publish and share: what is missing, the public link with copy, a QR code drawn by the
// server, KakaoTalk sharing when this deployment has a Kakao JavaScript key, unpublish.
import {api} from './api.js';
import {errorBox, showError} from './app.js';
import {h, replace} from './dom.js';
import {t} from './i18n.js';
import {fieldName} from './workspace.js';

let config = null;
let kakaoReady = null;

function loadKakao(key) {
  kakaoReady ||= new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = 'https://t1.kakaocdn.net/kakao_js_sdk/2.7.4/kakao.min.js';
    script.crossOrigin = 'anonymous';
    script.addEventListener('load', () => {
      if (!window.Kakao.isInitialized()) window.Kakao.init(key);
      resolve(window.Kakao);
    });
    script.addEventListener('error', reject);
    document.head.append(script);
  });
  return kakaoReady;
}

export async function publishPanel(ctx) {
  config ||= await fetch('/studio/config.json').then((r) => r.json(), () => ({}));
  const body = h('div', {class: 'publish'});
  const error = errorBox();
  let qrUrl = null;

  async function act(path) {
    showError(error, null);
    try {
      ctx.page = await api(`/api/pages/${ctx.page.id}/${path}`, {method: 'POST'});
      render();
    } catch (caught) {
      if (caught.code === 'validation_error' && caught.errors.length) {
        render(caught.errors.map((e) => e.field));
      } else showError(error, caught);
    }
  }

  function render(missing = []) {
    const page = ctx.page;
    const published = page.status === 'published';
    const link = `${location.origin}/i/${page.slug}`;
    const parts = [h('h2', {}, t('tab_publish')), h('p', {class: `badge ${page.status}`}, t(`status_${page.status}`))];
    if (missing.length) {
      parts.push(h('div', {class: 'card missing', role: 'alert'}, h('p', {}, t('missing')),
        h('ul', {}, missing.map((field) => h('li', {}, fieldName(field))))));
    }
    if (published) {
      const copy = h('button', {type: 'button', onclick: async () => {
        await navigator.clipboard.writeText(link);
        copy.textContent = t('copied');
      }}, t('copy'));
      const qr = h('img', {alt: t('qr'), class: 'qr', width: 200, height: 200});
      api(`/api/pages/${page.id}/qr.svg`, {raw: true}).then(async (response) => {
        if (qrUrl) URL.revokeObjectURL(qrUrl);
        qrUrl = URL.createObjectURL(await response.blob());
        qr.src = qrUrl;
      }, () => null);
      parts.push(
        h('p', {}, t('publishedOk')),
        h('label', {for: 'public-link'}, t('publicLink')),
        h('input', {id: 'public-link', type: 'url', readOnly: true, value: link}),
        h('div', {class: 'row wrap'}, copy,
          h('a', {class: 'button primary', href: `/i/${page.slug}`, target: '_blank', rel: 'noopener'}, t('openPublic'))),
        qr);
      if (config.kakao_js_key) {
        parts.push(h('button', {type: 'button', class: 'kakao', onclick: async () => {
          const Kakao = await loadKakao(config.kakao_js_key);
          Kakao.Share.sendScrap({requestUrl: link});
        }}, t('kakaoShare')));
      }
      parts.push(h('button', {type: 'button', class: 'ghost', onclick: () => act('unpublish')}, t('unpublish')));
    } else {
      parts.push(h('p', {}, t('notPublished')),
        h('button', {type: 'button', class: 'primary', onclick: () => act('publish')}, t('publish')));
    }
    replace(body, parts, error);
  }
  ctx.listeners.add(() => render());
  render();
  return body;
}
