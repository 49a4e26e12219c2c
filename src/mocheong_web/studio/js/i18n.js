// Korean by default; English with ?lang=en (kept for the session) or when the browser prefers
// English over Korean. Every visible string and accessible name goes through t().
const STRINGS = {
  skip: ['본문으로 건너뛰기', 'Skip to content'],
  loading: ['불러오는 중…', 'Loading…'],
  account: ['계정', 'Account'],
  title: ['모청 스튜디오', 'Mocheong studio'],
  tagline: ['대화로 만드는 모바일 청첩장', 'Your mobile wedding invitation, built by chatting'],
  email: ['이메일', 'Email'],
  password: ['비밀번호', 'Password'],
  name: ['이름', 'Name'],
  signup: ['회원가입', 'Sign up'],
  login: ['로그인', 'Log in'],
  logout: ['로그아웃', 'Log out'],
  haveAccount: ['이미 계정이 있나요?', 'Already have an account?'],
  noAccount: ['처음이신가요?', 'New here?'],
  passwordHint: ['8자 이상', 'At least 8 characters'],
  myInvitations: ['내 청첩장', 'My invitations'],
  newInvitation: ['새 청첩장', 'New invitation'],
  open: ['열기', 'Open'],
  delete: ['삭제', 'Delete'],
  confirmDelete: ['이 청첩장을 삭제할까요? 되돌릴 수 없어요.', 'Delete this invitation? This cannot be undone.'],
  noInvitations: ['아직 청첩장이 없어요. 새 청첩장을 만들어 보세요.', 'No invitations yet. Create your first one.'],
  untitled: ['이름 없는 청첩장', 'Untitled invitation'],
  status_draft: ['작성 중', 'Draft'],
  status_published: ['공개됨', 'Published'],
  status_unpublished: ['비공개', 'Unpublished'],
  status_archived: ['보관됨', 'Archived'],
  plan_free: ['무료', 'Free'],
  plan_premium: ['프리미엄', 'Premium'],
  rsvpCount: ['참석 응답 {n}', '{n} RSVPs'],
  back: ['내 청첩장', 'My invitations'],
  tabs: ['청첩장 작업', 'Invitation workspace'],
  tab_chat: ['대화', 'Chat'],
  tab_preview: ['미리보기', 'Preview'],
  tab_edit: ['직접 편집', 'Edit'],
  tab_photos: ['사진', 'Photos'],
  tab_publish: ['공개·공유', 'Publish'],
  tab_guests: ['하객', 'Guests'],
  tab_plan: ['요금제', 'Plan'],
  chatLog: ['대화 내용', 'Conversation'],
  message: ['메시지', 'Message'],
  messagePlaceholder: ['예: 신랑 김민준, 신부 이서연이에요', 'e.g. We are Minjun and Seoyeon'],
  send: ['보내기', 'Send'],
  cancel: ['생성 멈추기', 'Stop'],
  you: ['나', 'You'],
  assistant: ['모청', 'Mocheong'],
  msg_failed: ['답변을 만들지 못했어요. 다시 보내 주세요.', 'The reply failed. Please send again.'],
  msg_cancelled: ['멈춤', 'Stopped'],
  reconnecting: ['연결이 끊겨 다시 연결하는 중…', 'Connection lost, reconnecting…'],
  connected: ['연결됨', 'Connected'],
  chatHello: ['안녕하세요! 두 분의 이름, 예식 날짜와 시간, 예식장을 알려 주시면 청첩장을 채워 드릴게요.', 'Hello! Tell me your names, the wedding date and time and the venue, and I will fill in your invitation.'],
  mapLinks: ['지도에서 보기', 'Open in maps'],
  checklist: ['공개하려면 아직 필요해요', 'Still needed to publish'],
  suggestions: ['인사말 제안', 'Greeting suggestions'],
  apply: ['적용', 'Apply'],
  applied: ['적용했어요', 'Applied'],
  previewTitle: ['청첩장 미리보기', 'Invitation preview'],
  previewEmpty: ['미리보기를 불러오는 중…', 'Loading the preview…'],
  updatedBy_agent: ['에이전트가 {f}을(를) 바꿨어요', 'The assistant changed {f}'],
  updatedBy_user: ['{f}이(가) 바뀌었어요', '{f} changed'],
  save: ['저장', 'Save'],
  saved: ['저장했어요', 'Saved'],
  conflict: ['그사이 다른 곳(대화 등)에서 청첩장이 바뀌었어요. 최신 내용을 불러온 뒤 다시 저장해 주세요.', 'The invitation changed elsewhere (in the chat, perhaps) since you opened this form. Load the latest version, then save again.'],
  reload: ['최신 내용 불러오기', 'Load latest'],
  groom: ['신랑', 'Groom'],
  bride: ['신부', 'Bride'],
  f_name: ['이름', 'Name'],
  f_title: ['관계(장남·차녀 등)', 'Birth order title'],
  f_phone: ['전화번호', 'Phone'],
  f_father: ['아버지 성함', "Father's name"],
  f_mother: ['어머니 성함', "Mother's name"],
  ceremony: ['예식', 'Ceremony'],
  f_starts_at: ['날짜와 시간', 'Date and time'],
  f_time_zone: ['시간대', 'Time zone'],
  venue: ['예식장', 'Venue'],
  f_venue_name: ['예식장 이름', 'Venue name'],
  f_hall: ['홀', 'Hall'],
  f_address: ['주소', 'Address'],
  f_subway: ['지하철', 'Subway'],
  f_bus: ['버스', 'Bus'],
  f_car: ['자가용', 'Car'],
  f_parking: ['주차', 'Parking'],
  greeting: ['인사말', 'Greeting'],
  gifts: ['마음 전하실 곳', 'Gift accounts'],
  f_relation: ['관계', 'Relation'],
  f_bank: ['은행', 'Bank'],
  f_holder: ['예금주', 'Holder'],
  f_number: ['계좌번호', 'Account number'],
  addAccount: ['계좌 추가', 'Add account'],
  remove: ['빼기', 'Remove'],
  rel_groom: ['신랑', 'Groom'], rel_bride: ['신부', 'Bride'],
  rel_groom_father: ['신랑 아버지', "Groom's father"], rel_groom_mother: ['신랑 어머니', "Groom's mother"],
  rel_bride_father: ['신부 아버지', "Bride's father"], rel_bride_mother: ['신부 어머니', "Bride's mother"],
  sections: ['순서와 표시', 'Sections order and visibility'],
  moveUp: ['위로', 'Move up'],
  moveDown: ['아래로', 'Move down'],
  visible: ['표시', 'Visible'],
  sec_cover: ['표지', 'Cover'], sec_greeting: ['인사말', 'Greeting'], sec_couple: ['신랑·신부', 'Couple'],
  sec_calendar: ['달력', 'Calendar'], sec_gallery: ['갤러리', 'Gallery'], sec_venue: ['오시는 길', 'Venue'],
  sec_gift_accounts: ['마음 전하실 곳', 'Gift accounts'], sec_rsvp: ['참석 여부', 'RSVP'], sec_guestbook: ['방명록', 'Guestbook'],
  sec_ceremony: ['예식 일시', 'Date and time'], sec_cover_file_id: ['표지 사진', 'Cover photo'], sec_sections: ['순서와 표시', 'Sections'],
  sec_theme: ['테마', 'Theme'], sec_music: ['배경 음악', 'Music'], sec_share: ['공유 미리보기', 'Share preview'],
  rsvpSettings: ['참석 여부 받기', 'RSVP settings'],
  f_rsvp_enabled: ['참석 여부 받기', 'Accept RSVPs'],
  f_deadline: ['마감', 'Deadline'],
  f_ask_meal: ['식사 여부 묻기', 'Ask about meals'],
  shareMeta: ['공유 미리보기', 'Share preview'],
  f_share_title: ['공유 제목', 'Share title'],
  f_share_description: ['공유 설명', 'Share description'],
  theme: ['테마', 'Theme'],
  music: ['배경 음악', 'Music'],
  f_autoplay: ['자동 재생', 'Autoplay'],
  f_music_file: ['음악 파일', 'Music file'],
  noMusic: ['없음', 'None'],
  history: ['변경 기록', 'History'],
  revert: ['이 버전으로 되돌리기', 'Revert to this version'],
  by_user: ['직접 수정', 'You'],
  by_agent: ['에이전트', 'Assistant'],
  version: ['버전 {v}', 'Version {v}'],
  photos: ['사진', 'Photos'],
  choosePhotos: ['사진 선택 (여러 장 가능)', 'Choose photos (several at once)'],
  dropHere: ['여기에 사진을 끌어다 놓아도 돼요', 'or drop photos here'],
  uploading: ['올리는 중', 'Uploading'],
  uploaded: ['올렸어요', 'Uploaded'],
  badType: ['이미지 파일(JPEG, PNG, WebP, GIF, HEIC)만 올릴 수 있어요', 'Only images (JPEG, PNG, WebP, GIF, HEIC) can be uploaded'],
  gallery: ['갤러리', 'Gallery'],
  galleryHint: ['끌어서 순서를 바꿀 수 있어요', 'Drag to reorder'],
  cover: ['표지', 'Cover'],
  makeCover: ['표지로', 'Make cover'],
  isCover: ['표지 사진', 'Cover photo'],
  photoN: ['사진 {n}', 'Photo {n}'],
  noPhotos: ['아직 사진이 없어요', 'No photos yet'],
  publish: ['공개하기', 'Publish'],
  unpublish: ['비공개로 돌리기', 'Unpublish'],
  missing: ['공개하려면 다음이 필요해요', 'Publishing needs'],
  publishedOk: ['청첩장이 공개되었어요', 'Your invitation is published'],
  notPublished: ['아직 공개 전이에요. 공개하면 하객에게 보낼 주소가 생겨요.', 'Not published yet. Publishing gives you a link for your guests.'],
  publicLink: ['청첩장 주소', 'Public link'],
  copy: ['주소 복사', 'Copy link'],
  copied: ['복사했어요', 'Copied'],
  openPublic: ['청첩장 열기', 'Open public page'],
  qr: ['청첩장 QR 코드', 'QR code of the invitation'],
  kakaoShare: ['카카오톡으로 공유', 'Share on KakaoTalk'],
  guests: ['하객 명단', 'Guest list'],
  addGuest: ['하객 추가', 'Add guest'],
  f_side: ['구분', 'Side'],
  side_groom: ['신랑측', "Groom's side"], side_bride: ['신부측', "Bride's side"],
  personalLink: ['개인 링크', 'Personal link'],
  noGuests: ['아직 하객이 없어요', 'No guests yet'],
  rsvps: ['참석 응답', 'RSVP answers'],
  attending: ['참석', 'Attending'],
  declined: ['불참', 'Declined'],
  headcount: ['인원', 'Headcount'],
  meals: ['식사', 'Meals'],
  meal_yes: ['식사함', 'Eating'], meal_no: ['식사 안 함', 'Not eating'], meal_unspecified: ['응답 없음', 'Not answered'], meal_undecided: ['미정', 'Undecided'],
  exportCsv: ['CSV 내려받기', 'Download CSV'],
  guestbook: ['방명록', 'Guestbook'],
  noEntries: ['아직 방명록이 없어요', 'No entries yet'],
  err_network: ['서버에 연결할 수 없어요. 잠시 후 다시 시도해 주세요.', 'Cannot reach the server. Please try again.'],
  err_invalid_credentials: ['이메일 또는 비밀번호가 맞지 않아요', 'Wrong email or password'],
  err_email_taken: ['이미 가입된 이메일이에요', 'This email is already registered'],
  err_rate_limited: ['요청이 너무 많아요. 잠시 후 다시 시도해 주세요.', 'Too many requests. Please wait a moment.'],
  err_file_too_large: ['파일이 너무 커요', 'The file is too large'],
  err_unsupported_media_type: ['지원하지 않는 파일 형식이에요', 'This file type is not supported'],
  err_image_too_large: ['이미지의 픽셀 수가 너무 많아요', 'The image has too many pixels'],
  err_session: ['로그인이 만료되었어요. 다시 로그인해 주세요.', 'Your session ended. Please log in again.'],
  lang: ['English', '한국어'],
};

function pick() {
  const asked = new URLSearchParams(location.search).get('lang');
  if (asked === 'en' || asked === 'ko') {
    sessionStorage.setItem('mocheong.lang', asked);
    return asked;
  }
  const kept = sessionStorage.getItem('mocheong.lang');
  if (kept) return kept;
  for (const tag of navigator.languages || [navigator.language]) {
    const base = String(tag).slice(0, 2).toLowerCase();
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'ko';
}

export const lang = pick();
const index = lang === 'en' ? 1 : 0;

export function t(key, vars = {}) {
  const entry = STRINGS[key];
  const text = entry ? entry[index] : key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ''));
}

export function has(key) {
  return key in STRINGS;
}

// A screen's own strings (the plan, the admin console), in the same [Korean, English] form.
export function addStrings(more) {
  Object.assign(STRINGS, more);
}

export function otherLanguageHref() {
  const url = new URL(location.href);
  url.searchParams.set('lang', lang === 'en' ? 'ko' : 'en');
  return url.pathname + url.search + url.hash;
}
