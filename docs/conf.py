"""Sphinx configuration of mlpkit's documentation site (``make docs``).

Sphinx with pydata-sphinx-theme, numpydoc and MyST-NB, as scikit-learn and JAX build
theirs: the docstrings are already NumPy-style, the course runs as executed notebooks
kept as MyST text (they diff), and the reference is generated from the code itself.

The reference pages are written here at build time from each public module's
``__all__`` (``reference/api/*.rst``, not committed), so a public name cannot be left
out of the site: a name added to an ``__all__`` appears in the next build.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import types
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
os.environ.setdefault("MPLBACKEND", "Agg")

import mlpkit  # noqa: E402

project = "mlpkit"
author = "the mlpkit developers"
copyright = "2026, the mlpkit developers"
release = mlpkit.__version__
version = release

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_click",
]

source_suffix = {".rst": "restructuredtext", ".md": "myst-nb"}
exclude_patterns = ["_build", "**.ipynb_checkpoints", "images/README.md"]
root_doc = "index"

html_theme = "pydata_sphinx_theme"
html_title = f"mlpkit {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False

# MyST: $...$ maths, ::: fences, and headings as link targets
myst_enable_extensions = ["dollarmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# Notebooks run at build time; jupyter-cache keeps each result until its source
# changes, so a second build (and the test that builds the site) reruns nothing.
nb_execution_mode = "cache"
nb_execution_cache_path = str(HERE / "_build" / ".jupyter_cache")
nb_execution_timeout = 300
nb_execution_raise_on_error = True
nb_execution_show_tb = True
nb_merge_streams = True

# numpydoc renders the docstrings; its checks run on every documented object
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
# an override without its own docstring is not listed again: its base class says it
autodoc_inherit_docstrings = False
autodoc_typehints = "none"  # numpydoc's "Parameters" say the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# Every documented object: a docstring (GL08) with a one-line summary (SS01), every
# parameter in a Parameters section in the signature's order (PR01-PR03), and a Returns
# section where something is returned (RT01). tests/test_site.py holds the same.
numpydoc_validation_checks = {"GL08", "PR01", "PR02", "PR03", "RT01", "SS01"}
# (attributes documented by a ``#:`` comment, which numpydoc's check cannot read, are
# named here: their comment is on the page)
numpydoc_validation_exclude = {
    r"\.__\w+__$",
    r"\._\w+$",
    r"\.Trace\.target_labels$",
    r"\.[A-Z][A-Z_]+$",  # constants (LIMITS, FEATURES): their #: comment is their text
    r"^mlpkit\.fast\.fast_paths$",  # the settings instance: FastPaths and __call__ say it
}

#: the public modules, in the reference's order: (module, one line on what it holds)
PUBLIC = [
    ("mlpkit", "the model, its persistence and what shows its mathematics"),
    ("mlpkit.layers", "layers: Dense, activations as layers, noise, normalisation, features"),
    ("mlpkit.activations", "activation functions, each with its derivative"),
    ("mlpkit.losses", "losses, per sample, with their gradients"),
    ("mlpkit.optimizers", "optimizers with PyTorch's update rules"),
    ("mlpkit.initializers", "weight initialisers"),
    ("mlpkit.regularizers", "L1 and L2 penalties"),
    ("mlpkit.callbacks", "History, early stopping, schedules, guards, logs, progress"),
    ("mlpkit.metrics", "accuracy, precision, recall, F1, MSE, MAE, R²"),
    ("mlpkit.datasets", "the course's datasets and the digits"),
    ("mlpkit.autoencoder", "the autoencoder"),
    ("mlpkit.reduction", "PCA and neighbourhood measures"),
    ("mlpkit.explorer", "the latent-space explorer page"),
    ("mlpkit.plots", "matplotlib figures"),
    ("mlpkit.sklearn", "scikit-learn estimators"),
    ("mlpkit.onnx", "ONNX export"),
    ("mlpkit.distributed", "data-parallel training on MPI"),
    ("mlpkit.training", "the training loop's public pieces"),
    ("mlpkit.fast", "the fast-path settings"),
    ("mlpkit.tabular", "CSV tables and their preprocessing"),
    ("mlpkit.playground", "the playground's sessions and settings"),
]


def _home(obj: object, name: str, here: str, modules: dict[str, set[int]]) -> str:
    """The module whose page documents ``obj``: a submodule that lists it, else ``here``."""
    if here != "mlpkit":
        return here
    for module, _ in PUBLIC[1:]:
        if id(obj) in modules[module]:
            return module
    return here


def _alias_comment(mod: types.ModuleType, name: str) -> str:
    """The ``#:`` comment above ``name = ...`` in the package's source (a type alias)."""
    within = [m for k, m in sorted(sys.modules.items()) if k.startswith(mod.__name__)]
    lines = [line for m in within for line in inspect.getsource(m).splitlines()]
    for i, line in enumerate(lines):
        if line.startswith(f"{name} = ") or line.startswith(f"{name}: "):
            comment = []
            while i > 0 and lines[i - 1].startswith("#:"):
                i -= 1
                comment.insert(0, lines[i][2:].strip())
            return " ".join(comment) or f"A type alias: ``{name}``."
    return f"A type alias: ``{name}``."


