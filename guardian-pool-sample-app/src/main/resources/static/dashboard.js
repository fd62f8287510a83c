// Guardian Pool sample dashboard: polls the pool's Actuator endpoint and the sample's REST API,
// and redraws. No framework, no build step. Every value shown comes from those endpoints; nothing
// is made up on the page. Text from the server only ever goes into textContent, never innerHTML.
(function () {
  'use strict';

  var POLL_MS = 1000;
  var HISTORY = 120; // chart points: two minutes at one poll a second

  var poolSeries = [];
  var workSeries = [];
  var lastWorkload = null;
  var lastPollAt = null;

  function $(id) { return document.getElementById(id); }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  function fetchJson(url) {
    return fetch(url, { headers: { 'Accept': 'application/json' }, cache: 'no-store' }).then(function (r) {
      if (!r.ok) { throw new Error(url + ' answered ' + r.status); }
      return r.json();
    });
  }

  function num(v, digits) {
    if (v === null || v === undefined || isNaN(v)) { return '—'; }
    return Number(v).toFixed(digits === undefined ? 0 : digits);
  }

  function shortId(id) {
    return id && id.length > 16 ? id.slice(0, 10) + '…' + id.slice(-6) : (id || '—');
  }

  // ---------------------------------------------------------------- statistics cards

  function renderStats(pool) {
    var s = (pool && pool.stats) || {};
    $('stat-reuse').textContent = s.reuseRate === undefined ? '—' : num(s.reuseRate * 100, 1) + ' %';
    $('stat-active').textContent = num(s.activeConnections);
    $('stat-idle').textContent = num(s.pooledConnections);
    $('stat-pending').textContent = num(s.pendingConnections);
    $('stat-waiting').textContent = num(s.waitingAcquires);
    $('stat-created-reused').textContent = num(s.connectionsCreated) + ' / ' + num(s.connectionsReused);
    $('stat-failed').textContent = num(s.connectionsFailed) + ' / ' + num(s.connectionsTimeout);
    $('stat-rejected').textContent = num(s.rejectedByCircuitBreaker);
    $('stat-open-circuits').textContent = num(s.openCircuits);
    var local = pool && (pool.localPeerId || (pool.config && pool.config.localPeerId));
    if (local) { $('local-peer').textContent = shortId(local); $('local-peer').title = local; }
    return s;
  }

  // Rates and the mean request time come from the growth of cumulative counters between two
  // polls, so a slow or missed poll never distorts them.
  function renderWorkload(w, now) {
    var meanMs = null;
    if (w && lastWorkload && lastPollAt !== null && now > lastPollAt) {
      var secs = (now - lastPollAt) / 1000;
      var ok = w.succeeded - lastWorkload.succeeded;
      var failed = w.failed - lastWorkload.failed;
      $('stat-workload').textContent = num(ok / secs, 1) + ' / ' + num(failed / secs, 1);
      if (ok > 0) { meanMs = (w.totalLatencyMs - lastWorkload.totalLatencyMs) / ok; }
    }
    if (w) { lastWorkload = w; lastPollAt = now; }
    return meanMs;
  }

  // ---------------------------------------------------------------- latency chart (inline SVG)

  function pushPoint(series, value) {
    series.push(value === undefined ? null : value);
    while (series.length > HISTORY) { series.shift(); }
  }

  // Log scale: loopback round trips are fractions of a millisecond, while a request that had to
  // wait for a dead peer's dial takes a second or more; a linear axis would flatten one or the other.
  var MIN_MS = 0.01;

  function renderChart() {
    var svg = $('latency-chart');
    // Draw in CSS pixels, so text and lines are never stretched when the page is resized.
    var W = Math.max(300, Math.round(svg.clientWidth || 800));
    var H = Math.max(120, Math.round(svg.clientHeight || 200));
    var left = 64, right = 8, top = 10, bottom = 20;
    svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
    var values = poolSeries.concat(workSeries).filter(function (v) { return v !== null && v > 0; });
    var lo = Math.floor(Math.log10(values.length ? Math.max(MIN_MS, Math.min.apply(null, values)) : 0.1));
    var hi = Math.ceil(Math.log10(values.length ? Math.max.apply(null, values) : 10));
    if (hi <= lo) { hi = lo + 1; }
    var scale = { lo: lo, hi: hi, top: top, height: H - top - bottom };
    svg.setAttribute('data-points', String(poolSeries.filter(function (v) { return v !== null; }).length));
    while (svg.firstChild) { svg.removeChild(svg.firstChild); }
    var ns = 'http://www.w3.org/2000/svg';
    for (var d = lo; d <= hi; d++) {
      var y = yOf(Math.pow(10, d), scale);
      var line = document.createElementNS(ns, 'line');
      line.setAttribute('x1', left); line.setAttribute('x2', W - right);
      line.setAttribute('y1', y); line.setAttribute('y2', y);
      line.setAttribute('class', 'grid');
      svg.appendChild(line);
      var label = document.createElementNS(ns, 'text');
      label.setAttribute('x', left - 6); label.setAttribute('y', y + 4);
      label.setAttribute('text-anchor', 'end'); label.setAttribute('class', 'axis');
      label.textContent = formatMs(Math.pow(10, d));
      svg.appendChild(label);
    }
    var caption = document.createElementNS(ns, 'text');
    caption.setAttribute('x', W - right); caption.setAttribute('y', H - 4);
    caption.setAttribute('text-anchor', 'end'); caption.setAttribute('class', 'axis');
    caption.textContent = 'log scale · last ' + HISTORY + ' polls (' + (POLL_MS / 1000) + ' s each)';
    svg.appendChild(caption);
    [[poolSeries, 'pool'], [workSeries, 'work']].forEach(function (pair) {
      var path = linePath(pair[0], left, right, W, scale);
      if (path) {
        var p = document.createElementNS(ns, 'path');
        p.setAttribute('d', path); p.setAttribute('class', pair[1]);
        svg.appendChild(p);
      }
    });
  }

  function yOf(ms, scale) {
    var v = Math.log10(Math.max(MIN_MS, ms));
    return scale.top + scale.height * (1 - (v - scale.lo) / (scale.hi - scale.lo));
  }

  function linePath(series, left, right, W, scale) {
    var d = '', pen = false;
    var step = (W - left - right) / (HISTORY - 1);
    var offset = HISTORY - series.length;
    for (var i = 0; i < series.length; i++) {
      var v = series[i];
      if (v === null || !(v > 0)) { pen = false; continue; }
      var x = left + (offset + i) * step;
      d += (pen ? 'L' : 'M') + x.toFixed(1) + ' ' + yOf(v, scale).toFixed(1) + ' ';
      pen = true;
    }
    return d;
  }

  function formatMs(v) {
    if (v >= 1000) { return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + ' s'; }
    return (v >= 10 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toFixed(3)) + ' ms';
  }

  // ---------------------------------------------------------------- peers table

  // Rows are keyed by PeerId and reconciled on every poll: new peers get a row, peers gone from
  // both sources lose theirs, and every cell is rewritten, so nothing stale survives a poll.
  function renderPeers(demoPeers, poolPeers) {
    var body = $('peers-body');
    var wanted = [];
    var seen = {};
    (demoPeers || []).forEach(function (p) {
      seen[p.peerId] = true;
      wanted.push(p);
    });
    (poolPeers || []).forEach(function (p) {
      var id = p.peerId;
      if (id && !seen[id]) {
        seen[id] = true;
        wanted.push({ name: null, peerId: id, multiaddr: p.address || null, running: null, tracked: true,
          breakerState: p.circuitBreaker ? p.circuitBreaker.state : p.breakerState,
          failureCount: p.circuitBreaker ? p.circuitBreaker.failureCount : p.failureCount,
          healthScore: p.health ? p.health.healthScore : p.healthScore,
          latencyMs: p.health ? p.health.currentLatencyMs : p.latencyMs,
          degraded: p.degraded, leased: p.leased, idle: p.idle, pending: p.pending, served: null,
          streams: p.streams, agent: p.identify ? p.identify.agentVersion : null });
      }
    });
    var rows = {};
    Array.prototype.forEach.call(body.querySelectorAll('tr[data-key]'), function (tr) {
      rows[tr.getAttribute('data-key')] = tr;
    });
    wanted.forEach(function (p, index) {
      var tr = rows[p.peerId] || createRow(p);
      delete rows[p.peerId];
      updateRow(tr, p);
      if (body.children[index] !== tr) { body.insertBefore(tr, body.children[index] || null); }
    });
    Object.keys(rows).forEach(function (key) { body.removeChild(rows[key]); });
    $('peers-empty').style.display = wanted.length ? 'none' : '';
  }

  function createRow(p) {
    var key = p.name || p.peerId;
    var tr = el('tr', { 'data-key': p.peerId, 'id': 'peer-row-' + key, 'data-peer': key });
    ['name', 'pid', 'addr', 'running', 'breaker', 'failures', 'health', 'latency', 'conns', 'streams', 'agent',
      'served', 'actions']
      .forEach(function (c) { tr.appendChild(el('td', { 'class': c })); });
    var actions = tr.querySelector('td.actions');
    if (p.name) {
      var stop = el('button', { 'id': 'stop-' + p.name, 'data-peer': p.name, 'data-action': 'stop', 'class': 'stop' }, 'Stop');
      var start = el('button', { 'id': 'start-' + p.name, 'data-peer': p.name, 'data-action': 'start', 'class': 'start' }, 'Start');
      stop.addEventListener('click', function () { control(p.name, 'stop', stop); });
      start.addEventListener('click', function () { control(p.name, 'start', start); });
      actions.appendChild(stop);
      actions.appendChild(document.createTextNode(' '));
      actions.appendChild(start);
    }
    return tr;
  }

  function updateRow(tr, p) {
    var key = p.name || p.peerId;
    var cell = function (c) { return tr.querySelector('td.' + c); };
    cell('name').textContent = p.name || '(not a demo peer)';
    cell('pid').textContent = shortId(p.peerId);
    cell('pid').title = p.peerId;
    cell('addr').textContent = p.multiaddr || '—';
    cell('addr').title = p.multiaddr || '';
    setBadge(cell('running'), 'running-' + key, p.running === null ? null : (p.running ? 'running' : 'stopped'));
    setBadge(cell('breaker'), 'breaker-' + key, p.tracked ? p.breakerState : null, p.tracked ? null : 'not tracked');
    cell('failures').textContent = p.tracked ? num(p.failureCount) : '—';
    renderScore(cell('health'), key, p);
    cell('latency').textContent = p.latencyMs === null || p.latencyMs === undefined ? '—' : formatMs(p.latencyMs);
    cell('conns').textContent = p.tracked ? num(p.leased) + ' / ' + num(p.idle) + ' / ' + num(p.pending) : '—';
    cell('streams').textContent = p.tracked ? num(p.streams) : '—';
    cell('agent').textContent = p.agent || '—';
    cell('served').textContent = p.served === null || p.served === undefined ? '—' : num(p.served);
    var stop = tr.querySelector('button[data-action="stop"]');
    var start = tr.querySelector('button[data-action="start"]');
    if (stop && !stop.dataset.busy) { stop.disabled = p.running !== true; }
    if (start && !start.dataset.busy) { start.disabled = p.running !== false; }
  }

  function setBadge(td, id, state, fallback) {
    var badge = td.firstChild;
    if (!badge) {
      badge = el('span', { 'class': 'badge', 'id': id });
      td.appendChild(badge);
    }
    badge.setAttribute('data-state', state || 'none');
    badge.textContent = state ? state.replace('_', '-') : (fallback || '—');
  }

  function renderScore(td, key, p) {
    var score = p.healthScore;
    if (score === null || score === undefined) {
      td.textContent = '—';
      return;
    }
    var wrap = td.querySelector('.score');
    if (!wrap) {
      td.textContent = '';
      wrap = el('span', { 'class': 'score' });
      var bar = el('span', { 'class': 'bar' });
      bar.appendChild(el('span', { 'class': 'fill' }));
      wrap.appendChild(bar);
      wrap.appendChild(el('span', { 'class': 'num', 'id': 'score-' + key }));
      td.appendChild(wrap);
    }
    var fill = wrap.querySelector('.fill');
    fill.style.width = Math.max(0, Math.min(1, score)) * 100 + '%';
    fill.className = 'fill' + (p.degraded ? ' degraded' : '');
    wrap.querySelector('.num').textContent = num(score, 2);
  }

  function control(name, action, button) {
    button.disabled = true;
    button.dataset.busy = '1';
    fetch('api/peers/' + encodeURIComponent(name) + '/' + action, { method: 'POST' })
      .then(function (r) {
        if (!r.ok) {
          return r.json().then(function (problem) { throw new Error(problem.detail || r.status); });
        }
      })
      .catch(function (e) { setPollState('error', action + ' ' + name + ' failed: ' + e.message); })
      .then(function () {
        delete button.dataset.busy;
        poll(true);
      });
  }

  // ---------------------------------------------------------------- events

  function renderEvents(events) {
    var list = $('events');
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var names = {};
    Array.prototype.forEach.call(document.querySelectorAll('tr[data-key]'), function (tr) {
      var n = tr.querySelector('td.name').textContent;
      names[tr.getAttribute('data-key')] = n;
    });
    (events || []).slice(-40).reverse().forEach(function (e) {
      var li = el('li');
      li.appendChild(el('span', { 'class': 'time' }, new Date(e.at).toLocaleTimeString()));
      li.appendChild(el('span', { 'class': 'kind', 'data-kind': e.kind }, e.kind));
      li.appendChild(el('span', { 'class': 'peer', 'title': e.peerId }, names[e.peerId] || shortId(e.peerId)));
      li.appendChild(el('span', { 'class': 'detail' }, e.detail));
      list.appendChild(li);
    });
  }

  // ---------------------------------------------------------------- polling

  function setPollState(state, text) {
    $('poll-status').setAttribute('data-state', state);
    $('poll-text').textContent = text;
  }

  var timer = null;

  function poll(once) {
    if (timer !== null && once) { clearTimeout(timer); }
    timer = null;
    Promise.allSettled([
      fetchJson('actuator/connectionpool'),
      fetchJson('api/peers'),
      fetchJson('api/events'),
      fetchJson('api/workload')
    ]).then(function (r) {
      var now = Date.now();
      var pool = r[0].status === 'fulfilled' ? r[0].value : null;
      var peers = r[1].status === 'fulfilled' ? r[1].value : null;
      var stats = renderStats(pool);
      var meanMs = renderWorkload(r[3].status === 'fulfilled' ? r[3].value : null, now);
      pushPoint(poolSeries, pool && stats.globalAvgLatencyMs > 0 ? stats.globalAvgLatencyMs : null);
      pushPoint(workSeries, meanMs);
      renderChart();
      if (peers) { renderPeers(peers, pool ? pool.peers : null); }
      if (r[2].status === 'fulfilled') { renderEvents(r[2].value); }
      var failed = r.filter(function (x) { return x.status === 'rejected'; });
      if (failed.length) {
        setPollState('error', failed[0].reason.message);
      } else {
        setPollState('ok', 'live · updated ' + new Date(now).toLocaleTimeString());
      }
    }).finally(function () {
      if (timer === null) { timer = setTimeout(poll, POLL_MS); }
    });
  }

  poll();
})();
