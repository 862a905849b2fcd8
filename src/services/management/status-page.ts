/**
 * The status page: one HTML shell, its stylesheet and its script, served by the management service under the
 * accept's path (`/status`, `/status/app.css`, `/status/app.js`). No framework and nothing external: the
 * Content-Security-Policy allows only this origin's script, style and event stream, no inline code, no frames.
 * The script renders with textContent only (never HTML from data), takes its data from the server-sent events of
 * `/status/events` (a page of connections at a time, so 10,000 clients cost the browser 50 rows), and closes a
 * connection with a DELETE that carries the headers request-guard.ts requires.
 */

export const STATUS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gateway status</title>
<link rel="stylesheet" href="status/app.css">
<link rel="icon" href="status/icon.svg" type="image/svg+xml">
<script src="status/app.js" defer></script>
</head>
<body>
<header>
  <h1>Gateway status</h1>
  <p id="state" class="state" role="status">connecting…</p>
</header>
<main>
  <section aria-labelledby="h-services">
    <h2 id="h-services">Services</h2>
    <div class="scroll"><table id="services">
      <thead><tr><th>Service</th><th>Type</th><th>Accepts</th><th>State</th><th class="num">Connections</th></tr></thead>
      <tbody></tbody>
    </table></div>
    <h3>Listeners</h3>
    <ul id="listeners" class="chips"></ul>
  </section>
  <section aria-labelledby="h-connections">
    <h2 id="h-connections">Connections <span id="count" class="count"></span></h2>
    <p id="read-only" class="count" hidden>Read-only: connections are closed from the operators' management service, not here.</p>
    <form id="filter" class="filter" role="search">
      <label>Search <input id="q" type="search" placeholder="subject, address or id" autocomplete="off"></label>
      <label>Service <select id="service"><option value="">all</option></select></label>
    </form>
    <div class="scroll"><table id="connections">
      <thead><tr><th>Client</th><th>Address</th><th>Service</th><th class="num">In</th><th class="num">Out</th><th class="num">Age</th><th><span class="sr">Action</span></th></tr></thead>
      <tbody></tbody>
    </table></div>
    <nav class="pager" aria-label="Connection pages">
      <button id="prev" type="button">Previous</button>
      <span id="range"></span>
      <button id="next" type="button">Next</button>
    </nav>
  </section>
  <section aria-labelledby="h-refusals">
    <h2 id="h-refusals">Recent refusals</h2>
    <div class="scroll"><table id="refusals">
      <thead><tr><th>Time</th><th>Reason</th><th>Client</th><th>Service</th><th>Detail</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </section>
  <section aria-labelledby="h-certificates">
    <h2 id="h-certificates">Certificates</h2>
    <div class="scroll"><table id="certificates">
      <thead><tr><th>Kind</th><th>Name</th><th>Until</th><th class="num">Days left</th></tr></thead>
      <tbody></tbody>
    </table></div>
  </section>
