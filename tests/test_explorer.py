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


def test_bars_are_in_scaled_units_with_the_data_units_on_hover(page, tmp_path, rng):
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
    want = ae.decode(np.array([code]))[0]
    np.testing.assert_allclose(shown, want * scale + offset, rtol=1e-5)
    data = tab.evaluate("window.mlpkit.data")
    assert data["feature_names"] == names and data["scaled_units"] == "sd"
    low, high = data["value_range"]  # the axis: standard deviations, around 0
    assert low < 0 < high < 10
    tab.evaluate("z => window.mlpkit.setCode(z)", code)
    bars = tab.evaluate("window.mlpkit.bars()")
    np.testing.assert_allclose([b["value"] for b in bars], want, rtol=1e-5)
    box = tab.locator("#decoded").bounding_box()
    width = tab.evaluate("document.getElementById('decoded').width")
    middle = (bars[0]["x0"] + bars[0]["x1"]) / 2 * box["width"] / width
    tab.mouse.move(box["x"] + middle, box["y"] + box["height"] / 2)
    tip = tab.locator("#bar-tip").text_content()
    assert tip.startswith("body_mass_g: ") and tip == bars[0]["text"]
    assert float(tip.split(": ")[1].split(" ")[0].replace(",", "")) == pytest.approx(
        want[0] * scale[0] + offset[0], rel=1e-4
    )
    assert page.errors == []
    with pytest.raises(ValueError, match="2 feature names for 3 outputs"):
        explorer.page_data(ae, feature_names=names[:2])


def test_sample_rows_are_a_seeded_draw_with_every_label():
    labels = ["a"] * 900 + ["b"] * 95 + ["c"] * 5  # sorted, as a file sorted by state is
    pick = explorer.sample_rows(1000, 100, labels, seed=0)
    drawn = [labels[i] for i in pick]
    assert len(pick) == 100 == len(set(pick.tolist())) and list(pick) == sorted(pick)
    assert (drawn.count("a"), drawn.count("b"), drawn.count("c")) == (90, 9, 1)  # shares, c once
    assert pick.max() > 900 and not np.array_equal(pick, np.arange(100))
    assert np.array_equal(pick, explorer.sample_rows(1000, 100, labels, seed=0))
    assert not np.array_equal(pick, explorer.sample_rows(1000, 100, labels, seed=1))
    assert np.array_equal(explorer.sample_rows(50, 100, labels[:50]), np.arange(50))
    plain = explorer.sample_rows(1000, 10)
    assert len(plain) == 10 and plain.max() < 1000
    assert len(explorer.sample_rows(10, 3, list("abcdefghij"))) == 3  # more labels than rows shown


def test_a_table_explorer_shows_every_column_and_keeps_outliers_at_the_edge(page, tmp_path):
    """A table like a county census: one column in the millions, percentages, a state
    label the file is sorted by, and a few outlying rows."""
    from click.testing import CliRunner

    from mlpkit.cli import main

    rng = np.random.default_rng(4)
    states = sorted(["Ohio", "Iowa", "Utah", "Texas", "Maine"])
    rows = []
    for i in range(900):
        state = states[min(4, i // 170)]  # sorted by state: Utah only after row 680
        population = rng.lognormal(11, 1.2)
        rows.append(
            [state, f"{population:.0f}", f"{rng.uniform(5, 40):.1f}", f"{rng.uniform(20, 60):.1f}"]
        )
    for i in (3, 400, 850):
        rows[i][1] = "90000000"  # three outliers
    data = tmp_path / "counties.csv"
    data.write_text(
        "state,population,poverty_pct,age_median\n" + "".join(",".join(r) + "\n" for r in rows)
    )
    result = CliRunner().invoke(main, ["autoencode", str(data), "--label", "state", "--epochs", "30",
                                       "-o", str(tmp_path / "c.mlpk"), "--explorer", str(tmp_path / "c.html"),
                                       "--quiet"])  # fmt: skip
    assert result.exit_code == 0, result.output
    tab = page(tmp_path / "c.html")
    data_ = tab.evaluate("window.mlpkit.data")
    # the gallery: 300 rows drawn by state, Utah's among them, in the sorted legend
    captions = tab.evaluate(
        "Array.from(document.querySelectorAll('#gallery figcaption')).map(c => c.textContent)"
    )
    assert len(captions) == 300 and set(captions) == set(states)
    assert tab.evaluate("window.mlpkit.legend()") == states
    assert [t.strip() for t in tab.locator(".legend-item").all_text_contents()] == states
    # every thumbnail its own row's bars, not one solid square
    thumbs = tab.evaluate("""() => Array.from(document.querySelectorAll('#gallery canvas')).slice(0, 12)
                                   .map(c => c.toDataURL())""")
    assert len(set(thumbs)) > 8
    # the bars: three columns on one axis in standard deviations; none dwarfs the others
    tab.locator("#gallery figure").nth(5).click()
    bars = tab.evaluate("window.mlpkit.bars()")
    assert [b["name"] for b in bars] == ["population", "poverty_pct", "age_median"]
    assert all(abs(b["value"]) < 5 for b in bars)  # in sd: the millions do not set the scale
    # hover: the data's units, the loaded row's own value beside the decoded one
    assert bars[0]["row"] > 1000 and 5 <= bars[1]["row"] <= 40 and 20 <= bars[2]["row"] <= 60
    assert "; the sample: " in bars[0]["text"]
    low, high = data_["value_range"]
    assert -10 < low < 0 < high < 10  # the outliers (tens of sd) do not set the axis
    # the latent map: limits leave the outliers out; they are on the edge, marked
    points = tab.evaluate("window.mlpkit.mapPoints()")
    clipped = [p for p in points if p["clipped"]]
    assert 1 <= len(clipped) <= 0.03 * len(points)
    xs, ys = np.array([p["x"] for p in points]), np.array([p["y"] for p in points])
    inner = ~np.array([p["clipped"] for p in points])
    assert np.ptp(xs[inner]) > 0.5 * 294 and np.ptp(ys[inner]) > 0.5 * 302  # the rest spread out
    assert "lie outside this view" in tab.locator("#map-note").text_content()
    assert page.errors == []


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
