"""How ops prints: aligned tables for a person at a terminal, JSON for a script."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

__all__ = ["ago", "print_json", "table"]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell; None prints as "-"."""
    cells = [[str(header) for header in headers]] + [
        ["-" if cell is None else str(cell) for cell in row] for row in rows
    ]
    widths = [max(len(row[column]) for row in cells) for column in range(len(headers))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def ago(seconds: float | None) -> str | None:
    """A duration the way a person reads it: 4 s, 3 min, 2 h."""
    if seconds is None:
        return None
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"


def print_json(data: Any, stream: TextIO | None = None) -> None:
    print(json.dumps(data, default=str), file=stream or sys.stdout, flush=True)
