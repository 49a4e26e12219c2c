// The admin console at /studio/admin, over the admin API: users (search, disable, role), pages
// (moderation), payments (filter, refund with a reason) and the service's counts. Anyone who is
// not an administrator sees a refusal; the server refuses them (403) in any case.
import {api, ApiError} from './api.js';
import {errorBox, showError} from './app.js';
import {announce, field, h, replace} from './dom.js';
import {addStrings, lang, t} from './i18n.js';

addStrings({
  adminTitle: ['관리자 콘솔', 'Admin console'],
  adminOnly: ['관리자만 볼 수 있는 화면이에요. 관리자 계정으로 로그인해 주세요.', 'This console is for administrators only. Log in with an administrator account.'],
  toStudio: ['스튜디오로', 'To the studio'],
  adminSections: ['관리 메뉴', 'Admin sections'],
  a_users: ['사용자', 'Users'],
  a_pages: ['청첩장', 'Pages'],
  a_payments: ['결제', 'Payments'],
  a_stats: ['통계', 'Stats'],
  search: ['검색 (이메일, 이름)', 'Search (email, name)'],
  find: ['찾기', 'Search'],
  role: ['역할', 'Role'],
  role_user: ['사용자', 'User'],
  role_admin: ['관리자', 'Admin'],
  state: ['상태', 'State'],
  active: ['사용 중', 'Active'],
  disabledState: ['정지됨', 'Disabled'],
  disable: ['정지', 'Disable'],
  enable: ['정지 해제', 'Enable'],
  joined: ['가입', 'Joined'],
  actions: ['작업', 'Actions'],
  more: ['더 보기', 'Load more'],
  none: ['없어요', 'Nothing here'],
  allStatuses: ['모든 상태', 'All statuses'],
  filter: ['거르기', 'Filter'],
  owner: ['소유자', 'Owner'],
  address: ['주소', 'Address'],
  unpublishPage: ['비공개 처리', 'Unpublish'],
  created: ['생성', 'Created'],
  order: ['주문', 'Order'],
  amount: ['금액', 'Amount'],
  refunded: ['환불', 'Refunded'],
  userId: ['사용자 ID', 'User ID'],
  refund: ['환불', 'Refund'],
  refundReason: ['환불 사유', 'Refund reason'],
  refundAmount: ['환불 금액 (비우면 전액)', 'Amount to refund (empty: all of it)'],
  confirmRefund: ['환불하기', 'Refund now'],
  close: ['닫기', 'Close'],
  sandboxBadge: ['샌드박스', 'Sandbox'],
  updated: ['바꿨어요', 'Updated'],
  a_plan: ['요금제', 'Plan'],
  s_users: ['사용자 수', 'Users'],
  s_pages: ['상태별 청첩장', 'Pages by status'],
  s_rsvps: ['참석 응답', 'RSVP answers'],
  s_revenue: ['일별 매출 (샌드박스 제외)', 'Revenue by day (sandbox excluded)'],
  day: ['날짜', 'Day'],
  o_pending: ['결제 대기', 'Pending'], o_paid: ['결제 완료', 'Paid'], o_failed: ['실패', 'Failed'],
  o_virtual_account_issued: ['가상계좌 발급', 'Virtual account issued'],
  o_cancelled: ['환불됨', 'Refunded'], o_partially_cancelled: ['부분 환불', 'Partially refunded'],
  err_admin_only: ['관리자만 할 수 있어요', 'Administrators only'],
  err_not_refundable: ['환불할 수 없는 주문이에요', 'This order cannot be refunded'],
  err_refund_too_large: ['남은 금액보다 많이 환불할 수 없어요', 'That is more than what remains refundable'],
  err_gateway_refused: ['결제 서비스가 요청을 거절했어요', 'The payment service refused the request'],
});

const SECTIONS = ['users', 'pages', 'payments', 'stats'];
const PAGE_STATUSES = ['draft', 'published', 'unpublished', 'archived'];
const ORDER_STATUSES = ['pending', 'virtual_account_issued', 'paid', 'failed', 'cancelled', 'partially_cancelled'];

function money(amount, currency = 'KRW') {
  return new Intl.NumberFormat(lang === 'en' ? 'en-US' : 'ko-KR', {style: 'currency', currency}).format(amount);
}

function when(iso) {
  return new Date(iso).toLocaleString(lang === 'en' ? 'en-US' : 'ko-KR', {dateStyle: 'medium', timeStyle: 'short'});
}

function refusal() {
  return h('div', {class: 'narrow'},
    h('h1', {}, t('adminTitle')),
    h('p', {class: 'error', role: 'alert'}, t('adminOnly')),
    h('a', {href: '/studio'}, t('toStudio')));
}

