"""Numbers and tables as the book shows them: :func:`format_value` (every number printed in a
table or a sentence) and :func:`html_table`, the one HTML renderer of the book's result
tables (narrow enough for the 688 px text column: long text wraps, numbers do not).
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["format_value", "escape", "html_table", "small", "nowrap"]


def format_value(value: float | None, digits: int = 3) -> str:
    """A number for a table: ``digits`` significant digits, in plain notation from 0.001 up
    to 10^5 (1800, 95.2, 0.0123), in scientific notation beyond (2.1e-26)."""
    if value is None or not math.isfinite(value):
        return "–" if value is None or math.isnan(value) else str(value)
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e5:
        return f"{value:.{max(1, digits - 1)}e}".replace("e-0", "e-").replace("e+0", "e")
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{round(value, decimals):.{decimals}f}"


def escape(text: Any) -> str:
    """``text`` as HTML ("" for None and NaN)."""
    return html.escape("" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text))


def small(text: str, *, wrap: bool = True) -> str:
    """A second line in small type (already-escaped ``text``)."""
    style = "font-size:0.85em;opacity:0.8" + ("" if wrap else ";white-space:nowrap")
    return f'<br><span style="{style}">{text}</span>'


def nowrap(text: str) -> str:
    """Already-escaped ``text`` that does not wrap."""
    return f'<span style="white-space:nowrap">{text}</span>'


_CELL = "padding:0.3em 0.5em;vertical-align:top;white-space:normal;"
#: The first column (a claim, with its source path) may break a long token anywhere; the others
#: (numbers, headers, verdicts) break between words only, so no column shrinks to a letter.
_WRAP = ("overflow-wrap:anywhere;", "overflow-wrap:normal;")


def html_table(columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], *, caption: str | None = None,
               css_class: str = "comparison") -> str:
    """An HTML table of already-escaped cells: ``columns`` are (header, alignment) pairs
    (``"left"``, ``"right"``, ``"center"``). Full column width, wrapping text."""
    head = "".join(f'<th style="{_CELL}{_WRAP[i > 0]}text-align:{a}">{escape(h)}</th>'
                   for i, (h, a) in enumerate(columns))
    body = []
    for row in rows:
        cells = "".join(f'<td style="{_CELL}{_WRAP[i > 0]}text-align:{a}">{c}</td>'
                        for i, (c, (_, a)) in enumerate(zip(row, columns)))
        body.append(f"<tr>{cells}</tr>")
    cap = f'<caption style="caption-side:top;text-align:left">{escape(caption)}</caption>' if caption else ""
    return (f'<table class="dataframe {css_class}" style="width:100%;max-width:100%;table-layout:auto">{cap}'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
