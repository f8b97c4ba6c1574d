"""Regenerate the README's pictures: python docs/make_images.py (needs the dev
environment, and Debian's chromium for the explorer and playground screenshots)."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"


def chromium(playwright):  # type: ignore[no-untyped-def]
    """Debian's headless Chromium, as the tests drive it (never a downloaded browser)."""
    return playwright.chromium.launch(
        executable_path="/usr/bin/chromium",
        args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    )


def playground_screenshot(playwright, out: Path) -> None:  # type: ignore[no-untyped-def]
    """`mlpkit playground` at 1280 × 800 training a tanh network on 600 points of three
    spiral arms from six features (x1, x2, their squares and sines), every unit's picture
    drawn, a point pinned."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlpkit.cli", "playground", "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)
        browser = chromium(playwright)
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(url)
        page.wait_for_function("window.mlpkitPlayground.state !== null")
        page.select_option("#dataset", "spirals")
        page.wait_for_function("window.mlpkitPlayground.data.settings.dataset === 'spirals'")
        page.fill("#points", "600")
        page.dispatch_event("#points", "change")
        page.wait_for_function("window.mlpkitPlayground.data.settings.points === 600")
        for feature in ("x1^2", "x2^2", "sin(x1)", "sin(x2)"):
            page.check(f"#features .feature[value='{feature}']")
        page.wait_for_function("window.mlpkitPlayground.state.network.inputs.length === 6")
        page.fill("#hidden .width", "8")
        page.dispatch_event("#hidden .width", "change")
        page.wait_for_function("window.mlpkitPlayground.state.network.widths.join() === '6,8,3'")
        page.click("#add-layer")
        page.wait_for_function("window.mlpkitPlayground.state.network.widths.join() === '6,8,4,3'")
        page.select_option("#activation", "tanh")
        page.fill("#lr", "0.03")
        page.dispatch_event("#lr", "change")
        page.click("#play")
        page.wait_for_function("window.mlpkitPlayground.state.epoch >= 1500", timeout=120_000)
        page.click("#play")
        page.wait_for_function("document.getElementById('play').dataset.playing === '0'")
        px, py = page.evaluate("window.mlpkitPlayground.toCanvas(1.2, 1.6)")
        page.click("#boundary", position={"x": px, "y": py})
        page.wait_for_selector("#trace table")
        page.mouse.move(0, 0)
        page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": 1280, "height": 800})
        browser.close()
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "mlpkit.demo", "--out", tmp], check=True, capture_output=True
        )
        report = Path(tmp)
        for name in ("latent_scatter.png", "confusion_matrix.png"):
            (IMAGES / name).write_bytes((report / name).read_bytes())
        examples = HERE.parent / "examples"
        subprocess.run([sys.executable, "09_optimizers.py", "--out", tmp], cwd=examples, check=True,
                       capture_output=True)  # fmt: skip
        (IMAGES / "optimizers.png").write_bytes((report / "optimizers.png").read_bytes())
        import mlpkit
        from mlpkit.plots import network_diagram

        net = mlpkit.Sequential(
            [mlpkit.Dense(3, 5, "relu"), mlpkit.Dense(5, 4, "tanh"), mlpkit.Dense(4, 2, "softmax")]
        )
        network_diagram(net).savefig(IMAGES / "network_diagram.png", dpi=70)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            browser = chromium(p)
            page = browser.new_page(viewport={"width": 1400, "height": 500})
            page.goto((report / "explorer.html").as_uri())
            page.wait_for_function("window.mlpkit !== undefined")
            page.screenshot(path=str(IMAGES / "explorer.png"))
            browser.close()
            playground_screenshot(p, IMAGES / "playground.png")
    print("\n".join(str(p) for p in sorted(IMAGES.glob("*.png"))))


if __name__ == "__main__":
    main()
