"""`docqa` command line: ingest, ask, search, docs, chat."""

from __future__ import annotations

import contextlib
import json
import math
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.padding import Padding
from rich.panel import Panel
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from typer._click.core import Context
from typer._click.exceptions import UsageError
from typer.core import TyperCommand

from app.labels import label, where
from docqa.errors import DocqaError, checked_question
from docqa.settings import Settings, get_settings

if TYPE_CHECKING:  # the engine and its models are imported inside the commands that need them
    from docqa.qa import QA
    from docqa.schema import Answer

app = typer.Typer(help="Cited answers to questions about the reports in corpus/.", no_args_is_help=True)
console = Console()
_STAGES = {
    "read": "Reading files",
    "ocr": "OCR of pages",
    "embed": "Embedding chunks",
    "sentences": "Embedding sentences",
}
errors = Console(stderr=True)

DEV_SET = Path("eval/data/qa-dev.jsonl")
HELD_OUT = "heldout"
HELD_OUT_SET = Path(f"eval/data/qa-{HELD_OUT}.jsonl")
HELD_OUT_B_SET = Path(f"eval/data/{HELD_OUT}-b.jsonl")
HELD_OUT_C_SET = Path(f"eval/data/{HELD_OUT}-c.jsonl")
OFF_TOPIC_SET = Path(f"eval/data/offtopic-{HELD_OUT}.jsonl")
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of formatted text.")]
KOption = Annotated[int | None, typer.Option("-k", help="Number of passages (default: DOCQA_TOP_K).")]
DocOption = Annotated[list[str] | None, typer.Option("--doc", help="Only this document id (repeatable).")]


class JsonCommand(TyperCommand):
    """A command with `--json`: with it, a usage error (`-k abc`, a missing argument), which click reports before the
    command runs, is printed as `{"error": ...}` on stdout too (exit code 2, click's code for usage errors)."""

    def make_context(self, info_name: str | None, args: list[str], parent: Context | None = None, **extra):
        with _json_usage_errors("--json" in args):
            ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta["json_errors"] = "--json" in args
        return ctx

    def invoke(self, ctx: Context):
        with _json_usage_errors(ctx.meta.get("json_errors", False)):
            return super().invoke(ctx)


@contextlib.contextmanager
def _json_usage_errors(as_json: bool) -> Iterator[None]:
    try:
        yield
    except UsageError as exc:
        if not as_json:
            raise
        _fail(exc.format_message(), as_json=True, code=2)


def _settings(as_json: bool = False) -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        field = "DOCQA_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
        _fail(f"invalid setting {field}: {error['msg']}", as_json=as_json)


def _qa(as_json: bool = False) -> QA:
    from docqa import get_qa

    return get_qa(_indexed(as_json))


def _indexed(as_json: bool = False) -> Settings:
    """The settings of a command that reads the index, which it must not create (`require_folder`)."""
    from docqa.store import require_folder

    settings = _settings(as_json)
    try:
        require_folder(settings)
    except DocqaError as exc:
        _fail(str(exc), as_json=as_json)
    return settings


def _check(question: str, k: int | None, as_json: bool, what: str = "question") -> None:
    """The argument errors found without loading the engine (the engine checks them again)."""
    try:
        checked_question(question, k, what)
    except DocqaError as exc:
        _fail(str(exc), as_json=as_json)