def _private_bases(cls: type) -> list[type]:
    """mlpkit's private base classes of ``cls`` (Sequential's LayerStack and
    InferenceStack): not documented themselves, so their methods appear on ``cls``."""
    return [
        base
        for base in cls.__mro__[1:]
        if base.__module__.startswith("mlpkit")
        and any(part.startswith("_") for part in [*base.__module__.split("."), base.__name__])
    ]


def _skip_member(app, what, name, obj, skip, options):
    """Leave out scikit-learn's generated ``set_*_request`` methods (metadata routing)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("autodoc-skip-member", _skip_member)


def _write_reference(out: Path) -> None:
    """One page per public module: a summary table, then every name of its ``__all__``."""
    out.mkdir(parents=True, exist_ok=True)
    loaded = {m: importlib.import_module(m) for m, _ in PUBLIC}
    listed = {
        m: {id(getattr(mod, n)) for n in mod.__all__ if not inspect.ismodule(getattr(mod, n))}
        for m, mod in loaded.items()
    }
    for module, _ in PUBLIC:
        mod = loaded[module]
        title = f"``{module}``"
        lines = [title, "=" * len(title), "", f".. automodule:: {module}", "   :no-members:", ""]
        here, elsewhere, submodules = [], [], []
        for name in mod.__all__:
            obj = getattr(mod, name)
            if inspect.ismodule(obj):
                submodules.append(name)
            elif _home(obj, name, module, listed) == module:
                here.append(name)
            else:
                elsewhere.append((name, _home(obj, name, module, listed)))
        if here:
            lines += [f".. currentmodule:: {module}", "", ".. autosummary::", ""]
            lines += [
                f"   {n}" for n in here if not isinstance(getattr(mod, n), types.GenericAlias)
            ]
            lines += [""]
        if submodules:
            lines += ["Submodules: " + ", ".join(f":doc:`{module}.{n}`" for n in submodules), ""]
        if elsewhere:
            lines += ["Also here, documented with their module:", ""]
            lines += [f"- ``{module}.{n}`` is :obj:`{home}.{n}`" for n, home in elsewhere] + [""]
        for name in here:
            obj = getattr(mod, name)
            if inspect.isclass(obj):
                lines += [f".. autoclass:: {module}.{name}"]
                if _private_bases(obj):  # their methods are this class's public ones
                    others = [
                        b.__name__ for b in obj.__mro__ if not b.__module__.startswith("mlpkit")
                    ]
                    lines += [f"   :inherited-members: {', '.join(others)}"]
                lines += [""]
            elif callable(obj) and not isinstance(obj, types.GenericAlias):
                lines += [f".. autofunction:: {module}.{name}", ""]
            elif isinstance(obj, types.GenericAlias):  # a type alias: its comment says it
                lines += [f".. py:data:: {name}", f"   :type: {obj!r}", ""]
                lines += ["   " + _alias_comment(mod, name), ""]
            else:
                lines += [f".. autodata:: {module}.{name}", "   :no-value:", ""]
        text = "\n".join(lines)
        target = out / f"{module}.rst"
        if not target.exists() or target.read_text() != text:  # unchanged: no rebuild
            target.write_text(text)
    index = ["API reference", "=============", "", ".. toctree::", "   :maxdepth: 1", ""]
    index += [f"   {m}" for m, _ in PUBLIC]
    index += ["", "Each module's page lists every name of its ``__all__``:", ""]
    index += [f"- :doc:`{m}` — {line}" for m, line in PUBLIC]
    (out / "index.rst").write_text("\n".join(index) + "\n")


_write_reference(HERE / "reference" / "api")
