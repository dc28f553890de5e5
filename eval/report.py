"""Writes a run: results.jsonl, summary.json, report.md and plot.png."""

from __future__ import annotations

import json
from pathlib import Path

from eval.runner import Result, by_kind

TABLE_METRICS = (
    "overall_accuracy",
    "hit_at_5",
    "mrr",
    "fact_recall_at_5",
    "answer_fact_accuracy",
    "citation_support",
    "abstention_accuracy",
    "answer_chars_median",
    "latency_p50_ms",
)


def write_run(out: Path, name: str, results: list[Result], summary: dict, failures: bool = True) -> None:
    """Everything about one configuration's run, in `out` (with `failures`: the worst ones in report.md and
    every answer in results.jsonl)."""
    out.mkdir(parents=True, exist_ok=True)
    if failures:
        with (out / "results.jsonl").open("w", encoding="utf-8") as file:
            for result in results:
                file.write(result.model_dump_json() + "\n")
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (out / "report.md").write_text(markdown(name, results, summary, failures), encoding="utf-8")
    plot(out / "plot.png", name, results)


def markdown(name: str, results: list[Result], summary: dict, failures: bool = True) -> str:
    metrics = summary["metrics"]
    lines = [
        f"# Evaluation: {name}",
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps(summary["config"], ensure_ascii=False, indent=2),
        "```",
        "",
        "## Metrics",
        "",
        "| metric | value |",
        "|---|---|",
    ]
    lines += [f"| {key} | {value} |" for key, value in metrics.items()]
    lines += [
        "",
        "## By question kind",
        "",
        "| kind | n | " + " | ".join(TABLE_METRICS) + " |",
        "|---" * (len(TABLE_METRICS) + 2) + "|",
    ]
    for kind, values in by_kind(results).items():
        lines.append(
            f"| {kind} | {values['n_questions']} | " + " | ".join(str(values[m]) for m in TABLE_METRICS) + " |"
        )
    wrong = [r for r in results if not r.correct]
    wrong.sort(key=lambda r: (r.answerable, r.evidence_rank or 99), reverse=True)
    lines += ["", f"## Failures ({len(wrong)})", ""]
    if not failures:
        lines.append("Not listed: this is the held-out set.")
        wrong = []
    for result in wrong[:15]:
        lines += [
            f"### {result.id} ({result.kind})",
            "",
            f"**Q:** {result.question}",
            "",
            f"**Answer{' (abstained)' if result.abstained else ''}:** {result.answer}",
            "",
            f"Evidence rank: {result.evidence_rank}; facts in top 5: {result.fact_recall_at_5}",
            "",
            "Retrieved passages:",
            "",
        ]
        for n, passage in enumerate(result.passages, start=1):
            text = passage["text"].replace("\n", " ")[:300]
            lines.append(f"{n}. `{passage['doc_id']}` p. {passage['page']} ({passage['score']:.3f}): {text}")
        lines.append("")
    return "\n".join(lines) + "\n"


def comparison_markdown(summaries: dict[str, dict]) -> str:
    """One table, one column per configuration."""
    names = list(summaries)
    keys = list(next(iter(summaries.values()))["metrics"])
    lines = ["| metric | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    lines += [
        f"| {key} | " + " | ".join(str(summaries[n]["metrics"].get(key, "")) for n in names) + " |" for key in keys
    ]
    return "\n".join(lines) + "\n"


def plot(path: Path, name: str, results: list[Result]) -> None:
    """Answer fact accuracy and evidence hit@5 per question kind, and the latency histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    kinds = by_kind(results)
    figure, (bars, histogram) = plt.subplots(1, 2, figsize=(12, 4.5))
    labels = list(kinds)
    x = range(len(labels))
    series = (
        ("answer_fact_accuracy", "fact accuracy"),
        ("hit_at_5", "evidence hit@5"),
        ("abstention_accuracy", "abstained when it should"),
    )
    for offset, (metric, label) in zip((-0.27, 0, 0.27), series, strict=True):
        bars.bar([i + offset for i in x], [kinds[k][metric] for k in labels], 0.27, label=label)
    bars.set_xticks(list(x), labels, rotation=30, ha="right")
    bars.set_ylim(0, 1.05)
    bars.set_title(f"{name}: quality by question kind")
    bars.legend()
    histogram.hist([r.retrieve_ms + r.answer_ms for r in results], bins=20)
    histogram.set_xlabel("latency per question (ms)")
    histogram.set_title("latency")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
