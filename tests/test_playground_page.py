"""The playground's second round in headless Chromium, against the command's own server:
every unit's picture is that unit's activation, each layer has its own width, a chosen
feature travels into the exported script (which retrains bit for bit), several pinned
points each have their rows, a weight's gradient is shown by the chain rule, the
autoencoder mode's map is `encode` of the digits and a click decodes, and the page fits
1280 × 800 with controls that need no symbol font."""

from __future__ import annotations

import base64
import contextlib
import subprocess
import sys

import numpy as np
import pytest

import mlpkit
from mlpkit import datasets

from .test_playground_server import TIMEOUT, get


@contextlib.contextmanager
def page_of(server, chromium, width=1400, height=1000):
    """A fresh page (its own session), closed after."""
    context = chromium.new_context(
        viewport={"width": width, "height": height}, accept_downloads=True
    )
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    tab.goto(server["url"])
    tab.wait_for_function("window.mlpkitPlayground.state !== null")
    try:
        yield tab
    finally:
        context.close()


def wait_state(tab, condition: str):
    tab.wait_for_function(f"(s => s && ({condition}))(window.mlpkitPlayground.state)",
                          timeout=TIMEOUT * 1000)  # fmt: skip


def exported_model(server, tab, tmp_path, name="m.mlpk"):
    sid = tab.evaluate("document.getElementById('export-model').getAttribute('href')").split("/")[1]
    status, body = get(server, f"/export/{sid}/model.mlpk?token={server['token']}")
    assert status == 200
    (tmp_path / name).write_bytes(body)
    return mlpkit.load(tmp_path / name)


def exported_code(server, tab):
    sid = tab.evaluate("document.getElementById('export-code').getAttribute('href')").split("/")[1]
    status, body = get(server, f"/export/{sid}/train.py?token={server['token']}")
    assert status == 200
    return body.decode()


def unit_grid(bounds, size):
    x0, x1, y0, y1 = bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, size), np.linspace(y0, y1, size))
    return np.c_[gx.ravel(), gy.ravel()].astype(np.float32)


def test_every_unit_shows_its_activation_and_hover_shows_its_weights(server, chromium, tmp_path):
    with page_of(server, chromium) as tab:
        tab.click("#step")
        wait_state(tab, "s.epochs === 1")
        state = tab.evaluate("window.mlpkitPlayground.state")
        bounds = tab.evaluate("window.mlpkitPlayground.data.bounds")
        net = exported_model(server, tab, tmp_path)
        h = unit_grid(bounds, state["units"]["grid"])
        columns = [h]
        for layer in net.layers:
            h = layer.call(h)
            columns.append(h)
        for picture, want in zip(state["units"]["pictures"], columns, strict=True):
            got = np.frombuffer(base64.b64decode(picture["values"]), "<f4").reshape(
                want.shape[1], -1
            )
            np.testing.assert_allclose(got, want.T, rtol=1e-6, atol=1e-7)
        # every unit is drawn with its picture, as many as the network has
        hrefs = tab.eval_on_selector_all(
            "#diagram image.unit-picture", "els => els.map(e => e.getAttribute('href'))"
        )
        assert len(hrefs) == sum(state["network"]["widths"]) and all(
            h.startswith("data:image/png") for h in hrefs
        )
        assert len(set(hrefs[2:6])) == 4  # the hidden units compute different things
        box = tab.locator(
            "#diagram image.unit-picture[data-layer='1'][data-unit='2']"
        ).bounding_box()
        tab.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        zoom = tab.locator("#unit-zoom")
        zoom.wait_for(state="visible")
        text = zoom.inner_text()
        b = state["network"]["b"][0][2]
        assert (
            "unit 3 of layer 1 (sigmoid)" in text
            and f"b = {b:.4f}" in text
            and "weights in:" in text
        )
        assert tab.locator("#unit-zoom canvas").count() == 1
        assert tab.errors == []


