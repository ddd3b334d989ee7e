// Drover dashboard: one server-sent-events stream (/api/stream) pushes pools, nodes and new timeline entries
// every second: all nodes first ('snapshot'), then only the nodes that changed and the ids of those gone
// ('delta'). Elements are created once per node and only changed ones are touched, so 10,000 nodes stay cheap.
'use strict';

const STATES = ['ENROLLING', 'READY', 'BUSY', 'SUSPECT', 'UNHEALTHY', 'DRAINING', 'DRAINED', 'EVICTING', 'LOST',
  'GONE', 'DELETED'];
const TIMELINE_MAX = 300;
const nodeElements = new Map();
let token = null;
let selected = null;
let lastSeq = 0;
const nodesById = new Map();

function readToken() {
  const m = /(?:^|[#&])token=([^&]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem('drover-token', decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname); // keep the token out of the address bar and history
  }
  return sessionStorage.getItem('drover-token');
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setText(e, text) {
  if (e.textContent !== text) e.textContent = text;
}

function connect() {
  const status = document.getElementById('status');
  const source = new EventSource('/api/stream?access_token=' + encodeURIComponent(token) + '&after=' + lastSeq);
  source.addEventListener('snapshot', ev => {
    status.textContent = 'live';
    status.className = 'status ok';
    render(JSON.parse(ev.data), true);
  });
  source.addEventListener('delta', ev => render(JSON.parse(ev.data), false));
  source.onerror = () => {
    status.textContent = 'reconnecting…';
    status.className = 'status bad';
    // EventSource retries by itself; a rejected token ends it, so ask for one then
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      fetch('/api/pools', { headers: auth() }).then(r => {
        if (r.status === 401) askForToken(token ? 'token not accepted' : 'a token is needed');
        else setTimeout(connect, 2000);
      }).catch(() => setTimeout(connect, 2000));
    }
  };
}

function auth() {
  return token ? { Authorization: 'Bearer ' + token } : {};
}

// Last render times (ms), kept for the browser test's responsiveness check with 1,000 nodes.
window.droverRenderMillis = [];

function render(s, full) {
  const started = performance.now();
  renderAll(s, full);
  window.droverRenderMillis.push(Math.round(performance.now() - started));
  if (window.droverRenderMillis.length > 60) window.droverRenderMillis.shift();
}

function renderAll(s, full) {
  renderPools(s.pools);
  if (full) nodesById.clear();
  for (const id of s.removed || []) nodesById.delete(id);
  for (const n of s.nodes) nodesById.set(n.id, n);
  // evicting nodes are redrawn every time: their countdown moves without the node changing
  const evicting = full ? [] : [...nodesById.values()].filter(n => n.state === 'EVICTING');
  renderNodes(s.nodes.concat(evicting), full || (s.removed || []).length > 0);
  renderTimeline(s.events);
  if (s.jobs) {
    setText(document.getElementById('jobs'), `frames: ${s.jobs.done} done, ${s.jobs.active} rendering, ` +
      `${s.jobs.ready} waiting` + (s.jobs.error ? `, ${s.jobs.error} failed` : ''));
  }
}

function renderPools(p) {
  const body = document.querySelector('#pools tbody');
  body.replaceChildren();
  for (const pool of p.pools) {
    const tr = el('tr');
    let queue = '';
    for (const [key, c] of Object.entries(p.queue.counts || {})) queue += `${key}: ${c.ready} ready, ${c.active} active `;
    if (!p.queue.known) queue = 'unknown: ' + p.queue.reason;
    const cells = [pool.name + (pool.paused ? ' (paused)' : ''), queue, pool.target, pool.current, pool.booting,
      pool.draining, '$' + pool.costPerHour.toFixed(2)];
    for (const c of cells) tr.append(el('td', '', String(c)));
    tr.append(el('td', 'reason', pool.reason));
    body.append(tr);
  }
}

// Draws the nodes that changed; with removals, drops the elements of nodes that are gone.
function renderNodes(changed, prune) {
  const grid = document.getElementById('grid');
  for (const n of changed) {
    let e = nodeElements.get(n.id);
    if (!e) {
      e = el('div', 'node');
      e.dataset.id = n.id;
      e.append(el('div', 'id', n.id), el('div', 'task'), el('div', 'bar'), el('div', 'host'), el('div', 'evict'));
      e.children[2].append(el('div'));
      e.addEventListener('click', () => showDetail(n.id));
      grid.append(e);
      nodeElements.set(n.id, e);
    }
    const cls = 'node s-' + n.state;
    if (e.className !== cls) e.className = cls;
    e.title = n.state + ': ' + n.stateReason;
    const t = n.currentTasks && n.currentTasks[0];
    setText(e.children[1], t ? (t.title || `task ${t.jid}/${t.tid}`) + (t.frame != null ? ` · frame ${t.frame}` : '')
      + (t.state === 'STARTING' ? ' (starting)' : '') : n.state.toLowerCase());
    const pct = t ? Math.round(t.percent) : 0;
    const fill = e.children[2].firstChild;
    if (fill.dataset.pct !== String(pct)) {
      fill.dataset.pct = String(pct);
      fill.style.width = pct + '%';
    }
    const m = n.metrics;
    const parts = [];
    if (m && m.cpuPercent >= 0) parts.push(`cpu ${Math.round(m.cpuPercent)}%`);
    if (m && m.memTotalBytes > 0) parts.push(`mem ${Math.round(100 * (1 - m.memAvailableBytes / m.memTotalBytes))}%`);
    const mountsOk = (n.mounts || []).every(x => x.state === 'OK' || x.state === 'SLOW');
    setText(e.children[3], parts.join(' · ') +
      ((n.mounts || []).length ? (mountsOk ? ' · mounts ok' : ' · MOUNT PROBLEM') : ''));
    let evict = '';
    if (n.eviction && n.eviction.notBefore && n.state === 'EVICTING') {
      const secs = Math.max(0, Math.round((Date.parse(n.eviction.notBefore) - Date.now()) / 1000));
      evict = `${n.eviction.type} in ${secs}s`;
    }
    setText(e.children[4], evict);
  }
  if (prune) {
    for (const [id, e] of nodeElements) {
      if (!nodesById.has(id)) {
        e.remove();
        nodeElements.delete(id);
      }
    }
  }
  const counts = {};
  for (const n of nodesById.values()) counts[n.state] = (counts[n.state] || 0) + 1;
  setText(document.getElementById('node-count'), `(${nodesById.size})`);
  const legend = document.getElementById('legend');
  legend.replaceChildren(...STATES.filter(s => counts[s]).map(s => {
    const span = el('span', '', `${s.toLowerCase()} ${counts[s]}`);
    const i = el('i', 'swatch s-' + s);
    span.prepend(i);
    return span;
  }));
  if (selected) updateDetailHeader();
}

function renderTimeline(events) {
  const list = document.getElementById('timeline');
  for (const ev of events) {
    if (ev.seq <= lastSeq) continue;
    lastSeq = ev.seq;
    const li = el('li', 'k-' + ev.kind);
    li.dataset.kind = ev.kind;
    li.append(el('span', 'muted', new Date(ev.at).toLocaleTimeString() + ' '), el('span', 'kind', ev.kind),
      document.createTextNode(' ' + ev.message));
    list.prepend(li);
  }
  while (list.children.length > TIMELINE_MAX) list.lastChild.remove();
}

function showDetail(id) {
  selected = id;
  document.getElementById('detail').hidden = false;
  document.getElementById('drain-result').textContent = '';
  updateDetailHeader();
  fetch('/api/nodes/' + encodeURIComponent(id), { headers: auth() }).then(r => r.json()).then(d => {
    if (selected !== id) return;
    const body = document.getElementById('detail-body');
    body.replaceChildren();
    body.append(el('h3', '', 'Recent tasks'));
    const recent = (d.recentTasks || []).slice(0, 10).map(t =>
      `${t.jid}/${t.tid}/${t.cid} exit ${t.exitCode} in ${Math.round((t.runtimeMillis || 0) / 1000)}s`);
    body.append(el('pre', '', recent.join('\n') || '(none yet)'));
    body.append(el('h3', '', 'State history'));
    const hist = (d.history || []).slice(-12).map(h => `${h.at || ''} ${h.from} → ${h.to}: ${h.reason}`);
    body.append(el('pre', '', hist.join('\n')));
  });
}

function updateDetailHeader() {
  const n = nodesById.get(selected);
  setText(document.getElementById('detail-title'), selected + (n ? ` — ${n.state}` : ''));
}

function drainSelected() {
  const result = document.getElementById('drain-result');
  fetch('/api/nodes/' + encodeURIComponent(selected) + '/drain', { method: 'POST', headers: auth() })
    .then(r => r.json().then(b => ({ status: r.status, body: b })))
    .then(({ status, body }) => {
      result.textContent = status === 202 ? 'draining: running work finishes, then the node is removed'
        : status === 403 ? 'needs an operator token (open the dashboard with #token=<operator token>)'
        : body.error || ('failed: ' + status);
    });
}

function askForToken(why) {
  const form = document.getElementById('login');
  form.hidden = false;
  document.getElementById('status').textContent = why;
  form.onsubmit = ev => {
    ev.preventDefault();
    token = document.getElementById('token-input').value.trim();
    sessionStorage.setItem('drover-token', token);
    form.hidden = true;
    connect();
  };
}

document.getElementById('detail-close').onclick = () => {
  selected = null;
  document.getElementById('detail').hidden = true;
};
document.getElementById('drain').onclick = drainSelected;
token = readToken() || ''; // an API without tokens (loopback only) needs none
connect();
