"""Tables as text: one line per row, "column: value; column: value." (its header's names on each row).

Used by the Word and PowerPoint loaders and, inside the PDF worker (`ingest.pdf`), for a PDF page's ruled tables
read by pdfplumber. Imports nothing heavy: the worker starts fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def table_rows(table: Iterable[Iterable[str | None]]) -> str:
    """A table, its first row the header, as one line per row: "column: value; column: value."

    >>> print(table_rows([["Région", "Startups", ""], ["Bretagne", "12", "x"], ["", None, ""]]))
    Région: Bretagne; Startups: 12; x.
    """
    rows = [[" ".join((cell or "").split()) for cell in row] for row in table]
    rows = [row for row in rows if any(row)]
    if len(rows) == 1:
        lines = ["; ".join(value for value in rows[0] if value)]
    else:
        header = rows[0] if rows else []
        lines = [
            "; ".join(f"{name}: {value}" if name else value for name, value in zip(header, row, strict=False) if value)
            for row in rows[1:]
        ]
    return "\n".join(_sentence(line) for line in lines if line)


def _sentence(line: str) -> str:
    """A row ends with a full stop: it then reads as a sentence, never as a heading or the start of the next row."""
    return line if line.endswith(tuple(".!?…")) else line + "."


def page_with_tables(page: Any) -> str:
    """A pdfplumber page's text with its tables as rows, in place ("" when it has none)."""
    tables = sorted(page.find_tables(), key=lambda table: table.bbox[1])
    if not tables:
        return ""
    boxes = [table.bbox for table in tables]

    def outside(obj: dict) -> bool:
        x, y = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return obj.get("object_type") != "char" or not any(x0 <= x <= x1 and t <= y <= b for x0, t, x1, b in boxes)

    rest = page.filter(outside)
    left, top, right, bottom = page.bbox
    parts = []
    for table in tables:
        if table.bbox[1] > top:
            parts.append(rest.crop((left, top, right, table.bbox[1])).extract_text())
        parts.append(table_rows(table.extract()))
        top = max(top, table.bbox[3])
    if top < bottom:
        parts.append(rest.crop((left, top, right, bottom)).extract_text())
    return "\n".join(part for part in parts if part.strip())
