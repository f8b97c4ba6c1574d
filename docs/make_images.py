"""Regenerate the README's pictures: python docs/make_images.py (needs the dev
environment, and Debian's chromium for the explorer screenshot)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMAGES = HERE / "images"


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
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=[
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-background-networking",
                ],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 500})
            page.goto((report / "explorer.html").as_uri())
            page.wait_for_function("window.mlpkit !== undefined")
            page.screenshot(path=str(IMAGES / "explorer.png"))
            browser.close()
    print("\n".join(str(p) for p in sorted(IMAGES.glob("*.png"))))


if __name__ == "__main__":
    main()
