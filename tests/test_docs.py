"""The README's quick tour and the package docstring run as written."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import mlpkit

from .docsconf import public_modules

ROOT = Path(__file__).resolve().parents[1]


def test_readme_quick_tour_runs(tmp_path, monkeypatch, capsys):
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "the README has no python example"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {})
    assert "[1 0 1 0]" in capsys.readouterr().out
    assert (tmp_path / "digits.mlpk").exists()


def test_package_docstring_example():
    failures, tried = doctest.testmod(mlpkit, verbose=False)
    assert tried > 0 and failures == 0


def test_readme_layout_map_lists_real_files():
    text = (ROOT / "README.md").read_text()
    layout = text.split("## Layout")[1]
    for name in re.findall(r"^\s+([a-z_]+\.py)", layout, flags=re.M):
        assert (ROOT / "src" / "mlpkit" / name).exists(), name


def test_readme_names_only_files_that_exist():
    text = (ROOT / "README.md").read_text()
    paths = set(re.findall(r"`((?:examples|tests|benchmarks|src)/[\w/.-]+\.\w+)`", text))
    for path in paths:
        assert (ROOT / path).exists(), path
    links = re.findall(r"\]\(((?:docs|examples)/[^)#]+)\)", text)
    assert len(links) >= 8
    for link in links:
        assert (ROOT / link).is_file(), link
    assert len(text.splitlines()) < 250  # a newcomer's page; the rest lives in the site


def test_the_course_lists_every_example_script():
    text = (ROOT / "docs" / "course" / "index.md").read_text()
    scripts = set(re.findall(r"\| `(\d\d_[\w]+\.py)` \|", text))
    assert scripts == {p.name for p in (ROOT / "examples").glob("[0-9]*.py")}
    for image in re.findall(
        r"!\[[^\]]*\]\(([^)]+)\)", (ROOT / "docs" / "guide" / "autoencoders.md").read_text()
    ):
        assert (ROOT / "docs" / "guide" / image).resolve().is_file(), image


def _public_modules() -> list[str]:
    """Every module that defines a public name (the reference's objects live there)."""
    import importlib
    import inspect

    names = set()
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        names.add(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and obj.__module__.startswith(
                "mlpkit"
            ):
                names.add(obj.__module__)
    return sorted(names)


@pytest.mark.parametrize("module_name", _public_modules())
def test_every_docstring_example_runs_as_written(module_name, tmp_path, monkeypatch):
    """The Examples sections of the reference are doctests: each prints what it shows."""
    import importlib

    monkeypatch.chdir(tmp_path)  # examples that write a file write it here
    module = importlib.import_module(module_name)
    failures, _ = doctest.testmod(module, optionflags=doctest.ELLIPSIS, verbose=False)
    assert failures == 0
