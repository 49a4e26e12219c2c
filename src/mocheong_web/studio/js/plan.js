// The page's plan: what premium unlocks, what the page uses of its limits, and buying premium.
// The server creates the order and fixes its amount; the browser passes exactly what it
// returned to PortOne's payment window (the SDK vendored from the npm registry, loaded only
// when this deployment pays through PortOne) or, in the embedded mode, to the sandbox
// checkout, then asks the server to complete the order, which checks the payment itself.
import {api, getPage} from './api.js';
import {errorBox, showError} from './app.js';
import {announce, h, replace} from './dom.js';
import {addStrings, lang, t} from './i18n.js';

addStrings({
  plan: ['요금제', 'Plan'],
  planNow: ['지금 요금제', 'Current plan'],
  usage: ['사용량', 'Usage'],
  photosUsed: ['사진 {n} / {max}장', 'Photos {n} / {max}'],
  musicUsed: ['배경 음악: {state}', 'Background music: {state}'],
  footerShown: ['모청 브랜딩 문구: {state}', 'Mocheong branding footer: {state}'],
  on: ['사용 중', 'on'],
  off: ['없음', 'none'],
  premiumOnly: ['프리미엄 전용', 'premium only'],
  shown: ['표시됨', 'shown'],
  hidden: ['표시 안 함', 'hidden'],
  unlocks: ['프리미엄으로 할 수 있는 것', 'What premium unlocks'],
  unlockPhotos: ['갤러리 사진 최대 {max}장 (무료는 {free}장)', 'Up to {max} gallery photos (free: {free})'],
  unlockMusic: ['배경 음악', 'Background music'],
  unlockAlbum: ['하객 사진 앨범 (하객이 보낸 사진을 확인 후 공개)', "Guests' photo album (photos from guests, shown once you approve them)"],
  unlockFooter: ['청첩장 아래 모청 브랜딩 문구 없음', 'No Mocheong branding footer on the invitation'],
  upgrade: ['프리미엄으로 업그레이드 · {price}', 'Upgrade to premium · {price}'],
  isPremium: ['이 청첩장은 프리미엄이에요.', 'This invitation is premium.'],
  sandboxMode: ['샌드박스 모드: 실제 결제는 일어나지 않아요.', 'Sandbox mode: no real payment is made.'],
  sandboxTitle: ['샌드박스 결제 (실제 결제 아님)', 'Sandbox checkout (no real money)'],
  sandboxBody: ['이 서버는 결제를 흉내 내는 샌드박스로 동작해요. 승인하면 돈이 오가지 않고 주문이 결제 완료로 처리돼요.', 'This server runs a sandbox gateway. Approving marks the order paid; no money changes hands.'],
  orderName: ['주문', 'Order'],
  amount: ['금액', 'Amount'],
  paymentId: ['결제 번호', 'Payment ID'],
  approveSandbox: ['승인 (샌드박스)', 'Approve (sandbox)'],
  cancelCheckout: ['결제 취소', 'Cancel payment'],
  paying: ['결제를 확인하는 중…', 'Checking the payment…'],
  paidOk: ['결제가 완료되어 프리미엄이 되었어요.', 'Payment complete: the invitation is now premium.'],
  paymentCancelled: ['결제를 취소했어요. 요금은 청구되지 않았어요.', 'Payment cancelled. You were not charged.'],
  paymentFailed: ['결제가 완료되지 않았어요: {message}', 'The payment did not go through: {message}'],
  orderLeft: ['주문 상태: {status}. 결제가 확인되면 프리미엄이 돼요.', 'Order status: {status}. The plan changes once the payment is confirmed.'],
  err_payment_amount_mismatch: ['결제 금액이 주문 금액과 달라 결제를 인정하지 않았어요. 고객센터에 문의해 주세요.', 'The amount paid is not the order\'s amount, so the payment was not accepted. Please contact support.'],
  err_payment_currency_mismatch: ['결제 통화가 주문과 달라 결제를 인정하지 않았어요.', 'The payment\'s currency is not the order\'s, so it was not accepted.'],
  err_payment_store_mismatch: ['다른 상점의 결제라 인정하지 않았어요.', 'The payment belongs to another store, so it was not accepted.'],
  err_payment_id_mismatch: ['이 주문의 결제가 아니에요.', 'This payment is not this order\'s.'],
  err_payment_not_found: ['결제를 찾을 수 없어요. 결제를 마친 뒤 다시 시도해 주세요.', 'The payment was not found. Finish paying, then try again.'],
  err_order_not_found: ['주문을 찾을 수 없어요.', 'The order was not found.'],
  err_gateway_unavailable: ['결제 서비스에 연결할 수 없어요. 잠시 후 다시 시도해 주세요.', 'The payment service cannot be reached. Please try again shortly.'],
});

let config = null;

function won(amount, currency = 'KRW') {
  return new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'ko-KR', {style: 'currency', currency}).format(amount);
}

// Where PortOne sends the buyer back when its window replaced the page (mobile browsers): it
// adds paymentId, and code and message when the payment failed.
function returnUrl(order, pageId) {
  const url = new URL('/studio', location.origin);
  url.searchParams.set('checkout', order.order_id);
  url.searchParams.set('page', pageId);
  if (lang === 'en') url.searchParams.set('lang', 'en');
  return url.href;
}

