// The dynserv dashboard: polls the node's HTTP API, follows its event stream
// with fetch (so the token travels in a header, never in a URL), draws a
// chart of the last hour and sends pool commands. No framework, no CDN.
'use strict';

(() => {
  const STATUSES = ['pending', 'starting', 'running', 'rebooting', 'stopping',
    'stopped', 'deleting', 'deleted', 'errored', 'hanging'];
  const PROVISIONED = ['starting', 'running', 'rebooting'];
  const LEAVING = ['stopping', 'stopped', 'deleting', 'deleted'];
  const BAD_REASONS = ['ServerErrored', 'ServerHanging', 'ServerVanished',
    'ServerLimitHit'];
  const TOKEN_KEY = 'dynserv.token';
  const POLL_MS = 5000;
  const HOUR_MS = 3600 * 1000;
  const MAX_ROWS = 300;
  const MAX_EVENTS = 300;
  const HISTORY_EVENTS = 1000;

  /// Chart series: what they sum, how they look.
  const SERIES = [
    { key: 'desired', label: 'desired', color: '#334155', dashed: true },
    { key: 'running', label: 'running', color: '#16a34a', of: ['running'] },
    { key: 'starting', label: 'starting / rebooting', color: '#3b82f6',
      of: ['starting', 'rebooting'] },
    { key: 'leaving', label: 'stopping / deleting', color: '#ea580c',
      of: ['stopping', 'stopped', 'deleting'] },
    { key: 'trouble', label: 'errored / hanging', color: '#dc2626',
      of: ['errored', 'hanging'] },
  ];

  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || '',
    pools: [],
    servers: [],
    events: [],
    lastSeq: 0,
    /// Chart points: { t, pools: { name: { counts: {status: n}, desired } } }.
    samples: [],
    /// True while reads are refused for lack of a (valid) token.
    readsBlocked: false,
    /// An action waiting for the user to enter a token.
    pendingAction: null,
    streamCtrl: null,
    tokenWaiters: [],
    refreshTimer: null,
    refreshing: false,
    started: false,
  };

  const $ = (id) => document.getElementById(id);

  /// Creates an element with attributes and children (strings become text).
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') node.className = v;
      else if (k === 'text') node.textContent = v;
      else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  const svgNs = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs) {
    const node = document.createElementNS(svgNs, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    return node;
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

  // -- API ------------------------------------------------------------------

  function authHeaders(extra) {
    const h = Object.assign({}, extra || {});
    if (state.token) h.Authorization = 'Bearer ' + state.token;
    return h;
  }

  /// Calls the API; resolves to { ok, status, data } or { ok: false, status,
  /// error: { code, message } }. Never throws.
  async function api(method, path, body) {
    const init = {
      method,
      headers: authHeaders({ Accept: 'application/json' }),
      cache: 'no-store',
    };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      return { ok: false, status: 0,
        error: { code: 'unreachable', message: 'cannot reach the node (' + e.message + ')' } };
    }
    const text = await res.text().catch(() => '');
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
    if (res.ok) return { ok: true, status: res.status, data };
    const error = (data && data.error && typeof data.error === 'object')
      ? { code: String(data.error.code || res.status), message: String(data.error.message || '') }
      : { code: 'http_' + res.status, message: text.slice(0, 300) || res.statusText };
    return { ok: false, status: res.status, error };
  }

  const isAuthError = (r) => r.status === 401 || r.status === 403;

  // -- token ----------------------------------------------------------------

  function setToken(token) {
    state.token = token;
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    $('token-button').textContent = token ? 'Token set' : 'Set token';
    $('token-button').title = token ? 'Change or forget the API token' : 'Enter the API token';
    // Whether the new token lets us read is for the next request to tell.
    state.readsBlocked = false;
    const waiters = state.tokenWaiters;
    state.tokenWaiters = [];
    waiters.forEach((w) => w());
    // The stream restarts with the new header.
    if (state.streamCtrl) state.streamCtrl.abort();
  }

  function waitForToken() {
    return new Promise((resolve) => state.tokenWaiters.push(resolve));
  }

  /// Opens the token dialog; `reason` explains why it is needed.
  function askToken(reason, warn) {
    const dlg = $('token-dialog');
    const p = $('token-reason');
    p.textContent = reason || 'Enter the node\'s API token. It is kept in this browser tab only (sessionStorage) and sent as a bearer header.';
    p.className = warn ? 'warn' : 'muted';
    $('token-input').value = '';
    $('token-forget').hidden = !state.token;
    if (!dlg.open) dlg.showModal();
    $('token-input').focus();
  }

  function authReason(r, what) {
    if (r.status === 403 && state.token)
      return 'The node refused this token (' + r.error.message + '). Enter the right one to ' + what + '.';
    return 'This node needs its API token to ' + what + '.';
  }

  // -- banner ---------------------------------------------------------------

  function showBanner(text, kind, code) {
    const b = $('banner');
    const t = $('banner-text');
    t.textContent = '';
    if (code) t.append(el('code', { text: code }), ' ');
    t.append(text);
    b.dataset.kind = kind || 'error';
    b.hidden = false;
  }

  function hideBanner() { $('banner').hidden = true; }

  function showApiError(what, r) {
    showBanner(what + ' failed: ' + (r.error.message || 'HTTP ' + r.status), 'error', r.error.code);
  }

  // -- reads ----------------------------------------------------------------

  function countsOf(pool) {
    const c = {};
    const src = pool.counts || {};
    STATUSES.forEach((s, i) => {
      c[s] = Array.isArray(src) ? (src[i] || 0) : (src[s] || 0);
    });
    return c;
  }

  function provisionedOf(pool) {
    if (typeof pool.provisioned === 'number') return pool.provisioned;
    const c = countsOf(pool);
    return PROVISIONED.reduce((n, s) => n + c[s], 0);
  }

  /// Reads pools and servers; on success records a chart sample and renders.
  async function refresh() {
    if (state.refreshing) return;
    state.refreshing = true;
    try {
      const [pools, servers] = await Promise.all([
        api('GET', '/v1/pools'), api('GET', '/v1/servers')]);
      const failed = !pools.ok ? pools : (!servers.ok ? servers : null);
      if (failed) {
        if (isAuthError(failed)) {
          state.readsBlocked = true;
          setLive('auth');
          if (!$('token-dialog').open) askToken(authReason(failed, 'show its pools and servers'), failed.status === 403);
        } else {
          showApiError('Reading the node', failed);
        }
        return;
      }
      if (state.readsBlocked) {
        state.readsBlocked = false;
        hideBanner();
      } else if ($('banner').dataset.kind === 'error' && /Reading the node/.test($('banner-text').textContent)) {
        hideBanner();
      }
      state.pools = (pools.data && pools.data.pools) || [];
      state.servers = (servers.data && servers.data.servers) || [];
      addSample(Date.now());
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString([], { hour12: false });
      render();
      if (!state.started) {
        state.started = true;
        startEvents();
      }
    } finally {
      state.refreshing = false;
    }
  }

  /// A refresh soon (events arrive in bursts: one read per burst).
  function refreshSoon() {
    if (state.refreshTimer) return;
    state.refreshTimer = setTimeout(() => {
      state.refreshTimer = null;
      refresh();
    }, 400);
  }

  function addSample(t) {
    const pools = {};
    for (const p of state.pools) pools[p.name] = { counts: countsOf(p), desired: p.desired || 0 };
    state.samples.push({ t, pools });
    trimSamples();
  }

  function trimSamples() {
    const from = Date.now() - HOUR_MS;
    let i = 0;
    // Keep one point before the window so that lines start at its edge.
    while (i + 1 < state.samples.length && state.samples[i + 1].t < from) i++;
    if (i > 0) state.samples.splice(0, i);
  }

  // -- rendering: pools -----------------------------------------------------

  function render() {
    renderPools();
    renderFilters();
    renderServers();
    renderChart();
  }

  function renderPools() {
    const box = $('pools');
    if (!state.pools.length) {
      box.replaceChildren(el('p', { class: 'empty', text: 'This node has no pools.' }));
      $('pools-summary').textContent = '';
      return;
    }
    // Keep the cards (and what is typed in their inputs) across renders.
    const existing = new Map([...box.querySelectorAll('.pool')].map((n) => [n.dataset.pool, n]));
    const cards = state.pools.map((p) => {
      const card = existing.get(p.name) || buildPoolCard(p.name);
      fillPoolCard(card, p);
      return card;
    });
    box.replaceChildren(...cards);
    const desired = state.pools.reduce((n, p) => n + (p.desired || 0), 0);
    const prov = state.pools.reduce((n, p) => n + provisionedOf(p), 0);
    $('pools-summary').textContent = state.pools.length + (state.pools.length === 1 ? ' pool' : ' pools')
      + ' · ' + prov + ' of ' + desired + ' provisioned';
  }

  function buildPoolCard(name) {
    const input = el('input', { type: 'number', min: 0, step: 1, value: 1,
      'aria-label': 'count for pool ' + name, 'data-testid': 'pool-count',
      title: 'Ensure sets the desired count to this value; increase and decrease change it by this value' });
    const button = (action, label, cls, title) => el('button', {
      type: 'button', class: 'btn small ' + (cls || ''), 'data-action': action,
      'data-testid': 'pool-' + action, title,
      onclick: () => poolAction(name, action, input) }, label);
    return el('article', { class: 'pool', 'data-pool': name, 'data-testid': 'pool-card' },
      el('div', { class: 'pool-head' },
        el('span', { class: 'pool-name', text: name }),
        el('span', { class: 'pool-provider' })),
      el('div', { class: 'pool-numbers' },
        el('div', { class: 'num desired' }, el('b', { 'data-testid': 'pool-desired' }), el('span', { text: 'desired' })),
        el('div', { class: 'num provisioned' }, el('b', { 'data-testid': 'pool-provisioned' }), el('span', { text: 'provisioned' })),
        el('div', { class: 'num running' }, el('b', { 'data-testid': 'pool-running' }), el('span', { text: 'running' }))),
      el('div', { class: 'bar', role: 'img' }),
      el('div', { class: 'counts', 'data-testid': 'pool-counts' }),
      el('div', { class: 'pool-alerts', 'data-testid': 'pool-alerts' }),
      el('div', { class: 'pool-controls' },
        input,
        button('ensure', 'Ensure', 'primary', 'Set the desired count to the value on the left'),
        button('increase', '+ Increase', '', 'Raise the desired count by the value on the left'),
        button('decrease', '− Decrease', '', 'Lower the desired count by the value on the left'),
        button('reboot', 'Reboot', 'danger', 'Rolling reboot of this pool\'s servers, a few at a time (the pool\'s max_unavailable)')),
      el('div', { class: 'pool-note', 'data-testid': 'pool-note' }));
  }

  function fillPoolCard(card, p) {
    const c = countsOf(p);
    const prov = provisionedOf(p);
    card.querySelector('.pool-provider').textContent = (p.provider || '') + '  ·  min ' + p.min + ' / max ' + p.max;
    card.querySelector('[data-testid="pool-desired"]').textContent = p.desired;
    card.querySelector('[data-testid="pool-provisioned"]').textContent = prov;
    card.querySelector('[data-testid="pool-running"]').textContent = c.running;
    card.querySelector('.num.provisioned').classList.toggle('off', prov !== p.desired);
    const total = STATUSES.reduce((n, s) => n + (s === 'deleted' ? 0 : c[s]), 0);
    const bar = card.querySelector('.bar');
    bar.setAttribute('aria-label', STATUSES.filter((s) => c[s]).map((s) => c[s] + ' ' + s).join(', ') || 'no servers');
    bar.replaceChildren(...STATUSES.filter((s) => s !== 'deleted' && c[s] > 0).map((s) => {
      const seg = el('span', { class: 's-' + s, title: c[s] + ' ' + s });
      seg.style.width = (100 * c[s] / Math.max(total, p.desired || 0, 1)) + '%';
      return seg;
    }));
    const counts = card.querySelector('.counts');
    const shown = STATUSES.filter((s) => c[s] > 0);
    counts.replaceChildren(...(shown.length ? shown.map((s) =>
      el('span', { class: 's-' + s, 'data-status': s },
        el('span', { class: 'sw' }), s + ' ' + c[s]))
      : [el('span', { text: 'no servers' })]));
    card.querySelector('.pool-alerts').replaceChildren(...poolAlerts(p));
  }

  /// What needs attention in a pool, as in `dynservctl pools`: a running
  /// rolling reboot with its progress, a circuit breaker that is not closed,
  /// servers past max_lifetime. Empty when all is well.
  function poolAlerts(p) {
    const alerts = [];
    const r = p.rollout || {};
    if (r.state === 'running') {
      const total = r.total || 0;
      const rebooting = (r.rebooting || []).length;
      const waiting = (r.waiting || []).length;
      const bar = el('progress', { max: Math.max(total, 1), value: (r.done || 0) + (r.skipped || 0),
        'aria-label': 'rolling reboot progress' });
      alerts.push(el('div', { class: 'alert rollout', 'data-alert': 'rollout' },
        el('span', { text: 'Rolling reboot ' + (r.done || 0) + '/' + total + ' done, ' + rebooting
          + ' rebooting, ' + waiting + ' waiting' + (r.skipped ? ', ' + r.skipped + ' skipped' : '')
          + ' (at most ' + r.max_unavailable + ' at a time)' }),
        bar));
    }
    const b = p.circuit_breaker || {};
    if (b.state && b.state !== 'closed') {
      let line = 'Circuit breaker ' + b.state.replace('_', '-');
      if (b.state === 'open' && b.open_until_ms) line += ' until ' + new Date(b.open_until_ms).toLocaleTimeString();
      if (b.state === 'half_open') line += ': one probe create decides';
      if (b.reason) line += ' (' + b.reason + ')';
      alerts.push(el('div', { class: 'alert breaker', 'data-alert': 'circuit-breaker', text: line,
        title: 'Creates are held back after repeated failures; tripped ' + (b.trips || 0) + ' time(s)' }));
    }
    if (p.expired > 0) {
      alerts.push(el('div', { class: 'alert expired', 'data-alert': 'expired',
        text: p.expired + (p.expired === 1 ? ' server' : ' servers') + ' past max_lifetime' }));
    }
    return alerts;
  }

  // -- pool commands --------------------------------------------------------

  async function poolAction(pool, action, input) {
    const n = Number(input.value);
    if (action !== 'reboot' && (!Number.isInteger(n) || n < 0)) {
      showBanner('Enter a whole number of servers, 0 or more.', 'error', 'invalid_count');
      input.focus();
      return;
    }
    if (action === 'reboot' && !confirm('Start a rolling reboot of every provisioned server of pool ' + pool + '?')) return;
    const run = () => sendPoolAction(pool, action, n);
    if (!state.token) {
      state.pendingAction = run;
      askToken('Changing pool ' + pool + ' needs the node\'s API token.');
      return;
    }
    await run();
  }

  async function sendPoolAction(pool, action, n) {
    const base = '/v1/pools/' + encodeURIComponent(pool);
    const card = document.querySelector('.pool[data-pool="' + CSS.escape(pool) + '"]');
    const buttons = card ? [...card.querySelectorAll('button')] : [];
    buttons.forEach((b) => { b.disabled = true; });
    let r;
    try {
      if (action === 'ensure') r = await api('PUT', base + '/desired', { count: n });
      else if (action === 'reboot') r = await api('POST', base + '/reboot');
      else r = await api('POST', base + '/' + action, { by: n });
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
    const what = action + ' ' + pool;
    if (!r.ok) {
      if (isAuthError(r)) {
        state.pendingAction = () => sendPoolAction(pool, action, n);
        askToken(authReason(r, action + ' pool ' + pool), true);
      }
      showApiError(what[0].toUpperCase() + what.slice(1), r);
      return;
    }
    hideBanner();
    const d = r.data || {};
    let note;
    if (action === 'reboot') note = 'rolling reboot started: ' + (d.total || 0) + ' server' + (d.total === 1 ? '' : 's')
      + ', at most ' + d.max_unavailable + ' at a time';
    else note = 'desired ' + d.previous_desired + ' → ' + d.desired + (d.note ? ' (' + d.note + ')' : '');
    if (card) card.querySelector('.pool-note').textContent = note;
    refreshSoon();
  }

  async function stopServer(srv) {
    if (!confirm('Stop and delete server ' + (srv.name || srv.id) + '?')) return;
    const run = async () => {
      const r = await api('POST', '/v1/servers/' + encodeURIComponent(srv.id) + '/stop');
      if (!r.ok) {
        if (isAuthError(r)) {
          state.pendingAction = run;
          askToken(authReason(r, 'stop a server'), true);
        }
        showApiError('Stopping ' + (srv.name || srv.id), r);
        return;
      }
      hideBanner();
      refreshSoon();
    };
    if (!state.token) {
      state.pendingAction = run;
      askToken('Stopping a server needs the node\'s API token.');
      return;
    }
    await run();
  }

  // -- rendering: servers ---------------------------------------------------

  function renderFilters() {
    const sel = $('filter-pool');
    const names = state.pools.map((p) => p.name);
    const have = [...sel.options].slice(1).map((o) => o.value);
    if (have.join('\n') !== names.join('\n')) {
      const keep = sel.value;
      sel.replaceChildren(el('option', { value: '' }, 'all'), ...names.map((n) => el('option', { value: n }, n)));
      sel.value = names.includes(keep) ? keep : '';
    }
  }

  function since(ms) {
    if (!ms) return '-';
    const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
    if (s < 60) return s + 's ago';
    if (s < 3600) return Math.floor(s / 60) + 'm ' + (s % 60) + 's ago';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm ago';
    return Math.floor(s / 86400) + 'd ago';
  }

  function renderServers() {
    const pool = $('filter-pool').value;
    const status = $('filter-status').value;
    const rows = state.servers.filter((s) => (!pool || s.pool === pool) && (!status || s.status === status));
    const body = $('servers-body');
    const shown = rows.slice(0, MAX_ROWS);
    const trs = shown.map((s) => {
      const troubled = s.status === 'errored' || s.status === 'hanging';
      const leaving = LEAVING.includes(s.status);
      return el('tr', { class: 's-' + s.status, 'data-id': s.id, 'data-status': s.status },
        el('td', {}, el('span', { class: 'pill s-' + s.status, text: s.status })),
        el('td', { class: 'name' }, s.name || '', el('small', { title: s.id, text: (s.id || '').slice(0, 8) })),
        el('td', { text: s.pool }),
        el('td', { class: 'mono', text: s.provider_id || '-' }),
        el('td', { class: 'since', title: s.since || '', text: since(s.since_ms) }),
        el('td', { class: troubled ? 'err' : 'muted', text: s.last_error || '' }),
        el('td', {}, leaving ? null : el('button', { type: 'button', class: 'btn small ghost',
          title: 'Stop and delete this server', onclick: () => stopServer(s) }, 'Stop')));
    });
    if (!rows.length) {
      trs.push(el('tr', {}, el('td', { colspan: 7, class: 'more',
        text: state.servers.length ? 'No server matches the filters.' : 'No servers yet.' })));
    } else if (rows.length > shown.length) {
      trs.push(el('tr', {}, el('td', { colspan: 7, class: 'more',
        text: 'Showing ' + shown.length + ' of ' + rows.length + '; narrow the list with the filters.' })));
    }
    body.replaceChildren(...trs);
    $('servers-count').textContent = rows.length + (rows.length === state.servers.length ? '' : ' of ' + state.servers.length)
      + (state.servers.length === 1 ? ' server' : ' servers');
  }

  // -- events ---------------------------------------------------------------

  function eventItem(ev, fresh) {
    const bad = BAD_REASONS.includes(ev.reason);
    const when = ev.at_ms ? new Date(ev.at_ms) : null;
    const parts = [];
    if (ev.pool) parts.push('pool ' + ev.pool);
    if (ev.server_id) parts.push('server ' + ev.server_id.slice(0, 8));
    if (ev.from || ev.to) parts.push(ev.from + ' → ' + ev.to);
    if (ev.message) parts.push(ev.message);
    return el('li', { class: fresh ? 'fresh' : '', 'data-seq': ev.seq, 'data-reason': ev.reason },
      el('span', { class: 'when', title: ev.at || '' },
        when ? when.toLocaleTimeString([], { hour12: false }) : '-'),
      el('span', {},
        el('span', { class: 'reason' + (bad ? ' bad' : ''), text: ev.reason }), ' ',
        el('span', { class: 'seq', text: '#' + ev.seq })),
      el('span', { class: 'detail', title: ev.server_id || '', text: parts.join(' · ') }));
  }

  /// Adds events (ascending seq) to the feed, newest on top.
  function addEvents(evs, fresh) {
    const list = $('events');
    const items = [];
    for (const ev of evs) {
      const seq = Number(ev.seq) || 0;
      if (seq && seq <= state.lastSeq) continue; // already shown
      if (seq) state.lastSeq = seq;
      state.events.push(ev);
      items.push(eventItem(ev, fresh));
    }
    if (!items.length) return;
    list.prepend(...items.reverse());
    while (list.children.length > MAX_EVENTS) list.lastElementChild.remove();
    if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
    $('events-count').textContent = 'last #' + state.lastSeq;
  }

  async function eventsAfter(since, limit) {
    return api('GET', '/v1/events?since=' + since + '&limit=' + limit);
  }

  /// The greatest event seq (0 if none), found by a binary search over
  /// `since`: the API pages forward from a seq, and history may be long.
  async function findLastSeq() {
    const has = async (since) => {
      const r = await eventsAfter(since, 1);
      if (!r.ok) throw r;
      return ((r.data && r.data.events) || []).length > 0;
    };
    if (!(await has(0))) return 0;
    let lo = 0;
    let hi = 1024;
    while (await has(hi)) { lo = hi; hi *= 4; }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await has(mid)) lo = mid; else hi = mid;
    }
    return hi;
  }

  /// Loads recent history (feed and chart), then follows the stream.
  async function startEvents() {
    try {
      const last = await findLastSeq();
      const r = await eventsAfter(Math.max(0, last - HISTORY_EVENTS), HISTORY_EVENTS);
      if (!r.ok) throw r;
      const evs = (r.data && r.data.events) || [];
      seedChart(evs);
      addEvents(evs.slice(-100), false);
      state.lastSeq = Math.max(state.lastSeq, last);
    } catch (r) {
      if (r && r.error) showApiError('Reading the event history', r);
    }
    renderChart();
    followStream();
  }

  function setLive(mode) {
    const live = $('live');
    live.dataset.state = mode;
    $('live-text').textContent = { on: 'live', connecting: 'connecting…', auth: 'token needed', off: 'offline' }[mode] || mode;
  }

  /// Reads the SSE stream with fetch (EventSource cannot send headers) and
  /// reconnects from the last seq seen, forever.
  async function followStream() {
    let retryMs = 1000;
    for (;;) {
      if (state.readsBlocked) {
        setLive('auth');
        await waitForToken();
        continue;
      }
      const ctrl = new AbortController();
      state.streamCtrl = ctrl;
      if ($('live').dataset.state !== 'on') setLive('connecting');
      let res;
      try {
        const headers = authHeaders({ Accept: 'text/event-stream' });
        if (state.lastSeq > 0) headers['Last-Event-ID'] = String(state.lastSeq);
        res = await fetch('/v1/events/stream?since=' + state.lastSeq,
          { headers, signal: ctrl.signal, cache: 'no-store' });
      } catch (e) {
        setLive('connecting');
        if (!ctrl.signal.aborted) await sleep(retryMs);
        continue;
      }
      if (isAuthError(res)) {
        state.readsBlocked = true;
        setLive('auth');
        const err = await res.json().catch(() => null);
        if (!$('token-dialog').open) {
          askToken(authReason({ status: res.status, error: (err && err.error) || { message: 'HTTP ' + res.status } },
            'follow its events'), res.status === 403);
        }
        continue;
      }
      if (!res.ok || !res.body) {
        setLive('connecting');
        await sleep(retryMs);
        continue;
      }
      setLive('on');
      try {
        await readSse(res.body, (ms) => { retryMs = ms; });
      } catch (e) {
        // aborted or dropped: reconnect below
      }
      setLive('connecting');
      if (!ctrl.signal.aborted) await sleep(retryMs);
    }
  }

  async function readSse(body, onRetry) {
    const reader = body.getReader();
    const decoder = new TextDecoder();
    let buf = '';
    let data = [];
    let id = null;
    let type = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        let line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length) dispatchSse(type, data.join('\n'), id);
          data = [];
          type = '';
          id = null;
          continue;
        }
        if (line.startsWith(':')) continue; // heartbeat comment
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let val = colon < 0 ? '' : line.slice(colon + 1);
        if (val.startsWith(' ')) val = val.slice(1);
        if (field === 'data') data.push(val);
        else if (field === 'event') type = val;
        else if (field === 'id') id = val;
        else if (field === 'retry' && /^\d+$/.test(val)) onRetry(Math.max(250, Number(val)));
      }
    }
  }

  function dispatchSse(type, data, id) {
    let ev;
    try { ev = JSON.parse(data); } catch (e) { return; }
    if (!ev || typeof ev !== 'object') return;
    if (ev.seq === undefined && id !== null) ev.seq = Number(id);
    if (!ev.reason && type) ev.reason = type;
    addEvents([ev], true);
    refreshSoon();
  }

  // -- chart ----------------------------------------------------------------

  /// Rebuilds the hour before the first poll from the event history: walks
  /// back from the current counts, undoing each status change and desired
  /// count change. Pending servers appear without an event, so the chart
  /// leaves `pending` out.
  function seedChart(evs) {
    if (!state.samples.length) return;
    const first = state.samples[0];
    const from = first.t - HOUR_MS;
    const cur = JSON.parse(JSON.stringify(first.pools));
    const points = [];
    for (let i = evs.length - 1; i >= 0; i--) {
      const ev = evs[i];
      if (!ev.at_ms || ev.at_ms >= first.t) continue;
      if (ev.at_ms < from) break;
      const p = cur[ev.pool];
      if (!p) continue;
      let changed = false;
      if (ev.reason === 'ServerStatusChanged' && ev.from && ev.to) {
        changed = true;
      } else if (ev.reason === 'DesiredCountChanged') {
        const m = /^(\d+) -> (\d+)/.exec(ev.message || '');
        if (m) changed = true;
      }
      if (!changed) continue;
      points.push({ t: ev.at_ms, pools: JSON.parse(JSON.stringify(cur)) });
      if (ev.reason === 'ServerStatusChanged') {
        if (ev.to in p.counts) p.counts[ev.to] = Math.max(0, p.counts[ev.to] - 1);
        if (ev.from in p.counts) p.counts[ev.from] += 1;
      } else {
        p.desired = Number(/^(\d+)/.exec(ev.message)[1]);
      }
    }
    if (!points.length) return;
    const oldest = points[points.length - 1].t;
    points.push({ t: Math.max(from, oldest - 60 * 1000), pools: cur });
    points.reverse();
    state.samples = points.concat(state.samples);
    trimSamples();
  }

  function seriesValue(sample, key, poolFilter) {
    let n = 0;
    for (const [name, p] of Object.entries(sample.pools)) {
      if (poolFilter && name !== poolFilter) continue;
      if (key === 'desired') n += p.desired;
      else for (const s of SERIES.find((x) => x.key === key).of) n += p.counts[s] || 0;
    }
    return n;
  }

  /// A tick step of 1, 2 or 5 times a power of ten, so that four steps
  /// cover `v` with whole-number labels.
  function niceStep(v) {
    const raw = Math.max(v / 4, 1);
    const mag = Math.pow(10, Math.floor(Math.log10(raw)));
    for (const m of [1, 2, 5, 10]) if (m * mag >= raw) return m * mag;
    return 10 * mag;
  }

  /// The time span the chart shows: from the first sample (at least five
  /// minutes) up to an hour.
  function chartSpan(now) {
    const first = state.samples.length ? state.samples[0].t : now;
    const span = Math.min(HOUR_MS, Math.max(5 * 60 * 1000, now - first));
    // Round up to whole 5-minute steps so that the axis labels stay put.
    return Math.min(HOUR_MS, Math.ceil(span / (5 * 60 * 1000)) * 5 * 60 * 1000);
  }

  function spanLabel(span) {
    return span >= HOUR_MS ? 'last hour' : 'last ' + Math.round(span / 60000) + ' min';
  }

  function renderChart() {
    const box = $('chart');
    const legend = $('chart-legend');
    if (!legend.children.length) {
      legend.append(...SERIES.map((s) => {
        const sw = el('span', { class: 'sw' });
        sw.style.background = s.color;
        return el('span', {}, sw, s.label);
      }));
    }
    const w = Math.max(box.clientWidth, 280);
    const h = Math.max(box.clientHeight, 180);
    const m = { l: 38, r: 12, t: 10, b: 24 };
    const now = Date.now();
    const span = chartSpan(now);
    const t0 = now - span;
    $('chart-title').textContent = 'Servers, ' + spanLabel(span);
    const poolFilter = $('filter-pool').value;
    const samples = state.samples;
    let max = 0;
    for (const s of samples) for (const ser of SERIES) max = Math.max(max, seriesValue(s, ser.key, poolFilter));
    const ymax = niceStep(max) * 4;
    const x = (t) => m.l + (Math.max(t, t0) - t0) / span * (w - m.l - m.r);
    const y = (v) => h - m.b - v / ymax * (h - m.t - m.b);
    const root = svg('svg', { viewBox: '0 0 ' + w + ' ' + h, role: 'img',
      'aria-label': 'Server counts over the last hour' });
    const grid = svg('g', { class: 'grid' });
    const axis = svg('g', { class: 'axis' });
    for (let i = 0; i <= 4; i++) {
      const v = ymax * i / 4;
      grid.append(svg('line', { x1: m.l, x2: w - m.r, y1: y(v), y2: y(v) }));
      const label = svg('text', { x: m.l - 6, y: y(v) + 4, 'text-anchor': 'end' });
      label.textContent = String(v);
      axis.append(label);
    }
    // Time ticks at whole minutes back from now, about 64 px apart at least.
    const spanMin = span / 60000;
    const maxLabels = Math.max(2, Math.floor((w - m.l - m.r) / 64));
    const stepMin = [1, 2, 5, 10, 15, 30].find((st) => spanMin / st + 1 <= maxLabels) || 30;
    for (let back = 0; back <= spanMin; back += stepMin) {
      const t = now - back * 60000;
      const anchor = back === 0 ? 'end' : back + stepMin > spanMin ? 'start' : 'middle';
      const label = svg('text', { x: x(t), y: h - 6, 'text-anchor': anchor });
      label.textContent = back === 0 ? 'now' : '−' + back + ' min';
      axis.append(label);
      grid.append(svg('line', { x1: x(t), x2: x(t), y1: m.t, y2: h - m.b }));
    }
    root.append(grid, axis);
    if (samples.length) {
      // Series that stayed at zero are left out (they would hide each other
      // on the axis); desired goes last, on top.
      const drawn = SERIES.filter((ser) => ser.key === 'desired'
        || samples.some((s) => s.t >= t0 && seriesValue(s, ser.key, poolFilter) > 0)).reverse();
      for (const ser of drawn) {
        // Step lines: a count holds until the next sample.
        let d = '';
        samples.forEach((s, i) => {
          const v = y(seriesValue(s, ser.key, poolFilter));
          const px = x(s.t);
          d += i === 0 ? 'M' + px.toFixed(1) + ',' + v.toFixed(1) : 'H' + px.toFixed(1) + 'V' + v.toFixed(1);
        });
        const last = samples[samples.length - 1];
        d += 'H' + x(Math.max(last.t, Math.min(now, last.t + 2 * POLL_MS))).toFixed(1);
        const path = svg('path', { d, class: 'series' + (ser.dashed ? ' desired' : ''), stroke: ser.color,
          'data-series': ser.key });
        root.append(path);
      }
    } else {
      const t = svg('text', { x: w / 2, y: h / 2, 'text-anchor': 'middle', class: 'axis' });
      t.textContent = 'waiting for data…';
      root.append(t);
    }
    box.replaceChildren(root);
  }

  // -- wiring ---------------------------------------------------------------

  function init() {
    const statusSel = $('filter-status');
    statusSel.append(...STATUSES.filter((s) => s !== 'deleted').map((s) => el('option', { value: s }, s)));
    $('filter-pool').addEventListener('change', () => { renderServers(); renderChart(); });
    statusSel.addEventListener('change', renderServers);
    $('banner-close').addEventListener('click', hideBanner);
    $('token-button').addEventListener('click', () => askToken());
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      const token = $('token-input').value.trim();
      if (!token) return;
      $('token-dialog').close();
      setToken(token);
      hideBanner();
      const action = state.pendingAction;
      state.pendingAction = null;
      refresh().then(() => { if (action) action(); });
    });
    $('token-cancel').addEventListener('click', () => {
      state.pendingAction = null;
      $('token-dialog').close();
    });
    $('token-forget').addEventListener('click', () => {
      state.pendingAction = null;
      $('token-dialog').close();
      setToken('');
      refresh();
    });
    // The chart is drawn in pixels of its box: redraw when the box changes.
    let lastWidth = 0;
    new ResizeObserver(() => {
      const w = $('chart').clientWidth;
      if (w !== lastWidth) {
        lastWidth = w;
        renderChart();
      }
    }).observe($('chart'));
    setToken(state.token);
    setLive('off');
    renderChart();
    refresh();
    setInterval(refresh, POLL_MS);
    // Relative times and the chart's right edge move even without changes.
    setInterval(() => { if (state.pools.length) { renderServers(); renderChart(); } }, 15000);
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