// A table fed page by page (cursor) with a "Load more" button.
function pagedTable(columns, load, row) {
  const body = h('tbody', {});
  const more = h('button', {type: 'button', hidden: true}, t('more'));
  const empty = h('p', {class: 'muted', hidden: true}, t('none'));
  let cursor = null;
  async function next(reset) {
    if (reset) {
      body.replaceChildren();
      cursor = null;
    }
    const result = await load(cursor);
    for (const item of result.items) body.append(row(item));
    cursor = result.next_cursor;
    more.hidden = !cursor;
    empty.hidden = body.children.length > 0;
  }
  more.addEventListener('click', () => next(false));
  const table = h('div', {class: 'table-scroll'},
    h('table', {}, h('thead', {}, h('tr', {}, columns.map((c) => h('th', {scope: 'col'}, c)))), body));
  return {view: h('div', {}, table, empty, more), reload: () => next(true)};
}

// A form above a table: submitting it reads the table again from its first page.
function filters(table, error, button, ...fields) {
  return h('form', {class: 'row wrap filters', onsubmit: (event) => {
    event.preventDefault();
    table.reload().catch((caught) => showError(error, caught));
  }}, fields, h('button', {type: 'submit'}, button));
}

function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) search.set(key, value);
  return search.toString();
}

function usersSection(error) {
  const search = h('input', {type: 'search', name: 'search', maxLength: 100});
  const table = pagedTable([t('email'), t('name'), t('role'), t('state'), t('joined'), t('actions')],
    (cursor) => api(`/api/admin/users?${query({limit: 20, cursor, search: search.value.trim()})}`),
    (user) => userRow(user, error));
  const form = filters(table, error, t('find'), field(t('search'), search));
  form.setAttribute('role', 'search');
  return {view: h('div', {}, form, table.view), load: table.reload};
}

function userRow(user, error) {
  const tr = h('tr', {});
  async function change(patch) {
    showError(error, null);
    try {
      tr.replaceWith(userRow(await api(`/api/admin/users/${user.id}`, {method: 'PATCH', body: patch}), error));
      announce(`${user.email}: ${t('updated')}`);
    } catch (caught) {
      showError(error, caught);
    }
  }
  const role = h('select', {'aria-label': `${t('role')} ${user.email}`, onchange: () => change({role: role.value})},
    ['user', 'admin'].map((r) => h('option', {value: r, selected: r === user.role}, t(`role_${r}`))));
  replace(tr,
    h('td', {}, user.email), h('td', {}, user.name), h('td', {}, role),
    h('td', {}, h('span', {class: `badge ${user.disabled ? 'off' : 'published'}`}, user.disabled ? t('disabledState') : t('active'))),
    h('td', {}, when(user.created_at)),
    h('td', {}, h('button', {type: 'button', class: user.disabled ? 'small' : 'small danger',
      'aria-label': `${user.disabled ? t('enable') : t('disable')} ${user.email}`,
      onclick: () => change({disabled: !user.disabled})}, user.disabled ? t('enable') : t('disable'))));
  return tr;
}

function statusFilter(name, statuses, label) {
  return h('select', {name}, h('option', {value: ''}, t('allStatuses')),
    statuses.map((s) => h('option', {value: s}, label(s))));
}

function pagesSection(error) {
  const status = statusFilter('status', PAGE_STATUSES, (s) => t(`status_${s}`));
  const table = pagedTable([t('address'), t('state'), t('a_plan'), t('owner'), t('created'), t('actions')],
    (cursor) => api(`/api/admin/pages?${query({limit: 20, cursor, status: status.value})}`),
    (page) => pageRow(page, error));
  const form = filters(table, error, t('filter'), field(t('state'), status));
  return {view: h('div', {}, form, table.view), load: table.reload};
}

function pageRow(page, error) {
  const tr = h('tr', {});
  const unpublish = h('button', {type: 'button', class: 'small danger', 'aria-label': `${t('unpublishPage')} ${page.slug}`, onclick: async () => {
    showError(error, null);
    try {
      tr.replaceWith(pageRow(await api(`/api/admin/pages/${page.id}/unpublish`, {method: 'POST'}), error));
      announce(`${page.slug}: ${t('status_unpublished')}`);
    } catch (caught) {
      showError(error, caught);
    }
  }}, t('unpublishPage'));
  replace(tr,
    h('td', {}, page.status === 'published' ? h('a', {href: `/i/${page.slug}`, target: '_blank', rel: 'noopener'}, page.slug) : page.slug),
    h('td', {}, h('span', {class: `badge ${page.status}`}, t(`status_${page.status}`))),
    h('td', {}, t(`plan_${page.plan}`)),
    h('td', {class: 'mono'}, page.owner_id),
    h('td', {}, when(page.created_at)),
    h('td', {}, page.status === 'published' ? unpublish : ''));
  return tr;
}

function paymentsSection(error) {
  const status = statusFilter('status', ORDER_STATUSES, (s) => t(`o_${s}`));
  const userId = h('input', {name: 'user_id', maxLength: 64});
  const table = pagedTable([t('created'), t('order'), t('amount'), t('state'), t('userId'), t('actions')],
    (cursor) => api(`/api/admin/payments?${query({limit: 20, cursor, status: status.value, user_id: userId.value.trim()})}`),
    (order) => orderRow(order, error));
  const form = filters(table, error, t('filter'), field(t('state'), status), field(t('userId'), userId));
  return {view: h('div', {}, form, table.view), load: table.reload};
}

