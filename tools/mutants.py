"""The mutation-testing report: reads what ``mutmut run`` left in ``mutants/`` and writes
``docs/testing.md`` — per module the mutants, how many the tests killed, how many
survived, and each survivor with its diff and either the reason it is equivalent (from
``tools/mutants_equivalent.py``) or "not caught". Exit code 1 when a module's share of
non-equivalent mutants killed is under the goal.

    python tools/mutants.py [--goal 0.9] [--out docs/testing.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from mutants_equivalent import EQUIVALENT  # noqa: E402

KILLED = {1, 3, 24, -24, 36, 152, 255, 37}  # a failing test, a timeout, a type check
SURVIVED = {0}
NO_TESTS = {5, 33}


def changed_lines(name: str, path: Path) -> tuple[str, str]:
    """The first removed and added line of a mutant's diff (stripped)."""
    try:
        from mutmut.mutation.diff_apply import get_diff_for_mutant

        diff = get_diff_for_mutant(name, path=path)
    except Exception as exc:  # mutmut's internals moved: say so in the report
        return (f"(diff unavailable: {type(exc).__name__})", "")
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
    module, _, mangled = name.rpartition(".")
    mangled = mangled.rsplit("__mutmut_", 1)[0].removeprefix("x").removeprefix("_")
    return f"{module}.{mangled.strip('ǁ').replace('ǁ', '.')}"


def equivalence(name: str, before: str, after: str) -> str | None:
    function = function_of(name)
    for entry in EQUIVALENT:
        if entry["function"] == function and entry["before"] == before and entry["after"] == after:
            return entry["why"]
    return None


def collect(mutants: Path) -> dict[str, list[tuple[str, str, int | None, Path]]]:
    by_module: dict[str, list] = defaultdict(list)
    for meta in sorted(mutants.rglob("*.py.meta")):
        data = json.loads(meta.read_text())
        source = meta.with_suffix("")  # the mutated copy of the module
        module = str(source.relative_to(mutants / "src")).removesuffix(".py").replace("/", ".")
        for key, code in sorted(data["exit_code_by_key"].items()):
            by_module[module].append((key, module, code, source))
    return by_module


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--goal", type=float, default=0.9)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "testing.md")
    parser.add_argument("--mutants", type=Path, default=ROOT / "mutants")
    args = parser.parse_args()
    by_module = collect(args.mutants)
    if not by_module:
        print(f"no mutmut results in {args.mutants}: run `make mutants` first", file=sys.stderr)
        return 1
    rows, details, short = [], [], []
    for module, entries in sorted(by_module.items()):
        killed = equivalent = unchecked = 0
        missed = []
        for key, _, code, source in entries:
            if code in KILLED:
                killed += 1
                continue
            if code is None:
                unchecked += 1
                continue
            before, after = changed_lines(key, source)
            why = equivalence(key, before, after)
            if why is not None:
                equivalent += 1
                details.append((module, key, before, after, f"equivalent: {why}"))
            else:
                status = "no test reaches it" if code in NO_TESTS else "survived"
                missed.append(key)
                details.append((module, key, before, after, f"**not caught** ({status})"))
        counted = len(entries) - equivalent - unchecked
        score = killed / counted if counted else 1.0
        rows.append((module, len(entries), killed, len(missed), equivalent, unchecked, score))
        if score < args.goal:
            short.append(f"{module}: {score:.1%}")
    lines = [
        "# Mutation testing",
        "",
        "`make mutants` runs [mutmut](https://github.com/boxed/mutmut) over the modules listed",
        "under `[tool.mutmut]` in `pyproject.toml`: every small change to their code (an",
        "operator, a constant, a condition, a returned value, a dropped argument) must make a",
        "test in `make test` fail. It is not part of `make test` (it runs the suite once per",
        "mutant, for about an hour); run it before resolving an issue that changes behaviour.",
        "This page is written by `tools/mutants.py` from the last run.",
        "",
        f"Goal: at least {args.goal:.0%} of the non-equivalent mutants of every module killed.",
        "A survivor is either given a test that kills it or, when no behaviour can tell it",
        "from the original (it is *equivalent*), listed in `tools/mutants_equivalent.py`",
        "with the reason. Tests that run mlpkit in a subprocess (the installed `mlpkit`",
        "command, `mpiexec`, scikit-learn's own suite) cannot see mutants, so the command",
        "line's modules are held to the goal by their in-process tests.",
        "",
        "| module | mutants | killed | not caught | equivalent | not run | killed of the rest |",
        "|---|---|---|---|---|---|---|",
    ]
    for module, total, killed, missed, equivalent, unchecked, score in rows:
        lines.append(
            f"| `{module}` | {total} | {killed} | {missed} | {equivalent} | {unchecked} | {score:.1%} |"
        )
    lines += ["", "## Survivors", ""]
    for module, key, before, after, verdict in details:
        lines.append(
            f"- `{key.removeprefix(module + '.')}` in `{module}`: `{before}` → `{after}` — {verdict}"
        )
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out}")
    if short:
        print("under the goal: " + "; ".join(short), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
