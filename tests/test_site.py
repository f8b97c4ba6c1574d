"""The documentation site: it builds with warnings as errors (a failing notebook cell, a
broken link or a public name without a docstring fails it), every public name is in its
reference, the course notebooks ran and show the notes' numbers, and every Python block
of the user guide runs as written."""

from __future__ import annotations

import html
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import require
from .docsconf import docs_conf, public_modules

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SITE = DOCS / "_build" / "html"  # where `make docs` builds it, so the run is incremental


@pytest.fixture(scope="module")
def site() -> Path:
    require("sphinx", "pip install -r requirements/dev.lock (the docs extra)")
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-q",
            "-b",
            "html",
            str(DOCS),
            str(SITE),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )
    problems = [line for line in build.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert build.returncode == 0, "\n".join(problems) or build.stderr[-3000:]
    return SITE


def _text(path: Path) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", path.read_text()))


def test_every_public_name_is_in_the_reference(site):
    conf = docs_conf()
    pages = {
        module: (site / "reference" / "api" / f"{module}.html").read_text()
        for module in public_modules()
    }
    documented = {m for page in pages.values() for m in re.findall(r'id="(mlpkit[\w.]*)"', page)}
    modules = {name: importlib.import_module(name) for name in public_modules()}
    listed = {name: {id(getattr(m, n)) for n in m.__all__} for name, m in modules.items()}
    missing = []
    for module, mod in modules.items():
        for name in mod.__all__:
            obj = getattr(mod, name)
            if isinstance(obj, type(sys)):  # a submodule: its own page
                assert f"{obj.__name__}.html" in pages[module] or obj.__name__ in pages, name
                continue
            home = conf._home(obj, name, module, listed)
            if f"{home}.{name}" not in documented and f"{module}.{name}" not in documented:
                missing.append(f"{module}.{name}")
    assert not missing, f"not in the reference: {missing}"
    assert "Parameters" in pages["mlpkit"] and "Returns" in pages["mlpkit"]  # numpydoc rendered fit
    # a public class's methods from mlpkit's private bases are on its own page
    for method in ("Sequential.predict", "Sequential.get_weights", "Sequential.fit"):
        assert f"mlpkit.{method}" in documented, method
    assert "mlpkit.sklearn.MLPClassifier.partial_fit" in documented


def test_the_course_notebooks_ran_and_show_the_notes_numbers(site):
    course = site / "course"
    pages = sorted(course.glob("[1-6]-*.html"))
    assert [p.name[0] for p in pages] == list("123456")
    for page in pages:
        text = page.read_text()
        assert "cell_output" in text, f"{page.name} shows no outputs: the notebook did not run"
        assert "Traceback" not in text, page.name
    xor = _text(course / "2-xor.html")
    for number in (
        "σ(1.059) = 0.743",
        "σ(-1.494) = 0.183",
        "σ(-0.689) = 0.334",
        "σ(5.000) = 0.993",
    ):
        assert number in xor  # Chapter 1's table, from the trace cell
    assert "classes [1, 0, 1, 0]" in xor
    assert "<img" in (course / "1-shapes-and-activations.html").read_text()  # figures drawn
    assert "<iframe" in (course / "6-autoencoders.html").read_text()  # the explorer, embedded
    assert "max f'(z) = 0.250" in _text(course / "1-shapes-and-activations.html")


def test_the_site_opens_from_disk_and_has_its_parts(site):
    index = (site / "index.html").read_text()
    for part in ("get-started.html", "course/index.html", "guide/index.html",
                 "reference/api/index.html", "reference/cli.html", "reference/file-format.html",
                 "performance.html", "security.html"):  # fmt: skip
        assert (site / part).is_file(), part
        assert part in index or part.split("/")[0] in index
    cli = (site / "reference" / "cli.html").read_text()
    for command in ("train", "evaluate", "predict", "autoencode", "playground"):
        assert f"mlpkit-{command}" in cli


GUIDE_PAGES = sorted(
    page
    for page in [
        *(DOCS / "guide").glob("*.md"),
        DOCS / "get-started.md",
        DOCS / "reference" / "file-format.md",
    ]
    if "```python\n" in page.read_text()
)


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=lambda p: p.stem)
def test_every_python_block_of_the_guide_runs(page, tmp_path):
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S)
    script = tmp_path / "page.py"
    script.write_text("\n\n".join(blocks))
    run = subprocess.run(
        [sys.executable, str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MPLBACKEND": "Agg"},
    )
    assert run.returncode == 0, run.stderr[-3000:]


#: every public module: its docstrings are numpydoc — for every class and function of
#: its ``__all__`` and every documented public method, a summary line, every parameter
#: in a Parameters section in order, a Returns section where something is returned (the
#: build checks the same on every page; this says which object fails, fast)
NUMPYDOC_MODULES = [
    "mlpkit", "mlpkit.layers", "mlpkit.activations", "mlpkit.losses", "mlpkit.optimizers",
    "mlpkit.initializers", "mlpkit.regularizers", "mlpkit.callbacks", "mlpkit.metrics",
    "mlpkit.datasets", "mlpkit.autoencoder", "mlpkit.reduction", "mlpkit.explorer",
    "mlpkit.plots", "mlpkit.sklearn", "mlpkit.onnx", "mlpkit.distributed", "mlpkit.training",
    "mlpkit.fast", "mlpkit.tabular", "mlpkit.playground",
]  # fmt: skip
NUMPYDOC_CHECKS = {"GL08", "PR01", "PR02", "PR03", "RT01", "SS01"}


def _documented(module_name: str) -> list[str]:
    """The module's public classes and functions, and their documented public methods."""
    import inspect

    module = importlib.import_module(module_name)
    names = []
    for name in module.__all__:
        obj = getattr(module, name)
        if not (inspect.isclass(obj) or inspect.isfunction(obj)):
            continue
        names.append(f"{module_name}.{name}")
        if inspect.isclass(obj):
            for member, value in vars(obj).items():
                function = getattr(value, "__func__", value)  # static and class methods
                if member.startswith("_") or not callable(function) or not function.__doc__:
                    continue
                if inspect.isclass(function):
                    continue
                names.append(f"{module_name}.{name}.{member}")
    return names


def test_the_site_checks_every_public_module_as_this_test_does():
    assert public_modules() == NUMPYDOC_MODULES
    assert NUMPYDOC_CHECKS <= docs_conf().numpydoc_validation_checks


@pytest.mark.parametrize("name", [n for m in NUMPYDOC_MODULES for n in _documented(m)])
def test_every_public_docstring_is_numpydoc(name):
    validate = require("numpydoc.validate", "pip install -r requirements/dev.lock").validate
    checks = NUMPYDOC_CHECKS | ({"EX01"} if name.count(".") <= _depth(name) else set())
    errors = [f"{c}: {m}" for c, m in validate(name)["errors"] if c in checks]
    assert not errors, errors


def _depth(name: str) -> int:
    """The dots in the name of the public module ``name`` is listed under: a name with
    no more dots is a class or function of ``__all__`` (it needs an Examples section, run
    by tests/test_docs.py), one with more a method."""
    module = max((m for m in NUMPYDOC_MODULES if name.startswith(m + ".")), key=len)
    return module.count(".") + 1
