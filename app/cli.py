"""`docqa` command line: ingest, ask, search, docs, chat."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from docqa.errors import DocqaError
from docqa.schema import Answer, Hit
from docqa.settings import Settings, get_settings

app = typer.Typer(help="Cited answers to questions about the reports in corpus/.", no_args_is_help=True)
console = Console()
_STAGES = {"read": "Reading files", "embed": "Embedding chunks", "sentences": "Embedding sentences"}
errors = Console(stderr=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of formatted text.")]
KOption = Annotated[int | None, typer.Option("-k", help="Number of passages (default: DOCQA_TOP_K).")]
DocOption = Annotated[list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).")]


def _settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = "DOCQA_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
        _fail(f"invalid setting {field}: {error['msg']}")


def _qa():
    from docqa.qa import QA

    return QA(_settings())


def _fail(message: str, hint: str = "") -> typer.Exit:
    errors.print(f"[bold red]Error:[/] {message}", highlight=False)
    if hint:
        errors.print(f"[dim]{hint}[/]", highlight=False)
    raise typer.Exit(1)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: DOCQA_CORPUS_DIR).")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Empty the index first.")] = False,
) -> None:
    """Index documents (PDF, HTML, TXT, Markdown); unchanged files are skipped."""
    from docqa.store import Index
    from ingest.pipeline import ingest as run_ingest

    settings = _settings()
    try:
        index = Index(settings)
        if rebuild:
            index.reset()
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            tasks: dict[str, int] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(_STAGES[stage], total=total)
                progress.update(tasks[stage], completed=done, total=total)

            report = run_ingest(paths or [settings.corpus_dir], index, settings, progress=update)
    except DocqaError as exc:
        _fail(str(exc))
    table = Table(title=f"Ingest ({report.seconds:.1f} s, model {index.model})", show_header=False)
    table.add_row("indexed", ", ".join(report.indexed) or "—")
    table.add_row("unchanged", ", ".join(report.unchanged) or "—")
    table.add_row("removed", ", ".join(report.removed) or "—")
    table.add_row("new chunks", str(report.chunks))
    table.add_row("new sentences", str(report.sentences))
    table.add_row("chunks in index", str(index.count()))
    console.print(table)
    for skipped in report.skipped:
        errors.print(f"[yellow]skipped[/] {skipped.path}: {skipped.reason}", highlight=False)
    if not report.ok:
        _fail("nothing could be indexed")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in French or English.")],
    json_output: JsonOption = False,
    k: KOption = None,
    doc: DocOption = None,
) -> None:
    """Answer a question with cited passages (or say that the reports do not answer it)."""
    try:
        answer = _qa().ask(question, k=k, docs=doc)
    except DocqaError as exc:
        _fail(str(exc), _hint(exc))
    if json_output:
        print(json.dumps(answer.public(), ensure_ascii=False, indent=2))
    else:
        print_answer(answer)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    json_output: JsonOption = False,
    k: KOption = None,
    doc: DocOption = None,
) -> None:
    """The passages most relevant to a query."""
    try:
        hits = _qa().search(query, k=k, docs=doc)
    except DocqaError as exc:
        _fail(str(exc), _hint(exc))
    if json_output:
        print(json.dumps({"hits": [hit_json(h) for h in hits]}, ensure_ascii=False, indent=2))
        return
    table = Table("#", "document", "page", "passage", "score")
    for n, hit in enumerate(hits, start=1):
        table.add_row(str(n), hit.title, _page(hit.page), hit.text, f"{hit.score:.3f}")
    console.print(table)


@app.command()
def docs(json_output: JsonOption = False) -> None:
    """What is indexed."""
    from docqa.store import Index

    try:
        index = Index(_settings())
        documents = index.documents()
    except DocqaError as exc:
        _fail(str(exc))
    if json_output:
        payload = {"embedding_model": index.model, "chunks": index.count(), "documents": []}
        payload["documents"] = [d.model_dump(exclude={"content_hash"}) for d in documents]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    table = Table("id", "title", "publisher", "year", "pages", "chunks", title=f"Index ({index.model})")
    for d in documents:
        table.add_row(d.doc_id, d.title, d.publisher, str(d.year or "—"), str(d.pages or "—"), str(d.chunks))
    console.print(table)
    if not documents:
        console.print("The index is empty: run [bold]docqa ingest[/].")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    from app.api import serve as run_server

    run_server(host, port)


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8501,
) -> None:
    """Serve the web chat (Streamlit) on http://HOST:PORT."""
    page = Path(__file__).with_name("chat.py")
    command = ["-m", "streamlit", "run", str(page), "--server.address", host, "--server.port", str(port)]
    # this process becomes the Streamlit server: stopping it stops the chat
    os.execv(
        sys.executable,
        [sys.executable, *command, "--server.headless", "true", "--browser.gatherUsageStats", "false"],
    )


@app.command()
def mcp(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="The index folder (default: DOCQA_DATA_DIR, else ./data).")
    ] = None,
) -> None:
    """Serve the MCP tools `search` and `ask` and the documents as resources, over stdio."""
    from app.mcp_server import main as run_mcp

    _settings()  # a bad setting is one clear line, before the host's session starts
    run_mcp(data_dir)


