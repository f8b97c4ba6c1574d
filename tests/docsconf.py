"""The documentation site's configuration (docs/conf.py) as a module, for the tests that
check the site against the package: its list of public modules, PUBLIC, is the one the
reference is written from."""

from __future__ import annotations

import importlib.util
from functools import cache
from pathlib import Path
from types import ModuleType

DOCS = Path(__file__).resolve().parents[1] / "docs"


@cache
def docs_conf() -> ModuleType:
    """docs/conf.py, loaded once (it writes the reference's page sources as Sphinx would)."""
    spec = importlib.util.spec_from_file_location("mlpkit_docs_conf", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def public_modules() -> list[str]:
    """The public modules, in the reference's order."""
    return [name for name, _ in docs_conf().PUBLIC]
