"""The `docqa` command line on small real corpora (real embedder, real Chroma in tmp dirs)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app, web_command
from app.labels import EXAMPLES
from docqa.qa import QA
from docqa.settings import Settings, get_settings
from docqa.store import Index
from ingest.uploads import add_file, uploads_dir

REPO = Path(__file__).resolve().parents[2]
runner = CliRunner()


@pytest.fixture
def env(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "etude.txt").write_text(
        "Contexte de l’étude sur l’IA en santé.\f"
        "Environ 5 000 emplois liés à l’IA devraient être créés d’ici 2025 en France.",
        encoding="utf-8",
    )
    (corpus / "note.md").write_text("Le Health Data Hub héberge des données de santé.", encoding="utf-8")
    monkeypatch.setenv("DOCQA_CORPUS_DIR", str(corpus))
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield corpus
    get_settings.cache_clear()


def run(*args):
    return runner.invoke(app, list(args))


def test_ingest_docs_and_unchanged_reingest(env):
    first = run("ingest")
    assert first.exit_code == 0, first.output
    assert "etude" in first.output and "note" in first.output
    docs = json.loads(run("docs", "--json").output)
    assert {d["doc_id"] for d in docs["documents"]} == {"etude", "note"}
    assert docs["embedding_model"] and docs["chunks"] >= 2
    again = run("ingest")
    assert again.exit_code == 0 and "unchanged" in again.output


def test_ingest_repairs_uploads_and_a_rebuild_keeps_them(env):
    run("ingest")
    settings = get_settings()
    add_file("téléversé.txt", "La télésanté progresse.".encode(), Index(settings), settings)
    (uploads_dir(settings) / "orphelin.txt").write_text("jamais indexé", encoding="utf-8")
    repaired = run("ingest", "--rebuild")
    assert repaired.exit_code == 0 and "orphelin.txt: upload never completely indexed, removed" in repaired.output
    docs = json.loads(run("docs", "--json").output)
    assert {d["doc_id"] for d in docs["documents"]} == {"etude", "note", "téléversé"}


def test_ask_json_has_the_documented_keys_and_page(env):
    run("ingest")
    result = run("ask", "Combien d'emplois d'ici 2025 ?", "--json")
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert {"answer", "abstained", "citations", "timings"} <= set(answer)
    assert "5 000" in answer["answer"] and answer["abstained"] is False
    citation = answer["citations"][0]
    assert set(citation) == {"n", "doc_id", "title", "page", "section", "ocr", "quote", "score"}
    assert (citation["doc_id"], citation["page"]) == ("etude", 2)


def test_ask_readable_output_shows_sources(env):
    run("ingest")
    result = run("ask", "Combien d'emplois d'ici 2025 ?")
    assert result.exit_code == 0 and "[1]" in result.output and "p. 2" in result.output


def test_search_json_and_doc_filter(env):
    run("ingest")
    hits = json.loads(run("search", "données de santé", "--json", "-k", "2", "--doc", "note").output)["hits"]
    assert hits and {h["doc_id"] for h in hits} == {"note"}
    assert {"doc_id", "title", "page", "text", "score"} <= set(hits[0])


def test_bad_file_is_skipped_others_indexed(env):
    (env / "bad.pdf").write_bytes(b"\x00garbage, not a PDF")
    result = run("ingest")
    assert result.exit_code == 0
    assert "bad.pdf" in result.output and "corrupt PDF" in result.output
    assert {d["doc_id"] for d in json.loads(run("docs", "--json").output)["documents"]} == {"etude", "note"}


def test_nothing_indexable_exits_non_zero(env, tmp_path):
    bad = tmp_path / "only.pdf"
    bad.write_bytes(b"garbage")
    result = run("ingest", str(bad))
    assert result.exit_code == 1 and "only.pdf" in result.output


def test_reading_commands_do_not_create_a_missing_index(env, tmp_path, monkeypatch):
    missing = tmp_path / "no-such-data"
    monkeypatch.setenv("DOCQA_DATA_DIR", str(missing))
    get_settings.cache_clear()
    for args in (["ask", "Combien ?"], ["search", "emplois"], ["docs"], ["docs", "--json"]):
        result = run(*args)
        assert result.exit_code == 1 and f"no index under {missing}" in " ".join(result.output.split())
        assert "docqa ingest" in result.output
    assert not missing.exists()


def test_user_errors_are_clean_messages(env):
    empty_index = run("ask", "Combien ?")
    assert empty_index.exit_code == 1 and "docqa ingest" in empty_index.output
    assert "Traceback" not in empty_index.output
    run("ingest")
    not_utf8 = "Health \udcff\udcfe Data"  # the arguments' bytes that are not UTF-8, as Python reads them
    for args in (["ask", "  "], ["ask", "question", "--doc", "nope"], ["search", "x", "-k", "0"], ["ask", not_utf8]):
        result = run(*args)
        assert result.exit_code == 1 and result.output.startswith("Error:"), result.output
        assert "Traceback" not in result.output


def test_json_commands_print_their_errors_as_json(env):
    for args in (["ask", "Combien ?"], ["search", "emplois"], ["docs"]):
        result = run(*args, "--json")
        assert result.exit_code == 1 and "no index under" in json.loads(result.stdout)["error"], result.output
    run("ingest")
    for args, error in (
        (["ask", "  "], "the question is empty"),
        (["search", ""], "the query is empty"),
        (["ask", "question", "--doc", "nope"], "unknown document(s): nope"),
        (["search", "x", "-k", "0"], "k must be between 1 and 50, got 0"),
        (["ask", "question", "-k", "51"], "k must be between 1 and 50, got 51"),
    ):
        result = run(*args, "--json")
        assert result.exit_code == 1 and error in json.loads(result.stdout)["error"] and not result.stderr, args


def test_json_commands_print_usage_errors_as_json(env):
    """Errors click finds before the command runs: JSON with --json (exit 2, click's code), its text without."""
    for args, error in (
        (["search", "x", "-k", "abc"], "Invalid value for '-k'"),
        (["ask"], "Missing argument 'question'"),
        (["docs", "--bogus"], "No such option: --bogus"),
    ):
        result = run(*args, "--json")
        assert result.exit_code == 2 and error in json.loads(result.stdout)["error"] and not result.stderr, args
        plain = run(*args)
        assert plain.exit_code == 2 and "Error" in plain.stderr and not plain.stdout, args


def test_terminal_chat(env):
    run("ingest")
    question = "Combien d'emplois d'ici 2025 ?"
    lines = ["/help", "/doc nope", "/doc note", question, "/doc", question, "What is the Health Data Hub?"]
    lines += ["/new", "exit"]
    result = runner.invoke(app, ["chat"], input="\n".join(lines) + "\n")
    assert result.exit_code == 0, result.output
    output = result.output
    assert "/doc ID" in output and "unknown" not in output  # /help, in French until an English question
    assert "Erreur : document inconnu : nope (indexés : etude, note)" in output
    limited, everything = output.split("Questions sur tous les documents.")
    assert "Questions limitées à note." in limited and "[1] etude" not in limited
    assert "5 000" in everything and "[1] etude — p. 2" in everything
    assert "Answer" in everything and "New conversation." in everything  # labels follow the question's language
    assert "Répondu en " in everything and "Answered in " in everything
    assert (env.parent / "data" / "chat-history").exists()


def test_docs_never_cuts_ids_at_80_columns(env):
    long_id = "rapport-annuel-de-la-direction-generale-de-l-offre-de-soins-2024-version-finale"
    (env / f"{long_id}.txt").write_text("Un rapport au nom très long.", encoding="utf-8")
    run("ingest")
    result = runner.invoke(app, ["docs"], env={"COLUMNS": "80"})
    assert result.exit_code == 0 and long_id in result.output.splitlines(), result.output


def test_help_and_usage_errors_do_not_load_the_engine():
    heavy = ["docqa.qa", "docqa.store", "chromadb", "torch", "langchain_core", "streamlit"]
    script = (
        "import sys\nfrom typer.testing import CliRunner\nfrom app.cli import app\n"
        "for args in (['--help'], ['ask'], ['ask', ' '], ['search', 'x', '-k', '0'], ['chat', '--nope']):\n"
        "    assert CliRunner().invoke(app, args).exit_code in (0, 1, 2), args\n"
        f"print([m for m in {heavy!r} if m in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.strip() == "[]", result.stdout + result.stderr


def test_terminal_chat_asks_follow_ups_with_the_previous_question(env):
    run("ingest")
    result = runner.invoke(app, ["chat"], input="Combien d'emplois liés à l'IA d'ici 2025 ?\nEt en France ?\nexit\n")
    assert result.exit_code == 0, result.output
    first, follow_up = result.output.split("(Combien d'emplois liés à l'IA d'ici 2025 ? Et en France ?)")
    assert "5 000" in first and "5 000" in follow_up  # the follow-up is asked with the previous question


@pytest.mark.slow
def test_real_corpus_answers_and_abstains(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCQA_CORPUS_DIR", str(REPO / "corpus"))
    monkeypatch.setenv("DOCQA_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    assert run("ingest").exit_code == 0
    question = "Combien d'emplois directement liés à la programmation de solutions d'IA en santé d'ici 2025 ?"
    answer = json.loads(run("ask", question, "--json").output)
    assert "5 000" in answer["answer"].replace("\u202f", " ")
    assert answer["citations"][0]["doc_id"] == "aec-ia-industries-sante"
    unknown = json.loads(run("ask", "Quel est le prix moyen d'un appartement à Lyon en 2023 ?", "--json").output)
    assert unknown["abstained"] is True and unknown["citations"] == []
    expected = ["5 000", "9,7 M€", "inacceptable, haut risque, risque limité et risque minime", "PariSanté Campus"]
    qa = QA(get_settings())
    for example, fact in zip(EXAMPLES, expected, strict=True):  # the web chat's example buttons
        answer = qa.ask(example)
        assert fact in answer.answer.replace("\u202f", " ") and not answer.abstained, example
    get_settings.cache_clear()


def test_eval_writes_a_run_and_compares_configurations(env, tmp_path):
    dataset = tmp_path / "set.jsonl"
    rows = [
        {
            "id": "emplois",
            "question": "Combien d'emplois d'ici 2025 ?",
            "reference": "5 000.",
            "facts": ["5 000"],
            "sources": ["etude"],
            "answerable": True,
            "kind": "numeric",
            "evidence": "Environ 5 000 emplois",
        },
        {
            "id": "lyon",
            "question": "Quel est le prix d'un appartement à Lyon en 2023 ?",
            "reference": "",
            "facts": [],
            "sources": [],
            "answerable": False,
            "kind": "unanswerable",
            "evidence": "",
        },
    ]
    dataset.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    out = tmp_path / "run"
    result = run("eval", str(dataset), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert {p.name for p in out.iterdir()} == {"results.jsonl", "summary.json", "report.md", "plot.png"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["metrics"]["answer_fact_accuracy"] == 1.0 and summary["metrics"]["abstention_recall"] == 1.0
    compared = run("eval", str(dataset), "--out", str(tmp_path / "cmp"), "--compare", "default,bm25,naive")
    assert compared.exit_code == 0, compared.output
    assert (tmp_path / "cmp" / "comparison.md").exists() and (tmp_path / "cmp" / "naive" / "summary.json").exists()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}', encoding="utf-8")
    failed = run("eval", str(bad))
    assert failed.exit_code == 1 and "bad.jsonl:1: field" in " ".join(failed.output.split())  # lines may wrap


def test_web_hides_deploy_and_caps_uploads_at_the_ingest_limit():
    command = web_command("127.0.0.1", 8501, Settings(max_file_mb=12.5))
    assert command[1:4] == ["-m", "streamlit", "run"] and command[4].endswith("web.py")
    assert {"--client.toolbarMode=minimal", "--server.maxUploadSize=13", "--server.address=127.0.0.1"} <= set(command)


def test_serve_on_a_port_in_use_is_one_clear_error_before_the_engine_loads(env):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run("serve", "--port", str(port))
    assert result.exit_code != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.output and "Traceback" not in result.output


def test_text_that_looks_like_markup_is_printed_as_it_is(env):
    """Documents and arguments are not rich markup: "[v2]" is kept, "[/]" does not crash the command."""
    (env / "crochets.txt").write_text(
        "Le rapport [v2] note [/] que le budget du programme Zorglub est de 3 M€.", "utf-8"
    )
    run("ingest")
    for args in (
        ["search", "budget du programme Zorglub", "-k", "1"],
        ["ask", "Quel est le budget du programme Zorglub ?"],
    ):
        result = run(*args)
        assert result.exit_code == 0 and "[v2]" in result.output and "[/]" in result.output, result.output
    refused = run("ask", "budget", "--doc", "[/]")
    assert refused.exit_code == 1 and "unknown document(s): [/]" in " ".join(refused.output.split())
    chat = runner.invoke(app, ["chat"], input="/x[/]\n/doc [/]\nexit\n")
    assert chat.exit_code == 0 and "/x[/]" in chat.output and "document inconnu : [/]" in chat.output