def test_each_layer_has_its_own_width_and_layers_go_in_between(server, chromium):
    with page_of(server, chromium) as tab:
        tab.click("#hidden .wider[data-i='0']")
        wait_state(tab, "s.network.widths.join() === '2,5,1'")
        tab.click("#hidden .insert-layer[data-i='1']")  # after the first hidden layer
        wait_state(tab, "s.network.widths.join() === '2,5,5,1'")
        tab.click("#hidden .narrower[data-i='1']")
        tab.click("#hidden .narrower[data-i='1']")
        wait_state(tab, "s.network.widths.join() === '2,5,3,1'")
        tab.click("#hidden .insert-layer[data-i='0']")  # before the first, as wide as it
        wait_state(tab, "s.network.widths.join() === '2,5,5,3,1'")
        tab.click("#hidden .drop-layer[data-i='1']")
        wait_state(tab, "s.network.widths.join() === '2,5,3,1'")
        assert tab.locator("#hidden .layer").count() == 2
        assert tab.locator("#diagram line.weight").count() == 2 * 5 + 5 * 3 + 3 * 1
        assert tab.errors == []


def test_a_chosen_feature_goes_into_the_script_which_retrains_bit_for_bit(
    server, chromium, tmp_path
):
    with page_of(server, chromium) as tab:
        tab.select_option("#dataset", "circles")
        wait_state(tab, "true")
        tab.wait_for_function("window.mlpkitPlayground.data.settings.dataset === 'circles'")
        tab.check("#features .feature[value='x1^2']")
        tab.check("#features .feature[value='x2^2']")
        wait_state(tab, "s.network.inputs.join() === 'x1,x2,x1^2,x2^2'")
        assert tab.locator("#diagram image.unit-picture[data-layer='0']").count() == 4
        tab.locator("body").press("ArrowRight")  # the keyboard's step
        wait_state(tab, "s.epochs === 1")
        tab.locator("body").press("ArrowRight")
        wait_state(tab, "s.epochs === 2")
        code = exported_code(server, tab)
        assert 'mlpkit.InputFeatures(["x1", "x2", "x1^2", "x2^2"], in_features=2)' in code
        assert "mlpkit.Dense(4, 4" in code
        net = exported_model(server, tab, tmp_path)
        script = tmp_path / "train.py"
        script.write_text(code + "\nnp.savez('w.npz', *net.get_weights())\n")
        done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert done.returncode == 0, done.stderr
        with np.load(tmp_path / "w.npz") as f:
            for i, mine in enumerate(net.get_weights()):
                np.testing.assert_array_equal(f[f"arr_{i}"], mine)
        assert tab.errors == []


def test_pinned_points_each_have_their_rows_and_a_weights_gradient_is_explained(
    server, chromium, tmp_path
):
    with page_of(server, chromium) as tab:
        tab.click("#step")
        wait_state(tab, "s.epochs === 1")
        for x, y in ((1.0, 0.0), (0.0, 0.0)):
            px, py = tab.evaluate(f"window.mlpkitPlayground.toCanvas({x}, {y})")
            tab.click("#boundary", position={"x": px, "y": py})
        tab.wait_for_function("window.mlpkitPlayground.traces.length === 2")
        traces = tab.evaluate("window.mlpkitPlayground.traces")
        net = exported_model(server, tab, tmp_path)
        for t in traces:
            ref = mlpkit.trace(net, np.float32(t["x"]), np.int64(t["target"]))
            rows = tab.eval_on_selector_all(
                f"#trace td.v[data-point='{t['id']}'][data-name='h']",
                "tds => tds.map(td => [+td.dataset.layer, +td.dataset.i, +td.dataset.value])",
            )
            assert len(rows) == 4 + 1
            for layer, i, value in rows:
                assert value == pytest.approx(float(ref.layers[layer].h[0][i]), rel=1e-5, abs=1e-9)
        # the weight from x1 to hidden unit 2: h_prev · δ for each point, equal to its ∂L/∂W
        tab.dispatch_event("#diagram line.hit[data-layer='0'][data-from='0'][data-to='1']", "click")
        box = tab.locator("#weight-gradient")
        box.wait_for(state="visible")
        assert "W1[1,2], the weight from x1 to unit 2 of layer 1" in box.inner_text()
        shown = tab.eval_on_selector_all(
            "#weight-gradient b.weight-grad",
            "bs => bs.map(b => [+b.dataset.point, +b.dataset.value])",
        )
        assert len(shown) == 2
        for point, value in shown:
            t = next(t for t in traces if t["id"] == point)
            ref = mlpkit.trace(net, np.float32(t["x"]), np.int64(t["target"]))
            assert value == pytest.approx(float(ref.layers[0].dW[0, 1]), rel=1e-5, abs=1e-9)
        assert tab.locator("#diagram line.weight.selected").count() == 1
        assert tab.locator("#trace td.v.selected[data-name='dW']").count() == 1
        tab.click("#clear-traces")
        assert tab.evaluate("window.mlpkitPlayground.traces.length") == 0
        assert tab.errors == []


