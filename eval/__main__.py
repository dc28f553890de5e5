"""`python -m eval [DATASET.jsonl ...]`: run datasets against the current index and print the metrics."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from docqa.qa import QA
from docqa.settings import get_settings
from eval.dataset import load_dataset
from eval.runner import run, summarize

DEFAULT = [Path(__file__).parent / "data" / "qa-dev.jsonl"]


def main(paths: list[str]) -> None:
    qa = QA(get_settings())
    table = Table("metric", *[Path(p).stem for p in paths or DEFAULT])
    summaries = [summarize(run(load_dataset(Path(p)), qa)) for p in paths or DEFAULT]
    for key in summaries[0]:
        table.add_row(key, *[str(s[key]) for s in summaries])
    Console().print(table)


if __name__ == "__main__":
    main(sys.argv[1:])
