"""The committed baseline (`eval/baseline.json`) and the regression check against it."""

from __future__ import annotations

import json
from pathlib import Path

BASELINE = Path(__file__).parent / "baseline.json"
# Metrics where higher is better, checked against the baseline (latencies are machine-dependent: reported only).
CHECKED = (
    "hit_at_5",
    "mrr",
    "fact_recall_at_5",
    "answer_fact_accuracy",
    "citation_validity",
    "citation_support",
    "abstention_accuracy",
)


def regressions(metrics: dict[str, float], baseline: dict[str, float], tolerance: float) -> list[str]:
    """One line per checked metric that dropped by more than `tolerance` below the baseline.

    >>> regressions({"mrr": 0.80}, {"mrr": 0.85}, 0.02)
    ['mrr: 0.8 < baseline 0.85 - 0.02']
    >>> regressions({"mrr": 0.84}, {"mrr": 0.85}, 0.02)
    []
    """
    return [
        f"{name}: {metrics[name]} < baseline {baseline[name]} - {tolerance}"
        for name in CHECKED
        if name in baseline and name in metrics and metrics[name] < baseline[name] - tolerance
    ]


def load_baseline(path: Path = BASELINE) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save_baseline(summary: dict, path: Path = BASELINE) -> None:
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