function orderRow(order, error) {
  const tr = h('tr', {});
  const actions = h('td', {});
  const refundable = ['paid', 'partially_cancelled'].includes(order.status);
  function refundForm() {
    const reason = h('input', {name: 'reason', required: true, maxLength: 200});
    const amount = h('input', {name: 'amount', type: 'number', min: 1, max: order.amount - order.cancelled_amount, step: 1, inputMode: 'numeric'});
    const submit = h('button', {type: 'submit', class: 'small danger'}, t('confirmRefund'));
    const form = h('form', {class: 'refund', 'aria-label': `${t('refund')} ${order.order_name}`, onsubmit: async (event) => {
      event.preventDefault();
      submit.disabled = true;
      showError(error, null);
      try {
        const body = {reason: reason.value.trim()};
        if (amount.value) body.amount = Number(amount.value);
        tr.replaceWith(orderRow(await api(`/api/admin/payments/${order.id}/cancel`, {method: 'POST', body}), error));
        announce(`${order.order_name}: ${t('refunded')}`);
      } catch (caught) {
        showError(error, caught);
        submit.disabled = false;
      }
    }}, field(t('refundReason'), reason), field(t('refundAmount'), amount),
    h('div', {class: 'row'}, submit, h('button', {type: 'button', class: 'small ghost', onclick: () => replace(actions, open)}, t('close'))));
    replace(actions, form);
    reason.focus();
  }
  const open = h('button', {type: 'button', class: 'small', 'aria-label': `${t('refund')} ${order.order_name} ${order.id}`, onclick: refundForm}, t('refund'));
  replace(actions, refundable ? open : '');
  replace(tr,
    h('td', {}, when(order.created_at)),
    h('td', {}, order.order_name, order.sandbox ? [' ', h('span', {class: 'badge'}, t('sandboxBadge'))] : ''),
    h('td', {}, money(order.amount, order.currency), order.cancelled_amount ? h('small', {class: 'muted'}, ` (${t('refunded')} ${money(order.cancelled_amount, order.currency)})`) : ''),
    h('td', {}, h('span', {class: `badge order-${order.status}`}, t(`o_${order.status}`))),
    h('td', {class: 'mono'}, order.user_id),
    actions);
  return tr;
}

function statsSection() {
  const host = h('div', {class: 'stats'});
  async function load() {
    const stats = await api('/api/admin/stats');
    const top = Math.max(1, ...stats.revenue_by_day.map((d) => d.amount));
    replace(host,
      h('dl', {class: 'facts'},
        h('dt', {}, t('s_users')), h('dd', {}, String(stats.users)),
        h('dt', {}, t('s_rsvps')), h('dd', {}, String(stats.rsvps))),
      h('h2', {}, t('s_pages')),
      h('dl', {class: 'facts'}, Object.entries(stats.pages_by_status).map(([status, n]) => [h('dt', {}, t(`status_${status}`)), h('dd', {}, String(n))])),
      h('h2', {}, t('s_revenue')),
      stats.revenue_by_day.length
        ? h('table', {}, h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, t('day')), h('th', {scope: 'col'}, t('amount')), h('th', {scope: 'col'}, h('span', {class: 'visually-hidden'}, t('amount'))))),
          h('tbody', {}, stats.revenue_by_day.map((d) => h('tr', {},
            h('td', {}, d.day), h('td', {}, money(d.amount, stats.currency)),
            h('td', {'aria-hidden': 'true'}, h('span', {class: 'track'}, h('span', {class: 'fill', 'data-share': String(d.amount / top)})))))))
        : h('p', {class: 'muted'}, t('none')));
    for (const fill of host.querySelectorAll('.fill')) fill.style.width = `${Number(fill.dataset.share) * 100}%`;
  }
  return {view: host, load};
}

export async function adminView(path) {
  let me;
  try {
    me = await api('/api/auth/me');
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 403) return refusal();
    throw caught;
  }
  if (me.role !== 'admin') return refusal();
  const wanted = path.replace(/^\//, '').split('/')[0];
  const section = SECTIONS.includes(wanted) ? wanted : 'users';
  const error = errorBox();
  const made = {users: usersSection, pages: pagesSection, payments: paymentsSection, stats: statsSection}[section](error);
  const nav = h('nav', {'aria-label': t('adminSections'), class: 'admin-nav'},
    h('ul', {}, SECTIONS.map((name) => h('li', {}, h('a', {href: `#/${name}`, 'aria-current': name === section ? 'page' : null}, t(`a_${name}`))))));
  try {
    await made.load();
  } catch (caught) {
    if (caught instanceof ApiError && caught.status === 403) return refusal();
    showError(error, caught);
  }
  return h('div', {class: 'wide admin'},
    h('h1', {}, `${t('adminTitle')} · ${t(`a_${section}`)}`), nav, error, made.view);
}
