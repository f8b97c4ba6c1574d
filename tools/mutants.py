"""Mutation testing with mutmut, module group by module group, and its report.

    python tools/mutants.py run [GROUP ...]   mutate each group's modules in its own copy
                                              of the project (.mutants/GROUP), running the
                                              group's own test files against each mutant
    python tools/mutants.py report            write docs/testing.md from what the runs left:
                                              per module the mutants, killed, not caught,
                                              equivalent (tools/mutants_equivalent.py), and
                                              each survivor's diff; exit 1 under the goal

`make mutants` does both. mutmut remembers its work: a second run re-tests only what
changed (delete .mutants/GROUP to start that group again).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from mutants_equivalent import EQUIVALENT  # noqa: E402

#: group -> (the modules mutated, the test files (or tests) that exercise them; the slow
#: end-to-end ones are left out where they add nothing in-process tests do not)
GROUPS: dict[str, tuple[list[str], list[str]]] = {
    # the engine first: what every fit and prediction runs through
    "layers": (["layers/__init__.py", "layers/base.py", "layers/dense.py", "layers/activation.py",
                "layers/noise.py", "layers/normalization.py", "layers/features.py"],
               ["test_layers.py", "test_normalization.py", "test_features.py", "test_gradcheck.py",
                "test_options.py", "test_io.py", "test_custom.py", "test_network.py", "test_trace.py",
                "test_layers_protocol.py", "test_backends.py",
                "test_docs.py::test_every_docstring_example_runs_as_written"]),
    "network": (["__init__.py", "network.py", "_stack.py", "_inference.py", "_validation.py",
                 "_backend.py", "_registry.py"],
                ["test_network.py", "test_model_surface.py", "test_options.py", "test_io.py",
                 "test_custom.py", "test_training.py",
                 "test_public_api.py", "test_backends.py", "test_hostile_files.py"]),
    "training": (["training/__init__.py", "training/arguments.py", "training/choose.py",
                  "training/evaluation.py", "training/fitting.py", "training/loop.py",
                  "training/state.py", "training/steps.py", "fast.py", "_numba.py"],
                 ["test_training.py", "test_exactness.py", "test_optimizers.py", "test_kernels.py",
                  "test_options.py", "test_backends.py"]),
    "sources": (["training/sources.py"], ["test_sources.py", "test_training.py"]),
    "persistence": (["fileformat.py", "io.py", "_files.py"],
                    ["test_io.py", "test_hostile_files.py", "test_files.py", "test_network.py",
                     "test_custom.py"]),
    "autoencoder": (["autoencoder.py", "reduction.py", "explorer/__init__.py", "_html.py"],
                    ["test_autoencoder.py", "test_reduction.py", "test_explorer.py", "test_notebook.py",
                     "test_playground_units.py"]),
    "sklearn": (["sklearn/__init__.py", "sklearn/_base.py", "sklearn/_docs.py", "sklearn/_schedule.py",
                 "sklearn/_solvers.py", "sklearn/_util.py", "sklearn/classifier.py",
                 "sklearn/regressor.py", "sklearn/transformer.py"],
                ["test_sklearn.py", "test_normalization.py", "test_docs.py"]),
    "onnx": (["onnx.py"], ["test_onnx.py", "test_normalization.py"]),
    "plots": (["plots.py", "_figures.py"], ["test_plots.py", "test_notebook.py"]),
    "demo": (["demo.py"], ["test_examples_demo.py", "test_training.py"]),
    "callbacks": (["callbacks/__init__.py", "callbacks/base.py", "callbacks/checkpoint.py",
                   "callbacks/guards.py", "callbacks/logs.py", "callbacks/monitors.py",
                   "callbacks/progress.py", "callbacks/schedules.py"],
                  ["test_options.py", "test_training.py", "test_notebook.py"]),
    "cli": (["cli/__init__.py", "cli/_common.py", "cli/autoencoding.py", "cli/playground.py",
             "cli/tables.py"],
            ["test_cli.py", "test_cli_tables.py", "test_files.py", "test_hostile_csv.py",
             "test_real_tables.py", "test_explorer.py"]),
    "tabular": (["tabular/__init__.py", "tabular/columns.py", "tabular/dates.py", "tabular/kinds.py",
                 "tabular/preprocessing.py", "tabular/reading.py", "tabular/streaming.py"],
                ["test_tabular.py", "test_real_tables.py", "test_hostile_csv.py",
                 "test_cli.py::test_malformed_csv_fails_with_one_line_and_writes_nothing",
                 "test_cli.py::test_regression_target_must_be_numeric",
                 "test_cli.py::test_prediction_data_must_match_the_model",
                 "test_cli.py::test_the_saved_model_keeps_its_scaler",
                 "test_cli_tables.py"]),
    # the server's tests start it in-process (a thread), so its mutants are seen
    "playground": (["playground/__init__.py", "playground/settings.py", "playground/recipe.py",
                    "playground/session.py", "playground/server.py", "playground/autoencoding.py"],
                   ["test_playground.py", "test_playground_units.py", "test_playground_hostile.py",
                    "test_playground_server.py"]),
    "losses": (["losses/__init__.py", "losses/base.py", "losses/regression.py",
                "losses/classification.py", "heads.py", "regularizers.py"],
               ["test_options.py", "test_losses.py", "test_heads.py", "test_kernels.py",
                "test_backends.py"]),
    "trace": (["trace.py", "gradcheck.py"], ["test_options.py", "test_trace.py", "test_gradcheck.py"]),
    # (test_backends.py's fits are left out here: under mutation on strict/torch arrays they time out)
    "optimizers": (["optimizers/__init__.py", "optimizers/base.py", "optimizers/sgd.py",
                    "optimizers/adaptive.py"], ["test_optimizers.py", "test_options.py",
                                       "test_backends.py::test_optimizers_step_for_step",
                                       "test_backends.py::test_packed_steps_and_the_state_moving_home_and_back"]),
    "activations": (["activations/__init__.py", "activations/base.py", "activations/classic.py",
                     "activations/rectifiers.py"],
                    ["test_activations.py", "test_gradcheck.py", "test_backends.py"]),
    "kernels": (["_kernels.py"], ["test_kernels.py", "test_heads.py", "test_activations.py",
                                  "test_optimizers.py"]),
    # the data and measures the examples and the course use; the docstrings' examples
    # (doctests) reach them in-process too
    "data": (["datasets.py", "metrics.py", "initializers.py"],
             ["test_metrics_datasets.py", "test_toy_datasets.py", "test_metrics_initializers.py",
              "test_mnist.py", "test_layers.py", "test_custom.py", "test_io.py",
              "test_docs.py::test_every_docstring_example_runs_as_written"]),
    # DataParallel's logic on ranks that are threads (tests/threadcomm.py): the mpiexec
    # tests run in subprocesses mutmut cannot see
    "distributed": (["distributed.py"], ["test_distributed_inprocess.py",
        "test_distributed.py::test_blas_threads_per_rank_follow_the_cores_unless_the_user_chose",
        "test_distributed.py::test_one_process_is_plain_fit_bit_for_bit"]),
}  # fmt: skip

#: what a group's copy of the project leaves out
SKIP = {
    ".git",
    ".venv",
    ".mutants",
    "mutants",
    "reports",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
}

#: the file in a group's copy where a run records what it ran on (``inputs``)
INPUTS = "mutants-inputs.json"
KILLED = {1, 3, 24, -24, 36, 152, 255, 37}  # a failing test, a timeout, a type check
#: of those, the timeouts (mutmut's CPU-time limit): shown apart, as a kill no test asserted
TIMED_OUT = {24, -24, 152}
NO_TESTS = {5, 33}
SURVIVED = {0, *NO_TESTS}


def mutmut_config(modules: list[str], tests: list[str]) -> str:
    """The [tool.mutmut] table of one group."""
    listed = ", ".join(f'"src/mlpkit/{m}"' for m in modules)
    selected = ", ".join(f'"tests/{t}"' for t in tests)
    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/mlpkit"]\n'
        f"only_mutate = [{listed}]\n"
        f"pytest_add_cli_args_test_selection = [{selected}]\n"
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "--timeout", "60"]\n'
        'also_copy = ["benchmarks/", "examples/", "docs/", "README.md", "requirements/", "Makefile", "tools/"]\n'
        # mutmut's limit is CPU time, which BLAS's and Dask's threads spend faster than the
        # clock: at 5x a multi-threaded test that changed nothing timed out (a false kill)
        "timeout_multiplier = 12.0\n"
    )


def inputs(group: str, root: Path = ROOT) -> dict[str, str]:
    """SHA-256 digests of what a group's results depend on: its modules' source and its
    test files (with conftest.py). A run records them; a later change to either makes the
    results stale."""
    modules, tests = GROUPS[group]
    test_files = sorted({t.split("::")[0] for t in tests} | {"conftest.py"})

    def digest(paths: list[Path]) -> str:
        h = hashlib.sha256()
        for path in paths:
            h.update(path.name.encode() + b"\0" + (path.read_bytes() if path.exists() else b""))
        return h.hexdigest()

    return {
        "sources": digest([root / "src" / "mlpkit" / m for m in modules]),
        "tests": digest([root / "tests" / t for t in test_files]),
    }


def recorded(where: Path) -> dict[str, str]:
    """The digests the group's last run recorded (empty before any)."""
    try:
        data = json.loads((where / INPUTS).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def forget_stale_test_map(where: Path, now: dict[str, str]) -> bool:
    """When the group's tests changed since its last run, delete mutmut's map from tests
    to the functions they reach (``mutmut-stats.json``): mutmut keeps it when only test
    files change, so a survivor would stay "not caught" after the test that kills it was
    added. Returns whether it was deleted."""
    before = recorded(where)
    stats = where / "mutants" / "mutmut-stats.json"
    if before.get("tests") != now["tests"] and stats.exists():
        stats.unlink()
        return True
    return False


def run(groups: list[str]) -> int:
    """Copy the project into .mutants/GROUP (refreshing it), write the group's mutmut
    settings into the copy's pyproject.toml and run mutmut there."""
    unknown = [g for g in groups if g not in GROUPS]
    if unknown:
        print(f"no group {', '.join(unknown)}; the groups are {', '.join(GROUPS)}", file=sys.stderr)
        return 2
    mutmut = Path(sys.executable).with_name("mutmut")
    status = 0
    for group in groups or list(GROUPS):
        modules, tests = GROUPS[group]
        where = ROOT / ".mutants" / group
        where.mkdir(parents=True, exist_ok=True)
        for item in ROOT.iterdir():
            if item.name in SKIP:
                continue
            if item.is_dir():
                shutil.copytree(
                    item,
                    where / item.name,
                    dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns(*SKIP),
                )
            else:
                shutil.copy2(item, where / item.name)
        pyproject = (ROOT / "pyproject.toml").read_text()
        (where / "pyproject.toml").write_text(pyproject + mutmut_config(modules, tests))
        print(f"== {group}: {', '.join(modules)} against {', '.join(tests)}", flush=True)
        now = inputs(group)
        if forget_stale_test_map(where, now):
            print("   its tests changed since the last run: mutmut maps them afresh", flush=True)
        env = {**os.environ, "SCIPY_ARRAY_API": "1"}
        done = subprocess.run([str(mutmut), "run"], cwd=where, env=env)
        # mutmut re-tests a mutant only when its function changed: survivors of an earlier
        # run meet the tests written since only when named (and a first named run right
        # after new tests can leave some untried: the rest are named once more)
        for _ in range(2):
            survivors = [key for key, code, _ in _results(where / "mutants") if code in SURVIVED]
            if not survivors or done.returncode != 0:
                break
            print(f"   re-testing {len(survivors)} survivors against the current tests", flush=True)
            done = subprocess.run([str(mutmut), "run", *survivors], cwd=where, env=env)
        if done.returncode == 0:
            (where / INPUTS).write_text(json.dumps(now))
        status = status or done.returncode
    return status


def _results(mutants: Path) -> list[tuple[str, int | None, str]]:
    """(mutant, exit code, module) for every mutant mutmut has recorded under ``mutants``."""
    out = []
    for meta in sorted(mutants.rglob("*.py.meta")):
        module = (
            str(meta.with_suffix("").relative_to(mutants / "src"))
            .removesuffix(".py")
            .replace("/", ".")
        )
        try:
            results = json.loads(meta.read_text())["exit_code_by_key"]
        except (json.JSONDecodeError, KeyError):  # a run is writing it: read it next time
            continue
        out += [(key, code, module) for key, code in sorted(results.items())]
    return out


def changed_lines(name: str, group_dir: Path) -> tuple[str, str]:
    """The first removed and added line of a mutant's diff (stripped)."""
    here = Path.cwd()
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        os.chdir(group_dir)  # mutmut reads its mutants/ relative to the working folder
        module_path = Path("src") / (
            name.split(".x", 1)[0].replace(".", "/") + ".py"
        )  # under mutants/
        if not (Path("mutants") / module_path).exists():  # a package's __init__.py
            module_path = module_path.with_suffix("") / "__init__.py"
        diff = get_diff_for_mutant(name, path=module_path)
    except Exception as exc:  # mutmut's internals moved: say so in the report
        return (f"(diff unavailable: {type(exc).__name__})", "")
    finally:
        os.chdir(here)
    removed = [
        ln[1:].strip()
        for ln in diff.splitlines()
        if ln.startswith("-") and not ln.startswith("---")
    ]
    added = [
        ln[1:].strip()
        for ln in diff.splitlines()
        if ln.startswith("+") and not ln.startswith("+++")
    ]
    return (removed[0] if removed else ""), (added[0] if added else "")


def function_of(name: str) -> str:
    """ "mlpkit.losses.xǁHuberǁ__init____mutmut_3" -> "mlpkit.losses.Huber.__init__"."""
    module, _, mangled = name.partition(".x")
    mangled = mangled.rsplit("__mutmut_", 1)[0]
    if mangled.startswith("ǁ"):  # a method: xǁClassǁmethod
        return f"{module}.{mangled.strip('ǁ').replace('ǁ', '.')}"
    return f"{module}.{mangled.removeprefix('_')}"


#: ``typing.cast(TYPE, value)``'s first argument, a string or a name: only type checkers read it
_CAST_TYPE = re.compile(r"""\bcast\((?:"[^"]*"|'[^']*'|None|[\w.\[\], |]+?),\s*""")

#: an ONNX graph's constant and node names: ``g.constant("gamma", ...)``, ``self.name(op)``
_GRAPH_NAME = re.compile(r"""\b(constant|name)\((?:"[^"]*"|'[^']*'|None|op\.\w+\(\)|stem)""")

#: mutations no program can see, by pattern: (the reason, the test, the modules it holds
#: in, by name prefix; "" for everywhere)
RULES: list[tuple[str, Callable[[str, str], bool], str]] = [
    ("typing.cast's first argument is read only by type checkers; at run time cast returns its value",
     lambda before, after: before != after and _CAST_TYPE.sub("cast(", before) == _CAST_TYPE.sub("cast(", after),
     ""),
    ("an ONNX graph's tensor names only need to be unique, and every name carries the graph's "
     "running count; what they are called is not read by any runtime",
     lambda before, after: before != after and _GRAPH_NAME.sub(r"\1(", before) == _GRAPH_NAME.sub(r"\1(", after),
     "mlpkit.onnx."),
]  # fmt: skip


def equivalence(name: str, before: str, after: str) -> str | None:
    """Why a survivor cannot be told from the original (listed or by rule), or None."""
    function = function_of(name)
    for why, applies, scope in RULES:
        if function.startswith(scope) and applies(before, after):
            return why
    for entry in EQUIVALENT:
        if entry["function"] == function and entry["before"] == before and entry["after"] == after:
            return entry["why"]
    return None


def module_name(path: str) -> str:
    """ "layers/dense.py" -> "mlpkit.layers.dense" (a package's file keeps its __init__)."""
    return "mlpkit." + path.removesuffix(".py").replace("/", ".")


def run_state(group_dir: Path) -> str:
    """ "current" when a group's results are from its modules and tests as they are now."""
    return "current" if recorded(group_dir) == inputs(group_dir.name) else "stale"


def collect(runs: Path) -> dict[str, list[tuple[str, int | None, Path]]]:
    """Every group's results: module -> [(mutant, exit code, the group's folder)]."""
    by_module: dict[str, list[tuple[str, int | None, Path]]] = defaultdict(list)
    for group, (modules, _) in sorted(GROUPS.items()):
        wanted = {module_name(m) for m in modules}
        for key, code, module in _results(runs / group / "mutants"):
            if module in wanted:
                by_module[module].append((key, code, runs / group))
    return by_module


HEADER = """# Mutation testing

`make mutants` runs [mutmut](https://github.com/boxed/mutmut) over groups of modules,
each against its own test files (`GROUPS` in `tools/mutants.py`): every small change to
their code (an operator, a constant, a condition, a returned value, a dropped argument)
must make one of those tests fail. Every module of `src/mlpkit` is in a group (the two
`__main__.py` files, one call of `main()` each, are left out). It is not part of
`make test` (it runs the tests again for each mutant, for a few hours on two cores, and
incrementally: mutmut keeps its results in `.mutants/GROUP` and a second run re-tests
only what changed); run `python tools/mutants.py run GROUP` for the groups an issue
touches before resolving it. A test that a mutant makes long fails after 60 s
(pytest-timeout) and mutmut stops a mutant at twelve times its tests' clean CPU time.
Code that runs only while mlpkit is imported (a class made by a factory, a decorator's
set-up) cannot be mutated usefully: mutmut forks its test runs after the import, so such
code is written to run when called, or listed with that reason. This page is written by
`tools/mutants.py report` from the last runs.

Goal: at least {goal:.0%} of the non-equivalent mutants of every module killed. A
survivor is either given a test that kills it or, when no behaviour can tell it from the
original (it is *equivalent*), listed in `tools/mutants_equivalent.py` with the reason.
Tests that run mlpkit in a subprocess (the installed `mlpkit` command, `mpiexec`,
scikit-learn's own suite) cannot see mutants, so the command line's modules and
`distributed.py` are held to the goal by their in-process tests (for `distributed.py`,
ranks that are threads: `tests/threadcomm.py`). "not run" counts mutants a run did not
reach (it was stopped); they are left out of the share. A mutant that ran past mutmut's
time limit (its CPU time, at 12 times the tests' own) counts as killed, and is counted
apart as "timed out": a loop made endless, usually, but no test asserted anything.

What it found so far, besides tests that could not fail: the trace took a BatchNorm
without γ and β for a pass-through layer (its δ and ∂L/∂W before it were wrong); the
losses' non-finite-target message printed `np.int64(1)` for an index; the missing-cell
error was written twice, worded two ways; two helpers in the CSV reader were unused;
`predict` and `logits` in chunks failed on a strict array API library's arrays (a
one-index slice of 2-D, a stop past the end); four data generators failed inside NumPy on
a negative noise; the in-process MPI stand-in handed ranks references to each other's
arrays (sharded train metrics were flaky); the variance-scaling initialisers (made by a
factory at import) and `keyword_only`'s set-up could not be changed by any mutant.

Runs as of the last stop: every group's results here are from this checkout's last
runs; groups *not run* had none in it (the earlier complete run of sixteen modules, at
96-100%, is in the git history of this page).
{uncovered}
A module marked *stale* was changed, or its group's tests were, since its last run: its
numbers are from the code before (rerun its group: `python tools/mutants.py run GROUP`);
*not run* means its group has no results here yet.

| module | mutants | killed | of them timed out | not caught | equivalent | not run | killed of the rest | run |
|---|---|---|---|---|---|---|---|---|
"""


def package_modules() -> list[str]:
    """Every module of the package mutmut could mutate, as paths under src/mlpkit."""
    package = ROOT / "src" / "mlpkit"
    return sorted(
        str(p.relative_to(package)) for p in package.rglob("*.py") if p.name != "__main__.py"
    )


def uncovered() -> str:
    """A sentence naming the package's modules no group mutates (empty when none)."""
    covered = {m for modules, _ in GROUPS.values() for m in modules}
    names = [n for n in package_modules() if n not in covered]
    if not names:
        return ""
    listed = ", ".join(f"`{n}`" for n in names)
    return f"\nNot covered yet (each needs a group and tests that reach it in-process): {listed}.\n"


def report(args: argparse.Namespace) -> int:
    by_module = collect(args.runs)
    if not by_module:
        print(f"no mutmut results in {args.runs}: run `make mutants` first", file=sys.stderr)
        return 1
    rows, details, short = [], [], []
    for group, (modules, _) in sorted(GROUPS.items()):
        for module in map(module_name, modules):
            if module in by_module:
                continue
            if (args.runs / group / INPUTS).exists():  # run, and mutmut found nothing to change
                rows.append(
                    f"| `{module}` | 0 | 0 | 0 | 0 | 0 | 0 | — | {run_state(args.runs / group)} |"
                )
            else:
                rows.append(f"| `{module}` | | | | | | | | not run |")
                short.append(f"{module}: not run")
    for module, entries in sorted(by_module.items()):
        killed = timed_out = equivalent = unchecked = missed = 0
        for key, code, group_dir in entries:
            if code in KILLED:
                killed += 1
                timed_out += code in TIMED_OUT
                continue
            if code is None:
                unchecked += 1
                continue
            before, after = changed_lines(key, group_dir)
            why = equivalence(key, before, after)
            if why is not None:
                equivalent += 1
                verdict = f"equivalent: {why}"
            else:
                missed += 1
                verdict = "**not caught**" + (" (no test reaches it)" if code in NO_TESTS else "")
            details.append(
                f"- `{key.removeprefix(module + '.')}` in `{module}`: `{before}` → `{after}` — {verdict}"
            )
        counted = len(entries) - equivalent - unchecked
        score = killed / counted if counted else 1.0
        state = run_state(entries[0][2])
        rows.append(
            f"| `{module}` | {len(entries)} | {killed} | {timed_out} | {missed} | {equivalent} | {unchecked} "
            f"| {score:.1%} | {state} |"
        )
        if score < args.goal:
            short.append(f"{module}: {score:.1%}")
    text = (
        HEADER.format(goal=args.goal, uncovered=uncovered())
        + "\n".join(sorted(rows))
        + "\n\n## Survivors\n\n"
        + "\n".join(details)
        + "\n"
    )
    args.out.write_text(text)
    print(f"wrote {args.out}")
    if short:
        print("under the goal: " + "; ".join(short), file=sys.stderr)
        return 1
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["run", "report"])
    parser.add_argument(
        "groups", nargs="*", help=f"for run: some of {', '.join(GROUPS)} (default: all)"
    )
    parser.add_argument("--goal", type=float, default=0.9)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "testing.md")
    parser.add_argument("--runs", type=Path, default=ROOT / ".mutants")
    args = parser.parse_args()
    return run(args.groups) if args.command == "run" else report(args)


if __name__ == "__main__":
    sys.exit(main())
