import json
from pathlib import Path

from eval.baseline import CHECKED, regressions

BASELINE = Path(__file__).resolve().parents[2] / "eval" / "baseline.json"


def test_regressions_respect_the_tolerance():
    baseline = {"hit_at_5": 0.95, "mrr": 0.8, "latency_p50_ms": 90}
    assert regressions({"hit_at_5": 0.94, "mrr": 0.8, "latency_p50_ms": 500}, baseline, 0.02) == []
    assert regressions({"hit_at_5": 0.90, "mrr": 0.8}, baseline, 0.02) == ["hit_at_5: 0.9 < baseline 0.95 - 0.02"]


def test_committed_baseline_has_every_checked_metric_and_its_config():
    summary = json.loads(BASELINE.read_text(encoding="utf-8"))
    assert set(CHECKED) <= set(summary["metrics"])
    assert {"embedder", "chunk_size", "top_k", "answerer", "corpus_hash"} <= set(summary["config"])
