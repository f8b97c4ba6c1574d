"""Surviving mutants that no behaviour can tell from the original code, each with the
reason. ``tools/mutants.py`` matches a survivor by its function and its changed line
(before and after, stripped) — so an entry stays valid while the code around it moves."""

EQUIVALENT: list[dict[str, str]] = []
