// The public API as the studio uses it. The access token lives in memory only; the refresh
// token is kept in localStorage so a reload keeps the couple signed in, and is replaced by
// each refresh (the server spends the old one: a reused one revokes the whole family).
const REFRESH_KEY = 'mocheong.refresh';

let access = null;
let refreshing = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.code = problem.code || (status === 0 ? 'network' : 'error');
    this.errors = problem.errors || [];
    this.problem = problem;
  }
}

// Calls `listener(signedIn)` whenever the tokens change; returns what stops it.
export function onSessionChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function keep(pair) {
  access = pair ? pair.access_token : null;
  if (pair) localStorage.setItem(REFRESH_KEY, pair.refresh_token);
  else localStorage.removeItem(REFRESH_KEY);
  for (const listener of listeners) listener(Boolean(pair));
}

export function signedIn() {
  return access !== null;
}

export function accessToken() {
  return access;
}

async function send(path, {method = 'GET', body, headers = {}, auth = true} = {}) {
  const init = {method, headers: {...headers}};
  if (body instanceof FormData) init.body = body;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['Content-Type'] = 'application/json';
  }
  if (auth && access) init.headers.Authorization = `Bearer ${access}`;
  try {
    return await fetch(path, init);
  } catch {
    throw new ApiError(0, {code: 'network'});
  }
}

async function problemOf(response) {
  try {
    return await response.json();
  } catch {
    return {title: response.statusText};
  }
}

// One refresh at a time: concurrent 401s wait for the same new pair.
export function refresh() {
  refreshing ||= (async () => {
    const token = localStorage.getItem(REFRESH_KEY);
    if (!token) return false;
    const response = await send('/api/auth/refresh', {method: 'POST', body: {refresh_token: token}, auth: false});
    if (!response.ok) {
      if (response.status === 401) keep(null);
      return false;
    }
    keep(await response.json());
    return true;
  })().finally(() => {
    refreshing = null;
  });
  return refreshing;
}

// Sends a request; a 401 refreshes the access token once and tries again. Returns the
// Response (for headers) when raw is set, otherwise the decoded JSON (null for 204).
export async function api(path, options = {}) {
  let response = await send(path, options);
  if (response.status === 401 && options.auth !== false && (await refresh())) {
    response = await send(path, options);
  }
  if (!response.ok) throw new ApiError(response.status, await problemOf(response));
  if (options.raw) return response;
  if (response.status === 204) return null;
  return response.json();
}

export async function register(email, password, name) {
  keep(await api('/api/auth/register', {method: 'POST', body: {email, password, name}, auth: false}));
}

export async function login(email, password) {
  keep(await api('/api/auth/login', {method: 'POST', body: {email, password}, auth: false}));
}

export async function logout() {
  const token = localStorage.getItem(REFRESH_KEY);
  if (token && access) {
    await api('/api/auth/logout', {method: 'POST', body: {refresh_token: token}}).catch(() => null);
  }
  keep(null);
}

// A page read with its ETag, for changes guarded by If-Match.
export async function getPage(id) {
  const response = await api(`/api/pages/${id}`, {raw: true});
  return response.json();
}

export async function patchPage(page, patch) {
  return api(`/api/pages/${page.id}`, {
    method: 'PATCH',
    body: patch,
    headers: {'If-Match': `"${page.version}"`},
  });
}

// Upload with progress (fetch has no upload progress): resolves with the stored file.
export function upload(file, pageId, onProgress) {
  return new Promise((resolve, reject) => {
    const attempt = (retried) => {
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/files');
      if (access) xhr.setRequestHeader('Authorization', `Bearer ${access}`);
      xhr.upload.addEventListener('progress', (event) => {
        if (event.lengthComputable) onProgress(event.loaded / event.total);
      });
      xhr.addEventListener('load', async () => {
        let body = {};
        try {
          body = JSON.parse(xhr.responseText);
        } catch {
          body = {title: xhr.statusText};
        }
        if (xhr.status === 401 && !retried && (await refresh())) return attempt(true);
        if (xhr.status >= 200 && xhr.status < 300) resolve(body);
        else reject(new ApiError(xhr.status, body));
        return null;
      });
      xhr.addEventListener('error', () => reject(new ApiError(0, {code: 'network'})));
      const form = new FormData();
      form.append('file', file);
      if (pageId) form.append('page_id', pageId);
      xhr.send(form);
    };
    attempt(false);
  });
}