async function requestPortOne(order, pageId) {
  const PortOne = await import('../vendor/portone/v2.js');
  return PortOne.requestPayment({
    storeId: order.store_id,
    channelKey: order.channel_key,
    paymentId: order.payment_id,
    orderName: order.order_name,
    totalAmount: order.amount,
    currency: order.currency,
    payMethod: 'CARD',
    redirectUrl: returnUrl(order, pageId),
  });
}

function failure(code, message) {
  const error = new Error(code === 'cancelled' ? t('paymentCancelled') : t('paymentFailed', {message: message || code}));
  error.code = code;
  return error;
}

export async function planPanel(ctx) {
  config ||= await fetch('/studio/config.json').then((r) => r.json(), () => ({}));
  const products = await api('/api/payments/products');
  const premium = products.find((p) => p.code === 'premium') || products[0];
  const host = h('div', {class: 'plan'});
  const error = errorBox();
  const status = h('p', {class: 'plan-status', role: 'status'});
  const checkoutHost = h('div', {});
  const sandbox = config.payments !== 'portone';

  async function complete(orderId, paymentId) {
    status.textContent = t('paying');
    const order = await api(`/api/payments/orders/${orderId}/complete`, {method: 'POST', body: {payment_id: paymentId}});
    ctx.page = await getPage(ctx.page.id);
    status.textContent = order.status === 'paid' ? t('paidOk') : t('orderLeft', {status: order.status});
    announce(status.textContent);
  }

  function sandboxCheckout(order) {
    return new Promise((resolve, reject) => {
      const heading = h('h3', {id: 'sandbox-title', tabIndex: -1}, t('sandboxTitle'));
      const close = () => replace(checkoutHost);
      replace(checkoutHost, h('section', {class: 'card sandbox-checkout', 'aria-labelledby': 'sandbox-title'},
        heading,
        h('p', {}, t('sandboxBody')),
        h('dl', {class: 'facts'},
          h('dt', {}, t('orderName')), h('dd', {}, order.order_name),
          h('dt', {}, t('amount')), h('dd', {}, won(order.amount, order.currency)),
          h('dt', {}, t('paymentId')), h('dd', {class: 'mono'}, order.payment_id)),
        h('div', {class: 'row wrap'},
          h('button', {type: 'button', class: 'primary', onclick: () => {
            close();
            resolve();
          }}, t('approveSandbox')),
          h('button', {type: 'button', onclick: () => {
            close();
            reject(failure('cancelled'));
          }}, t('cancelCheckout')))));
      heading.focus();
    });
  }

  async function upgrade(button) {
    showError(error, null);
    status.textContent = '';
    button.disabled = true;
    try {
      const order = await api('/api/payments/orders', {method: 'POST', body: {product_code: premium.code, page_id: ctx.page.id}});
      if (order.sandbox) {
        await sandboxCheckout(order);
      } else {
        const response = await requestPortOne(order, ctx.page.id);
        if (!response) return; // the window replaced the page; the return address finishes
        if (response.code !== undefined) throw failure(response.code, response.pgMessage || response.message);
      }
      await complete(order.order_id, order.payment_id);
    } catch (caught) {
      status.textContent = '';
      showError(error, caught);
    } finally {
      button.disabled = false;
    }
  }

  function render() {
    const page = ctx.page;
    const isPremium = page.plan === 'premium';
    const free = config.gallery_free_max ?? 12;
    const max = config.gallery_max ?? 30;
    const parts = [
      h('h2', {}, t('plan')),
      h('p', {}, `${t('planNow')}: `, h('span', {class: `badge plan-${page.plan}`, id: 'plan-badge'}, t(`plan_${page.plan}`))),
      h('h3', {}, t('usage')),
      h('ul', {class: 'usage'},
        h('li', {}, t('photosUsed', {n: (page.gallery || []).length, max: isPremium ? max : free})),
        h('li', {}, t('musicUsed', {state: page.music?.file_id ? t('on') : isPremium ? t('off') : t('premiumOnly')})),
        h('li', {}, t('footerShown', {state: isPremium ? t('hidden') : t('shown')}))),
      h('h3', {}, t('unlocks')),
      h('ul', {class: 'unlocks'},
        h('li', {}, t('unlockPhotos', {max, free})),
        h('li', {}, t('unlockMusic')),
        h('li', {}, t('unlockAlbum')),
        h('li', {}, t('unlockFooter'))),
    ];
    if (isPremium) parts.push(h('p', {class: 'ok'}, t('isPremium')));
    else if (premium) {
      if (sandbox) parts.push(h('p', {class: 'sandbox-note'}, t('sandboxMode')));
      const button = h('button', {type: 'button', class: 'primary', onclick: () => upgrade(button)},
        t('upgrade', {price: won(premium.amount, premium.currency)}));
      parts.push(h('div', {class: 'row wrap'}, button));
    }
    replace(host, parts, checkoutHost, status, error);
  }

  // Back from PortOne's window when it replaced the page (?checkout=&page=&paymentId=[&code=]).
  const back = new URLSearchParams(location.search);
  if (back.get('checkout') && back.get('page') === ctx.page.id) {
    history.replaceState(null, '', `${location.pathname}${lang === 'en' ? '?lang=en' : ''}${location.hash}`);
    const finish = back.get('code')
      ? Promise.reject(failure(back.get('code'), back.get('message')))
      : complete(back.get('checkout'), back.get('paymentId'));
    finish.catch((caught) => showError(error, caught));
  }
  ctx.listeners.add(() => render());
  render();
  return host;
}
