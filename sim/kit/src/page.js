// The failure page's timeline, drawn on one canvas from the JSON document above (see
// page_data.rs for its arrays). Plain JavaScript, no libraries: zoom with the wheel, pan by
// dragging, hover for details. Only what is in view is drawn, so long runs stay quick.
(function () {
  'use strict';
  var D = JSON.parse(document.getElementById('data').textContent);
  var canvas = document.getElementById('canvas');
  var ctx = canvas.getContext('2d');
  var box = document.getElementById('canvas-box');
  var hoverBox = document.getElementById('hover');
  var markBox = document.getElementById('evidence-mark');
  var allBox = document.getElementById('all-messages');
  var GUTTER = 110, AXIS = 24, MARKS = 16, NODE_ROW = 28, BAND = 5, OP_ROW = 22, MAX_ARROWS = 20000;
  var END = Math.max(D.end, D.failure.time, 1);
  // Common labels keep their colour from page to page; others take the next free one.
  var FIXED = { 'leader': '#1565c0', 'candidate': '#ef6c00', 'follower': '#a5d6a7' };
  var PALETTE = ['#ce93d8', '#80deea', '#ffcc80', '#bcaaa4', '#fff59d', '#90caf9', '#f48fb1',
    '#c5e1a5', '#b0bec5', '#ffab91', '#80cbc4', '#e6ee9c'];
  var GROUPS = ['#1e88e5', '#fb8c00', '#43a047', '#8e24aa', '#00acc1', '#6d4c41'];
  var MARKED = { 'linearized': '#c8e6c9', 'unplaced': '#ffe0b2', 'first-unplaced': '#ef5350', 'unchecked': '#dde3ea' };

  // ---- layout: a row per node, then a row per client ----------------------------------
  var rows = [], y = AXIS + MARKS;
  D.nodes.forEach(function (name, i) { rows.push({ node: i, name: name, y: y, h: NODE_ROW }); y += NODE_ROW; });
  var clients = [];
  D.ops.forEach(function (o) { if (clients.indexOf(o[0]) < 0) { clients.push(o[0]); } });
  clients.sort(function (a, b) { return a - b; });
  var clientRow = {};
  clients.forEach(function (c) {
    clientRow[c] = rows.length;
    rows.push({ client: c, name: 'client ' + c, y: y, h: OP_ROW });
    y += OP_ROW;
  });
  var HEIGHT = y + 6;
  var evidenceNodes = D.evidence.nodes;

  // ---- derived data -------------------------------------------------------------------
  var segments = D.nodes.map(function () { return []; });
  D.states.forEach(function (s) { segments[s[1]].push({ from: s[0], label: s[2], num: s[3] }); });
  segments.forEach(function (list) {
    list.forEach(function (seg, i) { seg.to = i + 1 < list.length ? list[i + 1].from : END; });
  });
  var bands = networkBands();
  var maxFlight = 0;
  D.messages.forEach(function (m) { maxFlight = Math.max(maxFlight, m[4] - m[3]); });
  var view = initialView();
  var drawn = [];

  var COLORS = {}, nextColor = 0;
  D.labels.forEach(function (l) {
    COLORS[l] = FIXED[l] || PALETTE[nextColor++ % PALETTE.length];
  });
  function colorOf(label) { return COLORS[label]; }

  // Per node, stretches of time in which the network is not whole: its group (components of
  // links up both ways) and the one-way cuts it has, in words.
  function networkBands() {
    var n = D.nodes.length, out = D.nodes.map(function () { return []; });
    D.links.forEach(function (epoch, e) {
      var from = epoch[0], to = e + 1 < D.links.length ? D.links[e + 1][0] : END;
      var down = {};
      epoch[1].forEach(function (l) { down[l[0] + ',' + l[1]] = true; });
      if (epoch[1].length === 0) { return; }
      var parent = [];
      for (var i = 0; i < n; i++) { parent.push(i); }
      function find(a) { while (parent[a] !== a) { a = parent[a]; } return a; }
      for (var a = 0; a < n; a++) {
        for (var b = a + 1; b < n; b++) {
          if (!down[a + ',' + b] && !down[b + ',' + a]) { parent[find(a)] = find(b); }
        }
      }
      var roots = [];
      for (var k = 0; k < n; k++) { if (roots.indexOf(find(k)) < 0) { roots.push(find(k)); } }
      for (var v = 0; v < n; v++) {
        var words = [], cutTo = [], cutFrom = [];
        for (var w = 0; w < n; w++) {
          if (w === v) { continue; }
          if (down[v + ',' + w]) { cutTo.push(D.nodes[w]); }
          if (down[w + ',' + v]) { cutFrom.push(D.nodes[w]); }
        }
        if (cutTo.length === 0 && cutFrom.length === 0) { continue; }
        if (cutTo.length) { words.push('cannot send to ' + cutTo.join(' ')); }
        if (cutFrom.length) { words.push('cannot hear from ' + cutFrom.join(' ')); }
        var oneWay = cutTo.join() !== cutFrom.join();
        out[v].push({ from: from, to: to, group: roots.indexOf(find(v)), groups: roots.length,
          oneWay: oneWay, text: words.join('; ') });
      }
    });
    return out;
  }

  // The evidence's stretch of time with the selected messages around it, padded.
  function initialView() {
    var lo = D.evidence.from, hi = D.evidence.to;
    D.messages.forEach(function (m) { if (m[6]) { lo = Math.min(lo, m[3]); hi = Math.max(hi, m[4]); } });
    // A history check fails at the end of the run: its evidence is the operation, not then.
    if (D.evidence.op === null) { hi = Math.max(hi, D.failure.time); }
    var span = Math.max(hi - lo, 2000), pad = span * 0.12;
    return { t0: Math.max(0, lo - pad), t1: hi + pad };
  }

  // ---- coordinates ---------------------------------------------------------------------
  function width() { return box.clientWidth; }
  function xOf(t) { return GUTTER + (t - view.t0) * (width() - GUTTER - 8) / (view.t1 - view.t0); }
  function tOf(x) { return view.t0 + (x - GUTTER) * (view.t1 - view.t0) / (width() - GUTTER - 8); }
  function laneMid(node) { return rows[node].y + BAND + (NODE_ROW - BAND - 4) / 2; }
  function fmt(us) { return (us / 1000).toFixed(3) + 'ms'; }

  // ---- drawing -------------------------------------------------------------------------
  function draw() {
    var dpr = window.devicePixelRatio || 1, w = width();
    canvas.width = Math.round(w * dpr);
    canvas.height = Math.round(HEIGHT * dpr);
    canvas.style.height = HEIGHT + 'px';
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, HEIGHT);
    ctx.font = '11px system-ui, sans-serif';
    ctx.textBaseline = 'middle';
    ctx.save();
    ctx.beginPath();
    ctx.rect(GUTTER, 0, w - GUTTER, HEIGHT);
    ctx.clip();
    drawEvidence();
    rows.forEach(function (row) { if (row.client === undefined) { drawNode(row); } });
    drawOps();
    drawMessages();
    drawMarks();
    drawFailure();
    ctx.restore();
    drawAxis(w);
    drawGutter();
    placeEvidenceMark();
    document.getElementById('range').textContent =
      fmt(view.t0) + ' \u2026 ' + fmt(view.t1) + '  (' + fmt(view.t1 - view.t0) + ' shown)';
  }

  function drawNode(row) {
    var top = row.y + BAND, h = NODE_ROW - BAND - 4;
    segments[row.node].forEach(function (s) {
      if (s.to < view.t0 || s.from > view.t1) { return; }
      var x0 = Math.max(xOf(s.from), GUTTER - 2), x1 = Math.min(xOf(s.to), width() + 2);
      var down = s.label < 0;
      ctx.fillStyle = down ? '#e0e0e0' : colorOf(D.labels[s.label]);
      ctx.globalAlpha = down ? 1 : 0.85;
      ctx.fillRect(x0, top, Math.max(x1 - x0, 1), h);
      ctx.globalAlpha = 1;
      var text = down ? 'down' : D.labels[s.label] + (s.num === null ? '' : ' ' + s.num);
      if (x1 - x0 > ctx.measureText(text).width + 6) {
        ctx.fillStyle = down ? '#757575' : (D.labels[s.label] === 'leader' ? '#fff' : '#111');
        ctx.fillText(text, x0 + 3, top + h / 2);
      }
    });
    D.pauses.forEach(function (p) {
      if (p[0] !== row.node || p[2] < view.t0 || p[1] > view.t1) { return; }
      var x0 = xOf(p[1]), x1 = xOf(p[2]);
      ctx.fillStyle = 'rgba(0,0,0,0.35)';
      ctx.fillRect(x0, top + h - 5, Math.max(x1 - x0, 1), 5);
    });
    bands[row.node].forEach(function (b) {
      if (b.to < view.t0 || b.from > view.t1) { return; }
      var x0 = xOf(b.from), x1 = xOf(b.to);
      ctx.fillStyle = b.groups > 1 ? GROUPS[b.group % GROUPS.length] : '#9e9e9e';
      ctx.fillRect(x0, row.y + 1, Math.max(x1 - x0, 1), BAND - 2);
      if (b.oneWay) {
        ctx.fillStyle = '#c62828';
        for (var x = x0; x < x1; x += 10) { ctx.fillRect(x, row.y + 1, 4, BAND - 2); }
      }
    });
  }

  function drawOps() {
    D.ops.forEach(function (o, i) {
      var ret = o[2] === null ? END : o[2];
      if (ret < view.t0 || o[1] > view.t1) { return; }
      var row = rows[clientRow[o[0]]], x0 = xOf(o[1]), x1 = Math.max(xOf(ret), x0 + 3);
      var evidence = i === D.evidence.op;
      ctx.fillStyle = MARKED[o[4]] || '#dde3ea';
      ctx.fillRect(x0, row.y + 3, x1 - x0, OP_ROW - 6);
      ctx.strokeStyle = evidence ? '#b71c1c' : '#90a4ae';
      ctx.lineWidth = evidence ? 2 : 1;
      ctx.setLineDash(o[2] === null ? [4, 3] : []);
      ctx.strokeRect(x0, row.y + 3, x1 - x0, OP_ROW - 6);
      ctx.setLineDash([]);
      if (x1 - x0 > 30) {
        ctx.fillStyle = evidence ? '#fff' : '#222';
        ctx.fillText(o[3], x0 + 3, row.y + OP_ROW / 2, x1 - x0 - 6);
      }
    });
  }

  // Messages sorted by the end of their flight; those in view are found by binary search.
  function drawMessages() {
    drawn = [];
    var all = allBox.checked, lo = 0, hi = D.messages.length, count = 0;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (D.messages[mid][4] < view.t0) { lo = mid + 1; } else { hi = mid; } }
    for (var i = lo; i < D.messages.length; i++) {
      var m = D.messages[i];
      if (m[4] > view.t1 + maxFlight) { break; }
      if (m[3] > view.t1 || !(all || m[6])) { continue; }
      if (count++ >= MAX_ARROWS) { break; }
      arrow(m);
    }
    ctx.globalAlpha = 1;
    ctx.setLineDash([]);
  }

  function arrow(m) {
    var x0 = xOf(m[3]), y0 = laneMid(m[0]), x1 = xOf(m[4]), y1 = laneMid(m[1]);
    var dropped = m[5] >= 2, flying = m[5] === 1;
    ctx.strokeStyle = dropped ? '#c62828' : (flying ? '#757575' : (m[6] ? '#0d47a1' : '#37474f'));
    ctx.globalAlpha = m[6] ? 0.95 : 0.35;
    ctx.lineWidth = m[6] ? 1.6 : 1;
    ctx.setLineDash(dropped || flying ? [4, 3] : []);
    ctx.beginPath();
    ctx.moveTo(x0, y0);
    ctx.lineTo(x1, y1);
    ctx.stroke();
    ctx.setLineDash([]);
    if (dropped) {
      ctx.beginPath();
      ctx.moveTo(x1 - 3, y1 - 3); ctx.lineTo(x1 + 3, y1 + 3);
      ctx.moveTo(x1 + 3, y1 - 3); ctx.lineTo(x1 - 3, y1 + 3);
      ctx.stroke();
    } else {
      var a = Math.atan2(y1 - y0, x1 - x0);
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - 6 * Math.cos(a - 0.4), y1 - 6 * Math.sin(a - 0.4));
      ctx.lineTo(x1 - 6 * Math.cos(a + 0.4), y1 - 6 * Math.sin(a + 0.4));
      ctx.closePath();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
    }
    drawn.push({ m: m, x0: x0, y0: y0, x1: x1, y1: y1 });
  }

  function drawMarks() {
    D.marks.forEach(function (k) {
      if (k[0] < view.t0 || k[0] > view.t1) { return; }
      var x = xOf(k[0]);
      ctx.fillStyle = k[1] === 0 ? '#ef6c00' : '#607d8b';
      ctx.beginPath();
      ctx.moveTo(x, AXIS + MARKS - 2); ctx.lineTo(x - 4, AXIS + 3); ctx.lineTo(x + 4, AXIS + 3);
      ctx.closePath();
      ctx.fill();
      k[2].forEach(function (node) {
        if (rows[node]) { ctx.fillRect(x - 0.5, rows[node].y, 1, NODE_ROW - 4); }
      });
    });
  }

  function drawFailure() {
    var x = xOf(D.failure.time);
    ctx.strokeStyle = '#c62828';
    ctx.lineWidth = 2;
    ctx.beginPath(); ctx.moveTo(x, AXIS); ctx.lineTo(x, HEIGHT); ctx.stroke();
    ctx.fillStyle = '#c62828';
    ctx.fillText('\u2716 ' + D.failure.check, x + 4, AXIS + MARKS / 2);
  }

  function evidenceRows() {
    var list = evidenceNodes.filter(function (n) { return rows[n]; }).map(function (n) { return rows[n]; });
    if (D.evidence.op !== null) { list.push(rows[clientRow[D.ops[D.evidence.op][0]]]); }
    return list.length ? list : rows;
  }

  function drawEvidence() {
    var x0 = xOf(D.evidence.from) - 3, x1 = Math.max(xOf(D.evidence.to) + 3, x0 + 6);
    ctx.fillStyle = 'rgba(229,57,53,0.10)';
    evidenceRows().forEach(function (row) { ctx.fillRect(x0, row.y, x1 - x0, row.h); });
  }

  // A real element over the evidence (its operation's row, else its nodes' rows), so that a
  // person, and the browser test, sees it.
  function placeEvidenceMark() {
    var list = D.evidence.op !== null ? [rows[clientRow[D.ops[D.evidence.op][0]]]] : evidenceRows();
    var top = HEIGHT, bottom = 0;
    list.forEach(function (row) { top = Math.min(top, row.y); bottom = Math.max(bottom, row.y + row.h); });
    var x0 = Math.max(xOf(D.evidence.from) - 4, GUTTER), x1 = Math.min(Math.max(xOf(D.evidence.to) + 4, x0 + 8), width());
    var visible = x1 > GUTTER && x0 < width();
    markBox.style.display = visible ? 'block' : 'none';
    markBox.style.left = x0 + 'px';
    markBox.style.width = Math.max(x1 - x0, 8) + 'px';
    markBox.style.top = top + 'px';
    markBox.style.height = (bottom - top) + 'px';
  }

  function drawAxis(w) {
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, 0, w, AXIS);
    var span = view.t1 - view.t0, step = Math.pow(10, Math.floor(Math.log10(span / 8)));
    if (span / step > 16) { step *= 5; } else if (span / step > 8) { step *= 2; }
    ctx.fillStyle = '#555';
    ctx.strokeStyle = '#e0e0e0';
    ctx.lineWidth = 1;
    for (var t = Math.ceil(view.t0 / step) * step; t <= view.t1; t += step) {
      var x = xOf(t);
      if (x < GUTTER) { continue; }
      ctx.beginPath(); ctx.moveTo(x, AXIS - 4); ctx.lineTo(x, HEIGHT); ctx.stroke();
      ctx.fillText(step >= 1000 ? (t / 1000) + 'ms' : fmt(t), x + 2, AXIS / 2);
    }
  }

  function drawGutter() {
    ctx.fillStyle = '#fafafa';
    ctx.fillRect(0, AXIS, GUTTER, HEIGHT - AXIS);
    ctx.fillStyle = '#607d8b';
    ctx.fillText('faults, notes', 6, AXIS + MARKS / 2);
    rows.forEach(function (row) {
      var evidence = row.client === undefined ? evidenceNodes.indexOf(row.node) >= 0
        : (D.evidence.op !== null && D.ops[D.evidence.op][0] === row.client);
      ctx.fillStyle = evidence ? '#c62828' : '#333';
      ctx.font = (evidence ? 'bold ' : '') + '12px system-ui, sans-serif';
      ctx.fillText(row.name, 6, row.y + row.h / 2);
    });
    ctx.font = '11px system-ui, sans-serif';
  }

  // ---- what is under the pointer -------------------------------------------------------
  function describeAt(x, y) {
    var t = tOf(x);
    if (y < AXIS + MARKS) { return describeMark(x); }
    var near = nearestArrow(x, y);
    if (near) { return describeMessage(near.m); }
    var row = rows.filter(function (r) { return y >= r.y && y < r.y + r.h; })[0];
    if (!row) { return ''; }
    if (row.client !== undefined) { return describeOp(row.client, t); }
    return describeNode(row, t, y);
  }

  function describeMark(x) {
    var best = null, dist = 6;
    D.marks.forEach(function (k) { var d = Math.abs(xOf(k[0]) - x); if (d < dist) { dist = d; best = k; } });
    return best ? 't=' + fmt(best[0]) + '  ' + (best[1] === 0 ? 'fault ' : 'note ') + best[3] : '';
  }

  function nearestArrow(x, y) {
    var best = null, dist = 4;
    drawn.forEach(function (a) {
      var dx = a.x1 - a.x0, dy = a.y1 - a.y0, len = dx * dx + dy * dy;
      var u = len === 0 ? 0 : Math.max(0, Math.min(1, ((x - a.x0) * dx + (y - a.y0) * dy) / len));
      var d = Math.hypot(a.x0 + u * dx - x, a.y0 + u * dy - y);
      if (d < dist) { dist = d; best = a; }
    });
    return best;
  }

  function describeMessage(m) {
    return D.kinds[m[2]] + '  ' + D.nodes[m[0]] + ' -> ' + D.nodes[m[1]] + '  ' + D.outcomes[m[5]] +
      '\nsent t=' + fmt(m[3]) + '  ' + (m[5] === 1 ? 'due' : 'ended') + ' t=' + fmt(m[4]) +
      '  (' + fmt(m[4] - m[3]) + ' in flight)' + (m[6] ? '  [evidence]' : '');
  }

  function describeOp(client, t) {
    var hit = D.ops.filter(function (o) { return o[0] === client && o[1] <= t && (o[2] === null ? END : o[2]) >= t; })[0];
    if (!hit) { return 'client ' + client; }
    return 'client ' + client + '  ' + hit[3] + '\ncalled t=' + fmt(hit[1]) + '  returned ' +
      (hit[2] === null ? 'never (open)' : 't=' + fmt(hit[2])) + '  ' + hit[4];
  }

  function describeNode(row, t, y) {
    var lines = [row.name + '  at t=' + fmt(t)];
    var seg = segments[row.node].filter(function (s) { return s.from <= t && s.to > t; })[0];
    if (seg) {
      var what = seg.label < 0 ? 'down (crashed)' : D.labels[seg.label] + (seg.num === null ? '' : ' ' + seg.num);
      lines.push(what + ' from t=' + fmt(seg.from) + ' to t=' + fmt(seg.to));
    }
    D.pauses.forEach(function (p) { if (p[0] === row.node && p[1] <= t && p[2] > t) { lines.push('paused until t=' + fmt(p[2])); } });
    bands[row.node].forEach(function (b) { if (b.from <= t && b.to > t) { lines.push('network: ' + b.text); } });
    return lines.join('\n');
  }

  // ---- interaction ---------------------------------------------------------------------
  function zoom(factor, atX) {
    var t = tOf(atX), span = (view.t1 - view.t0) * factor;
    span = Math.max(span, 20);
    var left = (t - view.t0) / (view.t1 - view.t0);
    view = { t0: t - left * span, t1: t - left * span + span };
    draw();
  }

  function pointer(e) { var r = canvas.getBoundingClientRect(); return { x: e.clientX - r.left, y: e.clientY - r.top }; }

  var drag = null;
  canvas.addEventListener('wheel', function (e) {
    e.preventDefault();
    zoom(Math.exp(e.deltaY * 0.002), Math.max(pointer(e).x, GUTTER));
  }, { passive: false });
  canvas.addEventListener('mousedown', function (e) { drag = { x: pointer(e).x, view: view }; canvas.style.cursor = 'grabbing'; });
  window.addEventListener('mouseup', function () { drag = null; canvas.style.cursor = 'grab'; });
  canvas.addEventListener('mousemove', function (e) {
    var p = pointer(e);
    if (drag) {
      var dt = (p.x - drag.x) * (drag.view.t1 - drag.view.t0) / (width() - GUTTER - 8);
      view = { t0: drag.view.t0 - dt, t1: drag.view.t1 - dt };
      draw();
      return;
    }
    var text = describeAt(p.x, p.y);
    if (text) { hoverBox.textContent = text; }
  });
  document.getElementById('to-evidence').addEventListener('click', function () { view = initialView(); draw(); });
  document.getElementById('whole').addEventListener('click', function () { view = { t0: 0, t1: END * 1.01 }; draw(); });
  document.getElementById('zoom-in').addEventListener('click', function () { zoom(0.5, (GUTTER + width()) / 2); });
  document.getElementById('zoom-out').addEventListener('click', function () { zoom(2, (GUTTER + width()) / 2); });
  allBox.addEventListener('change', draw);
  window.addEventListener('resize', draw);

  function legend() {
    var html = 'states:';
    D.labels.forEach(function (l) { html += '<span class="swatch" style="background:' + colorOf(l) + '"></span>' + l; });
    html += '<span class="swatch" style="background:#e0e0e0"></span>down' +
      '<span class="swatch" style="background:rgba(0,0,0,.35)"></span>paused' +
      '<span class="swatch" style="background:' + GROUPS[0] + '"></span>partition group' +
      '<span class="swatch" style="background:#c62828"></span>one-way cut / dropped' +
      '<span class="swatch" style="background:#0d47a1"></span>evidence message';
    if (D.messagesOmitted > 0) { html += '  (' + D.messagesOmitted + ' earlier messages left out)'; }
    document.getElementById('legend').innerHTML = html;
  }

  legend();
  draw();
  var mark = markBox.getBoundingClientRect();
  // Scroll only as far as needed, so that the replay command stays in view where it can.
  if (mark.bottom > window.innerHeight || mark.top < 0) { markBox.scrollIntoView({ block: 'nearest' }); }
  var r = markBox.getBoundingClientRect();
  var inView = markBox.style.display !== 'none' && r.top >= 0 && r.left >= 0 &&
    r.bottom <= window.innerHeight && r.right <= window.innerWidth;
  document.body.setAttribute('data-evidence-in-view', inView ? 'yes' : 'no');
  document.body.setAttribute('data-arrows', String(drawn.length));
  var c = canvas.getBoundingClientRect();
  var hx = (r.left + r.right) / 2 - c.left, hy = (r.top + r.bottom) / 2 - c.top;
  document.body.setAttribute('data-hovered', describeAt(hx, hy));
  document.body.setAttribute('data-ready', 'yes');
})();