def _fail(message: str, as_json: bool = False, code: int = 1) -> NoReturn:
    """Exit with `code` after saying `message` on stderr, or, for a command run with --json, `{"error": message}`
    on stdout."""
    if as_json:  # ASCII: a name from the arguments that is not UTF-8 (a lone surrogate) prints too
        print(json.dumps({"error": message}, indent=2))
    else:
        _say_error(message)
    raise typer.Exit(code)


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: DOCQA_CORPUS_DIR).")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Empty the index first.")] = False,
) -> None:
    """Index documents (PDF, Word, PowerPoint, HTML, TXT, Markdown); unchanged files are skipped. What a killed
    upload left is repaired first; with --rebuild (or an index of an older docqa) the uploaded documents are
    indexed again too."""
    from docqa.store import Index
    from ingest.pipeline import ingest as run_ingest
    from ingest.uploads import reconcile, uploads_dir

    settings = _settings()
    paths = paths or [settings.corpus_dir]
    try:
        index = Index(settings)
        for repair in reconcile(index, settings):
            errors.print(f"[yellow]uploads[/] {escape(str(repair))}", highlight=False)
        if index.outdated:
            folder = escape(str(settings.data_dir))
            errors.print(f"[yellow]The index under {folder} was written by an older docqa: rebuilding it.[/]")
        if rebuild or index.outdated:
            index.reset()
            if uploads_dir(settings).is_dir():
                paths.append(uploads_dir(settings))
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            tasks: dict[str, int] = {}

            def update(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = progress.add_task(_STAGES[stage], total=total)
                progress.update(tasks[stage], completed=done, total=total)

            report = run_ingest(paths, index, settings, progress=update)
    except DocqaError as exc:
        _fail(str(exc))
    table = Table(title=f"Ingest ({report.seconds:.1f} s, model {index.model})", show_header=False)
    table.add_row("indexed", escape(", ".join(report.indexed)) or "—")
    table.add_row("unchanged", escape(", ".join(report.unchanged)) or "—")
    table.add_row("removed", escape(", ".join(report.removed)) or "—")
    table.add_row("new chunks", str(report.chunks))
    table.add_row("new sentences", str(report.sentences))
    table.add_row("chunks in index", str(index.count()))
    console.print(table)
    for skipped in report.skipped:
        errors.print(f"[yellow]skipped[/] {escape(f'{skipped.path}: {skipped.reason}')}", highlight=False)
    if not report.ok:
        _fail("nothing could be indexed")


@app.command(cls=JsonCommand)
def ask(
    question: Annotated[str, typer.Argument(help="The question, in French or English.")],
    json_output: JsonOption = False,
    k: KOption = None,
    doc: DocOption = None,
) -> None:
    """Answer a question with cited passages (or say that the reports do not answer it)."""
    _check(question, k, json_output)
    try:
        answer = _qa(json_output).ask(question, k=k, docs=doc)
    except DocqaError as exc:
        _fail(str(exc), as_json=json_output)
    if json_output:
        print(json.dumps(answer.public(), ensure_ascii=False, indent=2))
    else:
        print_answer(answer)


@app.command(cls=JsonCommand)
def search(
    query: Annotated[str, typer.Argument(help="What to look for.")],
    json_output: JsonOption = False,
    k: KOption = None,
    doc: DocOption = None,
) -> None:
    """The passages most relevant to a query."""
    _check(query, k, json_output, what="query")
    try:
        hits = _qa(json_output).search(query, k=k, docs=doc)
    except DocqaError as exc:
        _fail(str(exc), as_json=json_output)
    if json_output:
        print(json.dumps({"hits": [h.model_dump() for h in hits]}, ensure_ascii=False, indent=2))
        return
    from docqa.schema import location

    table = Table("#", "document", "where", "passage", "score")
    for n, hit in enumerate(hits, start=1):
        table.add_row(
            str(n),
            escape(hit.title),
            escape(location(hit.page, hit.section, hit.ocr)),
            escape(hit.text),
            f"{hit.score:.3f}",
        )
    console.print(table)


@app.command(cls=JsonCommand)
def docs(json_output: JsonOption = False) -> None:
    """What is indexed."""
    from docqa.store import Index

    try:
        index = Index(_indexed(json_output))
        documents = index.documents()
    except DocqaError as exc:
        _fail(str(exc), as_json=json_output)
    if json_output:
        payload = {"embedding_model": index.model, "chunks": index.count(), "documents": []}
        payload["documents"] = [d.model_dump(exclude={"content_hash"}) for d in documents]
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]Index[/] ({index.model}, {index.count()} chunks)", highlight=False)
    for d in documents:  # the id alone on its line, never cut, so that it can be pasted into --doc
        console.print(f"[bold cyan]{escape(d.doc_id)}[/]", soft_wrap=True, highlight=False)
        pages = f"{d.pages} page{'s' * (d.pages > 1)}" if d.pages else ""
        details = [d.publisher, str(d.year or ""), pages, f"{d.chunks} chunk{'s' * (d.chunks != 1)}"]
        console.print(
            Padding(f"{escape(d.title)} [dim]— {escape(', '.join(x for x in details if x))}[/]", (0, 0, 0, 4))
        )
    if not documents:
        console.print("The index is empty: run [bold]docqa ingest[/].")


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: DOCQA_SERVE_HOST, loopback 127.0.0.1).")
    ] = None,
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            max=64,
            help="Processes serving the same index, each with its own engine (default: DOCQA_SERVE_WORKERS, 1).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (OpenAPI docs at /docs)."""
    from app.serving import serve as run_server

    settings = _settings()
    try:
        run_server(host or settings.serve_host, port, workers or settings.serve_workers)
    except DocqaError as exc:
        _fail(str(exc))


