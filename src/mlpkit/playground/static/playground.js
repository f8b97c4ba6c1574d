// mlpkit playground: the page. It holds no model of its own: every number it shows
// comes from the mlpkit session on the server, over one WebSocket.
"use strict";
(() => {
  const token = document.body.dataset.token;
  const $ = (id) => document.getElementById(id);
  const COLOURS = [[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189]];
  const rgb = (c, a = 1) => `rgba(${c[0]},${c[1]},${c[2]},${a})`;
  const SELECTS = ["dataset", "function", "activation", "output", "loss", "init", "optimizer", "batch_mode"];
  const NUMBERS = ["classes", "points", "noise", "test_fraction", "data_seed", "seed", "lr",
                   "batch_size", "l1", "l2", "dropout", "epochs_per_tick"];
  let ws = null, session = null, opts = null, data = null, state = null, traced = null;
  let settings = null, traceRequest = null, seq = 0;

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
      $("export-model").download = "playground.mlpk";
      $("export-code").href = `export/${session}/train.py${q}`;
      $("export-code").download = "playground_train.py";
    } else if (m.type === "data") {
      data = m;
      traced = traceRequest = null;
      // a reply to an older configure must not undo what was typed since
      if (m.seq === seq || !settings) fillControls(m.settings);
      else settings = m.settings;
      renderTrace();
      say(m.added ? `${m.added} added point(s) in the training set` : "");
    } else if (m.type === "state") {
      state = m;
      drawAll();
      if (traceRequest) send(traceRequest); // the table follows the training
    } else if (m.type === "playing") {
      $("play").textContent = m.value ? "⏸ pause" : "▶ play";
      $("play").dataset.playing = m.value ? "1" : "0";
    } else if (m.type === "trace") {
      traced = m;
      renderTrace();
      drawBoundary();
      drawDiagram();
    } else if (m.type === "error") {
      say(m.message, true);
    }
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
    $("points").min = opts.limits.points[0];
    $("points").max = opts.limits.points[1];
    $("epochs_per_tick").max = opts.limits.epochs_per_tick[1];
  }
  const taskOf = (dataset) => (opts.datasets.regression.includes(dataset) ? "regression" : "classification");
  function fillControls(s) {
    settings = s;
    const task = taskOf(s.dataset);
    fillSelect("output", opts.outputs[task]);
    fillSelect("loss", opts.losses[s.output]);
    for (const id of SELECTS) $(id).value = s[id];
    for (const id of NUMBERS) $(id).value = s[id];
    for (const id of ["points", "noise", "test_fraction"]) $(`${id}-value`).textContent = s[id];
    $("speed-value").textContent = s.epochs_per_tick;
    $("hidden").innerHTML = s.hidden.map((w, i) =>
      `<input class="width" type="number" min="1" max="${opts.limits.width}" value="${w}" data-i="${i}" title="units in hidden layer ${i + 1}">`).join("");
    const spec = opts.optimizers[s.optimizer];
    $("optimizer-settings").innerHTML = Object.keys(spec).map((k) =>
      `<label>${k} <input class="opt" data-key="${k}" type="number" step="any" min="${spec[k][1]}" max="${spec[k][2]}" value="${s.optimizer_settings[k]}"></label>`).join("");
    $("function-box").hidden = task !== "regression";
    $("classes-box").hidden = s.dataset !== "spirals";
    $("batch-size-box").hidden = s.batch_mode !== "mini-batch";
    $("accuracy-box").hidden = task !== "classification";
    const modes = task === "regression"
      ? ['<label><input type="radio" name="click" value="add"> adds a training point</label>']
      : [...Array(s.dataset === "spirals" ? s.classes : 2).keys()].map((k) =>
          `<label><input type="radio" name="click" value="add-${k}"> adds a point of class <span style="color:${rgb(COLOURS[k])}">●</span> ${k}</label>`);
    const mode = clickMode();
    $("add-modes").innerHTML = modes.join("");
    // keep what a click does across a redraw of the choices (trace if that one is gone)
    const keep = document.querySelector(`input[name="click"][value="${mode}"]`);
    (keep || document.querySelector('input[name="click"][value="trace"]')).checked = true;
  }
  function clickMode() {
    const checked = document.querySelector('input[name="click"]:checked');
    return checked ? checked.value : "trace";
  }
  function collect() {
    const s = {};
    for (const id of SELECTS) s[id] = $(id).value;
    for (const id of NUMBERS) s[id] = Number($(id).value);
    s.hidden = [...document.querySelectorAll("#hidden .width")].map((el) => Number(el.value));
    const o = {};
    for (const el of document.querySelectorAll("#optimizer-settings .opt")) o[el.dataset.key] = Number(el.value);
    if (s.optimizer === settings.optimizer) s.optimizer_settings = o;
    // keep the output and loss valid for the data set (the server checks them too)
    const task = taskOf(s.dataset);
    if (!opts.outputs[task].includes(s.output)) s.output = opts.outputs[task][0];
    if (s.dataset === "spirals" && s.classes > 2 && s.output === "sigmoid") s.output = "softmax";
    if (!opts.losses[s.output].includes(s.loss)) s.loss = opts.losses[s.output][0];
    return s;
  }
  function configure() {
    say("");
    send({ type: "configure", seq: ++seq, settings: collect() });
  }
  document.addEventListener("change", (event) => {
    const el = event.target;
    if (el.name === "click") return;
    if (el.closest("#data-panel, #network-panel, #training-panel") || el.id === "epochs_per_tick") configure();
  });
  document.addEventListener("input", (event) => {
    const out = $(`${event.target.id}-value`);
    if (out) out.textContent = event.target.value;
    if (event.target.id === "epochs_per_tick") $("speed-value").textContent = event.target.value;
  });
  $("add-layer").onclick = () => {
    if (document.querySelectorAll("#hidden .width").length >= opts.limits.hidden_layers) return say(`at most ${opts.limits.hidden_layers} hidden layers`, true);
    $("hidden").insertAdjacentHTML("beforeend", `<input class="width" type="number" min="1" max="${opts.limits.width}" value="4">`);
    configure();
  };
  $("remove-layer").onclick = () => {
    const widths = document.querySelectorAll("#hidden .width");
    if (widths.length) widths[widths.length - 1].remove();
    configure();
  };
  $("play").onclick = () => send({ type: $("play").dataset.playing === "1" ? "pause" : "play" });
  $("step").onclick = () => send({ type: "step" });
  $("reset").onclick = () => send({ type: "reset" });
  $("clear-points").onclick = () => send({ type: "clear_points" });
  for (const link of document.querySelectorAll("a.png")) {
    link.onclick = () => {
      link.href = $(link.dataset.canvas).toDataURL("image/png");
      link.download = `playground-${link.dataset.canvas}.png`;
    };
  }

  // -- the plot of the data --------------------------------------------------------
  function toCanvas(c, x, y) {
    const [x0, x1, y0, y1] = data.bounds;
    return [((x - x0) / (x1 - x0)) * c.width, ((y1 - y) / (y1 - y0)) * c.height];
  }
  function toData(c, px, py) {
    const [x0, x1, y0, y1] = data.bounds;
    return [x0 + (px / c.width) * (x1 - x0), y1 - (py / c.height) * (y1 - y0)];
  }
  function drawBoundary() {
    const c = $("boundary"), g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    if (!data || !state) return;
    const view = state.view;
    if (view.kind === "grid") {
      const n = view.size, img = new ImageData(n, n);
      for (let r = 0; r < n; r++) {
        for (let col = 0; col < n; col++) {
          const p = view.probs[r * n + col], k = p.length;
          const mix = [0, 0, 0];
          p.forEach((pk, j) => { for (let i = 0; i < 3; i++) mix[i] += (pk || 0) * COLOURS[j][i]; });
          const sure = (Math.max(...p) - 1 / k) / (1 - 1 / k);   // 0 on the boundary, 1 far from it
          const at = ((n - 1 - r) * n + col) * 4;                  // row 0 of the grid is the bottom
          for (let i = 0; i < 3; i++) img.data[at + i] = 255 - (255 - mix[i]) * (0.25 + 0.45 * sure);
          img.data[at + 3] = 255;
        }
      }
      const off = document.createElement("canvas");
      off.width = off.height = n;
      off.getContext("2d").putImageData(img, 0, 0);
      // grid value (i, j) belongs at the canvas point of its coordinates: cells are centred on them
      const cw = c.width / (n - 1), ch = c.height / (n - 1);
      g.imageSmoothingEnabled = true;
      g.drawImage(off, -cw / 2, -ch / 2, c.width + cw, c.height + ch);
    }
    const pts = (set, test) => set.x.forEach((x, i) => {
      const [px, py] = data.task === "regression" ? toCanvas(c, x[0], set.y[i][0]) : toCanvas(c, x[0], x[1]);
      const colour = data.task === "regression" ? [90, 90, 90] : COLOURS[set.y[i]];
      g.beginPath();
      g.arc(px, py, 3.5, 0, 2 * Math.PI);
      g.fillStyle = test ? "#fff" : rgb(colour);
      g.strokeStyle = test ? rgb(colour) : "#fff";
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
    if (traced) {
      const [px, py] = data.task === "regression" ? toCanvas(c, traced.x[0], traced.target[0]) : toCanvas(c, traced.x[0], traced.x[1]);
      g.strokeStyle = "#000";
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(px - 7, py); g.lineTo(px + 7, py); g.moveTo(px, py - 7); g.lineTo(px, py + 7);
      g.stroke();
    }
    const [x0, x1, y0, y1] = data.bounds;
    g.fillStyle = "#444";
    g.font = "11px sans-serif";
    g.fillText(x0.toFixed(2), 3, c.height - 4);
    g.fillText(x1.toFixed(2), c.width - 32, c.height - 4);
    g.fillText(y1.toFixed(2), 3, 12);
  }
  $("boundary").addEventListener("click", (event) => {
    if (!data) return;
    const c = $("boundary"), box = c.getBoundingClientRect();
    const [x, y] = toData(c, ((event.clientX - box.left) * c.width) / box.width, ((event.clientY - box.top) * c.height) / box.height);
    const mode = clickMode();
    const regression = data.task === "regression";
    if (mode === "trace") {
      traceRequest = regression ? { type: "trace", x: [x], target: y } : { type: "trace", x: [x, y] };
      send(traceRequest);
    }
    else if (mode === "add") send({ type: "add_point", x: [x], target: y });
    else send({ type: "add_point", x: [x, y], target: Number(mode.slice(4)) });
  });

  // -- the curves ------------------------------------------------------------------
  function drawLines(id, xs, series) {
    const c = $(id), g = c.getContext("2d");
    g.clearRect(0, 0, c.width, c.height);
    const all = series.flatMap((s) => s.values).filter((v) => v !== null && v > 0 && Number.isFinite(v));
    if (!all.length || xs.length < 1) return;
    let lo = Math.log10(Math.min(...all)), hi = Math.log10(Math.max(...all));
    if (hi - lo < 1e-9) { lo -= 0.5; hi += 0.5; }
    const left = 48, right = c.width - 8, top = 8, bottom = c.height - 20;
    const xmax = Math.max(xs[xs.length - 1], 1e-9);
    const X = (x) => left + (x / xmax) * (right - left);
    const Y = (v) => bottom - ((Math.log10(v) - lo) / (hi - lo)) * (bottom - top);
    g.strokeStyle = "#ccc";
    g.strokeRect(left, top, right - left, bottom - top);
    g.fillStyle = "#444";
    g.font = "11px sans-serif";
    g.fillText(Math.pow(10, hi).toPrecision(2), 2, top + 8);
    g.fillText(Math.pow(10, lo).toPrecision(2), 2, bottom);
    g.fillText(`epoch ${Number(xmax.toFixed(2))}`, right - 70, c.height - 5);
    for (const s of series) {
      g.beginPath();
      let on = false;
      s.values.forEach((v, i) => {
        if (v === null || !(v > 0) || !Number.isFinite(v)) { on = false; return; }
        if (on) g.lineTo(X(xs[i]), Y(v)); else g.moveTo(X(xs[i]), Y(v));
        on = true;
      });
      g.strokeStyle = s.colour;
      g.lineWidth = 1.8;
      g.stroke();
    }
  }

  // -- the network diagram -----------------------------------------------------------
  function drawDiagram() {
    const svg = $("diagram");
    if (!state) return;
    const net = state.network, widths = net.widths, L = widths.length;
    const W = 420, H = 260, X = (l) => 40 + (l * (W - 80)) / (L - 1);
    const gap = (n) => Math.min(30, (H - 40) / Math.max(n, 1));
    const Y = (j, n) => H / 2 - 8 + (j - (n - 1) / 2) * gap(n);
    const maxW = Math.max(1e-12, ...net.W.flat(2).map(Math.abs));
    const maxB = Math.max(1e-12, ...net.b.flat().map(Math.abs));
    const dense = traced ? traced.layers.filter((t) => t.dW !== null) : null;
    const hOf = (l, j) => (!traced ? null : l === 0 ? traced.x[j] : dense[l - 1].h[j]);
    const parts = [];
    for (let l = 0; l < L - 1; l++) {
      for (let a = 0; a < widths[l]; a++) {
        for (let b = 0; b < widths[l + 1]; b++) {
          const w = net.W[l][a][b] ?? 0;
          parts.push(`<line x1="${X(l)}" y1="${Y(a, widths[l])}" x2="${X(l + 1)}" y2="${Y(b, widths[l + 1])}" stroke="${w >= 0 ? rgb(COLOURS[0], 0.75) : rgb(COLOURS[1], 0.75)}" stroke-width="${(0.3 + (3.7 * Math.abs(w)) / maxW).toFixed(2)}"><title>W${l + 1}[${a + 1},${b + 1}] = ${w}</title></line>`);
        }
      }
    }
    for (let l = 0; l < L; l++) {
      const hs = traced ? [...Array(widths[l]).keys()].map((j) => Math.abs(hOf(l, j))) : [];
      const scale = Math.max(1e-12, ...hs);
      for (let j = 0; j < widths[l]; j++) {
        const b = l ? net.b[l - 1][j] : null, h = hOf(l, j);
        const fill = h === null ? "#fff" : rgb(h >= 0 ? COLOURS[0] : COLOURS[1], Math.min(1, Math.abs(h) / scale));
        const ring = b === null ? "#555" : b >= 0 ? rgb(COLOURS[0]) : rgb(COLOURS[1]);
        const rw = b === null ? 1 : 1 + (3 * Math.abs(b)) / maxB;
        const tip = `${l === 0 ? `x${j + 1}` : `unit ${j + 1} of layer ${l}`}${b === null ? "" : `, b = ${b}`}${h === null ? "" : `, h = ${h}`}`;
        parts.push(`<circle class="unit" data-layer="${l}" data-unit="${j}" cx="${X(l)}" cy="${Y(j, widths[l])}" r="9" fill="${fill}" stroke="${ring}" stroke-width="${rw.toFixed(2)}"><title>${tip}</title></circle>`);
      }
      const name = l === 0 ? "x" : l === L - 1 ? `ŷ (${net.activations[l - 1]})` : `h${l} (${net.activations[l - 1]})`;
      parts.push(`<text x="${X(l)}" y="${H - 6}" text-anchor="middle" font-size="11">${name}</text>`);
    }
    svg.innerHTML = parts.join("");
  }

  // -- the chain-rule table ------------------------------------------------------------
  const fmt = (v) => (v === null || v === undefined ? "–" : v === 0 ? "0" : Math.abs(v) >= 1e-3 && Math.abs(v) < 1e4 ? v.toFixed(4) : v.toExponential(3));
  const cell = (v, attrs) => `<td ${attrs} data-value="${v}">${fmt(v)}</td>`;
  function renderTrace() {
    const box = $("trace");
    if (!traced) { box.innerHTML = ""; return; }
    const t = traced, parts = [];
    const from = t.target_from === "given" ? "" : ` (the ${t.target_from}'s)`;
    parts.push(`<p id="trace-summary">x = (${t.x.map(fmt).join(", ")}), target ${t.target.map(fmt).join(", ")}${from};
      output ŷ = (${t.output.map(fmt).join(", ")}); ${t.loss_name} l = <span id="trace-loss" data-value="${t.sample_loss}">${fmt(t.sample_loss)}</span>${t.penalty ? `, L = l + penalty ${fmt(t.penalty)} = ${fmt(t.loss)}` : ""}</p>`);
    t.layers.forEach((layer, k) => {
      const n = layer.h.length, head = [...Array(n).keys()].map((j) => `<th>unit ${j + 1}</th>`).join("");
      const row = (name, label, values) => values ? `<tr><th>${label}</th>${values.map((v, j) => cell(v, `class="v" data-layer="${k}" data-name="${name}" data-i="${j}"`)).join("")}</tr>` : "";
      parts.push(`<table class="trace" data-layer="${k}"><caption>layer ${k + 1}: ${layer.label}</caption><tr><th></th>${head}</tr>
        ${row("s", "s (pre-activation)", layer.s)}${row("h", `h = ${layer.symbol || "f"}(s)`, layer.h)}${row("delta", "δ = ∂l/∂s", layer.delta)}</table>`);
      if (layer.dW) {
        const rows = layer.dW.map((r, i) => `<tr><th>from ${k === 0 ? "x" : "h"}${i + 1}</th>${r.map((v, j) => cell(v, `class="v" data-layer="${k}" data-name="dW" data-i="${i}" data-j="${j}"`)).join("")}</tr>`);
        parts.push(`<table class="trace"><caption>∂L/∂W and ∂L/∂b of layer ${k + 1}</caption><tr><th></th>${head}</tr>${rows.join("")}
          ${layer.db ? `<tr><th>∂L/∂b</th>${layer.db.map((v, j) => cell(v, `class="v" data-layer="${k}" data-name="db" data-i="${j}"`)).join("")}</tr>` : ""}</table>`);
      }
    });
    box.innerHTML = parts.join("");
  }

  function drawAll() {
    $("epoch").textContent = Number(state.epoch.toFixed(2));
    $("train-loss").textContent = fmt(state.train_loss);
    $("test-loss").textContent = fmt(state.test_loss);
    $("accuracy").textContent = state.test_accuracy === null ? "–" : state.test_accuracy.toFixed(3);
    drawBoundary();
    drawLines("losses", state.losses.epoch, [
      { values: state.losses.train, colour: rgb(COLOURS[0]) },
      { values: state.losses.test, colour: rgb(COLOURS[1]) },
    ]);
    const names = Object.keys(state.grad_norms).filter((k) => k !== "epoch");
    drawLines("gradients", state.grad_norms.epoch, names.map((k, i) => ({ values: state.grad_norms[k], colour: rgb(COLOURS[i % COLOURS.length]) })));
    $("gradient-legend").innerHTML = names.map((k, i) => `<span style="color:${rgb(COLOURS[i % COLOURS.length])}">${k}</span>`).join(" ");
    drawDiagram();
  }

  // read-only, for tests and the curious: what the page was last sent, and where a data
  // point falls on the plot
  window.mlpkitPlayground = {
    get data() { return data; },
    get state() { return state; },
    get traced() { return traced; },
    toCanvas: (x, y) => toCanvas($("boundary"), x, y),
  };
  connect();
})();
