"""Make docs/playground.png, the README's picture of `mlpkit playground`.

Starts the command's server, opens the page in headless Chromium (Debian's
/usr/bin/chromium, through Playwright), builds a 2-8-8-3 tanh network on the spirals,
trains it, traces one point and takes the screenshot. Run from the repository:

    .venv/bin/python tools/playground_screenshot.py
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parents[1] / "docs" / "playground.png"


def main() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlpkit.cli", "playground", "--no-browser"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        url = re.search(r"(http://\S+)", proc.stdout.readline()).group(1)
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url)
            page.wait_for_function("window.mlpkitPlayground.state !== null")
            page.select_option("#dataset", "spirals")
            page.wait_for_function("window.mlpkitPlayground.data.settings.dataset === 'spirals'")
            page.fill("#hidden .width", "8")
            page.dispatch_event("#hidden .width", "change")
            page.click("#add-layer")
            page.select_option("#activation", "tanh")
            page.fill("#lr", "0.03")
            page.dispatch_event("#lr", "change")
            page.wait_for_function(
                "window.mlpkitPlayground.state.network.widths.join() === '2,8,4,3'"
            )
            page.fill("#hidden .width >> nth=1", "8")
            page.dispatch_event("#hidden .width >> nth=1", "change")
            page.wait_for_function(
                "window.mlpkitPlayground.state.network.widths.join() === '2,8,8,3'"
            )
            page.click("#play")
            page.wait_for_function("window.mlpkitPlayground.state.epoch >= 1500", timeout=120_000)
            page.click("#play")
            page.wait_for_function("document.getElementById('play').dataset.playing === '0'")
            px, py = page.evaluate("window.mlpkitPlayground.toCanvas(0.3, 0.4)")
            page.click("#boundary", position={"x": px, "y": py})
            page.wait_for_selector("#trace table")
            page.screenshot(path=str(OUT), clip={"x": 0, "y": 0, "width": 1400, "height": 1000})
            browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
