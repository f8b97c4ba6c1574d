"""`mlpkit playground` for real: the command's server on 127.0.0.1, driven over HTTP and
its WebSocket, and in headless Chromium — build a 2-4-1 sigmoid network on XOR, watch
it learn, trace a point and check the table against mlpkit.trace, take the model home."""

from __future__ import annotations

import contextlib
import json
import re
import time
import urllib.error
import urllib.request

import numpy as np
import pytest

import mlpkit

from .conftest import PLAYGROUND_TIMEOUT as TIMEOUT
from .conftest import require


def get(server, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(server["base"] + path, timeout=TIMEOUT) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def connect(server, token: str | None = None, origin: str | None = "same"):
    client = require("websockets.sync.client", "pip install 'mlpkit[playground]'")
    token = server["token"] if token is None else token
    origin = f"http://{server['host']}" if origin == "same" else origin
    return client.connect(
        f"ws://{server['host']}/ws?token={token}",
        origin=origin,
        open_timeout=TIMEOUT,
        close_timeout=5,
        max_size=None,
    )


def receive(ws, kind: str) -> dict:
    """The next message of type ``kind`` (others are skipped)."""
    while True:
        message = json.loads(ws.recv(timeout=TIMEOUT))
        if message["type"] == kind:
            return message


def ask(ws, message: dict, kind: str) -> dict:
    ws.send(json.dumps(message))
    return receive(ws, kind)


def test_every_request_needs_the_token(server):
    token = server["token"]
    for path in ["/", "/?token=wrong", "/static/playground.js", "/export/x/model.mlpk?token=no"]:
        status, body = get(server, path)
        assert status == 403, path
        assert b"missing or wrong token" in body and b"mlpkit playground" in body
    status, body = get(server, f"/?token={token}")
    assert status == 200 and f"static/playground.js?token={token}".encode() in body
    assert get(server, f"/static/playground.js?token={token}")[0] == 200
    assert get(server, f"/static/secrets.txt?token={token}")[0] == 404


def test_the_websocket_refuses_a_wrong_token_or_another_origin(server):
    exceptions = require("websockets.exceptions", "pip install 'mlpkit[playground]'")
    for token, origin in [
        ("wrong", "same"),
        ("", "same"),
        (None, "http://evil.example"),
        (None, None),
    ]:
        with pytest.raises(exceptions.InvalidStatus) as info:
            connect(server, token, origin)
        assert info.value.response.status_code == 403


def test_the_protocol_from_hello_to_the_exports(server, tmp_path):
    with connect(server) as ws:
        hello = receive(ws, "hello")
        assert hello["options"]["limits"]["width"] == 16
        data = receive(ws, "data")
        assert data["task"] == "classification" and len(data["train"]["x"]) == 140
        assert receive(ws, "state")["epoch"] == 0
        for message, error in [
            ("not json", "not a usable JSON message"),
            ("[1]", 'a message must be a JSON object with a "type"'),
            (json.dumps({"type": "fly"}), "unknown message type 'fly'"),
            ("x" * 20_000, "message of 20000 bytes is over the limit of 16384 bytes"),
            (
                json.dumps({"type": "configure", "settings": {"hidden": [4, 1000]}}),
                "hidden layer 2's width = 1000 is out of bounds (1–16)",
            ),
            (json.dumps({"type": "trace", "x": [1, 2, 3]}), "a point here has 2 coordinate(s)"),
            (json.dumps({"type": "add_point", "x": [0, 0], "target": 7}), "class must be 0–1"),
        ]:
            ws.send(message)
            assert error in receive(ws, "error")["message"]
        # the session goes on after every refusal
        assert ask(ws, {"type": "step"}, "state")["steps"] == 1
        assert ask(ws, {"type": "play"}, "playing")["value"] is True
        epochs = [receive(ws, "state")["epochs"] for _ in range(3)]
        assert epochs == sorted(epochs) and epochs[0] > 1
        ws.send(json.dumps({"type": "pause"}))
        assert receive(ws, "playing")["value"] is False
        ws.send(json.dumps({"type": "configure", "settings": {"lr": 0.01}}))  # live: no reply
        trace = ask(ws, {"type": "trace", "x": [1.0, 0.0]}, "trace")
        assert trace["target"] == [1] and len(trace["layers"]) == 2

        sid, token = hello["session"], server["token"]
        status, body = get(server, f"/export/{sid}/model.mlpk?token={token}")
        assert status == 200
        (tmp_path / "m.mlpk").write_bytes(body)
        net = mlpkit.load(tmp_path / "m.mlpk")
        # full batches: a step is an epoch (the one step included); play may have run on
        assert net.steps_trained == net.epochs_trained >= epochs[-1]
        status, code = get(server, f"/export/{sid}/train.py?token={token}")
        assert status == 200 and b'mlpkit.Dense(2, 4, "sigmoid")' in code
        compile(code, "train.py", "exec")
        assert get(server, f"/export/{sid}/weights.bin?token={token}")[0] == 404
    # the page closed: its session is freed (the server notices within moments)
    deadline = time.monotonic() + TIMEOUT
    while get(server, f"/export/{sid}/train.py?token={token}")[0] != 404:
        assert time.monotonic() < deadline, "the closed page's session was not freed"


def test_at_most_four_pages_at_once(server):
    with contextlib.ExitStack() as pages:
        for _ in range(4):
            receive(pages.enter_context(connect(server)), "hello")
        with connect(server) as fifth:
            message = receive(fifth, "error")["message"]
        assert "4 playground pages are open already: close one and reload" in message


# -- in a real browser -------------------------------------------------------------------
@pytest.fixture(scope="module")
def tab(server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    page.errors, page.requests = [], []
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(server["url"])
    page.wait_for_function("window.mlpkitPlayground.state !== null")
    yield page
    context.close()


def canvas_point(tab, x: float, y: float) -> dict:
    px, py = tab.evaluate(f"window.mlpkitPlayground.toCanvas({x}, {y})")
    return {"x": px, "y": py}


def patch_colour(tab, x: float, y: float) -> list[float]:
    """Mean RGB of a 9×9 patch of the boundary plot around data point (x, y)."""
    p = canvas_point(tab, x, y)
    return tab.evaluate(
        """([px, py]) => {
        const d = document.getElementById("boundary").getContext("2d")
            .getImageData(Math.round(px) - 4, Math.round(py) - 4, 9, 9).data;
        const m = [0, 0, 0];
        for (let i = 0; i < d.length; i += 4) for (let k = 0; k < 3; k++) m[k] += d[i + k] / 81;
        return m;
    }""",
        [p["x"], p["y"]],
    )


def test_a_student_builds_xor_watches_it_learn_and_takes_it_home(server, tab, tmp_path):
    # build 2-4-1 with sigmoid units, through the controls
    tab.click("#remove-layer")
    tab.wait_for_function("window.mlpkitPlayground.state.network.widths.length === 2")
    tab.click("#add-layer")
    tab.wait_for_function("window.mlpkitPlayground.state.network.widths.join() === '2,4,1'")
    tab.select_option("#dataset", "xor")
    tab.select_option("#activation", "sigmoid")
    tab.select_option("#output", "sigmoid")
    tab.fill("#lr", "0.1")
    tab.dispatch_event("#lr", "change")
    tab.fill("#noise", "0.05")  # clouds around the corners that do not touch
    tab.dispatch_event("#noise", "change")
    tab.wait_for_function("window.mlpkitPlayground.data.settings.noise === 0.05")
    assert tab.locator("#diagram circle.unit").count() == 7
    assert tab.locator("#diagram line.weight").count() == 2 * 4 + 4 * 1
    assert tab.locator("#diagram image.unit-picture").count() == 7  # every unit's picture

    tab.click("#play")
    tab.wait_for_function(
        "window.mlpkitPlayground.state.train_accuracy === 1 && window.mlpkitPlayground.state.train_loss < 0.1",
        timeout=TIMEOUT * 1000,
    )
    tab.click("#play")  # pause
    tab.wait_for_function("document.getElementById('play').dataset.playing === '0'")
    assert float(tab.inner_text("#epoch")) > 0 and tab.inner_text("#accuracy") == "1.000"
    assert tab.evaluate("window.mlpkitPlayground.state.train_accuracy") == 1
    # the boundary separates the classes: orange (class 1) where XOR is 1, blue where 0
    # (sampled just outside each corner's cloud of points, so it is the boundary's colour)
    for (x, y), label in zip([(1, 0), (0, 0), (0, 1), (1, 1)], [1, 0, 1, 0], strict=True):
        r, _, b = patch_colour(tab, x + (0.15 if x else -0.15), y + (0.15 if y else -0.15))
        assert (r > b) == (label == 1), (x, y, r, b)
    losses = tab.evaluate("window.mlpkitPlayground.state.losses.train")
    assert losses[-1] < 0.1 < losses[0]

    # click (1, 0): its chain-rule table, against mlpkit.trace of the downloaded model
    tab.click("#boundary", position=canvas_point(tab, 1.0, 0.0))
    tab.wait_for_selector("#trace table")
    traced = tab.evaluate("window.mlpkitPlayground.traced")
    with tab.expect_download() as download:
        tab.click("#export-model")
    download.value.save_as(tmp_path / "xor.mlpk")
    net = mlpkit.load(tmp_path / "xor.mlpk")
    assert [layer.activation.name for layer in net.layers] == ["sigmoid", "sigmoid"]
    ref = mlpkit.trace(net, np.float32(traced["x"]), np.int64(traced["target"]))
    assert traced["target"] == [1] and abs(traced["x"][0] - 1) < 0.05 and abs(traced["x"][1]) < 0.05
    cells = tab.eval_on_selector_all(
        "#trace td.v",
        "tds => tds.map(td => [+td.dataset.layer, td.dataset.name, +td.dataset.i, td.dataset.j === undefined ? -1 : +td.dataset.j, +td.dataset.value, td.textContent])",
    )
    assert len(cells) == 3 * 4 + 3 * 1 + (2 * 4 + 4) + (4 * 1 + 1)
    for layer, name, i, j, value, text in cells:
        lt = ref.layers[layer]
        expected = {"s": lt.s[0], "h": lt.h[0], "delta": lt.delta[0], "dW": lt.dW, "db": lt.db}[
            name
        ]
        want = expected[i, j] if name == "dW" else expected[i]
        assert value == pytest.approx(float(want), rel=1e-5, abs=1e-9), (layer, name, i, j)
        assert float(text) == pytest.approx(float(want), rel=1e-3, abs=1e-4)
    loss_cell = tab.get_attribute("#trace-loss", "data-value")
    assert float(loss_cell) == pytest.approx(float(ref.losses[0]), rel=1e-5)
    # the diagram fills the units with the traced point's activations
    fills = tab.eval_on_selector_all(
        "#diagram circle.unit[data-layer='1']", "cs => cs.map(c => c.getAttribute('fill'))"
    )
    assert len(set(fills)) > 1 and "#fff" not in fills

    with tab.expect_download() as download:
        tab.click("#export-code")
    code = open(download.value.path(), encoding="utf-8").read()
    assert 'mlpkit.Dense(2, 4, "sigmoid")' in code and 'mlpkit.Dense(4, 1, "sigmoid")' in code
    compile(code, "train.py", "exec")
    with tab.expect_download() as download:
        tab.click("a.png[data-canvas='boundary']")
    assert open(download.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    assert not tab.errors
    assert all(u.startswith((server["base"], "data:", "blob:")) for u in tab.requests)


def test_the_page_reports_a_refused_setting_and_adds_clicked_points(tab):
    tab.fill("#hidden .width", "1000")
    tab.dispatch_event("#hidden .width", "change")
    tab.wait_for_function("document.getElementById('status').className === 'error'")
    assert "hidden layer 1's width = 1000 is out of bounds (1–16)" in tab.inner_text("#status")
    tab.fill("#hidden .width", "3")
    tab.dispatch_event("#hidden .width", "change")
    tab.wait_for_function("window.mlpkitPlayground.state.network.widths.join() === '2,3,1'")
    n = tab.evaluate("window.mlpkitPlayground.data.train.x.length")
    tab.check("input[name='click'][value='add-1']")
    tab.click("#boundary", position=canvas_point(tab, 0.5, 0.5))
    tab.wait_for_function(f"window.mlpkitPlayground.data.train.x.length === {n + 1}")
    assert tab.evaluate("window.mlpkitPlayground.data.train.y.at(-1)") == 1
    assert "1 added point(s)" in tab.inner_text("#status")
    # the click still adds points after the page redrew its controls
    assert tab.is_checked("input[name='click'][value='add-1']")
    tab.click("#boundary", position=canvas_point(tab, 0.4, 0.6))
    tab.wait_for_function(f"window.mlpkitPlayground.data.train.x.length === {n + 2}")
    assert not tab.errors


def test_from_the_browser_a_request_without_the_token_or_too_big_is_refused(tab):
    status = tab.evaluate("fetch('/').then(r => r.status)")
    assert status == 403
    assert tab.evaluate("fetch('/export/x/model.mlpk').then(r => r.status)") == 403
    # a socket without the token never opens; an oversized message gets an error reply
    refused = tab.evaluate(
        """() => new Promise(done => {
        const ws = new WebSocket(`ws://${location.host}/ws`);
        ws.onopen = () => done("opened");
        ws.onclose = () => done("refused");
    })"""
    )
    assert refused == "refused"
    reply = tab.evaluate(
        """() => new Promise(done => {
        const token = document.body.dataset.token;
        const ws = new WebSocket(`ws://${location.host}/ws?token=${token}`);
        ws.onopen = () => ws.send(JSON.stringify({type: "configure", settings: {hidden: Array(9000).fill(4)}}));
        ws.onmessage = (e) => { const m = JSON.parse(e.data); if (m.type === "error") { ws.close(); done(m.message); } };
    })"""
    )
    assert re.fullmatch(r"message of 18\d{3} bytes is over the limit of 16384 bytes", reply)
