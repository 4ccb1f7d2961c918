// truce pages: the session and the classification banners, shared by the three pages (a classic script
// loaded before each page's own script; it defines window.truceSession and touches nothing until asked).
//
// The session token lives in sessionStorage (one per tab; gone when the tab closes) and goes out as
// `Authorization: Bearer` on every request the pages make (truceSession.fetch), and as the WebSocket
// subprotocol `bearer.<token>` beside `truce` (truceSession.wsProtocols: a browser cannot set headers on a
// WebSocket). The pages never rely on the session cookie the login also sets: API requests omit
// credentials, so what a tab sees is always the user who logged in in that tab.
//
//   const user = await truceSession.require();   // GET api/v1/me; on 401 the login form, until a login
//   const res = await truceSession.fetch(url);    // with the token; a 401 brings the form back
//   truceSession.banner('NATO RESTRICTED');       // both banners (text, level, colour)
//
// After the first login the page loads; a later 401 (the session expired or ended elsewhere) clears the
// token and shows the form over the page, and the next login reloads the page, so nothing of one user's
// data stays on screen or in memory for the next. Logout ends the session on the server, clears the token
// and reloads the page (which shows the form). Every text is inserted as text, never as HTML.
'use strict';

(() => {
  const KEY = 'truce.session';
  const API = document.querySelector('meta[name="truce-api"]')?.content || 'api/v1/';
  /** Markings from the lowest; the banner's data-level is the index. */
  const MARKINGS = ['NATO UNCLASSIFIED', 'NATO RESTRICTED', 'NATO CONFIDENTIAL', 'NATO SECRET', 'COSMIC TOP SECRET'];
  const apiUrl = (path) => new URL(path, new URL(API, document.baseURI));

  // Banner colours and the login form's looks, as a constructed style sheet (no inline style: works
  // under a strict Content-Security-Policy). The pages' own `.banner` rule gives the shape.
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(`
    .banner[data-level="0"] { background: #007a33 !important; color: #fff !important; }
    .banner[data-level="1"] { background: #0b5394 !important; color: #fff !important; }
    .banner[data-level="2"] { background: #1b2a6b !important; color: #fff !important; }
    .banner[data-level="3"] { background: #c8102e !important; color: #fff !important; }
    .banner[data-level="4"] { background: #ff8c00 !important; color: #000 !important; }
    #login { position: fixed; inset: 22px 0; z-index: 100000; display: flex; align-items: flex-start; justify-content: center;
      background: #e9ecef; padding-top: 12vh; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", sans-serif; }
    #login[hidden] { display: none !important; }
    #login form { display: flex; flex-direction: column; gap: .7rem; width: 20rem; padding: 1.4rem 1.6rem; background: #fff;
      border: 1px solid #ced4da; border-radius: 6px; box-shadow: 0 4px 18px rgba(0,0,0,.12); font-size: 14px; color: #1f2328; }
    #login h1 { font-size: 18px; margin: 0 0 .2rem; letter-spacing: .08em; text-transform: uppercase; }
    #login label { display: flex; flex-direction: column; gap: 3px; font-size: 12px; color: #495057; }
    #login input { font: inherit; padding: 5px 7px; border: 1px solid #adb5bd; border-radius: 3px; }
    #login button { font: inherit; padding: 6px; cursor: pointer; background: #0b5394; color: #fff; border: 0; border-radius: 3px; }
    #login button:disabled { opacity: .6; cursor: wait; }
    #login .login-error { margin: 0; padding: .4rem .6rem; background: #fde8e8; color: #8a0016; border-radius: 3px; font-size: 13px; }
    #login .login-error[hidden] { display: none; }
    .session-user { white-space: nowrap; font-size: 12px; }
    .session-user[hidden], .session-logout[hidden] { display: none !important; }
    .session-logout { font: inherit; font-size: 12px; padding: 1px 8px; cursor: pointer; }
  `);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

  let current = null; // the logged-in user, {name, nation, role, clearance, categories}
  let memoryToken = null; // when sessionStorage is unavailable
  let loaded = false; // the page has loaded data (a later login reloads it)
  let onLogin = null; // resolves require()'s promise while the first form is up

  function token() {
    try { return sessionStorage.getItem(KEY); } catch { return null; }
  }
  function setToken(t) {
    try {
      if (t) sessionStorage.setItem(KEY, t); else sessionStorage.removeItem(KEY);
    } catch { /* storage disabled: the token lives as long as the page */ }
    memoryToken = t || null;
  }
  const currentToken = () => token() || memoryToken;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) if (c != null) e.append(c);
    return e;
  }

  // ------------------------------------------------------------ header: who, and log out

  function header() {
    return document.querySelector('header') || document.body;
  }

  function renderUser() {
    let who = document.getElementById('session-user');
    let out = document.getElementById('logout');
    if (!who) {
      who = el('span', { id: 'session-user', class: 'session-user', 'data-testid': 'session-user', title: 'Logged in as' });
      out = el('button', { id: 'logout', class: 'session-logout', 'data-testid': 'logout', type: 'button', text: 'Log out' });
      out.addEventListener('click', () => { logout(); });
      header().append(who, out);
    }
    who.textContent = current
      ? [current.name, current.nation, String(current.role || '').replaceAll('_', ' ')].filter(Boolean).join(' · ')
      : '';
    who.title = current ? `Logged in as ${current.name}; cleared to ${current.clearance || '?'}` : '';
    who.hidden = !current;
    out.hidden = !current;
  }

  // ------------------------------------------------------------ the login form

  function form() {
    let box = document.getElementById('login');
    if (box) return box;
    const error = el('p', { id: 'login-error', class: 'login-error', 'data-testid': 'login-error', role: 'alert', hidden: true });
    const user = el('input', { id: 'login-user', name: 'user', 'data-testid': 'login-user', autocomplete: 'username', required: true, autocapitalize: 'none', spellcheck: 'false' });
    const password = el('input', { id: 'login-password', name: 'password', type: 'password', 'data-testid': 'login-password', autocomplete: 'current-password', required: true });
    const submit = el('button', { id: 'login-submit', type: 'submit', 'data-testid': 'login-submit', text: 'Log in' });
    const f = el('form', { id: 'login-form', 'data-testid': 'login-form', 'aria-labelledby': 'login-title' },
      el('h1', { id: 'login-title', text: 'truce — log in' }),
      el('label', null, 'User', user),
      el('label', null, 'Password', password),
      error,
      submit);
    box = el('div', { id: 'login', 'data-testid': 'login', hidden: true }, f);
    f.addEventListener('submit', async (event) => {
      event.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      try {
        const res = await fetch(apiUrl('login'), {
          method: 'POST',
          credentials: 'omit',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ user: user.value.trim(), password: password.value }),
        });
        const body = await res.json().catch(() => null);
        if (res.ok && body?.token) {
          password.value = '';
          setToken(body.token);
          current = body.user || null;
          loggedIn();
          return;
        }
        let message;
        if (res.status === 401) message = 'invalid user name or password';
        else if (res.status === 429) {
          const wait = Number(res.headers.get('retry-after'));
          message = body?.error?.message
            || `too many failed logins; try again in ${Number.isFinite(wait) && wait > 0 ? wait : 'a few'} s`;
        } else message = body?.error?.message || `the login failed: HTTP ${res.status}`;
        error.textContent = message;
        error.hidden = false;
        password.select();
      } catch (e) {
        error.textContent = `the server could not be reached: ${e.message}`;
        error.hidden = false;
      } finally {
        submit.disabled = false;
      }
    });
    document.body.append(box);
    return box;
  }

  function showForm() {
    const box = form();
    box.hidden = false;
    document.body.dataset.session = 'out';
    renderUser();
    const input = document.getElementById('login-user');
    if (!input.value) input.focus(); else document.getElementById('login-password').focus();
  }

  function loggedIn() {
    document.getElementById('login').hidden = true;
    if (loaded || !onLogin) {
      // Logged in again over a page that held someone's data: start afresh.
      location.reload();
      return;
    }
    document.body.dataset.session = 'in';
    renderUser();
    const resolve = onLogin;
    onLogin = null;
    loaded = true;
    resolve(current);
  }

  /** The session ended (a 401): forget the token, show the form over the page. */
  function loggedOut() {
    setToken(null);
    current = null;
    showForm();
  }

  // ------------------------------------------------------------ API

  /** `fetch` with the token; a 401 shows the login form (and is returned to the caller as it is). */
  async function authFetch(url, options = {}) {
    const headers = new Headers(options.headers || {});
    const t = currentToken();
    if (t) headers.set('authorization', `Bearer ${t}`);
    const res = await fetch(url, { ...options, headers, credentials: 'omit' });
    if (res.status === 401 && current) loggedOut();
    return res;
  }

  /** The user of this tab: GET api/v1/me, else the login form until someone logs in. */
  async function require() {
    const res = await fetch(apiUrl('me'), {
      headers: currentToken() ? { authorization: `Bearer ${currentToken()}`, accept: 'application/json' } : { accept: 'application/json' },
      credentials: 'omit',
      cache: 'no-store',
    });
    if (res.ok) {
      current = await res.json();
      loaded = true;
      document.body.dataset.session = 'in';
      renderUser();
      return current;
    }
    if (res.status !== 401) throw new Error(`GET ${apiUrl('me').pathname}: HTTP ${res.status}`);
    setToken(null);
    return new Promise((resolve) => {
      onLogin = resolve;
      showForm();
    });
  }

  /** Ends the session (server and tab), then reloads the page, which shows the form. */
  async function logout() {
    const t = currentToken();
    if (t) {
      // The server ends the session first; the answer is read to its end before the page reloads, so
      // the browser never sees the request cut off by the navigation.
      await fetch(apiUrl('logout'), { method: 'POST', credentials: 'omit', headers: { authorization: `Bearer ${t}` } })
        .then((res) => res.arrayBuffer())
        .catch(() => {});
    }
    setToken(null);
    current = null;
    location.reload();
  }

  /** The protocols to open the stream with: `truce`, and the token as `bearer.<token>`. */
  function wsProtocols() {
    const t = currentToken();
    return t ? ['truce', `bearer.${t}`] : ['truce'];
  }

  // ------------------------------------------------------------ classification banners

  /** Index of a marking (-1 when it is not one). */
  const rank = (m) => MARKINGS.indexOf(String(m || '').trim().toUpperCase());

  /** The highest of some markings (NATO UNCLASSIFIED when there is none). */
  function highest(markings) {
    let best = 0;
    for (const m of markings) best = Math.max(best, rank(m));
    return MARKINGS[best];
  }

  /** Every `marking` string anywhere in a JSON value. */
  function markingsIn(value, out = []) {
    if (Array.isArray(value)) for (const v of value) markingsIn(v, out);
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'marking' && typeof v === 'string') out.push(v);
        else if (v && typeof v === 'object') markingsIn(v, out);
      }
    }
    return out;
  }

  /** Both banners say `marking` (plus `suffix`), coloured for its level. */
  function banner(marking, suffix = '') {
    const level = Math.max(0, rank(marking));
    const text = `${MARKINGS[level]}${suffix}`;
    for (const id of ['banner-top', 'banner-bottom']) {
      const b = document.getElementById(id);
      if (!b) continue;
      b.textContent = text;
      b.dataset.level = String(level);
      b.dataset.marking = MARKINGS[level];
    }
    return MARKINGS[level];
  }

  window.truceSession = {
    require,
    fetch: authFetch,
    logout,
    token: currentToken,
    user: () => current,
    wsProtocols,
    MARKINGS,
    rank,
    highest,
    markingsIn,
    banner,
  };
})();
