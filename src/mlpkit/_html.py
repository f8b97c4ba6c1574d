"""HTML tables for notebooks (``_repr_html_``): Jupyter shows a model, a trace, a
History or a gradient check as a table instead of plain text. Every cell is escaped."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

__all__ = ["table"]

_STYLE = "border-collapse:collapse;font-family:monospace;font-size:12px"
_CELL = "border:1px solid #ccc;padding:2px 8px"


def table(header: Sequence[Any], rows: Sequence[Sequence[Any]], caption: str | None = None,
          footer: str | None = None, numeric: Sequence[bool] | None = None) -> str:  # fmt: skip
    """An HTML table of ``rows`` under ``header``; ``numeric`` columns right-aligned."""
    right = list(numeric) if numeric is not None else [False] * len(header)

    def cell(tag: str, value: Any, j: int) -> str:
        align = "right" if right[j] else "left"
        return f'<{tag} style="{_CELL};text-align:{align}">{html.escape(str(value))}</{tag}>'

    parts = [f'<table class="mlpkit" style="{_STYLE}">']
    if caption:
        parts.append(
            f'<caption style="text-align:left;font-weight:bold">{html.escape(caption)}</caption>'
        )
    parts.append("<tr>" + "".join(cell("th", h, j) for j, h in enumerate(header)) + "</tr>")
    for row in rows:
        parts.append("<tr>" + "".join(cell("td", v, j) for j, v in enumerate(row)) + "</tr>")
    parts.append("</table>")
    if footer:
        parts.append(f'<div style="font-size:12px">{html.escape(footer)}</div>')
    return "".join(parts)
