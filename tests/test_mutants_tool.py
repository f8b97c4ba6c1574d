"""tools/mutants.py's bookkeeping: a group's results are stale once its modules or tests
change, and mutmut's test map is dropped when the tests changed (else a survivor stays
"not caught" after the test that kills it is written)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def load_tool(monkeypatch):
    """tools/mutants.py as a module, with the project's real groups."""
    monkeypatch.syspath_prepend(str(ROOT / "tools"))
    spec = importlib.util.spec_from_file_location("mutants_tool", ROOT / "tools" / "mutants.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def tool(monkeypatch):
    module = load_tool(monkeypatch)
    monkeypatch.setattr(module, "GROUPS", {"g": (["a.py"], ["test_a.py::test_one"])})
    return module


def _project(root: Path) -> None:
    (root / "src" / "mlpkit").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "src" / "mlpkit" / "a.py").write_text("x = 1\n")
    (root / "tests" / "test_a.py").write_text("def test_one(): pass\n")


def test_the_inputs_change_with_the_sources_and_with_the_tests(tool, tmp_path):
    _project(tmp_path)
    first = tool.inputs("g", tmp_path)
    (tmp_path / "tests" / "conftest.py").write_text("# a fixture\n")
    second = tool.inputs("g", tmp_path)
    assert second["sources"] == first["sources"] and second["tests"] != first["tests"]
    (tmp_path / "src" / "mlpkit" / "a.py").write_text("x = 2\n")
    third = tool.inputs("g", tmp_path)
    assert third["sources"] != second["sources"] and third["tests"] == second["tests"]
    assert tool.inputs("g", tmp_path) == third  # the same files give the same digests


def test_the_test_map_is_dropped_only_when_the_tests_changed(tool, tmp_path):
    _project(tmp_path)
    where = tmp_path / "run"
    (where / "mutants").mkdir(parents=True)
    stats = where / "mutants" / "mutmut-stats.json"
    now = tool.inputs("g", tmp_path)
    (where / tool.INPUTS).write_text(json.dumps(now))
    stats.write_text("{}")
    assert not tool.forget_stale_test_map(where, now) and stats.exists()
    (tmp_path / "tests" / "test_a.py").write_text("def test_one(): assert True\n")
    assert tool.forget_stale_test_map(where, tool.inputs("g", tmp_path))
    assert not stats.exists()
    assert tool.recorded(tmp_path / "nowhere") == {}
    (where / tool.INPUTS).write_text("[not json")
    assert tool.recorded(where) == {}


def test_every_group_names_files_that_exist(tool):
    sys.modules.pop("mutants_tool", None)
    spec = importlib.util.spec_from_file_location("mutants_real", ROOT / "tools" / "mutants.py")
    real = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(real)
    for group, (modules, tests) in real.GROUPS.items():
        for module in modules:
            assert (ROOT / "src" / "mlpkit" / module).is_file(), (group, module)
        for test in tests:
            assert (ROOT / "tests" / test.split("::")[0]).is_file(), (group, test)


def test_every_module_of_the_package_is_in_one_group_with_tests_that_exist(monkeypatch):
    module = load_tool(monkeypatch)
    mutated = [m for modules, _ in module.GROUPS.values() for m in modules]
    assert sorted(mutated) == module.package_modules()  # each once, none missing
    assert module.uncovered() == ""
    for group, (_, tests) in module.GROUPS.items():
        for test in tests:
            assert (ROOT / "tests" / test.split("::")[0]).is_file(), (group, test)


def test_a_changed_cast_type_is_equivalent_and_a_changed_value_is_not(tool):
    say = tool.equivalence
    before = 'return cast("np.ndarray | None", self.activation.vjp(z, a, dy))'
    for after in (
        'return cast("XXnp.ndarray | NoneXX", self.activation.vjp(z, a, dy))',
        "return cast(None, self.activation.vjp(z, a, dy))",
        'return cast("NP.NDARRAY | NONE", self.activation.vjp(z, a, dy))',
    ):
        assert say("mlpkit.m.xǁAǁf__mutmut_1", before, after) is not None, after
    for after in (
        'return cast("np.ndarray | None", None)',
        'return cast("np.ndarray | None", self.activation.vjp(None, a, dy))',
    ):
        assert say("mlpkit.m.xǁAǁf__mutmut_1", before, after) is None, after
    assert say("mlpkit.m.x_f__mutmut_1", "x = 1", "x = 2") is None


def test_the_graph_name_rule_holds_in_the_onnx_module_only(monkeypatch):
    tool = load_tool(monkeypatch)
    before = 'w = g.constant("W", layer.W)'
    for after in ('w = g.constant("XXWXX", layer.W)', "w = g.constant(None, layer.W)"):
        assert "unique" in tool.equivalence("mlpkit.onnx.x_export__mutmut_1", before, after)
        assert tool.equivalence("mlpkit.network.x_export__mutmut_1", before, after) is None
    changed = 'w = g.constant("W", layer.b)'
    assert tool.equivalence("mlpkit.onnx.x_export__mutmut_1", before, changed) is None
