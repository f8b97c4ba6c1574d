"""The latent-space explorer page: self-contained, and in a real headless Chromium its
decode equals mlpkit's and its canvas shows exactly that decode."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import mlpkit
from mlpkit import explorer
from mlpkit.autoencoder import Autoencoder


@pytest.fixture(scope="module")
def digits_ae():
    x, y = mlpkit.datasets.load_digits()
    ae = Autoencoder([64, 32, 2], seed=0)
    ae.fit(x, epochs=15, batch_size=64, verbose=0)
    return ae, x[:60], y[:60]


@pytest.fixture(scope="module")
def page(chromium):
    context = chromium.new_context()
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    requests: list[str] = []
    tab.on("request", lambda r: requests.append(r.url))

    def open_page(path):
        errors.clear()
        requests.clear()
        tab.goto(path.as_uri())
        tab.wait_for_function("window.mlpkit !== undefined")
        return tab

    open_page.errors, open_page.requests = errors, requests
    yield open_page
    context.close()


def test_page_is_one_self_contained_file(digits_ae, tmp_path):
    ae, x, y = digits_ae
    path = explorer.write_html(ae, tmp_path / "p.html", samples=x, labels=y, image_shape=(8, 8))
    text = path.read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text)
    assert "<link" not in text and "import(" not in text and "fetch(" not in text
    data = json.loads(
        re.search(r'<script type="application/json" id="mlpkit-data">(.*?)</script>', text, re.S)[1]
    )
    assert (
        data["latent_dim"] == 2
        and data["image_shape"] == [8, 8]
        and len(data["samples"]["codes"]) == 60
    )
    assert [layer["activation"] for layer in data["layers"]] == ["relu", "sigmoid"]
    assert [p.name for p in tmp_path.iterdir()] == ["p.html"]


def test_page_data_checks_its_arguments(digits_ae, tmp_path):
    ae, x, y = digits_ae
    with pytest.raises(ValueError, match=r"image_shape \(7, 7\) does not hold the 64 outputs"):
        explorer.write_html(ae, tmp_path / "p.html", image_shape=(7, 7))
    with pytest.raises(ValueError, match="3 labels for 60 samples"):
        explorer.write_html(ae, tmp_path / "p.html", samples=x, labels=y[:3])


def test_labels_cannot_break_out_of_the_page(digits_ae, tmp_path):
    ae, x, _ = digits_ae
    evil = np.array(["</script><script>alert(1)</script>"] * len(x))
    text = explorer.write_html(
        ae, tmp_path / "p.html", samples=x, labels=evil, title="<b>x</b>"
    ).read_text()
    assert "</script><script>alert" not in text and "<b>x</b>" not in text


def test_browser_decode_equals_mlpkit_decode(digits_ae, page, tmp_path):
    ae, x, y = digits_ae
    tab = page(
        explorer.write_html(ae, tmp_path / "p.html", samples=x, labels=y, image_shape=(8, 8))
    )
    codes = np.random.default_rng(0).uniform(-4, 4, size=(20, 2)).astype(np.float32)
    ours = ae.decode(codes)
    for code, want in zip(codes, ours, strict=True):
        got = np.array(tab.evaluate("z => window.mlpkit.decode(z)", code.tolist()))
        np.testing.assert_allclose(got, want, atol=1e-5, rtol=0)
    assert page.errors == [] and all(u.startswith("file:") for u in page.requests)


def _canvas_greys(tab):
    rgba = tab.evaluate(
        """() => { const c = document.getElementById('decoded');
                   return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data); }"""
    )
    return np.array(rgba).reshape(-1, 4)[:, 0]


def test_moving_a_slider_redraws_the_decoded_image(digits_ae, page, tmp_path):
    ae, x, y = digits_ae
    tab = page(
        explorer.write_html(ae, tmp_path / "p.html", samples=x, labels=y, image_shape=(8, 8))
    )
    slider = tab.locator("#z0")
    lo, hi = float(slider.get_attribute("min")), float(slider.get_attribute("max"))
    for fraction in (0.1, 0.9):
        slider.focus()
        slider.fill(str(lo + fraction * (hi - lo)))  # sets the value and fires "input"
        code = np.array(tab.evaluate("window.mlpkit.getCode()"), dtype=np.float32)
        assert code[0] == pytest.approx(lo + fraction * (hi - lo), rel=1e-6)
        want = np.round(255 * np.clip(ae.decode(code[None, :])[0], 0, 1))
        np.testing.assert_allclose(_canvas_greys(tab), want, atol=1)
    assert tab.locator("#z0 + output").text_content() == f"{code[0]:.3f}"


def test_gallery_click_and_latent_map_click_set_the_code(digits_ae, page, tmp_path):
    ae, x, y = digits_ae
    tab = page(
        explorer.write_html(ae, tmp_path / "p.html", samples=x, labels=y, image_shape=(8, 8))
    )
    # each thumbnail is its own sample, captioned with its own label
    thumbs = tab.evaluate(
        """() => Array.from(document.querySelectorAll('#gallery figure')).map(f => {
                 const c = f.querySelector('canvas');
                 const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                 return {grey: Array.from(d).filter((_, i) => i % 4 === 0),
                         caption: f.querySelector('figcaption').textContent}; })"""
    )
    assert len(thumbs) == len(x)
    for i in (0, 7, len(x) - 1):
        np.testing.assert_allclose(thumbs[i]["grey"], np.round(255 * np.clip(x[i], 0, 1)), atol=1)
        assert thumbs[i]["caption"] == str(y[i])
    tab.locator("#gallery figure").nth(7).click()
    np.testing.assert_allclose(
        tab.evaluate("window.mlpkit.getCode()"), ae.encode(x[7:8])[0], atol=1e-5
    )
    want = np.round(255 * np.clip(ae.reconstruct(x[7:8])[0], 0, 1))
    np.testing.assert_allclose(_canvas_greys(tab), want, atol=1)
    before = tab.evaluate("window.mlpkit.getCode()")
    tab.locator("#latent-map").click(position={"x": 30, "y": 290})
    after = tab.evaluate("window.mlpkit.getCode()")
    ranges = tab.evaluate("window.mlpkit.data.ranges")
    assert after != before
    assert (
        after[0] < (ranges[0][0] + ranges[0][1]) / 2
        and after[1] < (ranges[1][0] + ranges[1][1]) / 2
    )


def test_non_image_data_is_drawn_as_bars(page, tmp_path, rng):
    x = rng.normal(size=(200, 5)).astype(np.float32)
    ae = Autoencoder([5, 8, 3], activation="tanh", latent_activation="tanh", seed=0)
    ae.fit(x, epochs=5, verbose=0)
    tab = page(explorer.write_html(ae, tmp_path / "bars.html", samples=x[:20]))
    assert tab.evaluate("document.getElementById('decoded').classList.contains('bars')")
    assert tab.locator("input[type=range]").count() == 3
    assert tab.locator("#map-section").is_hidden()  # a latent map only for a 2-D bottleneck
    code = [0.1, -0.2, 0.3]
    np.testing.assert_allclose(
        tab.evaluate("z => window.mlpkit.decode(z)", code),
        ae.decode(np.array([code]))[0],
        atol=1e-5,
    )
    painted = tab.evaluate(
        """() => { const c = document.getElementById('decoded');
                   const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                   let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 3] > 0) n++; return n; }"""
    )
    assert painted > 100 and page.errors == []


def test_bars_are_in_the_data_units_and_labelled_with_the_columns(page, tmp_path, rng):
    x = rng.normal(size=(100, 3)).astype(np.float32)
    ae = Autoencoder([3, 6, 2], seed=0)
    ae.fit(x, epochs=3, verbose=0)
    offset, scale = np.array([4000.0, 40.0, 0.5]), np.array([800.0, 5.0, 0.1])
    names = ["body_mass_g", "bill_length_mm", "ratio"]
    path = explorer.write_html(ae, tmp_path / "units.html", samples=x[:10], units=(offset, scale),
                               feature_names=names)  # fmt: skip
    tab = page(path)
    code = [0.3, -0.4]
    shown = tab.evaluate("z => window.mlpkit.decodeInUnits(z)", code)
    np.testing.assert_allclose(shown, ae.decode(np.array([code]))[0] * scale + offset, rtol=1e-5)
    data = tab.evaluate("window.mlpkit.data")
    assert data["feature_names"] == names
    low, high = data["value_range"]  # the bars' axis spans the data's units, not the scaled ones
    assert low <= 0 and high > 1000 and page.errors == []
    with pytest.raises(ValueError, match="2 feature names for 3 outputs"):
        explorer.page_data(ae, feature_names=names[:2])


def test_every_activation_decodes_identically(page, tmp_path, rng):
    """The page's JavaScript forward pass covers every activation mlpkit has, as Dense
    activations and as standalone activation layers."""
    chain = [mlpkit.Dense(3, 6, "gelu")]
    chain += [mlpkit.Dense(6, 6, name) for name in mlpkit.activations.names()]
    chain += [
        mlpkit.Dense(6, 6),
        mlpkit.LeakyReLU(0.3),
        mlpkit.ELU(alpha=0.4),
        mlpkit.SELU(),
        mlpkit.Sigmoid(),
    ]
    ae = Autoencoder(
        mlpkit.Sequential([mlpkit.Dense(6, 3)], seed=0), mlpkit.Sequential(chain, seed=1)
    )
    tab = page(explorer.write_html(ae, tmp_path / "acts.html"))
    for code in rng.normal(size=(5, 3)).astype(np.float32) * 3:
        got = np.array(tab.evaluate("z => window.mlpkit.decode(z)", code.tolist()))
        np.testing.assert_allclose(got, ae.decode(code[None, :])[0], atol=1e-5)
    assert page.errors == []