@app.command()
def web(
    host: Annotated[str, typer.Option(help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8501,
) -> None:
    """Serve the web chat (Streamlit) on http://HOST:PORT."""
    command = web_command(host, port, _settings())
    os.execv(sys.executable, command)  # this process becomes the Streamlit server: stopping it stops the chat


def web_command(host: str, port: int, settings: Settings) -> list[str]:
    """The Streamlit command line of `docqa web` (app/web.py: the chat and the indexed PDFs): loopback, no
    telemetry, no "Deploy" button, uploads capped at DOCQA_MAX_FILE_MB."""
    page = Path(__file__).with_name("web.py")
    options = {
        "server.address": host,
        "server.port": port,
        "server.headless": "true",
        "server.maxUploadSize": math.ceil(settings.max_file_mb),
        "browser.gatherUsageStats": "false",
        "client.toolbarMode": "minimal",
    }
    return [sys.executable, "-m", "streamlit", "run", str(page), *(f"--{k}={v}" for k, v in options.items())]


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
    """Ask questions one after the other in the terminal: arrow keys edit and recall, /help lists the commands
    (/doc ID, /new); a short follow-up ("et en 2030 ?") is asked together with the previous question; an empty
    line or Ctrl-D quits."""
    from docqa.conversation import Turn, standalone_question

    qa = _qa()
    turns: list[Turn] = []
    history = qa.settings.data_dir / "chat-history"
    _readline(history)
    language, docs = "fr", None
    console.print(label("chat_intro", language))
    while True:
        try:
            line = input(_prompt()).strip()
        except (EOFError, KeyboardInterrupt):
            break
        if line.lower() in {"", "exit", "quit", "/quit", "/exit"}:
            break
        command, _, argument = line.partition(" ")
        if command == "/help":
            console.print(label("chat_help", language), highlight=False)
        elif command == "/new":
            docs, turns = None, []
            console.print(label("new", language))
        elif command == "/doc":
            docs = _choose_doc(qa, argument.strip(), language) if argument.strip() else None
            if not argument.strip():
                console.print(label("doc_cleared", language))
        elif command.startswith("/"):
            _say_error(label("unknown_command", language, command=command), language)
        else:
            turns.append(Turn("user", line))
            asked = standalone_question(turns)
            if asked != line:
                console.print(f"[dim]({escape(asked)})[/]", highlight=False)
            try:
                answer = qa.ask(asked, docs=docs)
            except DocqaError as exc:
                _say_error(str(exc), language)
                continue
            language = answer.language
            print_answer(answer)
            turns.append(Turn("assistant", answer.answer))
    _save_history(history)


def _say_error(message: str, language: str = "en") -> None:
    """`message` on stderr after the word for an error in `language`, on one line (no wrapping)."""
    errors.print(f"[bold red]{label('error', language)}[/] {escape(message)}", highlight=False, soft_wrap=True)


def _choose_doc(qa: QA, doc: str, language: str) -> list[str] | None:
    known = sorted(d.doc_id for d in qa.index.documents())
    if doc not in known:
        _say_error(label("unknown_doc", language, doc=doc, known=", ".join(known)), language)
        return None
    console.print(escape(label("doc_set", language, doc=doc)), highlight=False)
    return [doc]


def _prompt() -> str:
    """The prompt, in bold cyan on a terminal (the \\001/\\002 marks keep readline's cursor right)."""
    return "\001\033[1;36m\002?\001\033[0m\002 " if sys.stdin.isatty() and console.is_terminal else "? "


def _readline(history: Path) -> None:
    """Line editing and a history kept between sessions (where Python has readline)."""
    try:
        import readline
    except ImportError:
        return
    readline.set_history_length(1000)
    with contextlib.suppress(OSError):
        readline.read_history_file(history)


def _save_history(history: Path) -> None:
    try:
        import readline
    except ImportError:
        return
    with contextlib.suppress(OSError):
        history.parent.mkdir(parents=True, exist_ok=True)
        readline.write_history_file(history)


@app.command("eval")
def evaluate(
    datasets: Annotated[
        list[Path] | None, typer.Argument(help="JSONL question sets (default: dev and the four held-out sets).")
    ] = None,
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
    datasets = datasets or [DEV_SET, HELD_OUT_SET, HELD_OUT_B_SET, HELD_OUT_C_SET, OFF_TOPIC_SET]
    try:
        sets = {path.stem: load_dataset(path)[:limit] for path in datasets}
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
                for stem, questions in sets.items():
                    results, summary = run_config(name, settings, questions, update)
                    column = f"{name} {stem}" if len(names) > 1 else stem
                    folder = out / name if len(names) > 1 else out
                    folder = folder / stem if len(sets) > 1 else folder
                    # the held-out sets' failures are not written out: nobody should tune against them
                    write_run(folder, column, results, summary, failures=HELD_OUT not in stem)
                    summaries[column] = summary
    except DocqaError as exc:
        _fail(str(exc))
    counts = ", ".join(f"{stem} {len(questions)}" for stem, questions in sets.items())
    columns = [Column(name, overflow="fold") for name in summaries]  # a narrow terminal folds set names
    table = Table(Column("metric", no_wrap=True), *columns, title=f"{counts} questions -> {out}")
    for key in next(iter(summaries.values()))["metrics"]:
        table.add_row(key, *[str(summary["metrics"][key]) for summary in summaries.values()])
    console.print(table)
    if len(summaries) > 1:
        (out / "comparison.md").write_text(comparison_markdown(summaries), encoding="utf-8")
    first = next(iter(summaries.values()))
    if update_baseline:
        save_baseline(first)
        console.print("Baseline saved to eval/baseline.json")
    if check_baseline:
        dropped = regressions(first["metrics"], load_baseline()["metrics"], tolerance)
        if dropped:
            _fail("quality dropped below the baseline: " + "; ".join(dropped))
        console.print(f"[green]No metric dropped below the baseline (tolerance {tolerance}).[/]")


def print_answer(answer: Answer) -> None:
    language = answer.language
    for note in answer.notes:
        errors.print(f"[yellow]Note:[/] {escape(note)}", highlight=False)
    style = "yellow" if answer.abstained else "green"
    console.print(Panel(escape(answer.answer), title=label("answer", language), border_style=style))
    if answer.abstained:
        if answer.hits:
            console.print(f"[dim]{label('closest', language)}:[/]")
            for hit in answer.hits[:3]:
                place = escape(where(hit.title, hit.page, language, hit.section))
                console.print(f"  • {place}: [dim]{escape(hit.text[:200])}…[/]", highlight=False)
        return
    for c in answer.citations:
        console.print(f"[bold][{c.n}][/] {escape(where(c.title, c.page, language, c.section))}", highlight=False)
        console.print(f"    [italic]« {escape(c.quote)} »[/]", highlight=False)
    console.print(f"[dim]{label('answered_in', language, ms=round(answer.timings.get('total_ms', 0)))}[/]")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