</main>
</body>
</html>
`;

const CSS = `:root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6470; --bg: #fff; --line: #d8dee4; --ok: #1a7f37; --bad: #cf222e; --warn: #9a6700; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9aa5b1; --bg: #0d1117; --line: #30363d; --ok: #3fb950; --bad: #f85149; --warn: #d29922; --accent: #58a6ff; } }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: .5rem 1rem; padding: .75rem 1rem; border-bottom: 1px solid var(--line); }
h1 { font-size: 1.25rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 1.25rem 0 .5rem; }
h3 { font-size: .95rem; margin: .75rem 0 .25rem; color: var(--muted); }
main { padding: 0 1rem 2rem; max-width: 80rem; margin: 0 auto; }
.state { margin: 0; font-weight: 600; }
.ok { color: var(--ok); } .bad { color: var(--bad); } .warn { color: var(--warn); }
.count { color: var(--muted); font-weight: normal; }
.scroll { overflow-x: auto; -webkit-overflow-scrolling: touch; }
table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.id { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .85rem; word-break: break-all; }
.sub { display: block; color: var(--muted); font-size: .8rem; }
.chips { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .4rem; }
.chips li { border: 1px solid var(--line); border-radius: 1rem; padding: .1rem .6rem; font-size: .85rem; }
.filter { display: flex; flex-wrap: wrap; gap: .5rem 1rem; margin-bottom: .5rem; }
input, select, button { font: inherit; color: inherit; background: var(--bg); border: 1px solid var(--line); border-radius: .35rem; padding: .3rem .5rem; }
button { cursor: pointer; }
button:hover:not(:disabled) { border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
button.close { color: var(--bad); }
.pager { display: flex; align-items: center; gap: .75rem; margin-top: .5rem; }
.empty { color: var(--muted); font-style: italic; }
.sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
@media (max-width: 40rem) {
  body { font-size: 14px; }
  main { padding: 0 .5rem 1.5rem; }
  /* Tables become one card per row on a phone: every cell labelled by its column. */
  #connections thead, #refusals thead { display: none; }
  #connections tr, #refusals tr { display: block; border-bottom: 1px solid var(--line); padding: .4rem 0; }
  #connections td, #refusals td { display: flex; justify-content: space-between; gap: 1rem; border: 0; padding: .1rem .25rem; text-align: right; }
  #connections td::before, #refusals td::before { content: attr(data-label); color: var(--muted); text-align: left; font-size: .8rem; }
  #connections td.num { text-align: right; }
}
`;

const JS = `'use strict';
(function () {
  var PAGE = 50;
  var state = { offset: 0, q: '', service: '', source: null, total: 0, received: 0, rows: [], readOnly: false };
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, text, cls, label) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    if (label) e.setAttribute('data-label', label);
    return e;
  }
  function bytes(n) {
    var units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
    return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
  }
  function age(seconds) {
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
    if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
    return Math.floor(seconds / 86400) + ' d ' + Math.floor((seconds % 86400) / 3600) + ' h';
  }
  function replaceRows(tbody, rows, columns) {
    var fragment = document.createDocumentFragment();
    rows.forEach(function (r) { fragment.appendChild(r); });
    if (rows.length === 0) {
      var tr = el('tr');
      var td = el('td', 'none', 'empty');
      td.colSpan = columns;
      tr.appendChild(td);
      fragment.appendChild(tr);
    }
    tbody.replaceChildren(fragment);
  }

  function renderOverview(o) {
    var s = $('state');
    s.textContent = (o.ready ? 'Ready' : 'Not ready: ' + o.reasons.join('; ')) + ' · ' + o.connections + ' connection' + (o.connections === 1 ? '' : 's') + (o.workers ? ' · ' + o.workers.length + ' workers (pids ' + o.workers.map(function (w) { return w.pid; }).join(', ') + ')' : ' · pid ' + o.pid);
    s.className = 'state ' + (o.ready ? 'ok' : 'bad');
    replaceRows($('services').tBodies[0], o.services.map(function (svc) {
      var tr = el('tr');
      tr.appendChild(el('td', svc.name));
      tr.appendChild(el('td', svc.type));
      tr.appendChild(el('td', svc.accepts.join(' ')));
      tr.appendChild(el('td', svc.available ? 'available' : 'unavailable', svc.available ? 'ok' : 'bad'));
      tr.appendChild(el('td', svc.connections, 'num'));
      return tr;
    }), 5);
    var select = $('service');
    var names = o.services.map(function (x) { return x.name; });
    if (select.options.length !== names.length + 1) {
      while (select.options.length > 1) select.remove(1);
      names.forEach(function (n) { select.add(new Option(n, n)); });
      select.value = state.service;
    }
    $('listeners').replaceChildren.apply($('listeners'), o.listeners.map(function (l) {
      return el('li', l.address + (l.listening ? ' · listening' : ' · not listening'), l.listening ? 'ok' : 'bad');
    }));
    replaceRows($('refusals').tBodies[0], o.refusals.map(function (r) {
      var tr = el('tr');
      tr.appendChild(el('td', new Date(r.at).toLocaleTimeString(), null, 'Time'));
      tr.appendChild(el('td', r.reason, 'warn', 'Reason'));
      var who = el('td', r.downstream, null, 'Client');
      if (r.subject) who.appendChild(el('span', r.subject, 'sub'));
      tr.appendChild(who);
      tr.appendChild(el('td', r.service || '', null, 'Service'));
      tr.appendChild(el('td', r.message, null, 'Detail'));
      return tr;
    }), 5);
    replaceRows($('certificates').tBodies[0], o.certificates.map(function (c) {
      var tr = el('tr');
      tr.appendChild(el('td', c.kind));
      tr.appendChild(el('td', c.name));
      tr.appendChild(el('td', c.until.slice(0, 10)));
      tr.appendChild(el('td', c.daysLeft, 'num ' + (c.daysLeft < 0 ? 'bad' : c.daysLeft < 14 ? 'warn' : 'ok')));
      return tr;
    }), 4);
  }

  function closeConnection(id, button) {
    button.disabled = true;
    button.textContent = 'Closing…';
    fetch('api/connections/' + encodeURIComponent(id), {
      method: 'DELETE',
      headers: { 'X-Gateway-Request': '1', 'Content-Type': 'application/json' },
      credentials: 'same-origin'
    }).then(function (res) {
      button.textContent = res.ok ? 'Closed' : 'Failed (' + res.status + ')';
    }, function () {
      button.textContent = 'Failed';
      button.disabled = false;
    });
  }

  function renderPage(p) {
    state.total = p.total;
    state.rows = p.connections;
    state.received = Date.now();
    $('count').textContent = '(' + p.total + ')';
    var last = Math.min(p.offset + p.connections.length, p.total);
    $('range').textContent = p.total === 0 ? '' : (p.offset + 1) + '–' + last + ' of ' + p.total;
    $('prev').disabled = p.offset === 0;
    $('next').disabled = last >= p.total;
    replaceRows($('connections').tBodies[0], p.connections.map(function (c) {
      var tr = el('tr');
      tr.setAttribute('data-id', c.id);
      var who = el('td', c.subject || c.principal || c.fingerprint || 'no certificate', null, 'Client');
      who.appendChild(el('span', '#' + c.id + (c.ticket ? ' · by a ticket of realm ' + c.ticket : '') + (c.fingerprint ? ' · ' + c.fingerprint.slice(0, 23) + '…' : ''), 'sub id'));
      tr.appendChild(who);
      tr.appendChild(el('td', c.address + ':' + c.port, null, 'Address'));
      tr.appendChild(el('td', c.service, null, 'Service'));
      tr.appendChild(el('td', bytes(c.bytesIn), 'num', 'In'));
      tr.appendChild(el('td', bytes(c.bytesOut), 'num', 'Out'));
      tr.appendChild(el('td', age(c.ageSeconds), 'num age', 'Age'));
      var action = el('td', null, null, 'Action');
      // A read-only service (<read-only>) would refuse the close: it offers none.
      if (!state.readOnly) {
        var button = el('button', c.closing ? 'Closing…' : 'Close', 'close');
        button.type = 'button';
        button.disabled = c.closing;
        button.setAttribute('aria-label', 'Close connection ' + c.id);
        button.addEventListener('click', function () { closeConnection(c.id, button); });
        action.appendChild(button);
      }
      tr.appendChild(action);
      return tr;
    }), 7);
  }

  // Ages move on between snapshots (which are sent only when something else changed).
  setInterval(function () {
    var elapsed = Math.floor((Date.now() - state.received) / 1000);
    var cells = document.querySelectorAll('#connections td.age');
    for (var i = 0; i < cells.length && i < state.rows.length; i++) cells[i].textContent = age(state.rows[i].ageSeconds + elapsed);
  }, 1000);

  function connect() {
    if (state.source) state.source.close();
    var params = new URLSearchParams({ offset: String(state.offset), limit: String(PAGE) });
    if (state.q) params.set('q', state.q);
    if (state.service) params.set('service', state.service);
    var source = new EventSource('status/events?' + params.toString());
    state.source = source;
    source.addEventListener('snapshot', function (e) {
      var data = JSON.parse(e.data);
      renderOverview(data.overview);
      state.readOnly = data.readOnly === true;
      $('read-only').hidden = !state.readOnly;
      renderPage(data.page);
    });
    source.addEventListener('unavailable', function (e) {
      var s = $('state');
      s.textContent = 'Not every worker answered: ' + JSON.parse(e.data).error;
      s.className = 'state bad';
    });
    source.onerror = function () {
      var s = $('state');
      s.textContent = 'Connection to the gateway lost; retrying…';
      s.className = 'state bad';
    };
  }

  document.addEventListener('DOMContentLoaded', function () {
    var timer = null;
    $('q').addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.q = $('q').value.trim(); state.offset = 0; connect(); }, 300);
    });
    $('service').addEventListener('change', function () { state.service = $('service').value; state.offset = 0; connect(); });
    $('filter').addEventListener('submit', function (e) { e.preventDefault(); });
    $('prev').addEventListener('click', function () { state.offset = Math.max(0, state.offset - PAGE); connect(); });
    $('next').addEventListener('click', function () { state.offset += PAGE; connect(); });
    connect();
  });
})();
`;

/** Its own icon, so that the browser does not ask the gateway for /favicon.ico. */
const ICON = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6" fill="#1a7f37"/></svg>\n';

export const STATUS_ASSETS: ReadonlyMap<string, { readonly type: string; readonly body: string }> = new Map([
  ['/status', { type: 'text/html; charset=utf-8', body: HTML }],
  ['/status/app.css', { type: 'text/css; charset=utf-8', body: CSS }],
  ['/status/app.js', { type: 'text/javascript; charset=utf-8', body: JS }],
  ['/status/icon.svg', { type: 'image/svg+xml', body: ICON }],
]);