@app.command()
def chat() -> None:
    """Ask questions one after the other in the terminal (empty line or Ctrl-D to quit); a short follow-up
    ("et en 2030 ?") is asked together with the previous question."""
    from docqa.conversation import Turn, standalone_question

    qa = _qa()
    console.print("[bold]docqa[/] — posez vos questions sur les rapports (ligne vide pour quitter).")
    turns: list[Turn] = []
    while True:
        try:
            question = console.input("[bold cyan]?[/] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if question.lower() in {"", "exit", "quit"}:
            break
        turns.append(Turn("user", question))
        asked = standalone_question(turns)
        if asked != question:
            console.print(f"[dim]({asked})[/]", highlight=False)
        try:
            answer = qa.ask(asked)
        except DocqaError as exc:
            errors.print(f"[bold red]Error:[/] {exc}", highlight=False)
            continue
        print_answer(answer)
        turns.append(Turn("assistant", answer.answer))


@app.command("eval")
def evaluate(
    dataset: Annotated[Path, typer.Argument(help="JSONL questions.")] = Path("eval/data/qa-dev.jsonl"),
    config: Annotated[list[str] | None, typer.Option("--config", help="Configuration name or key=value,...")] = None,
    compare: Annotated[
        list[str] | None, typer.Option("--compare", help="Configurations to compare (repeat or comma-separate).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Output folder (default: eval/runs/<time>).")] = None,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")] = None,
    check_baseline: Annotated[bool, typer.Option("--check-baseline", help="Fail if a metric dropped.")] = False,
    tolerance: Annotated[float, typer.Option("--tolerance", help="Allowed drop below the baseline.")] = 0.02,
    update_baseline: Annotated[bool, typer.Option("--update-baseline", help="Save this run as the baseline.")] = False,
) -> None:
    """Evaluate answers against known facts; compare configurations; check against the baseline."""
    from datetime import datetime

    from eval.baseline import load_baseline, regressions, save_baseline
    from eval.dataset import load_dataset
    from eval.harness import run_config
    from eval.report import comparison_markdown, write_run

    settings = _settings()
    names = (
        [n for spec in (compare or config or ["default"]) for n in spec.split(",") if n]
        if compare
        else (config or ["default"])
    )
    try:
        questions = load_dataset(dataset)[:limit]
        out = out or Path("eval/runs") / datetime.now().strftime("%Y%m%d-%H%M%S")
        summaries: dict[str, dict] = {}
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            tasks: dict[str, int] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(stage, total=total)
                progress.update(tasks[stage], completed=done, total=total)

            for name in names:
                results, summary = run_config(name, settings, questions, update)
                write_run(out / name if len(names) > 1 else out, name, results, summary)
                summaries[name] = summary
    except DocqaError as exc:
        _fail(str(exc))
    table = Table("metric", *names, title=f"{dataset} ({len(questions)} questions) -> {out}")
    for key in next(iter(summaries.values()))["metrics"]:
        table.add_row(key, *[str(summaries[n]["metrics"][key]) for n in names])
    console.print(table)
    if len(names) > 1:
        (out / "comparison.md").write_text(comparison_markdown(summaries), encoding="utf-8")
    first = summaries[names[0]]
    if update_baseline:
        save_baseline(first)
        console.print("Baseline saved to eval/baseline.json")
    if check_baseline:
        dropped = regressions(first["metrics"], load_baseline()["metrics"], tolerance)
        if dropped:
            _fail("quality dropped below the baseline: " + "; ".join(dropped))
        console.print(f"[green]No metric dropped below the baseline (tolerance {tolerance}).[/]")


def hit_json(hit: Hit) -> dict:
    return hit.model_dump(include={"doc_id", "title", "page", "text", "score", "chunk_id"})


def print_answer(answer: Answer) -> None:
    for note in answer.notes:
        errors.print(f"[yellow]Note:[/] {note}", highlight=False)
    style = "yellow" if answer.abstained else "green"
    console.print(Panel(answer.answer, title="Réponse" if answer.language == "fr" else "Answer", border_style=style))
    if answer.abstained:
        if answer.hits:
            console.print("[dim]Closest passages:[/]")
            for hit in answer.hits[:3]:
                console.print(f"  • {hit.title}, p. {_page(hit.page)}: [dim]{hit.text[:200]}…[/]", highlight=False)
        return
    for c in answer.citations:
        console.print(f"[bold][{c.n}][/] {c.title} — p. {_page(c.page)}", highlight=False)
        console.print(f"    [italic]« {c.quote} »[/]", highlight=False)
    console.print(f"[dim]{answer.timings.get('total_ms', 0):.0f} ms[/]")


def _page(page: int | None) -> str:
    return "—" if page is None else str(page)


def _hint(exc: DocqaError) -> str:
    from docqa.errors import IndexMissingError

    return "Run `docqa ingest` (or `make ingest`) to build the index." if isinstance(exc, IndexMissingError) else ""


def main() -> None:
    app()


if __name__ == "__main__":
    main()