def test_the_autoencoder_mode_maps_the_digits_and_decodes_a_click(server, chromium, tmp_path):
    with page_of(server, chromium) as tab:
        tab.click("#mode-autoencoder")
        tab.wait_for_function(
            "window.mlpkitPlayground.ae.state !== null && window.mlpkitPlayground.ae.data !== null"
        )
        assert tab.evaluate("document.body.dataset.mode") == "autoencoder"
        assert tab.locator("#ae-main").is_visible() and tab.locator("#network-main").is_hidden()
        tab.click("#step")
        tab.wait_for_function("window.mlpkitPlayground.ae.state.epochs === 1")
        ae_state = tab.evaluate("window.mlpkitPlayground.ae.state")
        ae_data = tab.evaluate("window.mlpkitPlayground.ae.data")
        model = exported_model(server, tab, tmp_path, "ae.mlpk")
        x, labels = datasets.load_digits()
        pick = np.sort(np.random.default_rng(0).permutation(len(x))[:600])
        assert ae_data["labels"] == labels[pick].tolist()
        np.testing.assert_allclose(ae_state["codes"], model.encode(x[pick]), atol=2e-4)
        # a click on the map decodes the code under it into the image shown
        tab.click("#ae-map", position={"x": 210, "y": 180})
        tab.wait_for_function("window.mlpkitPlayground.ae.decoded.autoencoder !== null")
        decoded = tab.evaluate("window.mlpkitPlayground.ae.decoded.autoencoder")
        want = np.clip(model.decode(np.float32([decoded["code"]]))[0], 0, 1)
        np.testing.assert_allclose(decoded["pixels"], want, atol=1e-4)
        greys = tab.evaluate("""() => Array.from(document.getElementById('ae-decoded').getContext('2d')
                                .getImageData(0, 0, 8, 8).data).filter((_, i) => i % 4 === 0)""")
        np.testing.assert_allclose(greys, np.round(255 * want), atol=1)
        # the code is where the click was, on the map's own axes
        px, py = tab.evaluate("z => window.mlpkitPlayground.toMap('ae-map', z)", decoded["code"])[
            :2
        ]
        size = tab.evaluate("document.getElementById('ae-map').getBoundingClientRect().width")
        assert abs(px * size / 420 - 210) < 2 and abs(py * size / 420 - 180) < 2
        tab.click("#pca-map", position={"x": 120, "y": 100})
        tab.wait_for_function("window.mlpkitPlayground.ae.decoded.pca !== null")
        code = exported_code(server, tab)
        assert "mlpkit.Autoencoder([64, 32, 2]" in code and "ae.fit(X, epochs=1" in code
        tab.click("#mode-network")
        wait_state(tab, "s.epochs === 0")
        tab.wait_for_function("document.body.dataset.mode === 'network'")
        assert tab.errors == []


def test_the_page_fits_1280_by_800_and_its_controls_need_no_symbol_font(server, chromium, tmp_path):
    with page_of(server, chromium, 1280, 800) as tab:
        for mode in ("network", "autoencoder"):
            if mode == "autoencoder":
                tab.click("#mode-autoencoder")
                tab.wait_for_function("window.mlpkitPlayground.ae.state !== null")
            assert tab.evaluate("document.documentElement.scrollWidth") <= 1280, mode
            texts = tab.eval_on_selector_all("button:visible", "bs => bs.map(b => b.textContent)")
            assert texts and all(ord(ch) < 128 for text in texts for ch in text), texts
        for button in ("#play", "#step", "#reset"):
            assert tab.locator(f"{button} svg use").count() == 1  # an inline SVG icon, not a glyph
        tab.locator("body").press("Space")
        tab.wait_for_function("document.getElementById('play').dataset.playing === '1'")
        assert tab.locator("#play").inner_text().strip() == "pause"
        assert tab.locator("#play use").get_attribute("href") == "#i-pause"
        tab.locator("body").press("Space")
        tab.wait_for_function("document.getElementById('play').dataset.playing === '0'")
        tab.screenshot(path=str(tmp_path / "page.png"))
        assert (tmp_path / "page.png").read_bytes()[:4] == b"\x89PNG"
        assert tab.errors == []
