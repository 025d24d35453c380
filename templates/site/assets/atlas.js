/* olwsite atlas: draws the curriculum graph laid out at build time (atlas/graph.json).
 * Vanilla JS, no library, no network beyond the site itself. Layout is never computed
 * here: each frame only transforms and draws what is on screen, in batches by colour. */
(function () {
  "use strict";

  var COL = 260;            // world units between layers
  var ROW = 34;             // world units between neighbours in a layer; more if room
  var MIN_SCALE = 0.01;
  var MAX_SCALE = 3;
  var LABEL_ROW_PX = 15;    // labels appear once rows are this far apart on screen
  var DRAG_PX = 4;          // a press that moves less than this is a click

  var root = document.querySelector(".olw-atlas");
  if (!root) return;
  var canvas = root.querySelector("canvas");
  var ctx = canvas.getContext("2d");
  var tooltip = root.querySelector(".olw-atlas-tooltip");
  var info = root.querySelector(".olw-atlas-info");
  var legend = root.querySelector(".olw-atlas-legend");
  var search = root.querySelector(".olw-atlas-search");
  var titles = root.querySelector("datalist");
  var colourBy = root.querySelector(".olw-atlas-colour select");
  var siteRoot = new URL(root.dataset.root || "../", location.href);

  var api = window.olwAtlas = {ready: false, nodeCount: 0, edgeCount: 0, drawnCount: 0,
                               drawnEdges: 0, frames: 0, lastDrawMs: 0, error: null};

  // graph, filled by load()
  var data, n = 0, X, Y, layerOf, colourIndex, predStart, predList, succStart, succList;
  var edgeU, edgeV, byLayer = [], layerY = [];
  var palette = [];
  // view: screen = world * scale + (tx, ty), in CSS pixels
  var scale = 1, tx = 0, ty = 0, width = 0, height = 0, dpr = 1;
  var hovered = -1, selected = -1, mark = null, marked = -1;
  var theme = {};
  var pending = false;

  fetch(root.dataset.graph || "graph.json")
    .then(function (r) {
      if (!r.ok) throw new Error("graph.json: HTTP " + r.status);
      return r.json();
    })
    .then(load)
    .catch(function (err) {
      api.error = String(err);
      showInfo("<p>The atlas could not load its data (" + escapeHtml(String(err)) + ").</p>");
    });

  function load(json) {
    data = json;
    n = data.nodes.length;
    X = new Float64Array(n); Y = new Float64Array(n); layerOf = new Int32Array(n);
    colourIndex = new Uint16Array(n);
    // a short, wide graph spreads its rows to use the canvas's height
    var span = 1, box = canvas.getBoundingClientRect();
    data.nodes.forEach(function (node) { span = Math.max(span, 2 * Math.abs(node.y)); });
    ROW = clamp(box.height / Math.max(1, box.width) * COL * (data.layers - 0.2) / span, 34, 120);
    for (var i = 0; i < n; i++) {
      var node = data.nodes[i];
      layerOf[i] = node.x; X[i] = node.x * COL; Y[i] = node.y * ROW;
    }
    var m = data.edges.length;
    edgeU = new Int32Array(m); edgeV = new Int32Array(m);
    for (var e = 0; e < m; e++) { edgeU[e] = data.edges[e][0]; edgeV[e] = data.edges[e][1]; }
    var p = csr(edgeV, edgeU); predStart = p[0]; predList = p[1];
    var s = csr(edgeU, edgeV); succStart = s[0]; succList = s[1];
    // per layer, node indices sorted by y: hit tests are a binary search
    for (i = 0; i < data.layers; i++) byLayer.push([]);
    for (i = 0; i < n; i++) byLayer[layerOf[i]].push(i);
    byLayer.forEach(function (list, l) {
      list.sort(function (a, b) { return Y[a] - Y[b]; });
      layerY[l] = Float64Array.from(list, function (v) { return Y[v]; });
    });
    var frag = document.createDocumentFragment();
    data.nodes.forEach(function (node) {
      var option = document.createElement("option");
      option.value = node.title;
      frag.appendChild(option);
    });
    titles.appendChild(frag);
    api.nodeCount = n; api.edgeCount = m;
    readTheme();
    recolour();
    resize();
    fit();
    if (COL * scale < 120 && width < 600 && n < 400) {
      // a phone: start readable at the first layers rather than tiny and whole
      scale = Math.max(LABEL_ROW_PX * 1.15 / ROW, 150 / COL);
      tx = 24;
    }
    bind();
    api.ready = true;
  }

  // compressed adjacency: neighbours of v are list[start[v] .. start[v + 1])
  function csr(from, to) {
    var start = new Int32Array(n + 1), list = new Int32Array(from.length), k;
    for (k = 0; k < from.length; k++) start[from[k] + 1]++;
    for (k = 0; k < n; k++) start[k + 1] += start[k];
    var fill = start.slice(0, n);
    for (k = 0; k < from.length; k++) list[fill[from[k]]++] = to[k];
    return [start, list];
  }

  function readTheme() {
    var style = getComputedStyle(root);
    function v(name, fallback) { return style.getPropertyValue(name).trim() || fallback; }
    theme = {
      fg: v("--md-default-fg-color", "rgba(0,0,0,.87)"),
      muted: v("--md-default-fg-color--light", "rgba(0,0,0,.54)"),
      bg: v("--md-default-bg-color", "#fff"),
      accent: v("--md-accent-fg-color", "#ff6e42"),
      font: getComputedStyle(document.body).fontFamily || "sans-serif"
    };
  }

  function recolour() {
    var by = colourBy.value;
    var groups = by === "tier" ? data.tiers : data.tracks;
    var index = {};
    palette = groups.map(function (g, k) { index[g.id] = k; return g.colour; });
    palette.push("#999999");
    var counts = groups.map(function () { return 0; });
    for (var i = 0; i < n; i++) {
      var key = by === "tier" ? data.nodes[i].tier : data.nodes[i].track;
      var k = key in index ? index[key] : palette.length - 1;
      colourIndex[i] = k;
      if (k < counts.length) counts[k]++;
    }
    legend.innerHTML = groups.map(function (g, k) {
      if (!counts[k]) return "";
      return '<span class="olw-atlas-key"><i style="background:' + g.colour + '"></i>' +
        escapeHtml(g.title) + " <small>" + counts[k] + "</small></span>";
    }).join("");
    redraw();
  }

  // -- view ---------------------------------------------------------------------------

  function resize() {
    var box = canvas.getBoundingClientRect();
    dpr = window.devicePixelRatio || 1;
    var w = Math.max(1, Math.round(box.width)), h = Math.max(1, Math.round(box.height));
    if (w === width && h === height && canvas.width === Math.round(w * dpr)) return;
    // keep the world point at the centre in the centre
    var cx = width ? (width / 2 - tx) / scale : 0, cy = height ? (height / 2 - ty) / scale : 0;
    var first = !width;
    width = w; height = h;
    canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    if (!first) { tx = width / 2 - cx * scale; ty = height / 2 - cy * scale; }
    redraw();
  }

  function fit() {
    if (!n) return;
    var minX = Infinity, maxX = -Infinity, minY = Infinity, maxY = -Infinity;
    for (var i = 0; i < n; i++) {
      if (X[i] < minX) minX = X[i];
      if (X[i] > maxX) maxX = X[i];
      if (Y[i] < minY) minY = Y[i];
      if (Y[i] > maxY) maxY = Y[i];
    }
    var pad = 24, labelRoom = COL * 0.8;  // room on the right for the last layer's labels
    var s = Math.min((width - 2 * pad) / Math.max(1, maxX - minX + labelRoom),
                     (height - 2 * pad) / Math.max(1, maxY - minY));
    scale = clamp(s, MIN_SCALE, 1.2);
    tx = width / 2 - (minX + maxX + labelRoom) / 2 * scale;
    ty = height / 2 - (minY + maxY) / 2 * scale;
    redraw();
  }

  function zoomAt(factor, sx, sy) {
    var s = clamp(scale * factor, MIN_SCALE, MAX_SCALE);
    tx = sx - (sx - tx) * s / scale;
    ty = sy - (sy - ty) * s / scale;
    scale = s;
    redraw();
  }

  function centreOn(i) {
    scale = Math.max(scale, LABEL_ROW_PX * 1.4 / ROW);
    tx = width / 2 - (X[i] + COL * 0.3) * scale;
    ty = height / 2 - Y[i] * scale;
    redraw();
  }

  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; draw(); });
  }

  // -- drawing --------------------------------------------------------------------------

  function radius() { return clamp(7 * scale, 1.6, 7); }

  function draw() {
    if (!n) return;
    var started = performance.now();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, width, height);
    var r = radius(), margin = r + 2;
    var lineage = selected >= 0 ? selected : hovered;
    if (lineage !== marked) { mark = lineage >= 0 ? lineageOf(lineage) : null; marked = lineage; }

    // edges: one path for the ordinary ones, one for the highlighted lineage
    var dim = new Path2D(), lit = new Path2D(), drawnEdges = 0;
    var curve = scale * COL > 40;
    for (var e = 0; e < edgeU.length; e++) {
      var u = edgeU[e], v = edgeV[e];
      var x1 = X[u] * scale + tx, y1 = Y[u] * scale + ty;
      var x2 = X[v] * scale + tx, y2 = Y[v] * scale + ty;
      if ((x1 < 0 && x2 < 0) || (x1 > width && x2 > width) ||
          (y1 < 0 && y2 < 0) || (y1 > height && y2 > height)) continue;
      var path = mark && onLineage(u, v) ? lit : dim;
      path.moveTo(x1, y1);
      if (curve) {
        var bend = (x2 - x1) / 2;
        path.bezierCurveTo(x1 + bend, y1, x2 - bend, y2, x2, y2);
      } else {
        path.lineTo(x2, y2);
      }
      drawnEdges++;
    }
    // thousands of overlapping edges would merge into a dark cloud: fade them with density
    var alpha = clamp(6 / Math.sqrt(Math.max(1, drawnEdges)), 0.035, 0.3);
    ctx.lineWidth = 1;
    ctx.strokeStyle = theme.fg;
    ctx.globalAlpha = mark ? alpha * 0.35 : alpha;
    ctx.stroke(dim);
    if (mark) {
      ctx.globalAlpha = 0.75;
      ctx.lineWidth = 1.6;
      ctx.strokeStyle = theme.accent;
      ctx.stroke(lit);
    }

    // nodes: one path per colour, and per dimmed / not dimmed while a lineage is shown
    var paths = [], visible = [];
    for (var i = 0; i < n; i++) {
      var sx = X[i] * scale + tx, sy = Y[i] * scale + ty;
      if (sx < -margin || sx > width + margin || sy < -margin || sy > height + margin) continue;
      visible.push(i);
      var key = colourIndex[i] * 2 + (mark && !mark[i] ? 1 : 0);
      var p = paths[key] || (paths[key] = new Path2D());
      if (r < 2.5) {
        p.rect(sx - r, sy - r, 2 * r, 2 * r);
      } else {
        p.moveTo(sx + r, sy);
        p.arc(sx, sy, r, 0, 2 * Math.PI);
      }
    }
    paths.forEach(function (p, key) {
      if (!p) return;
      ctx.globalAlpha = key % 2 ? 0.18 : 1;
      ctx.fillStyle = palette[key >> 1];
      ctx.fill(p);
    });
    ctx.globalAlpha = 1;
    [selected, hovered].forEach(function (i) {
      if (i < 0) return;
      ctx.beginPath();
      ctx.arc(X[i] * scale + tx, Y[i] * scale + ty, r + 3.5, 0, 2 * Math.PI);
      ctx.lineWidth = 2.5;
      ctx.strokeStyle = theme.accent;
      ctx.stroke();
    });

    if (ROW * scale >= LABEL_ROW_PX) drawLabels(visible, r);
    api.drawnCount = visible.length;
    api.drawnEdges = drawnEdges;
    api.frames++;
    api.lastDrawMs = performance.now() - started;
  }

  var labels = {font: "", room: 0, text: []};

  // a title cut to fit before the next layer, measured once per zoom level and font
  function label(i, room) {
    var text = labels.text[i];
    if (text !== undefined) return text;
    text = data.nodes[i].title;
    if (ctx.measureText(text).width > room) {
      var lo = 1, hi = text.length - 1;
      while (lo < hi) {
        var mid = (lo + hi + 1) >> 1;
        if (ctx.measureText(text.slice(0, mid) + "…").width <= room) lo = mid; else hi = mid - 1;
      }
      text = text.slice(0, lo).trimEnd() + "…";
    }
    return (labels.text[i] = text);
  }

  function drawLabels(visible, r) {
    var size = Math.round(clamp(ROW * scale * 0.42, 11, 15));
    var room = Math.floor(COL * scale - r - 12);
    ctx.font = size + "px " + theme.font;
    if (labels.font !== ctx.font || labels.room !== room) {
      labels = {font: ctx.font, room: room, text: []};
    }
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    ctx.lineWidth = 3;
    ctx.strokeStyle = theme.bg;
    for (var k = 0; k < visible.length; k++) {
      var i = visible[k], title = label(i, room);
      var sx = X[i] * scale + tx + r + 5, sy = Y[i] * scale + ty;
      ctx.globalAlpha = mark && !mark[i] ? 0.3 : 1;
      ctx.fillStyle = i === selected || i === hovered ? theme.fg : theme.muted;
      ctx.strokeText(title, sx, sy);
      ctx.fillText(title, sx, sy);
    }
    ctx.globalAlpha = 1;
  }

  // ancestors get 1, descendants 2, the node itself 3
  function lineageOf(start) {
    var marks = new Uint8Array(n);
    walk(start, predStart, predList, 1, marks);
    walk(start, succStart, succList, 2, marks);
    marks[start] = 3;
    return marks;
  }

  function walk(start, first, list, bit, marks) {
    var stack = [start];
    while (stack.length) {
      var v = stack.pop();
      for (var k = first[v]; k < first[v + 1]; k++) {
        var w = list[k];
        if (!(marks[w] & bit)) { marks[w] |= bit; stack.push(w); }
      }
    }
  }

  function onLineage(u, v) {
    return ((mark[u] & 1) && (mark[v] & 1)) || ((mark[u] & 2) && (mark[v] & 2)) ||
      (mark[u] === 3 && mark[v] & 2) || (mark[v] === 3 && mark[u] & 1);
  }

  // -- picking and interaction ----------------------------------------------------------

  function nodeAt(sx, sy) {
    if (!n) return -1;
    var wx = (sx - tx) / scale, wy = (sy - ty) / scale;
    var slack = Math.max(radius() + 4, 6) / scale;
    var best = nearestInLayer(Math.round(wx / COL), wy);
    if (best >= 0 && Math.abs(X[best] - wx) <= slack && Math.abs(Y[best] - wy) <= slack) {
      return best;
    }
    if (ROW * scale >= LABEL_ROW_PX) {  // over a label: it belongs to the node on its left
      var layer = Math.floor(wx / COL);
      best = nearestInLayer(layer, wy);
      if (best >= 0 && wx - X[best] < COL * 0.8 && Math.abs(Y[best] - wy) <= ROW * 0.45) {
        return best;
      }
    }
    return -1;
  }

  function nearestInLayer(layer, wy) {
    if (layer < 0 || layer >= byLayer.length || !byLayer[layer].length) return -1;
    var ys = layerY[layer], lo = 0, hi = ys.length - 1;
    while (lo < hi) {
      var mid = (lo + hi) >> 1;
      if (ys[mid] < wy) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(ys[lo - 1] - wy) < Math.abs(ys[lo] - wy)) lo--;
    return byLayer[layer][lo];
  }

  function bind() {
    var pointers = new Map(), pressed = null, pinch = null;

    canvas.addEventListener("pointerdown", function (ev) {
      canvas.setPointerCapture(ev.pointerId);
      pointers.set(ev.pointerId, {x: ev.offsetX, y: ev.offsetY});
      if (pointers.size === 1) {
        pressed = {x: ev.offsetX, y: ev.offsetY, tx: tx, ty: ty, moved: false};
      } else if (pointers.size === 2) {
        pinch = pinchState();
        pressed = null;
      }
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (pointers.has(ev.pointerId)) pointers.set(ev.pointerId, {x: ev.offsetX, y: ev.offsetY});
      if (pinch && pointers.size === 2) {
        var now = pinchState();
        var s = clamp(pinch.scale * now.dist / pinch.dist, MIN_SCALE, MAX_SCALE);
        scale = s;
        tx = now.x - pinch.wx * s; ty = now.y - pinch.wy * s;
        redraw();
        return;
      }
      if (pressed) {
        var dx = ev.offsetX - pressed.x, dy = ev.offsetY - pressed.y;
        if (!pressed.moved && Math.hypot(dx, dy) > DRAG_PX) {
          pressed.moved = true;
          canvas.classList.add("olw-dragging");
        }
        if (pressed.moved) {
          tx = pressed.tx + dx; ty = pressed.ty + dy;
          hideTooltip();
          redraw();
          return;
        }
      }
      if (ev.pointerType === "mouse") hover(nodeAt(ev.offsetX, ev.offsetY), ev);
    });
    function release(ev) {
      pointers.delete(ev.pointerId);
      if (pointers.size < 2) pinch = null;
      canvas.classList.remove("olw-dragging");
      var press = pressed;
      pressed = null;
      if (!press || press.moved || ev.type === "pointercancel") return;
      var i = nodeAt(ev.offsetX, ev.offsetY);
      if (i < 0) { select(-1); return; }
      // a mouse click opens the page; a tap first selects (no hover on touch screens)
      if (ev.pointerType === "mouse" || i === selected) open(i); else select(i);
    }
    canvas.addEventListener("pointerup", release);
    canvas.addEventListener("pointercancel", release);
    canvas.addEventListener("pointerleave", function (ev) {
      if (ev.pointerType === "mouse") hover(-1, ev);
    });
    canvas.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var delta = ev.deltaMode === 1 ? ev.deltaY * 16 : ev.deltaY;
      zoomAt(Math.exp(-delta * 0.0015), ev.offsetX, ev.offsetY);
    }, {passive: false});
    canvas.addEventListener("keydown", function (ev) {
      var step = 60, handled = true;
      if (ev.key === "+" || ev.key === "=") zoomAt(1.25, width / 2, height / 2);
      else if (ev.key === "-") zoomAt(0.8, width / 2, height / 2);
      else if (ev.key === "0") fit();
      else if (ev.key === "ArrowLeft") { tx += step; redraw(); }
      else if (ev.key === "ArrowRight") { tx -= step; redraw(); }
      else if (ev.key === "ArrowUp") { ty += step; redraw(); }
      else if (ev.key === "ArrowDown") { ty -= step; redraw(); }
      else if (ev.key === "Escape") select(-1);
      else if (ev.key === "Enter" && selected >= 0) open(selected);
      else handled = false;
      if (handled) ev.preventDefault();
    });
    root.querySelectorAll("[data-zoom]").forEach(function (button) {
      button.addEventListener("click", function () {
        var how = button.dataset.zoom;
        if (how === "fit") fit();
        else zoomAt(how === "in" ? 1.4 : 1 / 1.4, width / 2, height / 2);
      });
    });
    colourBy.addEventListener("change", recolour);
    search.addEventListener("change", find);
    search.addEventListener("keydown", function (ev) {
      if (ev.key === "Enter") { ev.preventDefault(); find(); }
    });
    info.addEventListener("click", function (ev) {
      if (ev.target.closest("[data-clear]")) select(-1);
    });
    if (window.ResizeObserver) new ResizeObserver(resize).observe(canvas);
    else window.addEventListener("resize", resize);
    // Material's light/dark toggle changes the palette on <body>
    new MutationObserver(function () { readTheme(); redraw(); })
      .observe(document.body, {attributes: true, attributeFilter: ["data-md-color-scheme"]});

    function pinchState() {
      var pts = Array.from(pointers.values()), a = pts[0], b = pts[1];
      var x = (a.x + b.x) / 2, y = (a.y + b.y) / 2;
      return {x: x, y: y, dist: Math.max(1, Math.hypot(a.x - b.x, a.y - b.y)),
              scale: scale, wx: (x - tx) / scale, wy: (y - ty) / scale};
    }
  }

  function hover(i, ev) {
    canvas.style.cursor = i >= 0 ? "pointer" : "";
    if (i < 0) { if (hovered >= 0) { hovered = -1; redraw(); } hideTooltip(); return; }
    if (i !== hovered) {
      hovered = i;
      redraw();
      var node = data.nodes[i];
      tooltip.innerHTML = "<strong>" + escapeHtml(node.title) + "</strong><br>" +
        escapeHtml(groupTitle(data.tracks, node.track)) + " · Tier " + node.tier + "<br>" +
        lineageText(i);
    }
    tooltip.hidden = false;
    var x = ev.offsetX + 14, y = ev.offsetY + 14;
    if (x + tooltip.offsetWidth > width) x = ev.offsetX - tooltip.offsetWidth - 10;
    if (y + tooltip.offsetHeight > height) y = ev.offsetY - tooltip.offsetHeight - 10;
    tooltip.style.left = Math.max(0, x) + "px";
    tooltip.style.top = Math.max(0, y) + "px";
  }

  function lineageText(i) {
    var marks = lineageOf(i), before = 0, after = 0;
    for (var k = 0; k < n; k++) { if (marks[k] === 1) before++; else if (marks[k] === 2) after++; }
    return before + " topic" + (before === 1 ? "" : "s") + " before it · leads to " + after;
  }

  function hideTooltip() { tooltip.hidden = true; }

  function select(i) {
    selected = i;
    redraw();
    if (i < 0) { info.hidden = true; return; }
    showInfo('<a class="olw-atlas-open" href="' + escapeHtml(urlOf(i)) + '">' +
      escapeHtml(data.nodes[i].title) + " →</a><br><small>" + lineageText(i) + "</small>" +
      '<button type="button" data-clear aria-label="Clear the selection">×</button>');
  }

  function showInfo(html) { info.innerHTML = html; info.hidden = false; }

  function find() {
    var q = search.value.trim().toLowerCase();
    if (!q) return;
    var hit = -1, partial = -1;
    for (var i = 0; i < n && hit < 0; i++) {
      var node = data.nodes[i], title = node.title.toLowerCase();
      if (title === q || node.slug === q) hit = i;
      else if (partial < 0 && (title.indexOf(q) >= 0 || node.slug.indexOf(q) >= 0)) partial = i;
    }
    if (hit < 0) hit = partial;
    if (hit < 0) { showInfo("<small>No topic matches “" + escapeHtml(search.value) + "”.</small>"); return; }
    search.blur();  // closes the suggestion list and, on phones, the keyboard
    select(hit);
    centreOn(hit);
  }

  function open(i) { location.href = urlOf(i); }

  function urlOf(i) { return new URL(data.nodes[i].url, siteRoot).href; }

  function groupTitle(groups, id) {
    for (var k = 0; k < groups.length; k++) if (groups[k].id === id) return groups[k].title;
    return String(id);
  }

  function clamp(v, lo, hi) { return v < lo ? lo : v > hi ? hi : v; }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  // for tests and for linking: select a topic by slug, and where a topic is on screen
  api.select = function (slug) {
    for (var i = 0; i < n; i++) if (data.nodes[i].slug === slug) { select(i); centreOn(i); return true; }
    return false;
  };
  api.clientPoint = function (slug) {
    for (var i = 0; i < n; i++) {
      if (data.nodes[i].slug !== slug) continue;
      var box = canvas.getBoundingClientRect();
      return {x: box.left + X[i] * scale + tx, y: box.top + Y[i] * scale + ty};
    }
    return null;
  };
  api.fit = function () { fit(); };
  api.drawNow = function () { draw(); return api.lastDrawMs; };
})();
