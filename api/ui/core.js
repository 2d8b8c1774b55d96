/*
 * core.js: the dashboard's plumbing (no framework, no build step).
 *
 * - el(): the one way the page makes DOM. Every string becomes a text node
 *   or an attribute value; nothing is ever parsed as HTML, and no string
 *   is ever run as code (the Content-Security-Policy forbids that too;
 *   tests/functional/test_ui.py greps these files for the HTML sinks).
 * - api(): fetch() to the daemon's API, relative to /ui/ (so a proxy that
 *   serves the daemon under a prefix keeps working), with the token in the
 *   Authorization header only. Never in a URL.
 * - the event stream: GET /v1/events read with fetch() and a ReadableStream
 *   (the browser's own SSE client cannot send an Authorization header), resumed with
 *   Last-Event-ID after a break.
 * - the view registry: TD.registerView({...}). A view names the hash path it
 *   serves, and optionally a tab of the treasury page; views.js registers
 *   the built-in ones, and a later file (budgets, burn, runway) registers
 *   its own the same way and is listed in index.html.
 *
 * Amounts are the API's decimal strings and are only ever shown, never
 * turned into numbers.
 */
'use strict';

(function () {
  const TOKEN_KEY = 'treasuryd.token';
  const API = '../v1/';
  const TD = {};
  window.TD = TD;

  /* ---- DOM ---- */

  function append(node, child) {
    if (child === null || child === undefined || child === false)
      return;
    if (Array.isArray(child)) {
      child.forEach((c) => append(node, c));
      return;
    }
    if (typeof child === 'string' || typeof child === 'number')
      node.appendChild(document.createTextNode(String(child)));
    else
      node.appendChild(child);
  }

  /* el('tag.class1.class2', {attr: value, on: {click: fn}}, children...) */
  function el(spec, attrs, ...children) {
    const parts = spec.split('.');
    const node = document.createElement(parts[0] || 'div');
    for (const c of parts.slice(1))
      node.classList.add(c);
    if (attrs) {
      for (const [k, v] of Object.entries(attrs)) {
        if (v === null || v === undefined || v === false)
          continue;
        if (k === 'on') {
          for (const [ev, fn] of Object.entries(v))
            node.addEventListener(ev, fn);
        } else if (k === 'data') {
          for (const [dk, dv] of Object.entries(v))
            node.dataset[dk] = String(dv);
        } else if (k === 'class') {
          String(v).split(/\s+/).filter(Boolean).forEach((c) => node.classList.add(c));
        } else if (k === 'text') {
          node.textContent = String(v);
        } else if (v === true) {
          node.setAttribute(k, '');
        } else {
          node.setAttribute(k, String(v));
        }
      }
    }
    append(node, children);
    return node;
  }

  function clear(node) {
    while (node.firstChild)
      node.removeChild(node.firstChild);
  }

  /* An in-page link: only our own hash paths, with every server string
   * percent-encoded. */
  function link(path, ...children) {
    return el('a', { href: '#' + path }, ...children);
  }

  function treasuryPath(tid, tab) {
    return '/t/' + encodeURIComponent(tid) + (tab ? '/' + tab : '');
  }

  function proposalPath(pid) {
    return '/p/' + encodeURIComponent(pid);
  }

  /* An amount exactly as the API wrote it (a decimal string). */
  function amount(text, asset) {
    return el('span.num', { data: asset ? { asset: asset } : null },
      String(text));
  }

  /* "2026-05-01T12:00:00Z" shown in UTC, the local time on hover. */
  function time(ts) {
    if (!ts)
      return el('span.muted', null, '—');
    const d = new Date(ts);
    const local = isNaN(d.getTime()) ? ts : d.toLocaleString(undefined, {
      dateStyle: 'medium', timeStyle: 'long' });
    return el('time', { datetime: ts, title: 'Local time: ' + local },
      String(ts).replace('T', ' ').replace('Z', ' UTC'));
  }

  function durationText(ms) {
    let s = Math.max(0, Math.floor(ms / 1000));
    const d = Math.floor(s / 86400);
    s -= d * 86400;
    const h = Math.floor(s / 3600);
    s -= h * 3600;
    const m = Math.floor(s / 60);
    s -= m * 60;
    const pad = (n) => String(n).padStart(2, '0');
    return (d > 0 ? d + 'd ' : '') + pad(h) + 'h ' + pad(m) + 'm ' + pad(s) + 's';
  }

  /* A countdown to ts, updated every second (see tick()). */
  function countdown(ts, before, after) {
    const node = el('span.countdown', { data: { until: ts, before: before,
      after: after } });
    updateCountdown(node);
    return node;
  }

  function updateCountdown(node) {
    const left = Date.parse(node.dataset.until) - Date.now();
    node.textContent = left > 0 ? node.dataset.before + ' ' + durationText(left)
      : node.dataset.after;
  }

  setInterval(() => {
    document.querySelectorAll('.countdown').forEach(updateCountdown);
  }, 1000);

  function badge(status) {
    return el('span.badge', { class: 'st-' + status, data: { status: status } },
      status);
  }

  function message(kind, text) {
    return el('p.msg', { class: kind, role: kind === 'error' ? 'alert' : 'status' },
      text);
  }

  /* A table that scrolls sideways on a narrow screen. cols: [{label, num}] */
  function table(cols, rows, attrs) {
    const head = el('tr', null, cols.map((c) =>
      el('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)));
    return el('div.scroll', { tabindex: 0, role: 'region',
      'aria-label': (attrs && attrs.label) || 'table' },
    el('table', attrs && attrs.id ? { id: attrs.id } : null,
      el('thead', null, head), el('tbody', null, rows)));
  }

  function cell(content, num) {
    return el('td', { class: num ? 'num' : null }, content);
  }

  /* ---- the token ---- */

  function token() {
    try {
      return sessionStorage.getItem(TOKEN_KEY);
    } catch (e) {
      return null;
    }
  }

  function setToken(t) {
    if (t)
      sessionStorage.setItem(TOKEN_KEY, t);
    else
      sessionStorage.removeItem(TOKEN_KEY);
  }

  /* ---- the API ---- */

  class ApiError extends Error {
    constructor(status, problem) {
      super(problem && problem.detail ? problem.detail : 'HTTP ' + status);
      this.status = status;
      this.problem = problem;
    }
  }

  function idempotencyKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return 'ui-' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  async function api(method, path, body, opts) {
    const t = token();
    if (!t)
      throw new ApiError(401, { detail: 'no token' });
    const headers = { Authorization: 'Bearer ' + t, Accept: 'application/json' };
    if (body !== undefined)
      headers['Content-Type'] = 'application/json';
    if (opts && opts.idempotencyKey)
      headers['Idempotency-Key'] = opts.idempotencyKey;
    const r = await fetch(API + path, {
      method: method, headers: headers, cache: 'no-store', credentials: 'omit',
      redirect: 'error', referrerPolicy: 'no-referrer',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    let data = null;
    try {
      data = text ? JSON.parse(text) : null;
    } catch (e) {
      data = null;
    }
    if (r.status === 401 && !(opts && opts.login))
      signOut('The token was refused (401): enter a valid token.');
    if (!r.ok)
      throw new ApiError(r.status, data);
    return data;
  }

  const get = (path) => api('GET', path);

  /* "?a=1&b=2" of the members of params that are not empty ('' when none),
   * every value percent-encoded. */
  function query(params) {
    const parts = [];
    for (const [k, v] of Object.entries(params)) {
      if (v !== null && v !== undefined && v !== '')
        parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(String(v)));
    }
    return parts.length ? '?' + parts.join('&') : '';
  }

  /*
   * Save what GET path answers as a file. A plain <a href> would not carry
   * the token (it is sent in the Authorization header only, never in a
   * URL or a cookie): fetch it with the header, hold it as a Blob, and
   * click an <a download> on a blob: URL of this page's own origin (a
   * download, not a fetch: the Content-Security-Policy's connect-src and
   * default-src are not asked, and nothing is run or shown). The name is
   * the server's Content-Disposition filename when it is a plain one, else
   * fallbackName. A refusal throws the ApiError with the problem's detail.
   * The browser holds the whole file in memory before saving it.
   */
  async function download(path, accept, fallbackName) {
    const t = token();
    if (!t)
      throw new ApiError(401, { detail: 'no token' });
    const r = await fetch(API + path, {
      method: 'GET', headers: { Authorization: 'Bearer ' + t, Accept: accept },
      cache: 'no-store', credentials: 'omit', redirect: 'error',
      referrerPolicy: 'no-referrer',
    });
    if (!r.ok) {
      let data = null;
      try {
        data = JSON.parse(await r.text());
      } catch (e) {
        data = null;
      }
      if (r.status === 401)
        signOut('The token was refused (401): enter a valid token.');
      throw new ApiError(r.status, data);
    }
    const blob = await r.blob();
    const cd = /filename="([A-Za-z0-9._-]{1,128})"/.exec(
      r.headers.get('Content-Disposition') || '');
    const name = cd ? cd[1] : fallbackName;
    const url = URL.createObjectURL(blob);
    const a = el('a', { href: url, download: name, hidden: true });
    document.body.appendChild(a);
    a.click();
    a.remove();
    // the download has its own copy once started; let it start first
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    return { name: name, size: blob.size };
  }

  /* Every page of a paginated list (at most max items). */
  async function getAll(path, key, max) {
    const limit = 500;
    let items = [];
    let cursor = null;
    const sep = path.indexOf('?') >= 0 ? '&' : '?';
    for (;;) {
      const page = await get(path + sep + 'limit=' + limit +
        (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''));
      items = items.concat(page[key]);
      cursor = page.next_cursor;
      if (!cursor || items.length >= (max || 5000))
        return { items: items, more: Boolean(cursor) };
    }
  }

  /* ---- the view registry and the router ---- */

  const views = [];

  /*
   * TD.registerView({
   *   id: 'ledger',
   *   path: /^\/t\/([^/]+)\/ledger$/,   matched against the hash after '#'
   *   title: (params) => 'Ledger',
   *   tab: { label: 'Ledger', order: 30, slug: 'ledger' },   optional: a tab
   *        of the treasury page, at '#/t/<id>/<slug>' (path must match it)
   *   render: async (ctx) => Node,      ctx: params, whoami, can(role), state
   *   refreshOn: (event, ctx) => bool,  optional: re-render on this event
   * })
   */
  function registerView(v) {
    views.push(v);
  }

  function treasuryTabs() {
    return views.filter((v) => v.tab).sort((a, b) => a.tab.order - b.tab.order);
  }

  let whoami = null;
  let current = null;		// { view, ctx }
  let generation = 0;
  const viewState = {};		// per view id, kept across re-renders

  function currentPath() {
    const h = location.hash;
    return h.startsWith('#/') ? decodeURI(h.slice(1)) : '/';
  }

  function setCrumbs(items) {
    const nav = document.getElementById('crumbs');
    clear(nav);
    items.forEach((it, i) => {
      if (i > 0)
        append(nav, el('span.sep', { 'aria-hidden': 'true' }, '›'));
      append(nav, it.path ? link(it.path, it.label) :
        el('span', { 'aria-current': 'page' }, it.label));
    });
  }

  /* How to find the focused element again after a re-render (so that a
   * live update does not throw a keyboard user back to the top). */
  function focusSelector(node, host) {
    if (!node || !host.contains(node))
      return null;
    if (node.id)
      return '#' + CSS.escape(node.id);
    if (node.tagName === 'H1')
      return 'h1';
    const href = node.getAttribute('href');
    if (href)
      return node.tagName.toLowerCase() + '[href="' + CSS.escape(href) + '"]';
    if (node.dataset.execute)
      return '[data-execute="' + CSS.escape(node.dataset.execute) + '"]';
    return null;
  }

  /*
   * What the user typed into the view's controls and has not sent: each
   * control with an id whose value differs from the one it was built with.
   * A re-render of the same view (a live event, a second render of the same
   * path) puts it back into the new controls of the same id, so nobody's
   * half-typed deposit or filter is wiped by someone else's event.
   */
  function typedValues(host) {
    const typed = [];
    host.querySelectorAll('input[id], select[id], textarea[id]').forEach((n) => {
      if (n.type === 'checkbox' || n.type === 'radio') {
        if (n.checked !== n.defaultChecked)
          typed.push({ id: n.id, tag: n.tagName, type: n.type, checked: n.checked });
      } else if (n.tagName === 'SELECT') {
        if (Array.from(n.options).some((o) => o.selected !== o.defaultSelected))
          typed.push({ id: n.id, tag: n.tagName, type: n.type, value: n.value });
      } else if (n.value !== n.defaultValue) {
        typed.push({ id: n.id, tag: n.tagName, type: n.type, value: n.value });
      }
    });
    return typed;
  }

  function restoreTyped(host, typed) {
    for (const t of typed) {
      const n = document.getElementById(t.id);
      if (!n || !host.contains(n) || n.tagName !== t.tag || n.type !== t.type)
        continue;
      if ('checked' in t)
        n.checked = t.checked;
      else if (t.tag !== 'SELECT' ||
          Array.from(n.options).some((o) => o.value === t.value))
        n.value = t.value;
    }
  }

  async function render(refresh) {
    if (!token() || !whoami)
      return;
    const path = location.hash.startsWith('#/') || !location.hash ?
      currentPath() : (current ? current.path : '/');
    let view = null;
    let m = null;
    for (const v of views) {
      m = v.path.exec(path);
      if (m) {
        view = v;
        break;
      }
    }
    const gen = ++generation;
    const host = document.getElementById('view');
    if (!view) {
      clear(host);
      append(host, [el('h1', { tabindex: -1 }, 'Not found'),
        message('error', 'No view here.'), link('/', 'All treasuries')]);
      return;
    }
    const params = m.slice(1).map((p) => decodeURIComponent(p));
    if (!viewState[view.id])
      viewState[view.id] = {};
    const ctx = {
      params: params, path: path, whoami: whoami, refresh: refresh,
      state: viewState[view.id],
      can: (role) => whoami.roles.indexOf(role) >= 0,
      rerender: () => render(true),
    };
    if (!refresh) {
      host.setAttribute('aria-busy', 'true');
      if (!host.firstChild || (current && current.view !== view)) {
        clear(host);
        append(host, el('p.muted', null, 'Loading…'));
      }
    }
    let node;
    try {
      node = await view.render(ctx);
    } catch (e) {
      node = el('div', null, el('h1', { tabindex: -1 }, view.title(params)),
        message('error', e instanceof ApiError ?
          'The daemon answered ' + e.status + ': ' + e.message : String(e)));
    }
    if (gen !== generation)
      return;			// a newer navigation won
    const focusSel = focusSelector(document.activeElement, host);
    const scroll = window.scrollY;
    const typed = current && current.view === view && current.path === path ?
      typedValues(host) : [];
    clear(host);
    append(host, node);
    restoreTyped(host, typed);
    host.removeAttribute('aria-busy');
    document.title = view.title(params) + ' · treasuryd';
    if (refresh) {
      window.scrollTo(0, scroll);
      const f = focusSel && host.querySelector(focusSel);
      if (f)
        f.focus({ preventScroll: true });
    } else {
      const h1 = host.querySelector('h1');
      if (h1)
        h1.focus({ preventScroll: true });
    }
    current = { view: view, ctx: ctx, path: path };
  }

  let refreshTimer = null;

  function scheduleRefresh() {
    if (refreshTimer)
      return;
    refreshTimer = setTimeout(() => {
      refreshTimer = null;
      render(true);
    }, 150);
  }

  /* ---- the event stream (GET /v1/events, SSE over fetch) ---- */

  let sse = null;		// { ctrl }
  let lastEventId = null;
  const eventListeners = [];

  function setLive(on, text) {
    const n = document.getElementById('live');
    n.textContent = text || (on ? 'live' : 'offline');
    n.classList.toggle('on', on);
    n.classList.toggle('off', !on);
  }

  function onEvent(ev) {
    eventListeners.forEach((fn) => fn(ev));
    if (!current)
      return;
    const want = current.view.refreshOn ?
      current.view.refreshOn(ev, current.ctx) : true;
    if (want)
      scheduleRefresh();
  }

  function parseBlock(block) {
    let id = null;
    let type = 'message';
    const data = [];
    for (const line of block.split('\n')) {
      if (line === '' || line[0] === ':')
        continue;
      const i = line.indexOf(':');
      const field = i < 0 ? line : line.slice(0, i);
      let value = i < 0 ? '' : line.slice(i + 1);
      if (value[0] === ' ')
        value = value.slice(1);
      if (field === 'id')
        id = value;
      else if (field === 'event')
        type = value;
      else if (field === 'data')
        data.push(value);
    }
    if (id !== null)
      lastEventId = id;
    if (data.length === 0)
      return;
    let obj = null;
    try {
      obj = JSON.parse(data.join('\n'));
    } catch (e) {
      return;
    }
    onEvent({ id: id, type: type, data: obj && obj.data, event: obj });
  }

  async function streamOnce(ctrl) {
    const headers = { Authorization: 'Bearer ' + token(),
      Accept: 'text/event-stream' };
    if (lastEventId !== null)
      headers['Last-Event-ID'] = lastEventId;
    const r = await fetch(API + 'events', { headers: headers, cache: 'no-store',
      credentials: 'omit', signal: ctrl.signal, referrerPolicy: 'no-referrer' });
    if (r.status === 401) {
      signOut('The token was refused (401): enter a valid token.');
      return false;
    }
    if (!r.ok || !r.body)
      throw new Error('events: HTTP ' + r.status);
    setLive(true);
    scheduleRefresh();		// whatever happened before the stream opened
    const reader = r.body.getReader();
    const dec = new TextDecoder();
    let buf = '';
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done)
        return true;
      buf += dec.decode(chunk.value, { stream: true }).replace(/\r\n?/g, '\n');
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        parseBlock(buf.slice(0, i));
        buf = buf.slice(i + 2);
      }
    }
  }

  async function streamLoop() {
    const me = { ctrl: new AbortController() };
    sse = me;
    let backoff = 1000;
    while (sse === me && token()) {
      try {
        const again = await streamOnce(me.ctrl);
        if (!again)
          return;
        backoff = 1000;
      } catch (e) {
        if (me.ctrl.signal.aborted)
          return;
      }
      if (sse !== me)
        return;
      setLive(false, 'reconnecting…');
      await new Promise((res) => setTimeout(res, backoff));
      backoff = Math.min(backoff * 2, 30000);
    }
  }

  function streamStop() {
    if (sse) {
      sse.ctrl.abort();
      sse = null;
    }
    setLive(false);
  }

  /* ---- sign in and out ---- */

  function showLogin(text) {
    document.getElementById('login').hidden = false;
    document.getElementById('logout').hidden = true;
    document.getElementById('who').textContent = '';
    clear(document.getElementById('view'));
    setCrumbs([]);
    document.getElementById('login-error').textContent = text || '';
    document.title = 'treasuryd';
    const input = document.getElementById('token');
    input.value = '';
    input.focus();
  }

  function signOut(text) {
    setToken(null);
    whoami = null;
    current = null;
    streamStop();
    showLogin(text);
  }

  async function signIn() {
    try {
      whoami = await api('GET', 'whoami', undefined, { login: true });
    } catch (e) {
      const why = e instanceof ApiError && e.status === 401 ?
        'This token was refused.' : 'The daemon could not be reached: ' + e.message;
      signOut(why);
      return;
    }
    document.getElementById('login').hidden = true;
    document.getElementById('logout').hidden = false;
    document.getElementById('who').textContent =
      whoami.name + ' (' + whoami.roles.join(', ') + ')';
    streamLoop();
    render(false);
  }

  function start() {
    document.getElementById('login-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const input = document.getElementById('token');
      const t = input.value.trim();
      input.value = '';
      if (!t)
        return;
      setToken(t);
      signIn();
    });
    document.getElementById('logout').addEventListener('click', () => signOut(''));
    document.getElementById('skip').addEventListener('click', (ev) => {
      ev.preventDefault();
      document.getElementById('main').focus();
    });
    window.addEventListener('hashchange', () => {
      if (location.hash === '' || location.hash.startsWith('#/'))
        render(false);
    });
    if (token())
      signIn();
    else
      showLogin('');
  }

  Object.assign(TD, {
    el: el, clear: clear, link: link, amount: amount, time: time,
    countdown: countdown, badge: badge, message: message, table: table,
    cell: cell, api: api, get: get, getAll: getAll, ApiError: ApiError,
    query: query, download: download,
    idempotencyKey: idempotencyKey, registerView: registerView,
    treasuryTabs: treasuryTabs, treasuryPath: treasuryPath,
    proposalPath: proposalPath, setCrumbs: setCrumbs,
    onEvent: (fn) => eventListeners.push(fn),
  });

  document.addEventListener('DOMContentLoaded', start);
})();
