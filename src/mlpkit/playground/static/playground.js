// mlpkit playground: the page. It holds no model of its own: every number it shows
// comes from the mlpkit session on the server, over one WebSocket.
"use strict";
(() => {
  const token = document.body.dataset.token;
  const $ = (id) => document.getElementById(id);
  const COLOURS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                   [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];
  const rgb = (c, a = 1) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;
  const SELECTS = ["dataset", "function", "activation", "output", "loss", "init", "optimizer", "batch_mode"];
  const NUMBERS = ["classes", "points", "noise", "test_fraction", "data_seed", "seed", "lr",
                   "batch_size", "l1", "l2", "dropout", "epochs_per_tick"];
  const AE_NUMBERS = ["points", "data_seed", "seed", "lr", "batch_size"];
  let ws = null, session = null, opts = null, data = null, state = null, mode = "network";
  let settings = null, seq = 0;
  // pinned points: {id, request, result}; the selected one's gradients are shown in full
  let pins = [], nextPin = 1, selectedPin = null, selectedWeight = null;
  // the autoencoder mode's data (labels, PCA's map) and state (codes), and what was decoded
  let ae = { data: null, state: null, decoded: { autoencoder: null, pca: null }, settings: null };

  // -- the connection --------------------------------------------------------------
  function connect() {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    ws = new WebSocket(`${proto}://${location.host}/ws?token=${encodeURIComponent(token)}`);
    ws.onmessage = (event) => receive(JSON.parse(event.data));
    ws.onclose = () => say("the connection to the server closed: start `mlpkit playground` again and reload", true);
  }
  function send(message) {
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }
  function say(text, error = false) {
    const s = $("status");
    s.textContent = text;
    s.className = error ? "error" : "";
  }
  function receive(m) {
    if (m.type === "hello") {
      session = m.session;
      opts = m.options;
      buildControls();
      const q = `?token=${encodeURIComponent(token)}`;
      $("export-model").href = `export/${session}/model.mlpk${q}`;
      $("export-code").href = `export/${session}/train.py${q}`;
      setExportNames();
    } else if (m.type === "data") {
      data = m;
      pins = []; selectedPin = null; selectedWeight = null;
      // a reply to an older configure must not undo what was typed since
      if (m.seq === seq || !settings) fillControls(m.settings);
      else settings = m.settings;
      renderTrace();
      say(m.added ? `${m.added} added point(s) in the training set` : "");
    } else if (m.type === "state") {
      state = m;
      drawAll();
      for (const pin of pins) send(pin.request); // the tables follow the training
    } else if (m.type === "playing") {
      const playing = !!m.value;
      $("play").dataset.playing = playing ? "1" : "0";
      $("play").querySelector("use").setAttribute("href", playing ? "#i-pause" : "#i-play");
      $("play").querySelector("span").textContent = playing ? "pause" : "play";
    } else if (m.type === "trace") {
      const pin = pins.find((p) => p.id === m.id);
      if (!pin) return;
      pin.result = m;
      renderTrace();
      drawBoundary();
      drawDiagram();
    } else if (m.type === "mode") {
      setMode(m.value);
    } else if (m.type === "ae_data") {
      ae.data = m; ae.decoded = { autoencoder: null, pca: null };
      fillAutoencoderControls(m.settings);
      drawPcaMap(); drawDecoded("pca");
    } else if (m.type === "ae_state") {
      ae.state = m;
      drawAutoencoder();
    } else if (m.type === "decoded") {
      ae.decoded[m.via] = m;
      drawDecoded(m.via);
      if (m.via === "autoencoder") drawAeMap(); else drawPcaMap();
    } else if (m.type === "error") {
      say(m.message, true);
    }
  }
  function setMode(value) {
    mode = value;
    document.body.dataset.mode = value;
    $("mode-network").setAttribute("aria-selected", String(value === "network"));
    $("mode-autoencoder").setAttribute("aria-selected", String(value === "autoencoder"));
    setExportNames();
  }
  function setExportNames() {
    $("export-model").download = mode === "network" ? "playground.mlpk" : "playground_autoencoder.mlpk";
    $("export-code").download = mode === "network" ? "playground_train.py" : "playground_autoencoder.py";
  }

  // -- small helpers ---------------------------------------------------------------
  const fmt = (v) => (v === null || v === undefined ? "-" : v === 0 ? "0" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(3));
  function niceTicks(lo, hi, count) {
    const raw = (hi - lo) / Math.max(1, count), mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
    const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) || raw;
    const ticks = [];
    for (let t = Math.ceil(lo / step) * step; t <= hi + 1e-9 * step; t += step) ticks.push(Math.abs(t) < 1e-12 ? 0 : t);
    return ticks;
  }
  const tickText = (t) => Number(t.toPrecision(3)).toString();
  // "x1^2" -> x₁² as HTML (sub/sup tags: no special glyphs)
  function featureHTML(term) {
    return term.replace(/x(\d)/g, "x<sub>$1</sub>").replace(/\^2/g, "<sup>2</sup>").replace(/\*/g, "");
  }
  // an axis name with a subscript on a canvas, drawn as two pieces of plain text
  function axisName(g, name, sub, x, y, rotate = false) {
    g.save(); g.translate(x, y); if (rotate) g.rotate(-Math.PI / 2);
    g.textAlign = "left"; g.font = "12px sans-serif";
    const w = g.measureText(name).width, ws2 = sub ? (g.font = "9px sans-serif", g.measureText(sub).width) : 0;
    g.font = "12px sans-serif"; g.fillText(name, -(w + ws2) / 2, 0);
    if (sub) { g.font = "9px sans-serif"; g.fillText(sub, -(w + ws2) / 2 + w, 3); }
    g.restore();
  }
  function floats(b64) {
    const bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Float32Array(bytes.buffer);
  }
  // a value's colour: blue positive, orange negative, white at 0 (scaled by `top`)
  function diverging(v, top) {
    const t = Math.max(-1, Math.min(1, top > 0 ? v / top : 0)), c = t >= 0 ? COLOURS[0] : COLOURS[1], a = Math.abs(t);
    return [255 - (255 - c[0]) * a, 255 - (255 - c[1]) * a, 255 - (255 - c[2]) * a];
  }

  // -- the controls ----------------------------------------------------------------
  function fillSelect(id, values) {
    const el = $(id), current = el.value;
    el.innerHTML = values.map((v) => `<option value="${v}">${v}</option>`).join("");
    if (values.includes(current)) el.value = current;
  }
  function buildControls() {
    fillSelect("dataset", [...opts.datasets.classification, ...opts.datasets.regression]);
    fillSelect("function", opts.functions);
    fillSelect("activation", opts.activations);
    fillSelect("init", opts.initializers);
    fillSelect("optimizer", Object.keys(opts.optimizers));
    fillSelect("batch_mode", opts.batch_modes);
    fillSelect("ae-activation", opts.autoencoder.activations);
    $("points").min = opts.limits.points[0];
    $("points").max = opts.limits.points[1];
    $("epochs_per_tick").max = opts.limits.epochs_per_tick[1];
  }
  const taskOf = (dataset) => (opts.datasets.regression.includes(dataset) ? "regression" : "classification");
  const dimOf = (dataset) => (opts.regression_1d.includes(dataset) ? 1 : 2);
  function fillControls(s) {
    settings = s;
    const task = taskOf(s.dataset), dim = dimOf(s.dataset);
    fillSelect("output", opts.outputs[task]);
    fillSelect("loss", opts.losses[s.output]);
    for (const id of SELECTS) $(id).value = s[id];
    for (const id of NUMBERS) $(id).value = s[id];
    for (const id of ["points", "noise", "test_fraction"]) $(`${id}-value`).textContent = s[id];
    $("speed-value").textContent = s.epochs_per_tick;
    renderLayerControls(s.hidden);
    $("features").innerHTML = opts.features[String(dim)].map((f) =>
      `<label><input type="checkbox" class="feature" value="${f}" ${s.features.includes(f) ? "checked" : ""}> ${featureHTML(dim === 1 ? f.replace("x1", "x") : f)}</label>`).join("");
    const spec = opts.optimizers[s.optimizer];
    $("optimizer-settings").innerHTML = Object.keys(spec).map((k) =>
      `<label>${k} <input class="opt" data-key="${k}" type="number" step="any" min="${spec[k][1]}" max="${spec[k][2]}" value="${s.optimizer_settings[k]}"></label>`).join("");
    $("function-box").hidden = dim !== 1;
    $("classes-box").hidden = s.dataset !== "spirals";
    $("batch-size-box").hidden = s.batch_mode !== "mini-batch";
    $("accuracy-box").hidden = task !== "classification";
    $("boundary-caption").firstChild.textContent = task === "classification" ? "decision boundary: filled = training points, ringed = test points "
      : dim === 1 ? "fitted curve: filled = training points, ringed = test points " : "fitted surface (blue high, orange low): filled = training points, ringed = test points ";
    const modes = task === "regression"
      ? [`<label><input type="radio" name="click" value="add"> adds a training point${dim === 2 ? ' of value <input id="add-value" type="number" step="any" value="1" style="width:4em">' : ""}</label>`]
      : [...Array(s.dataset === "spirals" ? s.classes : 2).keys()].map((k) =>
          `<label><input type="radio" name="click" value="add-${k}"> adds a point of class <span class="pin" style="background:${rgb(COLOURS[k])}">${k}</span></label>`);
    const current = clickMode();
    $("add-modes").innerHTML = modes.join("");
    // keep what a click does across a redraw of the choices (pin if that one is gone)
    const keep = document.querySelector(`input[name="click"][value="${current}"]`);
    (keep || document.querySelector('input[name="click"][value="trace"]')).checked = true;
  }
  // each hidden layer's width (- n +), a cross to drop it, a + between layers to insert one;
  // placed over the diagram's columns
  function renderLayerControls(hidden) {
    const L = hidden.length + 2, parts = [];
    const left = (l) => (100 * columnX(l, L)) / DIAGRAM.W;
    hidden.forEach((w, i) => {
      parts.push(`<span class="layer" style="left:${left(i + 1)}%" data-i="${i}">
        <button class="narrower" data-i="${i}" title="one unit fewer in hidden layer ${i + 1}">-</button>
        <input class="width" type="number" min="1" max="${opts.limits.width}" value="${w}" data-i="${i}" title="units in hidden layer ${i + 1}">
        <button class="wider" data-i="${i}" title="one unit more in hidden layer ${i + 1}">+</button>
        <button class="drop-layer" data-i="${i}" title="remove hidden layer ${i + 1}"><svg class="icon"><use href="#i-cross"/></svg></button></span>`);
    });
    for (let i = 0; i <= hidden.length; i++) {
      if (hidden.length >= opts.limits.hidden_layers) break;
      const at = (left(i) + left(i + 1)) / 2;
      parts.push(`<button class="insert-layer" data-i="${i}" style="left:${at}%" title="insert a hidden layer here">+</button>`);
    }
    $("hidden").innerHTML = parts.join("");
  }
  function widths() { return [...document.querySelectorAll("#hidden .width")].map((el) => Number(el.value)); }
  function setWidths(list) {
    if (list.length > opts.limits.hidden_layers) return say(`at most ${opts.limits.hidden_layers} hidden layers`, true);
    renderLayerControls(list);
    configure();
  }
  $("hidden").addEventListener("click", (event) => {
    const b = event.target.closest("button");
    if (!b) return;
    const i = Number(b.dataset.i), w = widths(), top = opts.limits.width;
    if (b.classList.contains("narrower")) { if (w[i] > 1) { w[i] -= 1; setWidths(w); } }
    else if (b.classList.contains("wider")) { if (w[i] < top) { w[i] += 1; setWidths(w); } else say(`at most ${top} units a layer`, true); }
    else if (b.classList.contains("drop-layer")) { w.splice(i, 1); setWidths(w); }
    else if (b.classList.contains("insert-layer")) { w.splice(i, 0, w[Math.max(0, i - 1)] || 4); setWidths(w); }
  });
  function clickMode() {
    const checked = document.querySelector('input[name="click"]:checked');
    return checked ? checked.value : "trace";
  }
  function collect() {
    const s = {};
    for (const id of SELECTS) s[id] = $(id).value;
    for (const id of NUMBERS) s[id] = Number($(id).value);
    s.hidden = widths();
    const o = {};
    for (const el of document.querySelectorAll("#optimizer-settings .opt")) o[el.dataset.key] = Number(el.value);
    if (s.optimizer === settings.optimizer) s.optimizer_settings = o;
    const task = taskOf(s.dataset), dim = dimOf(s.dataset);
    if (dim === dimOf(settings.dataset)) {
      s.features = [...document.querySelectorAll("#features .feature:checked")].map((el) => el.value);
      if (!s.features.length) s.features = opts.features[String(dim)].slice(0, dim);
    }
    // keep the output and loss valid for the data set (the server checks them too)
    if (!opts.outputs[task].includes(s.output)) s.output = opts.outputs[task][0];
    if (s.dataset === "spirals" && s.classes > 2 && s.output === "sigmoid") s.output = "softmax";
    if (!opts.losses[s.output].includes(s.loss)) s.loss = opts.losses[s.output][0];
    return s;
  }
  function configure() {
    say("");
    if (mode === "autoencoder") return configureAutoencoder();
    send({ type: "configure", seq: ++seq, settings: collect() });
  }
  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.name === "click" || el.id === "add-value") return;
    if (el.id === "epochs_per_tick") return configure();
    if (el.closest("#ae-panel")) return configureAutoencoder();
    if (el.closest("#data-panel, #network-panel, #training-panel")) configure();
  });
  document.addEventListener("input", (event) => {
    const out = $(`${event.target.id}-value`);
    if (out) out.textContent = event.target.value;
    if (event.target.id === "epochs_per_tick") $("speed-value").textContent = event.target.value;
  });
  $("add-layer").onclick = () => setWidths([...widths(), 4]);
  $("remove-layer").onclick = () => { const w = widths(); w.pop(); setWidths(w); };
  $("play").onclick = () => send({ type: $("play").dataset.playing === "1" ? "pause" : "play" });
  $("step").onclick = () => send({ type: "step" });
  $("reset").onclick = () => send({ type: "reset" });
  $("clear-points").onclick = () => send({ type: "clear_points" });
  $("clear-traces").onclick = () => { pins = []; selectedPin = null; renderTrace(); drawBoundary(); drawDiagram(); };
  $("mode-network").onclick = () => { if (mode !== "network") send({ type: "mode", value: "network" }); };
  $("mode-autoencoder").onclick = () => { if (mode !== "autoencoder") send({ type: "mode", value: "autoencoder" }); };
  for (const link of document.querySelectorAll("a.png")) {
    link.onclick = () => {
      link.href = $(link.dataset.canvas).toDataURL("image/png");
      link.download = `playground-${link.dataset.canvas}.png`;
    };
  }
  // keyboard: space plays or pauses, the right arrow steps (not while typing in a field)
  document.addEventListener("keydown", (event) => {
    const t = event.target;
    if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) return;
    if (t && t.tagName === "BUTTON" && (event.key === " " || event.key === "ArrowRight")) t.blur();  // (not its own activation too)
    if (event.key === " " || event.code === "Space") { event.preventDefault(); $("play").click(); }
    else if (event.key === "ArrowRight") { event.preventDefault(); $("step").click(); }
  });

  // -- the plot of the data --------------------------------------------------------
  const PLOT = { left: 40, right: 8, top: 8, bottom: 34 };
  function plotBox(c) { return { x0: PLOT.left, y0: PLOT.top, w: c.width - PLOT.left - PLOT.right, h: c.height - PLOT.top - PLOT.bottom }; }
  function toCanvas(c, x, y) {
    const [x0, x1, y0, y1] = data.bounds, b = plotBox(c);
    return [b.x0 + ((x - x0) / (x1 - x0)) * b.w, b.y0 + ((y1 - y) / (y1 - y0)) * b.h];
  }
  function toData(c, px, py) {
    const [x0, x1, y0, y1] = data.bounds, b = plotBox(c);
    return [x0 + ((px - b.x0) / b.w) * (x1 - x0), y1 - ((py - b.y0) / b.h) * (y1 - y0)];
  }
  function pointColour(task, y, top) {
    return task === "regression" ? diverging(y, top).map(Math.round) : COLOURS[y];
  }
  function drawBoundary() {
    const c = $("boundary"), g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    if (!data || !state) return;
    const view = state.view, b = plotBox(c);
    const targets = data.task === "regression" && data.train.x[0].length === 2 ? [...data.train.y, ...data.test.y].map((v) => Math.abs(v[0])) : [];
    const top = targets.length ? Math.max(1e-9, ...targets) : 1;
    if (view.kind === "grid" || view.kind === "surface") {
      const n = view.size, img = new ImageData(n, n);
      for (let r = 0; r < n; r++) {
        for (let col = 0; col < n; col++) {
          const at = ((n - 1 - r) * n + col) * 4;                  // row 0 of the grid is the bottom
          let colour;
          if (view.kind === "surface") {
            colour = diverging(view.values[r * n + col] ?? 0, top);
          } else {
            const p = view.probs[r * n + col], k = p.length, mix = [0, 0, 0];
            p.forEach((pk, j) => { for (let i = 0; i < 3; i++) mix[i] += (pk || 0) * COLOURS[j][i]; });
            const sure = (Math.max(...p) - 1 / k) / (1 - 1 / k);   // 0 on the boundary, 1 far from it
            colour = mix.map((m) => 255 - (255 - m) * (0.25 + 0.45 * sure));
          }
          for (let i = 0; i < 3; i++) img.data[at + i] = colour[i];
          img.data[at + 3] = 255;
        }
      }
      const off = document.createElement("canvas");
      off.width = off.height = n;
      off.getContext("2d").putImageData(img, 0, 0);
      // grid value (i, j) belongs at the plot point of its coordinates: cells are centred on them
      const cw = b.w / (n - 1), ch = b.h / (n - 1);
      g.save(); g.beginPath(); g.rect(b.x0, b.y0, b.w, b.h); g.clip();
      g.imageSmoothingEnabled = true;
      g.drawImage(off, b.x0 - cw / 2, b.y0 - ch / 2, b.w + cw, b.h + ch);
      g.restore();
    }
    const oneD = data.train.x[0].length === 1;
    const pts = (set, test) => set.x.forEach((x, i) => {
      const [px, py] = oneD ? toCanvas(c, x[0], set.y[i][0]) : toCanvas(c, x[0], x[1]);
      const colour = oneD ? [90, 90, 90] : pointColour(data.task, data.task === "regression" ? set.y[i][0] : set.y[i], top);
      g.beginPath();
      g.arc(px, py, 3.5, 0, 2 * Math.PI);
      g.fillStyle = test ? "#fff" : rgb(colour);
      g.strokeStyle = test ? rgb(colour) : data.task === "regression" && !oneD ? "#333" : "#fff";
      g.lineWidth = test ? 1.5 : 1;
      g.fill();
      g.stroke();
    });
    pts(data.train, false);
    pts(data.test, true);
    if (view.kind === "curve") {
      g.beginPath();
      view.x.forEach((x, i) => {
        const [px, py] = toCanvas(c, x, view.y[i] ?? 0);
        if (i) g.lineTo(px, py); else g.moveTo(px, py);
      });
      g.strokeStyle = rgb(COLOURS[0]);
      g.lineWidth = 2.5;
      g.stroke();
    }
    pins.forEach((pin, k) => {  // each pinned point: a cross and its number
      const at = pin.request.x, [px, py] = oneD ? toCanvas(c, at[0], pin.request.target) : toCanvas(c, at[0], at[1]);
      g.strokeStyle = "#000"; g.lineWidth = 2;
      g.beginPath(); g.moveTo(px - 7, py); g.lineTo(px + 7, py); g.moveTo(px, py - 7); g.lineTo(px, py + 7); g.stroke();
      g.fillStyle = "#000"; g.font = "bold 11px sans-serif"; g.textAlign = "left"; g.fillText(String(pin.id), px + 6, py - 5);
    });
    // the axes: ticks on both, named x1, x2 (or x and f(x))
    const [x0, x1, y0, y1] = data.bounds;
    g.strokeStyle = "#888"; g.lineWidth = 1; g.strokeRect(b.x0, b.y0, b.w, b.h);
    g.fillStyle = "#444"; g.font = "10px sans-serif"; g.textAlign = "center";
    for (const t of niceTicks(x0, x1, 6)) { const [px] = toCanvas(c, t, y0); g.fillRect(px, b.y0 + b.h, 1, 4); g.fillText(tickText(t), px, b.y0 + b.h + 14); }
    g.textAlign = "right";
    for (const t of niceTicks(y0, y1, 6)) { const [, py] = toCanvas(c, x0, t); g.fillRect(b.x0 - 4, py, 4, 1); g.fillText(tickText(t), b.x0 - 6, py + 3); }
    g.fillStyle = "#222";
    if (oneD) { axisName(g, "x", "", b.x0 + b.w / 2, c.height - 4); axisName(g, "f(x)", "", 11, b.y0 + b.h / 2, true); }
    else { axisName(g, "x", "1", b.x0 + b.w / 2, c.height - 4); axisName(g, "x", "2", 11, b.y0 + b.h / 2, true); }
  }
  $("boundary").addEventListener("click", (event) => {
    if (!data) return;
    const c = $("boundary"), box = c.getBoundingClientRect();
    const [x, y] = toData(c, ((event.clientX - box.left) * c.width) / box.width, ((event.clientY - box.top) * c.height) / box.height);
    const how = clickMode(), oneD = data.train.x[0].length === 1;
    if (how === "trace") {
      const id = nextPin++;
      const request = oneD ? { type: "trace", x: [x], target: y, id } : { type: "trace", x: [x, y], id };
      pins.push({ id, request, result: null });
      if (pins.length > opts.limits.traces) pins.shift();  // the oldest goes
      selectedPin = id;
      send(request);
    } else if (how === "add") {
      send(oneD ? { type: "add_point", x: [x], target: y } : { type: "add_point", x: [x, y], target: Number($("add-value").value) });
    } else send({ type: "add_point", x: [x, y], target: Number(how.slice(4)) });
  });

  // -- the curves: log-scale values over epochs, with ticks and a legend inside -------
  function drawLines(id, xs, series, xlabel = "epoch") {
    const c = $(id), g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    const all = series.flatMap((s) => s.values).filter((v) => v !== null && v > 0 && Number.isFinite(v));
    if (!all.length || xs.length < 1) return;
    let lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all));
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const left = 46, right = c.width - 8, top = 8, bottom = c.height - 30;
    const xmax = Math.max(xs[xs.length - 1], 1e-9);
    const X = (x) => left + (x / xmax) * (right - left);
    const Y = (v) => bottom - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top);
    g.strokeStyle = "#ccc"; g.lineWidth = 1;
    g.strokeRect(left, top, right - left, bottom - top);
    g.fillStyle = "#444"; g.font = "10px sans-serif"; g.textAlign = "right";
    const decades = [];
    for (let k = Math.ceil(lo - 1e-9); k <= Math.floor(hi + 1e-9); k++) decades.push(k);
    const yTicks = decades.length >= 2 ? decades.map((k) => Math.pow(10, k)) : [Math.pow(10, lo), Math.pow(10, hi)];
    for (const v of yTicks) { const y = Y(v); g.fillRect(left - 4, y, 4, 1); g.fillText(v.toPrecision(2).replace(/\.?0+e/, "e"), left - 6, y + 3); }
    g.textAlign = "center";
    for (const t of niceTicks(0, xmax, 5)) { const x = X(t); g.fillRect(x, bottom, 1, 4); g.fillText(tickText(t), x, bottom + 13); }
    g.fillText(xlabel, (left + right) / 2, c.height - 3);
    for (const s of series) {
      g.beginPath();
      let on = false;
      s.values.forEach((v, i) => {
        if (v === null || !(v > 0) || !Number.isFinite(v)) { on = false; return; }
        if (on) g.lineTo(X(xs[i]), Y(v)); else g.moveTo(X(xs[i]), Y(v));
        on = true;
      });
      g.strokeStyle = s.colour; g.lineWidth = 1.8; g.stroke();
    }
    // the legend, in one line inside the plot's top right corner
    g.font = "10px sans-serif"; g.textAlign = "left";
    let x = right - 6 - series.reduce((w, s) => w + g.measureText(s.name).width + 22, 0);
    for (const s of series) {
      g.fillStyle = s.colour; g.fillRect(x, top + 7, 12, 2.5);
      g.fillStyle = "#333"; g.fillText(s.name, x + 15, top + 11);
      x += g.measureText(s.name).width + 22;
    }
  }

  // -- the network diagram: every unit's picture over the plane ----------------------
  const DIAGRAM = { W: 560, H: 330, unit: 34 };
  function columnX(l, L) { return 66 + (l * (DIAGRAM.W - 116)) / Math.max(1, L - 1); }
  function unitY(j, n) {
    const gap = Math.min(DIAGRAM.unit + 10, (DIAGRAM.H - 30) / Math.max(n, 1));
    return DIAGRAM.H / 2 - 8 + (j - (n - 1) / 2) * gap;
  }
  function unitSize(n) { return Math.min(DIAGRAM.unit, (DIAGRAM.H - 30) / Math.max(n, 1) - 4); }
  // one unit's values over the plane as an image (or over x as a small curve)
  function pictureCanvas(values, size, grid, oneD, scale) {
    const c = document.createElement("canvas");
    c.width = c.height = oneD ? 48 : grid;
    const g = c.getContext("2d");
    const top = Math.max(1e-12, ...Array.from(values, Math.abs));
    if (oneD) {
      g.fillStyle = "#fff"; g.fillRect(0, 0, 48, 48);
      const lo = Math.min(0, ...values), hi = Math.max(0, ...values), span = hi - lo || 1;
      g.strokeStyle = "#aaa"; g.beginPath(); g.moveTo(0, 46 - (46 * (0 - lo)) / span); g.lineTo(48, 46 - (46 * (0 - lo)) / span); g.stroke();
      g.strokeStyle = rgb(COLOURS[0]); g.lineWidth = 2; g.beginPath();
      values.forEach((v, i) => { const x = (48 * i) / (values.length - 1), y = 47 - (46 * (v - lo)) / span; if (i) g.lineTo(x, y); else g.moveTo(x, y); });
      g.stroke();
      return c;
    }
    const img = g.createImageData(grid, grid);
    for (let r = 0; r < grid; r++) for (let col = 0; col < grid; col++) {
      const colour = diverging(values[r * grid + col], scale || top), at = ((grid - 1 - r) * grid + col) * 4;
      img.data[at] = colour[0]; img.data[at + 1] = colour[1]; img.data[at + 2] = colour[2]; img.data[at + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    return c;
  }
  // the units' values (per diagram column, per unit), decoded once per state
  let pictures = null;
  function unitValues(l, j) {
    if (!pictures) return null;
    const p = pictures[l], n = state.units.grid ** (data.train.x[0].length === 1 ? 1 : 2);
    return p.values.subarray(j * n, (j + 1) * n);
  }
  function decodePictures() {
    pictures = state.units.pictures.map((p) => ({ lo: p.lo, hi: p.hi, values: floats(p.values) }));
  }
  function firstPin() { return pins.find((p) => p.result); }
  function activationOf(l, j) {
    // the first pinned point's value of diagram column l, unit j (inputs or features first)
    const pin = firstPin();
    if (!pin) return null;
    const layers = pin.result.layers;
    if (l === 0) {
      const feats = layers.find((t) => t.label === "InputFeatures");
      return feats ? feats.h[j] : pin.result.x[j];
    }
    const dense = layers.filter((t) => t.dW !== null);
    return dense[l - 1] ? dense[l - 1].h[j] : null;
  }
  function inputName(term, oneD) {
    const t = oneD ? term.replace("x1", "x") : term;
    return t.replace(/x(\d)/g, "x$1");
  }
  function drawDiagram() {
    const svg = $("diagram");
    if (!state) return;
    const net = state.network, w = net.widths, L = w.length, oneD = data && data.train.x[0].length === 1;
    const maxW = Math.max(1e-12, ...net.W.flat(2).map(Math.abs));
    const maxB = Math.max(1e-12, ...net.b.flat().map(Math.abs));
    const parts = [];
    for (let l = 0; l < L - 1; l++) {
      const sa = unitSize(w[l]), sb = unitSize(w[l + 1]);
      for (let a = 0; a < w[l]; a++) {
        for (let b = 0; b < w[l + 1]; b++) {
          const v = net.W[l][a][b] ?? 0, x1 = columnX(l, L) + sa / 2, y1 = unitY(a, w[l]), x2 = columnX(l + 1, L) - sb / 2, y2 = unitY(b, w[l + 1]);
          const chosen = selectedWeight && selectedWeight.join() === [l, a, b].join();
          const attrs = `data-layer="${l}" data-from="${a}" data-to="${b}" x1="${x1}" y1="${y1}" x2="${x2}" y2="${y2}"`;
          parts.push(`<line class="weight${chosen ? " selected" : ""}" ${attrs} stroke="${v >= 0 ? rgb(COLOURS[0], 0.75) : rgb(COLOURS[1], 0.75)}" stroke-width="${(0.3 + (3.7 * Math.abs(v)) / maxW).toFixed(2)}"></line>`);
          parts.push(`<line class="hit" ${attrs}><title>W${l + 1}[${a + 1},${b + 1}] = ${v}; click for its gradient</title></line>`);
        }
      }
    }
    for (let l = 0; l < L; l++) {
      const s = unitSize(w[l]);
      for (let j = 0; j < w[l]; j++) {
        const x = columnX(l, L), y = unitY(j, w[l]), bias = l ? net.b[l - 1][j] : null;
        const values = unitValues(l, j);
        const href = values ? pictureCanvas(values, s, state.units.grid, oneD).toDataURL() : "";
        const ring = bias === null ? "#555" : bias >= 0 ? rgb(COLOURS[0]) : rgb(COLOURS[1]);
        const rw = bias === null ? 1 : 1 + (2.5 * Math.abs(bias)) / maxB;
        parts.push(`<image class="unit-picture" data-layer="${l}" data-unit="${j}" x="${x - s / 2}" y="${y - s / 2}" width="${s}" height="${s}" href="${href}" preserveAspectRatio="none" style="image-rendering:pixelated"></image>`);
        parts.push(`<rect class="unit-box" data-layer="${l}" data-unit="${j}" x="${x - s / 2}" y="${y - s / 2}" width="${s}" height="${s}" fill="none" stroke="${ring}" stroke-width="${rw.toFixed(2)}"></rect>`);
        const h = activationOf(l, j);
        const fill = h === null ? "#fff" : rgb(h >= 0 ? COLOURS[0] : COLOURS[1], Math.min(1, Math.abs(h) / Math.max(1e-12, Math.abs(h), 1)));
        parts.push(`<circle class="unit" data-layer="${l}" data-unit="${j}" cx="${x + s / 2}" cy="${y + s / 2}" r="4" fill="${fill}" stroke="#333" stroke-width="0.8"></circle>`);
        if (l === 0) parts.push(`<text x="${x - s / 2 - 4}" y="${y + 4}" text-anchor="end" font-size="11">${inputName(net.inputs[j], oneD).replace(/x(\d)/g, "x<tspan baseline-shift=\"sub\" font-size=\"8\">$1</tspan>").replace(/\^2/, "<tspan baseline-shift=\"super\" font-size=\"8\">2</tspan>").replace(/\*/g, "")}</text>`);
      }
      const name = l === 0 ? (net.inputs.length === (oneD ? 1 : 2) && !net.inputs.some((f) => /[\^*(]/.test(f)) ? "inputs" : "features")
        : l === L - 1 ? `output (${net.activations[l - 1]})` : `layer ${l} (${net.activations[l - 1]})`;
      parts.push(`<text x="${columnX(l, L)}" y="${DIAGRAM.H - 6}" text-anchor="middle" font-size="11">${name}</text>`);
    }
    svg.innerHTML = parts.join("");
  }
  // hovering a unit: its picture enlarged, its bias and incoming weights
  $("diagram").addEventListener("mousemove", (event) => {
    const el = event.target.closest(".unit-picture, .unit-box, circle.unit"), zoom = $("unit-zoom");
    if (!el || !state) { zoom.hidden = true; return; }
    const l = Number(el.dataset.layer), j = Number(el.dataset.unit), net = state.network;
    const values = unitValues(l, j), oneD = data.train.x[0].length === 1;
    const title = l === 0 ? `input ${inputName(net.inputs[j], oneD)}` : l === net.widths.length - 1 ? `output unit ${j + 1} (${net.activations[l - 1]})` : `unit ${j + 1} of layer ${l} (${net.activations[l - 1]})`;
    const lines = [`<b>${title}</b>`];
    if (values) lines.push(`over the plane: ${fmt(Math.min(...values))} to ${fmt(Math.max(...values))}`);
    if (l > 0) {
      lines.push(`b = ${fmt(net.b[l - 1][j])}`);
      lines.push(`weights in: ${net.W[l - 1].map((row, i) => `${fmt(row[j])} (from ${i + 1})`).join(", ")}`);
    }
    zoom.innerHTML = lines.join("<br>");
    if (values) zoom.prepend(pictureCanvas(values, 140, state.units.grid, oneD));
    zoom.hidden = false;
    const box = $("diagram-box").getBoundingClientRect();
    zoom.style.left = Math.min(event.clientX - box.left + 14, box.width - 270) + "px";
    zoom.style.top = Math.max(0, event.clientY - box.top - 60) + "px";
  });
  $("diagram").addEventListener("mouseleave", () => { $("unit-zoom").hidden = true; });
  $("diagram").addEventListener("click", (event) => {
    const el = event.target.closest("line.hit, line.weight");
    if (!el) return;
    selectedWeight = [Number(el.dataset.layer), Number(el.dataset.from), Number(el.dataset.to)];
    drawDiagram();
    renderTrace();
  });

  // -- the chain-rule table: a row per pinned point --------------------------------------
  const cell = (v, attrs) => `<td ${attrs} data-value="${v}">${fmt(v)}</td>`;
  const pinMark = (id) => `<span class="pin" style="background:#333">${id}</span>`;
  function denseRecords(result) { return result.layers.map((t, k) => [t, k]).filter(([t]) => t.dW !== null); }
  function renderWeightGradient() {
    const box = $("weight-gradient");
    const done = pins.filter((p) => p.result);
    if (!selectedWeight || !done.length) { box.hidden = true; return; }
    const [l, a, b] = selectedWeight, lines = [];
    for (const pin of done) {
      const rec = denseRecords(pin.result)[l];
      if (!rec) continue;
      const [t, k] = rec, before = pin.result.layers[k - 1], hprev = k === 0 ? pin.result.x[a] : before.h[a];
      const prevName = l === 0 ? inputName(state.network.inputs[a], data.train.x[0].length === 1) : `h${l}[${a + 1}]`;
      const delta = t.delta[b], grad = t.dW[a][b], regularised = settings.l1 > 0 || settings.l2 > 0;
      const penalty = regularised ? ` + ${fmt(grad - hprev * delta)} (regulariser)` : "";
      lines.push(`${pinMark(pin.id)} ∂L/∂W${l + 1}[${a + 1},${b + 1}] = ${prevName} · δ${l + 1}[${b + 1}]${regularised ? " + regulariser" : ""} = ${fmt(hprev)} · ${fmt(delta)}${penalty} = <b data-point="${pin.id}" class="weight-grad" data-value="${grad}">${fmt(grad)}</b>`);
    }
    const oneD = data.train.x[0].length === 1, last = l + 1 === state.network.widths.length - 1;
    const from = l === 0 ? inputName(state.network.inputs[a], oneD) : `unit ${a + 1} of layer ${l}`;
    const to = last ? `output unit ${b + 1}` : `unit ${b + 1} of layer ${l + 1}`;
    box.innerHTML = `<div>W${l + 1}[${a + 1},${b + 1}], the weight from ${from} to ${to}: its gradient by the chain rule, for each pinned point</div>` + lines.join("<br>");
    box.hidden = false;
  }
  function renderTrace() {
    const box = $("trace");
    renderWeightGradient();
    const done = pins.filter((p) => p.result);
    if (!done.length) { box.innerHTML = ""; return; }
    const chosen = done.find((p) => p.id === selectedPin) || done[done.length - 1];
    const parts = [];
    for (const pin of done) {
      const t = pin.result, from = t.target_from === "given" ? "" : ` (the ${t.target_from}'s)`;
      const lossId = pin === chosen ? ' id="trace-loss"' : "";
      parts.push(`<p class="trace-summary" data-point="${pin.id}">${pinMark(pin.id)} x = (${t.x.map(fmt).join(", ")}), target ${t.target.map(fmt).join(", ")}${from};
        output ŷ = (${t.output.map(fmt).join(", ")}); ${t.loss_name} l = <span${lossId} data-value="${t.sample_loss}">${fmt(t.sample_loss)}</span>${t.penalty ? `, L = l + penalty ${fmt(t.penalty)} = ${fmt(t.loss)}` : ""}</p>`);
    }
    const [sl, sa, sb] = selectedWeight || [-1, -1, -1];
    chosen.result.layers.forEach((layer, k) => {
      const n = layer.h.length, head = [...Array(n).keys()].map((j) => `<th>unit ${j + 1}</th>`).join("");
      const rows = [];
      for (const pin of done) {
        const rec = pin.result.layers[k], mark = done.length > 1 ? ` ${pinMark(pin.id)}` : "";
        const row = (name, label, values) => values ? `<tr><th>${label}${mark}</th>${values.map((v, j) => cell(v, `class="v" data-point="${pin.id}" data-layer="${k}" data-name="${name}" data-i="${j}"`)).join("")}</tr>` : "";
        rows.push(row("s", "s (pre-activation)", rec.s), row("h", `h = ${rec.symbol || "f"}(s)`, rec.h), row("delta", "δ = ∂l/∂s", rec.delta));
      }
      parts.push(`<table class="trace" data-layer="${k}"><caption>layer ${k + 1}: ${layer.label}</caption><tr><th></th>${head}</tr>${rows.join("")}</table>`);
      if (layer.dW) {
        const l = denseRecords(chosen.result).findIndex(([, kk]) => kk === k);
        const dw = layer.dW.map((r, i) => `<tr><th>from ${k === 0 ? "x" : "h"}${i + 1}</th>${r.map((v, j) => cell(v, `class="v${l === sl && i === sa && j === sb ? " selected" : ""}" data-point="${chosen.id}" data-layer="${k}" data-name="dW" data-i="${i}" data-j="${j}"`)).join("")}</tr>`);
        parts.push(`<table class="trace"><caption>∂L/∂W and ∂L/∂b of layer ${k + 1}, point ${pinMark(chosen.id)}</caption><tr><th></th>${head}</tr>${dw.join("")}
          ${layer.db ? `<tr><th>∂L/∂b</th>${layer.db.map((v, j) => cell(v, `class="v" data-point="${chosen.id}" data-layer="${k}" data-name="db" data-i="${j}"`)).join("")}</tr>` : ""}</table>`);
      }
    });
    box.innerHTML = parts.join("");
  }
  $("trace").addEventListener("click", (event) => {  // a point's summary selects its gradients
    const p = event.target.closest(".trace-summary");
    if (p) { selectedPin = Number(p.dataset.point); renderTrace(); }
  });

  function drawAll() {
    $("epoch").textContent = Number(state.epoch.toFixed(2));
    $("train-loss").textContent = fmt(state.train_loss);
    $("test-loss").textContent = fmt(state.test_loss);
    $("accuracy").textContent = state.test_accuracy === null ? "-" : state.test_accuracy.toFixed(3);
    decodePictures();
    drawBoundary();
    drawLines("losses", state.losses.epoch, [
      { name: "train", values: state.losses.train, colour: rgb(COLOURS[0]) },
      { name: "test", values: state.losses.test, colour: rgb(COLOURS[1]) },
    ]);
    const names = Object.keys(state.grad_norms).filter((k) => k !== "epoch");
    drawLines("gradients", state.grad_norms.epoch, names.map((k, i) => ({ name: k, values: state.grad_norms[k], colour: rgb(COLOURS[i % COLOURS.length]) })));
    drawDiagram();
  }

  // -- the autoencoder mode ----------------------------------------------------------------
  function fillAutoencoderControls(s) {
    ae.settings = s;
    for (const id of AE_NUMBERS) $(`ae-${id}`).value = s[id];
    $("ae-hidden").value = s.hidden.join(",");
    $("ae-activation").value = s.activation;
    $("epochs_per_tick").value = s.epochs_per_tick;
    $("speed-value").textContent = s.epochs_per_tick;
    $("epochs_per_tick").max = opts.autoencoder.limits.epochs_per_tick[1];
  }
  function configureAutoencoder() {
    const s = {};
    for (const id of AE_NUMBERS) s[id] = Number($(`ae-${id}`).value);
    s.hidden = $("ae-hidden").value.split(",").map((v) => v.trim()).filter((v) => v).map(Number);
    s.activation = $("ae-activation").value;
    s.epochs_per_tick = Number($("epochs_per_tick").value);
    send({ type: "configure", settings: s });
  }
  // a 2-D map: robust limits (the codes between their 1% and 99% quantiles, widened),
  // axes, points coloured by digit; codes outside are drawn on the edge, hollow
  const MAPM = { left: 36, right: 8, top: 8, bottom: 30 };
  function mapView(codes) {
    const q = (a, f) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.max(0, Math.round(f * (s.length - 1))))]; };
    return [0, 1].map((k) => {
      const v = codes.map((z) => z[k]), lo = q(v, 0.01), hi = q(v, 0.99), span = Math.max(hi - lo, 1e-3);
      return [Math.max(lo - 0.15 * span, Math.min(...v) - 0.05 * span), Math.min(hi + 0.15 * span, Math.max(...v) + 0.05 * span)];
    });
  }
  function mapPoint(c, view, z) {
    const w = c.width - MAPM.left - MAPM.right, h = c.height - MAPM.top - MAPM.bottom;
    const u = (z[0] - view[0][0]) / (view[0][1] - view[0][0]), v = (z[1] - view[1][0]) / (view[1][1] - view[1][0]);
    const clipped = u < 0 || u > 1 || v < 0 || v > 1;
    return [MAPM.left + Math.min(1, Math.max(0, u)) * w, MAPM.top + (1 - Math.min(1, Math.max(0, v))) * h, clipped];
  }
  function mapCode(c, view, px, py) {
    const w = c.width - MAPM.left - MAPM.right, h = c.height - MAPM.top - MAPM.bottom;
    return [view[0][0] + ((px - MAPM.left) / w) * (view[0][1] - view[0][0]), view[1][0] + (1 - (py - MAPM.top) / h) * (view[1][1] - view[1][0])];
  }
  const views = { ae: null, pca: null };
  function drawMap(id, codes, view, marked, names) {
    const c = $(id), g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    const w = c.width - MAPM.left - MAPM.right, h = c.height - MAPM.top - MAPM.bottom;
    g.strokeStyle = "#999"; g.lineWidth = 1; g.strokeRect(MAPM.left, MAPM.top, w, h);
    g.fillStyle = "#444"; g.font = "10px sans-serif"; g.textAlign = "center";
    for (const t of niceTicks(view[0][0], view[0][1], 5)) { const [x] = mapPoint(c, view, [t, view[1][0]]); g.fillRect(x, MAPM.top + h, 1, 4); g.fillText(tickText(t), x, MAPM.top + h + 14); }
    g.textAlign = "right";
    for (const t of niceTicks(view[1][0], view[1][1], 5)) { const [, y] = mapPoint(c, view, [view[0][0], t]); g.fillRect(MAPM.left - 4, y, 4, 1); g.fillText(tickText(t), MAPM.left - 6, y + 3); }
    g.fillStyle = "#222";
    axisName(g, names[0], names[1], MAPM.left + w / 2, c.height - 4);
    axisName(g, names[0], names[2], 10, MAPM.top + h / 2, true);
    codes.forEach((z, i) => {
      const [x, y, clipped] = mapPoint(c, view, z), colour = rgb(COLOURS[ae.data.labels[i] % COLOURS.length]);
      if (clipped) { g.strokeStyle = colour; g.lineWidth = 1.3; g.beginPath(); g.arc(x, y, 3, 0, 2 * Math.PI); g.stroke(); }
      else { g.fillStyle = colour; g.fillRect(x - 2, y - 2, 4, 4); }
    });
    if (marked) {
      const [x, y] = mapPoint(c, view, marked);
      g.strokeStyle = "#000"; g.lineWidth = 2; g.beginPath(); g.arc(x, y, 7, 0, 2 * Math.PI); g.stroke();
    }
  }
  function drawAeMap() {
    if (!ae.state || !ae.data) return;
    views.ae = mapView(ae.state.codes);
    drawMap("ae-map", ae.state.codes, views.ae, ae.decoded.autoencoder && ae.decoded.autoencoder.code, ["z", "1", "2"]);
  }
  function drawPcaMap() {
    if (!ae.data) return;
    views.pca = mapView(ae.data.pca);
    drawMap("pca-map", ae.data.pca, views.pca, ae.decoded.pca && ae.decoded.pca.code, ["PC", "1", "2"]);
  }
  function drawDecoded(via) {
    const id = via === "autoencoder" ? "ae-decoded" : "pca-decoded", c = $(id), g = c.getContext("2d");
    const m = ae.decoded[via], img = g.createImageData(8, 8);
    for (let i = 0; i < 64; i++) {
      const v = m ? Math.round(255 * m.pixels[i]) : 0;
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v; img.data[4 * i + 3] = 255;
    }
    g.putImageData(img, 0, 0);
    $(`${id}-code`).textContent = m ? `code (${m.code.map((v) => v.toFixed(3)).join(", ")})` : via === "pca" ? "" : "click the map";
  }
  function drawAutoencoder() {
    $("epoch").textContent = ae.state.epochs;
    $("ae-error").textContent = fmt(ae.state.error);
    $("pca-error").textContent = fmt(ae.state.pca_error);
    drawAeMap();
    if (ae.data && !$("ae-legend").childElementCount) {
      $("ae-legend").innerHTML = [...Array(10).keys()].map((d) => `<span style="margin-right:.5em"><span class="pin" style="background:${rgb(COLOURS[d])}">${d}</span></span>`).join("");
    }
    const xs = ae.state.errors.map((_, i) => i);
    drawLines("ae-errors", xs.length > 1 ? xs : [0, 1], [
      { name: "autoencoder", values: ae.state.errors, colour: rgb(COLOURS[0]) },
      { name: "PCA", values: ae.state.errors.map(() => ae.state.pca_error), colour: rgb(COLOURS[1]) },
    ], "update");
  }
  for (const [id, via] of [["ae-map", "autoencoder"], ["pca-map", "pca"]]) {
    $(id).addEventListener("click", (event) => {
      const view = via === "autoencoder" ? views.ae : views.pca;
      if (!view) return;
      const c = $(id), box = c.getBoundingClientRect();
      const code = mapCode(c, view, ((event.clientX - box.left) * c.width) / box.width, ((event.clientY - box.top) * c.height) / box.height);
      send({ type: "decode", code, via });
    });
  }

  // read-only, for tests and the curious: what the page was last sent, and where a data
  // point falls on the plot
  window.mlpkitPlayground = {
    get data() { return data; },
    get state() { return state; },
    get traced() { const p = pins.find((q) => q.id === selectedPin && q.result) || firstPin(); return p ? p.result : null; },
    get traces() { return pins.filter((p) => p.result).map((p) => Object.assign({ id: p.id }, p.result)); },
    get mode() { return mode; },
    get ae() { return ae; },
    toCanvas: (x, y) => toCanvas($("boundary"), x, y),
    toMap: (id, z) => mapPoint($(id), id === "ae-map" ? views.ae : views.pca, z),
  };
  connect();
})();
