(function () {
  'use strict';
  // Every recorded value reaches the page only through textContent: never as markup.
  var root = document.documentElement;
  var errors = [];
  function noteError(message) {
    errors.push(String(message));
    root.setAttribute('data-errors', JSON.stringify(errors));
  }
  root.setAttribute('data-errors', '[]');
  window.addEventListener('error', function (e) {
    noteError('error: ' + (e.message || (e.target && e.target.tagName) || e.type));
  }, true);
  window.addEventListener('unhandledrejection', function (e) { noteError('rejection: ' + e.reason); });
  document.addEventListener('securitypolicyviolation', function (e) {
    noteError('blocked by policy: ' + e.violatedDirective + ' ' + e.blockedURI);
  });

  var data = JSON.parse(document.getElementById('lockstep-data').textContent);
  var ops = data.ops;
  var lanes = data.lanes;
  var A = data.analysis;
  var cex = A && A.counterexample;
  var n = ops.length;

  var AXIS_H = 28, LANE_H = 26, BAR_H = 16, PAD = 12;
  var laneLabels = [];
  var KIND_COLOR = { ok: '#4caf7a', fail: '#e07a7a', info: '#e9b949', pending: '#e9b949' };
  var KIND_TAIL = { info: 'rgba(233,185,73,0.38)', pending: 'rgba(233,185,73,0.38)' };

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = text; }
    return e;
  }

  // ---- what the analysis says about each operation ----------------------------------------
  var ROLE_PREFIX = 1, ROLE_CANDIDATE = 2, ROLE_FAILING = 3;
  var role = new Uint8Array(n);
  var orderNo = new Int32Array(n).fill(-1);
  var reasons = {};
  var path = [];
  var failing = -1;
  // Operations a checker points at (an anomaly's transactions) and labelled relations
  // between them (a cycle's ww / wr / rw / process / realtime edges).
  var highlighted = new Uint8Array(n);
  var hlList = (A && A.highlight) || [];
  hlList.forEach(function (id) { highlighted[id] = 1; });
  var edges = (A && A.edges) || [];
  var edgesOf = {};
  var edgeRank = edges.map(function (e, k) {
    [e[0], e[1]].forEach(function (id, end) {
      if (end === 0 || e[1] !== e[0]) { (edgesOf[id] = edgesOf[id] || []).push(k); }
    });
    var rank = 0;
    for (var j = 0; j < k; j++) { if (edges[j][0] === e[0] && edges[j][1] === e[1]) { rank++; } }
    return rank;
  });
  var EDGE_COLOR = { ww: '#b42318', wr: '#1f6feb', rw: '#7c4dde', process: '#475467', realtime: '#b7791f' };
  var EDGE_DASHED = { process: true, realtime: true };
  function edgeColor(label) { return EDGE_COLOR[label] || '#0f766e'; }
  if (A) {
    path = cex ? cex.prefix : A.order;
    path.forEach(function (id, k) { orderNo[id] = k; role[id] = ROLE_PREFIX; });
    (A.highlight || []).forEach(function (id) { role[id] = ROLE_FAILING; });
    if (cex) {
      cex.candidates.forEach(function (c) { role[c[0]] = ROLE_CANDIDATE; reasons[c[0]] = c[1]; });
      if (cex.op != null) { failing = cex.op; role[failing] = ROLE_FAILING; }
    }
  }

  // ---- geometry: where each operation sits on the x axis -----------------------------------
  var useOrder = !data.time_axis;
  var xs0 = new Float64Array(n), xs1 = new Float64Array(n), xmark = new Float64Array(n);
  var linX = new Float64Array(path.length);
  var extent0 = 0, extent1 = 1;
  var laneOps = lanes.map(function () { return []; });
  ops.forEach(function (op, id) { if (laneOps[op.lane]) { laneOps[op.lane].push(id); } });

  function layout() {
    var end = useOrder ? data.events : data.end_time;
    extent0 = Infinity; extent1 = -Infinity;
    for (var id = 0; id < n; id++) {
      var op = ops[id];
      var a = useOrder ? op.i0 + 0.1 : op.t0;
      var done = useOrder ? (op.i1 == null ? null : op.i1 + 0.9) : (op.t1 == null ? null : op.t1);
      var b;
      if (op.orphan) { b = a; done = a; }
      else if (op.kind === 'ok' || op.kind === 'fail') { b = done; }
      else { b = Math.max(end, done == null ? a : done); }
      xs0[id] = a; xs1[id] = b; xmark[id] = done == null ? b : done;
      if (a < extent0) { extent0 = a; }
      if (b > extent1) { extent1 = b; }
    }
    if (!(extent0 < extent1)) { extent0 = 0; extent1 = Math.max(1, end); }
    // A linearization point per operation on the path: as early as real time allows. An
    // info or pending operation may take effect up to the end, so its bar bounds it.
    var prev = -Infinity;
    for (var k = 0; k < path.length; k++) {
      var p = path[k];
      var x = Math.min(Math.max(xs0[p], prev), xs1[p]);
      linX[k] = x; prev = x;
    }
    laneOps.forEach(function (list) { list.sort(function (u, v) { return xs0[u] - xs0[v]; }); });
  }

  // ---- view -----------------------------------------------------------------------------------
  var canvas = $('canvas'), ctx = canvas.getContext('2d');
  var W = 0, H = 0, dpr = 1;
  var vx0 = 0, vx1 = 1, scrollY = 0;
  var hover = -1, selected = -1;
  var pending = false;

  function resize() {
    var r = canvas.getBoundingClientRect();
    dpr = window.devicePixelRatio || 1;
    W = Math.max(1, r.width); H = Math.max(1, r.height);
    canvas.width = Math.round(W * dpr); canvas.height = Math.round(H * dpr);
    // Few lanes spread out to use the height; many keep a compact fixed height.
    var fitted = Math.floor((H - AXIS_H - 8) / Math.max(1, lanes.length));
    var laneH = Math.max(26, Math.min(40, fitted));
    if (laneH !== LANE_H) {
      LANE_H = laneH;
      BAR_H = Math.round(Math.min(22, Math.max(16, LANE_H * 0.6)));
      laneLabels.forEach(function (d) { d.style.height = LANE_H + 'px'; d.style.lineHeight = LANE_H + 'px'; });
    }
    clampScroll();
  }
  function plotW() { return Math.max(1, W - 2 * PAD); }
  function X(x) { return PAD + (x - vx0) / (vx1 - vx0) * plotW(); }
  function invX(px) { return vx0 + (px - PAD) / plotW() * (vx1 - vx0); }
  function laneY(l) { return AXIS_H + l * LANE_H - scrollY; }
  function maxScroll() { return Math.max(0, lanes.length * LANE_H - (H - AXIS_H) + 8); }
  function clampScroll() { scrollY = Math.min(Math.max(0, scrollY), maxScroll()); syncLabels(); }
  function minSpan() { return useOrder ? 2 : Math.max(1, (extent1 - extent0) * 1e-7); }
  function setView(a, b) {
    var span = b - a, full = (extent1 - extent0) * 1.5;
    if (span < minSpan()) { var c = (a + b) / 2; a = c - minSpan() / 2; b = c + minSpan() / 2; span = b - a; }
    if (span > full) { var m = (a + b) / 2; a = m - full / 2; b = m + full / 2; }
    vx0 = a; vx1 = b;
    schedule();
  }
  function fit() {
    var span = extent1 - extent0;
    setView(extent0 - span * 0.01, extent1 + span * 0.01);
  }
  function zoomAt(px, factor) {
    var x = invX(px);
    setView(x - (x - vx0) * factor, x + (vx1 - x) * factor);
  }
  function focusOps(ids) {
    if (!ids.length) { return; }
    var a = Infinity, b = -Infinity;
    ids.forEach(function (id) {
      a = Math.min(a, xs0[id]);
      b = Math.max(b, ops[id].kind === 'ok' || ops[id].kind === 'fail' ? xs1[id] : xmark[id]);
    });
    // One operation gets room for its neighbours; a group a little margin.
    var span = Math.max(b - a, minSpan()), pad = ids.length === 1 ? 1.5 : 0.25;
    setView(a - span * pad, b + span * pad);
    var lane = ops[ids[0]].lane;
    var y = lane * LANE_H;
    if (y < scrollY || y > scrollY + H - AXIS_H - LANE_H) { scrollY = y - (H - AXIS_H) / 2; clampScroll(); }
  }
  function focusFailure() {
    if (failing < 0) {
      if (hlList.length) {
        focusOps(hlList);
        scrollY = ops[hlList[0]].lane * LANE_H - (H - AXIS_H) / 3;
        clampScroll();
      }
      return;
    }
    var ids = [failing];
    if (cex) {
      cex.candidates.forEach(function (c) { ids.push(c[0]); });
      ids = ids.concat(cex.prefix.slice(-6));
    }
    focusOps(ids);
    scrollY = ops[failing].lane * LANE_H - (H - AXIS_H) / 3;
    clampScroll();
  }

  // Draw on the next animation frame, or after 100 ms where frames are throttled (headless
  // browsers, background tabs), whichever comes first.
  function schedule() {
    if (pending) { return; }
    pending = true;
    var done = false;
    function run() { if (done) { return; } done = true; pending = false; draw(); }
    window.requestAnimationFrame(run);
    window.setTimeout(run, 100);
  }

  // ---- drawing --------------------------------------------------------------------------------
  function niceStep(span, px) {
    var raw = span / Math.max(1, px / 110);
    var p = Math.pow(10, Math.floor(Math.log10(raw)));
    var m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
  }
  function fmtTime(ns) {
    var a = Math.abs(ns);
    if (a >= 1e9) { return +(ns / 1e9).toFixed(3) + ' s'; }
    if (a >= 1e6) { return +(ns / 1e6).toFixed(3) + ' ms'; }
    if (a >= 1e3) { return +(ns / 1e3).toFixed(3) + ' µs'; }
    return Math.round(ns) + ' ns';
  }
  function label(op) {
    var s = op.f + (op.input != null && op.input !== 'nil' ? ' ' + op.input : '');
    if (op.output != null) { s += ' → ' + op.output; }
    else if (op.kind === 'fail' || op.kind === 'info') { s += ' ✕ ' + op.kind; }
    return s;
  }
  function fitText(s, w) {
    var max = Math.floor(w / 6.6);
    if (max < 2) { return ''; }
    return s.length > max ? s.slice(0, max - 1) + '…' : s;
  }

  function draw() {
    var started = performance.now();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    var first = Math.max(0, Math.floor(scrollY / LANE_H));
    var last = Math.min(lanes.length - 1, Math.ceil((scrollY + H - AXIS_H) / LANE_H));

    for (var l = first; l <= last; l++) {
      if (l % 2 === 1) { ctx.fillStyle = '#f8f9fb'; ctx.fillRect(0, laneY(l), W, LANE_H); }
    }
    var step = niceStep(vx1 - vx0, plotW());
    var t0 = Math.ceil(vx0 / step) * step;
    ctx.strokeStyle = '#eceff3'; ctx.lineWidth = 1;
    ctx.beginPath();
    for (var t = t0; t <= vx1; t += step) { var gx = Math.round(X(t)) + 0.5; ctx.moveTo(gx, AXIS_H); ctx.lineTo(gx, H); }
    ctx.stroke();

    if (failing >= 0) {
      var fa = X(xs0[failing]), fb = X(xs1[failing]);
      ctx.fillStyle = 'rgba(208,18,27,0.07)';
      ctx.fillRect(fa, AXIS_H, Math.max(2, fb - fa), H - AXIS_H);
    }

    ctx.font = '11px ui-monospace, SFMono-Regular, Menlo, monospace';
    ctx.textBaseline = 'middle';
    var drawn = 0;
    for (l = first; l <= last; l++) {
      var list = laneOps[l];
      var y = laneY(l) + (LANE_H - BAR_H) / 2;
      for (var i = 0; i < list.length; i++) {
        var id = list[i];
        if (xs1[id] < vx0 || xs0[id] > vx1) { continue; }
        drawn++;
        var op = ops[id];
        var a = Math.max(X(xs0[id]), -10), b = Math.min(X(xs1[id]), W + 10);
        var mark = Math.min(Math.max(X(xmark[id]), a), b);
        if (b - a < 2) { b = a + 2; }
        if (KIND_TAIL[op.kind]) {
          ctx.fillStyle = KIND_COLOR[op.kind];
          ctx.fillRect(a, y, Math.max(2, mark - a), BAR_H);
          if (b > mark) { ctx.fillStyle = KIND_TAIL[op.kind]; ctx.fillRect(mark, y + 3, b - mark, BAR_H - 6); }
        } else {
          ctx.fillStyle = op.orphan ? '#98a2b3' : KIND_COLOR[op.kind];
          ctx.fillRect(a, y, b - a, BAR_H);
        }
        if (role[id] === ROLE_PREFIX && path === (cex && cex.prefix)) {
          ctx.fillStyle = 'rgba(31,111,235,0.10)';
          ctx.fillRect(a, y, b - a, BAR_H);
        }
        var visibleW = (KIND_TAIL[op.kind] ? mark : b) - Math.max(a, 0);
        if (visibleW > 30) {
          var text = fitText(label(op), visibleW - 8);
          if (text) { ctx.fillStyle = '#10161f'; ctx.fillText(text, Math.max(a, 0) + 4, y + BAR_H / 2 + 0.5); }
        }
        if (role[id] === ROLE_CANDIDATE && id !== failing) {
          ctx.save(); ctx.setLineDash([4, 3]); ctx.strokeStyle = '#7c4dde'; ctx.lineWidth = 2;
          ctx.strokeRect(a - 1, y - 2, b - a + 2, BAR_H + 4); ctx.restore();
        }
        if (id === selected || id === hover) {
          ctx.strokeStyle = id === selected ? '#111' : 'rgba(17,17,17,0.55)'; ctx.lineWidth = 1.5;
          ctx.strokeRect(a - 0.5, y - 0.5, b - a + 1, BAR_H + 1);
        }
        if (id === failing) {
          ctx.strokeStyle = '#d0121b'; ctx.lineWidth = 3;
          ctx.strokeRect(a - 2.5, y - 3.5, b - a + 5, BAR_H + 7);
        } else if (highlighted[id]) {
          ctx.strokeStyle = '#d0121b'; ctx.lineWidth = 2.5;
          ctx.strokeRect(a - 2, y - 3, b - a + 4, BAR_H + 6);
        }
      }
    }

    drawEdges();
    drawPath();

    // Axis on top of everything; the failure's marker wins over tick labels it would hide.
    ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, W, AXIS_H);
    ctx.strokeStyle = '#dfe3e8'; ctx.beginPath(); ctx.moveTo(0, AXIS_H - 0.5); ctx.lineTo(W, AXIS_H - 0.5); ctx.stroke();
    var markA = Infinity, markB = -Infinity, markX = 0, markText = '▼ cannot linearize';
    if (failing >= 0) {
      ctx.font = '600 11px system-ui, sans-serif';
      var mw = ctx.measureText(markText).width;
      markX = Math.min(Math.max(2, X(xs0[failing])), W - mw - 4);
      if (X(xs1[failing]) > 0 && X(xs0[failing]) < W) { markA = markX - 4; markB = markX + mw + 4; }
    }
    ctx.font = '11px system-ui, sans-serif'; ctx.textBaseline = 'middle';
    var firstTick = true;
    for (t = t0; t <= vx1; t += step) {
      var tx = X(t);
      var tick = useOrder ? (firstTick ? 'event ' : '') + Math.round(t) : fmtTime(t);
      var w = ctx.measureText(tick).width;
      ctx.fillStyle = '#98a2b3';
      ctx.fillRect(Math.round(tx), AXIS_H - 6, 1, 6);
      if (tx + 3 + w < markA || tx + 3 > markB) { ctx.fillStyle = '#667085'; ctx.fillText(tick, tx + 3, AXIS_H / 2); }
      firstTick = false;
    }
    if (markB > markA) {
      ctx.fillStyle = '#d0121b'; ctx.font = '600 11px system-ui, sans-serif';
      ctx.fillText(markText, markX, AXIS_H / 2);
    }
    root.setAttribute('data-drawn', String(drawn));
    root.setAttribute('data-view', [vx0, vx1, scrollY, LANE_H, useOrder ? 'order' : 'time'].join(','));
    root.setAttribute('data-draw-ms', (performance.now() - started).toFixed(1));
  }

  function drawPath() {
    if (!path.length) { return; }
    var pts = [];
    for (var k = 0; k < path.length; k++) {
      var id = path[k];
      var lane = ops[id].lane;
      var y = laneY(lane) + LANE_H / 2;
      pts.push([X(linX[k]), y, k, id]);
    }
    var lo = 0, hi = pts.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (pts[mid][0] < -20) { lo = mid + 1; } else { hi = mid; } }
    var start = Math.max(0, lo - 1);
    var end = start;
    while (end < pts.length && pts[end][0] <= W + 20) { end++; }
    end = Math.min(pts.length - 1, end);
    // The whole order faintly; for a violation, its last steps strongly, then a dashed red
    // step to the operation that cannot follow them.
    var tailFrom = cex ? Math.max(0, pts.length - 12) : pts.length;
    function polyline(from, to, style, width) {
      if (to <= from) { return; }
      ctx.strokeStyle = style; ctx.lineWidth = width;
      ctx.beginPath();
      ctx.moveTo(pts[from][0], pts[from][1]);
      for (var q = from + 1; q <= to; q++) { ctx.lineTo(pts[q][0], pts[q][1]); }
      ctx.stroke();
    }
    polyline(start, Math.min(end, tailFrom), 'rgba(31,111,235,0.30)', 1);
    polyline(Math.max(start, tailFrom), end, 'rgba(31,111,235,0.85)', 1.8);
    if (failing >= 0 && cex && pts.length) {
      var last = pts[pts.length - 1];
      var fx = Math.max(last[0], X(xs0[failing])), fy = laneY(ops[failing].lane) + LANE_H / 2;
      ctx.save();
      ctx.strokeStyle = '#d0121b'; ctx.lineWidth = 1.8; ctx.setLineDash([5, 4]);
      ctx.beginPath(); ctx.moveTo(last[0], last[1]); ctx.lineTo(fx, fy); ctx.stroke();
      ctx.restore();
    }
    var labelled = end - start <= 400;
    ctx.font = '600 9px system-ui, sans-serif'; ctx.textAlign = 'center';
    var lastLabelX = {};
    for (var k2 = start; k2 < pts.length; k2++) {
      var p = pts[k2];
      if (p[0] > W + 20) { break; }
      if (p[1] < AXIS_H || p[1] > H) { continue; }
      ctx.fillStyle = '#1f6feb';
      var num = String(p[2] + 1), half = Math.max(7, num.length * 2.8 + 3);
      var laneOf = ops[p[3]].lane;
      if (labelled && !(p[0] - half - lastLabelX[laneOf] <= 1)) {
        ctx.beginPath();
        if (num.length < 3) { ctx.arc(p[0], p[1], 7, 0, 2 * Math.PI); }
        else { roundRect(p[0] - half, p[1] - 7, 2 * half, 14, 7); }
        ctx.fill();
        ctx.fillStyle = '#fff'; ctx.fillText(num, p[0], p[1] + 0.5);
        lastLabelX[laneOf] = p[0] + half;
      } else {
        ctx.beginPath(); ctx.arc(p[0], p[1], 2.5, 0, 2 * Math.PI); ctx.fill();
      }
    }
    ctx.textAlign = 'start';
  }

  // Where an edge meets an operation: the middle of the part of its bar on screen (up to its
  // completion), on the lane's centre line.
  function anchor(id) {
    var op = ops[id];
    var end = op.kind === 'ok' || op.kind === 'fail' ? xs1[id] : xmark[id];
    var a = Math.max(X(xs0[id]), 0), b = Math.min(X(Math.max(end, xs0[id])), W);
    var x = b >= a ? (a + b) / 2 : X((xs0[id] + end) / 2);
    return [x, laneY(op.lane) + LANE_H / 2];
  }

  // Each relation as a curved arrow from one operation to the other with its label in the
  // middle. An arrow bows to its left, so A→B and B→A (a two-transaction cycle) stay apart;
  // further arrows between the same two operations bow further out.
  function drawEdges() {
    var labels = [];
    ctx.save();
    ctx.font = '600 10px system-ui, sans-serif'; ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    edges.forEach(function (e, k) {
      if (e[0] === e[1]) { return; }
      var p = anchor(e[0]), q = anchor(e[1]);
      if ((p[0] < 0 && q[0] < 0) || (p[0] > W && q[0] > W)) { return; }
      if ((p[1] < AXIS_H && q[1] < AXIS_H) || (p[1] > H && q[1] > H)) { return; }
      var dx = q[0] - p[0], dy = q[1] - p[1], len = Math.sqrt(dx * dx + dy * dy) || 1;
      var bow = Math.min(90, Math.max(40, len * 0.3)) + 16 * edgeRank[k];
      var cx = (p[0] + q[0]) / 2 + dy / len * bow, cy = (p[1] + q[1]) / 2 - dx / len * bow;
      // Leave and reach each bar at its border on the curve's side, not over its text.
      [p, q].forEach(function (end) {
        if (Math.abs(cy - end[1]) > BAR_H / 2) { end[1] += (cy > end[1] ? 1 : -1) * (BAR_H / 2 + 1); }
      });
      var color = edgeColor(e[2]);
      ctx.strokeStyle = color; ctx.fillStyle = color; ctx.lineWidth = 1.8;
      ctx.setLineDash(EDGE_DASHED[e[2]] ? [5, 4] : []);
      ctx.beginPath(); ctx.moveTo(p[0], p[1]); ctx.quadraticCurveTo(cx, cy, q[0], q[1]); ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath(); ctx.arc(p[0], p[1], 2.5, 0, 2 * Math.PI); ctx.fill();
      var tx = q[0] - cx, ty = q[1] - cy, tl = Math.sqrt(tx * tx + ty * ty) || 1, s = 9;
      tx /= tl; ty /= tl;
      ctx.beginPath(); ctx.moveTo(q[0], q[1]);
      ctx.lineTo(q[0] - tx * s - ty * s * 0.5, q[1] - ty * s + tx * s * 0.5);
      ctx.lineTo(q[0] - tx * s + ty * s * 0.5, q[1] - ty * s - tx * s * 0.5);
      ctx.closePath(); ctx.fill();
      var mx = 0.25 * p[0] + 0.5 * cx + 0.25 * q[0], my = 0.25 * p[1] + 0.5 * cy + 0.25 * q[1];
      var w = ctx.measureText(e[2]).width + 10;
      ctx.beginPath(); roundRect(mx - w / 2, my - 8, w, 16, 5);
      ctx.fillStyle = '#fff'; ctx.fill();
      ctx.lineWidth = 1.2; ctx.stroke();
      ctx.fillStyle = color; ctx.fillText(e[2], mx, my + 0.5);
      labels.push(e[2]);
    });
    ctx.restore();
    root.setAttribute('data-edge-labels', JSON.stringify(labels));
  }

  function roundRect(x, y, w, h, r) {
    ctx.moveTo(x + r, y);
    ctx.arcTo(x + w, y, x + w, y + h, r); ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r); ctx.arcTo(x, y, x + w, y, r);
    ctx.closePath();
  }

  // ---- finding the operation under the pointer ----------------------------------------------
  function hit(px, py) {
    if (py < AXIS_H) { return -1; }
    var l = Math.floor((py - AXIS_H + scrollY) / LANE_H);
    if (l < 0 || l >= lanes.length) { return -1; }
    var list = laneOps[l], best = -1, bestW = Infinity;
    var x = invX(px), slack = 3 * (vx1 - vx0) / plotW();
    for (var i = 0; i < list.length; i++) {
      var id = list[i];
      if (xs0[id] - slack <= x && x <= xs1[id] + slack) {
        var w = xs1[id] - xs0[id];
        if (w < bestW) { best = id; bestW = w; }
      }
    }
    return best;
  }

  // ---- text panels ----------------------------------------------------------------------------
  function opTitle(id) {
    var op = ops[id];
    return 'p' + lanes[op.lane] + ' ' + label(op);
  }
  // An operation named by its process, f and invoke event, as explanations name them.
  function shortTitle(id) {
    var op = ops[id];
    return 'p' + lanes[op.lane] + ' ' + op.f + ', event #' + op.i0;
  }
  function when(op, completion) {
    var t = completion ? op.t1 : op.t0, i = completion ? op.i1 : op.i0;
    if (i == null) { return 'never (runs to the end)'; }
    return (data.time_axis ? fmtTime(t) + '  ' : 't=' + t + '  ') + '(event ' + i + ')';
  }
  function roleText(id) {
    if (id === failing) { return 'cannot be linearized after the prefix'; }
    if (role[id] === ROLE_CANDIDATE) { return 'candidate: ' + reasons[id]; }
    if (orderNo[id] >= 0) { return (cex ? 'prefix' : 'linearization') + ' #' + (orderNo[id] + 1) + ' of ' + path.length; }
    if (highlighted[id]) { return 'highlighted: part of what the checker found'; }
    return null;
  }
  function edgeText(id) {
    return (edgesOf[id] || []).map(function (k) {
      var e = edges[k];
      return e[0] === id ? e[2] + ' \u2192 ' + shortTitle(e[1]) : e[2] + ' \u2190 ' + shortTitle(e[0]);
    }).join('\n');
  }
  function rows(id) {
    var op = ops[id];
    var r = [
      ['process', lanes[op.lane]],
      ['f', op.f],
      ['type', op.orphan ? op.kind + ' (no matching invoke)' : op.kind],
      ['input', op.input],
      ['output', op.output],
      ['error', op.error],
      ['invoked', op.orphan ? null : when(op, false)],
      ['completed', when(op, true)]
    ];
    if (data.time_axis && op.t1 != null && !op.orphan) { r.push(['duration', fmtTime(op.t1 - op.t0)]); }
    var rt = roleText(id);
    if (rt) { r.push(['analysis', rt]); }
    r.push(['edges', edgeText(id)]);
    var before = op.before != null ? op.before : (id === failing || role[id] === ROLE_CANDIDATE ? cex.state : null);
    r.push(['state before', before]);
    if (id !== failing) { r.push(['state after', op.after]); }
    return r.filter(function (x) { return x[1] != null && x[1] !== ''; });
  }
  function showDetails(id) {
    var list = $('details-list');
    list.textContent = '';
    $('details-empty').hidden = id >= 0;
    if (id < 0) { return; }
    rows(id).forEach(function (r) {
      list.appendChild(el('dt', null, r[0]));
      var dd = el('dd', null, String(r[1]));
      if (r[0] === 'analysis') { dd.className = id === failing || highlighted[id] ? 'role-failing' : role[id] === ROLE_CANDIDATE ? 'role-candidate' : ''; }
      list.appendChild(dd);
    });
  }
  var tooltip = $('tooltip');
  function showTooltip(id, cx, cy) {
    if (id < 0) { tooltip.hidden = true; return; }
    tooltip.textContent = '';
    tooltip.appendChild(el('div', 'tt-head', 'p' + lanes[ops[id].lane] + ' · ' + ops[id].f + ' · ' + ops[id].kind));
    rows(id).forEach(function (r) {
      if (r[0] === 'process' || r[0] === 'f' || r[0] === 'type') { return; }
      tooltip.appendChild(el('div', 'tt-row', r[0] + ': ' + r[1]));
    });
    tooltip.hidden = false;
    var tw = tooltip.offsetWidth, th = tooltip.offsetHeight;
    var x = cx + 14, y = cy + 14;
    if (x + tw > window.innerWidth - 4) { x = cx - tw - 14; }
    if (y + th > window.innerHeight - 4) { y = cy - th - 14; }
    tooltip.style.left = Math.max(4, x) + 'px';
    tooltip.style.top = Math.max(4, y) + 'px';
  }
  function select(id, focus) {
    selected = id;
    showDetails(id);
    if (focus && id >= 0) { focusOps([id]); }
    schedule();
  }
  function opRef(id, cls) {
    var li = el('li', 'op-ref' + (cls ? ' ' + cls : ''));
    li.setAttribute('data-op', String(id));
    if (orderNo[id] >= 0) { li.appendChild(el('span', 'no', '#' + (orderNo[id] + 1))); }
    li.appendChild(document.createTextNode(opTitle(id)));
    li.addEventListener('click', function () { select(id, true); });
    return li;
  }

  function buildAnalysis() {
    var body = $('analysis-body');
    var verdict = $('verdict');
    if (data.omitted) {
      var om = data.omitted;
      var left = om.by_kind.map(function (k) { return k[1] + ' ' + k[0]; }).join(', ');
      var names = om.by_f.map(function (k) { return k[0] + ' \u00d7' + k[1]; }).join(', ');
      body.appendChild(el('p', 'note', 'Large history: this page draws ' + om.shown + ' of ' + om.total +
        ' operations (the neighbourhood of what the checker found). Left out, between events ' +
        om.events[0] + ' and ' + om.events[1] + ': ' + left + (names ? ' (' + names + ')' : '') +
        '. Run lockstep report --full to draw everything.'));
    }
    if (!A) {
      verdict.textContent = 'not checked';
      body.appendChild(el('p', 'muted', 'Timeline only: no model was given, so the history was not checked.'));
      return;
    }
    verdict.textContent = A.verdict;
    verdict.className = 'verdict ' + A.status;
    if (A.model) { body.appendChild(el('p', null, 'Model: ' + A.model)); }
    // A one-line note leads; a long explanation (several lines) follows what it explains.
    var longNote = A.note && A.note.indexOf('\n') >= 0;
    if (A.note && !longNote) { body.appendChild(el('p', 'note', A.note)); }
    if (!cex && hlList.length) {
      document.querySelectorAll('.hl-key').forEach(function (k) { k.hidden = false; });
      var goto = $('goto-failure');
      goto.hidden = false;
      goto.textContent = 'Show highlighted';
      goto.title = 'Zoom to the highlighted operations (f)';
      body.appendChild(el('h3', null, 'Operations involved'));
      var hl = el('ul', 'ops');
      hlList.forEach(function (id) { hl.appendChild(opRef(id, 'failing')); });
      body.appendChild(hl);
    }
    if (edges.length) {
      document.querySelectorAll('.edge-key').forEach(function (k) { k.hidden = false; });
      body.appendChild(el('h3', null, 'Relations'));
      var rl = el('ul', 'ops');
      edges.forEach(function (e) {
        var li = el('li', 'op-ref edge');
        li.setAttribute('data-from', String(e[0]));
        li.setAttribute('data-to', String(e[1]));
        var tag = el('span', 'edge-label', e[2]);
        tag.style.color = edgeColor(e[2]);
        tag.style.borderColor = edgeColor(e[2]);
        li.appendChild(tag);
        li.appendChild(document.createTextNode(shortTitle(e[0]) + ' \u2192 ' + shortTitle(e[1])));
        li.title = opTitle(e[0]) + '\n\u2192 ' + opTitle(e[1]);
        li.addEventListener('click', function () { select(e[0], false); focusOps([e[0], e[1]]); });
        rl.appendChild(li);
      });
      body.appendChild(rl);
    }
    if (longNote) {
      body.appendChild(el('h3', null, 'Explanation'));
      body.appendChild(el('pre', 'state explanation', A.note));
    }
    if (!cex) {
      if (A.order.length) {
        body.appendChild(el('p', null, 'Witness: ' + A.order.length + ' operations in one legal sequential order, drawn as the blue path and numbered on the timeline.'));
        document.querySelectorAll('.lin-key').forEach(function (k) { k.hidden = false; });
      }
      return;
    }
    document.querySelectorAll('.cex-key, .lin-key').forEach(function (k) { k.hidden = false; });
    $('goto-failure').hidden = failing < 0;
    body.appendChild(el('p', null, 'The first ' + cex.prefix.length + ' operations below have a legal order; after them no remaining operation can be next.'));
    if (failing >= 0) {
      body.appendChild(el('h3', null, 'Cannot be linearized'));
      var fl = el('ul', 'ops');
      var f = opRef(failing, 'failing');
      f.id = 'failing-op';
      fl.appendChild(f);
      body.appendChild(fl);
    }
    body.appendChild(el('h3', null, 'Model state after the prefix'));
    body.appendChild(el('pre', 'state', cex.state));
    if (cex.candidates.length) {
      body.appendChild(el('h3', null, 'Why each candidate cannot come next'));
      var cl = el('ul', 'ops');
      cex.candidates.forEach(function (c) {
        var item = el('li', 'candidate-item');
        var inner = el('ul', 'ops');
        inner.appendChild(opRef(c[0], c[0] === failing ? 'failing' : ''));
        item.appendChild(inner);
        item.appendChild(el('div', 'reason', c[1]));
        cl.appendChild(item);
      });
      body.appendChild(cl);
    }
    body.appendChild(el('h3', null, 'Longest linearizable prefix, in order (' + cex.prefix.length + ')'));
    var SHOWN = 200;
    var from = Math.max(0, cex.prefix.length - SHOWN);
    if (from > 0) { body.appendChild(el('p', 'muted', from + ' earlier operations are numbered on the timeline; the last ' + SHOWN + ' are listed.')); }
    var ol = el('ol', 'ops');
    for (var k = from; k < cex.prefix.length; k++) { ol.appendChild(opRef(cex.prefix[k])); }
    if (!cex.prefix.length) { body.appendChild(el('p', 'muted', 'Empty: not even the first operation fits the initial state.')); }
    body.appendChild(ol);
  }

  function buildLanes() {
    var box = $('lane-labels');
    var failLane = failing >= 0 ? ops[failing].lane : -1;
    lanes.forEach(function (name, l) {
      var d = el('div', 'lane-label' + (name.charAt(0) === ':' ? ' named' : '') + (l === failLane ? ' has-failure' : ''), name);
      d.title = 'process ' + name;
      d.setAttribute('data-lane', String(l));
      box.appendChild(d);
      laneLabels.push(d);
    });
  }
  function syncLabels() { $('lane-labels').style.transform = 'translateY(' + (-scrollY) + 'px)'; }

  // ---- input ----------------------------------------------------------------------------------
  var drag = null;
  canvas.addEventListener('mousedown', function (e) {
    drag = { x: e.clientX, y: e.clientY, vx0: vx0, vx1: vx1, sy: scrollY, moved: false };
    canvas.classList.add('dragging');
  });
  window.addEventListener('mouseup', function (e) {
    if (!drag) { return; }
    var wasDrag = drag.moved;
    drag = null;
    canvas.classList.remove('dragging');
    if (!wasDrag && e.target === canvas) {
      var r = canvas.getBoundingClientRect();
      select(hit(e.clientX - r.left, e.clientY - r.top), false);
    }
  });
  window.addEventListener('mousemove', function (e) {
    var r = canvas.getBoundingClientRect();
    if (drag) {
      var dx = e.clientX - drag.x, dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; }
      var shift = dx / plotW() * (drag.vx1 - drag.vx0);
      vx0 = drag.vx0 - shift; vx1 = drag.vx1 - shift;
      scrollY = drag.sy - dy; clampScroll();
      tooltip.hidden = true;
      schedule();
      return;
    }
    var inside = e.target === canvas;
    var id = inside ? hit(e.clientX - r.left, e.clientY - r.top) : -1;
    if (id !== hover) { hover = id; schedule(); if (selected < 0) { showDetails(id); } }
    showTooltip(id, e.clientX, e.clientY);
  });
  canvas.addEventListener('mouseleave', function () { if (!drag) { hover = -1; tooltip.hidden = true; schedule(); } });
  canvas.addEventListener('wheel', function (e) {
    e.preventDefault();
    var r = canvas.getBoundingClientRect();
    var dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    var dx = e.deltaMode === 1 ? e.deltaX * 16 : e.deltaX;
    if (e.shiftKey) { scrollY += dy || dx; clampScroll(); schedule(); }
    else if (Math.abs(dx) > Math.abs(dy)) { var s = dx / plotW() * (vx1 - vx0); setView(vx0 + s, vx1 + s); }
    else { zoomAt(e.clientX - r.left, Math.exp(dy * 0.0015)); }
  }, { passive: false });
  window.addEventListener('keydown', function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var span = vx1 - vx0;
    switch (e.key) {
      case '+': case '=': zoomAt(W / 2, 0.7); break;
      case '-': case '_': zoomAt(W / 2, 1 / 0.7); break;
      case '0': fit(); break;
      case 'f': focusFailure(); break;
      case 'ArrowLeft': setView(vx0 - span * 0.15, vx1 - span * 0.15); break;
      case 'ArrowRight': setView(vx0 + span * 0.15, vx1 + span * 0.15); break;
      case 'ArrowUp': scrollY -= LANE_H * 3; clampScroll(); schedule(); break;
      case 'ArrowDown': scrollY += LANE_H * 3; clampScroll(); schedule(); break;
      case 'Escape': select(-1, false); break;
      default: return;
    }
    e.preventDefault();
  });
  $('zoom-in').addEventListener('click', function () { zoomAt(W / 2, 0.6); });
  $('zoom-out').addEventListener('click', function () { zoomAt(W / 2, 1 / 0.6); });
  $('fit').addEventListener('click', fit);
  $('goto-failure').addEventListener('click', focusFailure);
  var axisBox = $('axis-order');
  axisBox.checked = useOrder;
  if (!data.time_axis) {
    axisBox.disabled = true;
    axisBox.parentNode.title = 'Event times are missing or go backwards, so events are placed by order';
  }
  axisBox.addEventListener('change', function () {
    var f0 = (vx0 - extent0) / (extent1 - extent0), f1 = (vx1 - extent0) / (extent1 - extent0);
    useOrder = axisBox.checked;
    layout();
    setView(extent0 + f0 * (extent1 - extent0), extent0 + f1 * (extent1 - extent0));
  });
  window.addEventListener('resize', function () { resize(); schedule(); });

  // ---- start ----------------------------------------------------------------------------------
  $('title').textContent = data.title;
  var namedLanes = lanes.filter(function (s) { return s.charAt(0) === ':'; }).length;
  $('summary').textContent = data.events + ' events · ' + n + ' operations · ' +
    (lanes.length - namedLanes) + ' processes' + (namedLanes ? ' + ' + namedLanes + ' named' : '');
  buildLanes();
  buildAnalysis();
  layout();
  resize();
  fit();
  // A large failing history opens at the failure; `#all` opens it whole, `#op=N` at op N.
  if ((failing >= 0 || hlList.length) && n > 300 && window.location.hash !== '#all') { focusFailure(); }
  var m = /^#op=(\d+)$/.exec(window.location.hash);
  if (m && +m[1] < n) { select(+m[1], true); } else if (failing >= 0) { select(failing, false); }
  draw();
  root.setAttribute('data-lanes', String(lanes.length));
  root.setAttribute('data-ops', String(n));
  root.setAttribute('data-highlighted', failing >= 0 ? String(failing) : '');
  root.setAttribute('data-highlight', JSON.stringify(hlList));
  root.setAttribute('data-edges', String(edges.length));
  // Self-check for tests and the curious: every request the page made (there should be none;
  // the Content Security Policy blocks them and reports each attempt as an error above).
  function noteRequests() {
    var names = performance.getEntriesByType('resource').map(function (r) { return r.name; });
    root.setAttribute('data-requests', JSON.stringify(names));
  }
  noteRequests();
  window.setTimeout(noteRequests, 300);
  root.setAttribute('data-rendered', 'true');
})();
