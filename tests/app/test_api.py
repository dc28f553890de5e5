"""The HTTP API with FastAPI's TestClient over a real index of a small corpus."""

import json
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from app.api import create_app
from app.guard import Guard, Refused
from docqa.errors import DocumentExistsError
from docqa.qa import QA
from docqa.settings import Settings, get_settings
from ingest.pipeline import ingest
from ingest.uploads import safe_name
from tests.corpora import small_corpus
from tests.office import make_docx, make_pptx
from tests.pdfs import make_pdf

JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    root = tmp_path_factory.mktemp("api")
    corpus = small_corpus(root / "corpus", note=True)
    settings = Settings(data_dir=root / "data")
    engine = QA(settings)
    assert ingest([corpus], engine.index, settings).ok
    return engine


def client(qa, monkeypatch, api_key=None):
    if api_key:
        monkeypatch.setenv("DOCQA_API_KEY", api_key)
    get_settings.cache_clear()
    app = create_app(lambda: qa)
    get_settings.cache_clear()
    return TestClient(app)


def test_health_search_ask_documents(qa, monkeypatch):
    api = client(qa, monkeypatch)
    assert api.get("/health").json()["status"] == "ok"
    hits = api.post("/search", json={"query": "Health Data Hub", "k": 2}).json()["hits"]
    assert hits[0]["doc_id"] == "note" and {"title", "page", "text", "score"} <= set(hits[0])
    answer = api.post("/ask", json={"question": "Combien d'emplois d'ici 2025 ?"}).json()
    assert "5 000" in answer["answer"] and answer["citations"][0]["page"] == 2
    listed = api.get("/documents").json()
    assert {d["doc_id"] for d in listed} >= {"etude", "note"}
    assert all("/" not in d["source"] for d in listed)  # a file's name, not the server's path
    assert "/ask" in api.get("/openapi.json").json()["paths"]


def test_ask_streams_server_sent_events(qa, monkeypatch):
    api = client(qa, monkeypatch)
    with api.stream("POST", "/ask", json={"question": "Combien d'emplois d'ici 2025 ?", "stream": True}) as r:
        body = "".join(r.iter_text())
    assert r.headers["content-type"].startswith("text/event-stream")
    events = [block for block in body.split("\n\n") if block]
    assert events[0].startswith("event: token") and events[-1].startswith("event: answer")
    final = json.loads(events[-1].split("data: ", 1)[1])
    assert "5 000" in final["answer"] and final["citations"]
    assert set(final["timings"]) == {"retrieve_ms", "answer_ms", "total_ms"}  # as the whole answer's


def test_openai_compatible_chat(qa, monkeypatch):
    api = client(qa, monkeypatch)
    reply = api.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "Emplois d'ici 2025 ?"}]})
    body = reply.json()
    assert body["object"] == "chat.completion" and "5 000" in body["choices"][0]["message"]["content"]
    assert body["citations"][0]["doc_id"] == "etude"


def test_chat_accepts_what_openai_clients_send(qa, monkeypatch):
    api = client(qa, monkeypatch)
    messages = [
        {"role": "system", "content": "Tu es un assistant. " * 500},  # a long system prompt is not the question
        {"role": "user", "content": [{"type": "text", "text": "Combien d'emplois liés à l'IA d'ici 2025 ?"}]},
        {"role": "assistant", "content": None, "tool_calls": [{"id": "c", "type": "function"}]},
        {"role": "tool", "content": "{}", "tool_call_id": "c"},
        *[{"role": "user", "content": "Bonjour"}, {"role": "assistant", "content": "Bonjour !"}] * 100,
        {"role": "user", "content": "Et en France ?"},
    ]
    body = api.post("/v1/chat/completions", json={"model": "docqa", "messages": messages}).json()
    assert "5 000" in body["choices"][0]["message"]["content"], body
    assert body["usage"]["prompt_tokens"] > 1000 and body["usage"]["completion_tokens"] > 5


@pytest.mark.parametrize(
    "message, error",
    [
        ({"role": "wizard", "content": "Bonjour"}, "messages.0.role"),
        (
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]},
            "content.0: only text content",
        ),
        ({"role": "user", "content": "x" * 3000}, "the question is too long"),
        ({"role": "assistant", "content": "Bonjour"}, "no user question"),
        ({"role": "user", "content": "\ud800 Health"}, "not valid text"),  # a lone surrogate
        ({"role": "user", "content": [{"type": "text", "text": "Health \udc00"}]}, "not valid text"),
    ],
)
def test_chat_refuses_what_it_cannot_answer_clearly(qa, monkeypatch, message, error):
    body = json.dumps({"messages": [message]})  # as a client sends it: a lone surrogate escaped
    reply = client(qa, monkeypatch).post("/v1/chat/completions", content=body, headers=JSON)
    assert reply.status_code in (400, 422) and error in reply.json()["error"]["message"], reply.text


def test_ask_with_history_asks_the_follow_up_with_the_previous_question(qa, monkeypatch):
    api = client(qa, monkeypatch)
    history = [
        {"role": "user", "content": "Combien d'emplois liés à l'IA d'ici 2025 ?"},
        {"role": "assistant", "content": "Environ 5 000 emplois [1]."},
    ]
    answer = api.post("/ask", json={"question": "Et en France ?", "history": history}).json()
    assert answer["question"].endswith("Et en France ?") and "5 000" in answer["answer"]
    assert api.get("/v1/models").json()["data"][0]["id"] == "docqa"
    assert api.get("/v1/models/gpt-4").status_code == 404
    for path in ("/v1", "/v1/", "/v1/nope"):  # OpenAI's error shape under /v1, the bare prefix included
        assert api.get(path).json() == {"error": {"message": "Not Found", "type": "invalid_request_error"}}, path


@pytest.mark.parametrize(
    "payload, status",
    [
        ({"question": ""}, 422),
        ({"question": "x" * 5000}, 422),
        ({"question": "emplois", "k": 0}, 422),
        ({"question": "emplois", "docs": ["nope"]}, 404),
        ({}, 422),
        ({"question": "et en 2030 ?", "history": [{"role": "user", "content": "Combien \udc00 emplois"}]}, 400),
        (
            {"question": "  ", "history": [{"role": "user", "content": "Combien d'emplois ?"}]},
            400,
        ),  # not the one before
        ({"question": 3}, 422),
        ("question=x", 422),  # not a JSON object
    ],
)
def test_bad_requests_are_clear_4xx(qa, monkeypatch, payload, status):
    reply = client(qa, monkeypatch).post("/ask", content=json.dumps(payload), headers=JSON)
    assert reply.status_code == status and reply.json()["error"], reply.text
    assert "Traceback" not in reply.text


@pytest.mark.parametrize("route, field", [("/ask", "question"), ("/search", "query")])
@pytest.mark.parametrize("k", ["3", True])
def test_k_is_a_strict_integer(qa, monkeypatch, route, field, k):  # not what pydantic's lax mode takes for one
    reply = client(qa, monkeypatch).post(route, json={field: "emplois", "k": k})
    assert (reply.status_code, reply.json()) == (422, {"error": "invalid request: k: Input should be a valid integer"})


def test_a_trailing_slash_is_served_as_the_path_without_it(qa, monkeypatch):
    api = client(qa, monkeypatch, api_key="s3cret")  # the guard sees the path without it too
    key = {"Authorization": "Bearer s3cret"}
    assert api.get("/health/", follow_redirects=False).status_code == 200  # public
    asked = api.post("/ask/", json={"question": "Combien d'emplois d'ici 2025 ?"}, headers=key, follow_redirects=False)
    assert asked.status_code == 200 and "5 000" in asked.json()["answer"]
    listed = api.get("/documents/", headers=key, follow_redirects=False)
    assert listed.status_code == 200 and listed.json() == api.get("/documents", headers=key).json()
    chat = {"messages": [{"role": "user", "content": "Emplois d'ici 2025 ?"}]}
    completion = api.post("/v1/chat/completions/", json=chat, headers=key, follow_redirects=False)
    assert completion.status_code == 200 and "5 000" in completion.json()["choices"][0]["message"]["content"]
    invalid = api.post("/search/", json={"query": ""}, headers=key, follow_redirects=False)
    assert invalid.status_code == 422 and invalid.json()["error"].startswith("invalid request: query:")
    assert api.post("/ask/", json={"question": "Emplois ?"}, follow_redirects=False).status_code == 401  # no key
    for path in ("/static-offline-docs", "/static-offline-docs/"):  # a mount's redirect to its slash: no loop
        assert api.get(path, headers=key).json() == {"error": "Not Found"}


@pytest.mark.parametrize(
    "headers", [{"host": b"[bad"}, {"host": b"127.0.0.1:8000", "origin": b"http://[bad"}], ids=["host", "origin"]
)
def test_a_malformed_host_or_origin_is_a_clear_400(headers):
    guard = Guard(lambda *_: None, Settings(), host="127.0.0.1")
    with pytest.raises(Refused) as refused:
        guard.check_caller("/ask", headers)
    assert refused.value.status == 400 and "malformed" in refused.value.message


def test_api_key_required_everywhere_but_health(qa, monkeypatch):
    api = client(qa, monkeypatch, api_key="s3cret")
    assert api.get("/health").status_code == 200
    assert api.post("/search", json={"query": "santé"}).status_code == 401
    assert api.get("/documents", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert api.get("/documents", headers={"Authorization": "Bearer s3cret"}).status_code == 200
    docs = api.get("/docs").text  # the docs pages work offline: their scripts are served here, key or not
    script = re.search(r'src="(/static-offline-docs/[^"]+\.js)"', docs).group(1)
    assert "cdn." not in docs and api.get(script).status_code == 200
    assert api.get("/static-offline-docs/%2e%2e/%2e%2e/app/api.py").status_code == 404  # nothing else served


def test_upload_good_corrupt_unsupported_and_delete(qa, monkeypatch, tmp_path):
    api = client(qa, monkeypatch)
    pdf = make_pdf(tmp_path / "rapport.pdf", ["Le budget du Health Data Hub était de 9,7 M€ en 2020."])
    added = api.post("/documents", files={"file": ("../../rapport.pdf", pdf.read_bytes(), "application/pdf")})
    assert added.status_code == 201 and added.json()["doc_id"] == "rapport"
    assert (qa.settings.data_dir / "uploads" / "rapport.pdf").exists()
    corrupt = api.post("/documents", files={"file": ("casse.pdf", b"not a pdf", "application/pdf")})
    assert corrupt.status_code == 422 and "corrupt PDF" in corrupt.json()["error"]
    assert not (qa.settings.data_dir / "uploads" / "casse.pdf").exists()
    unsupported = api.post("/documents", files={"file": ("x.xlsx", b"PK", "application/octet-stream")})
    assert unsupported.status_code == 415
    # the same name again: 409 unless replace=true; a bad replacement is refused, the indexed file and document kept
    again = api.post("/documents", files={"file": ("rapport.txt", b"Autre texte.", "text/plain")})
    assert again.status_code == 409 and "replace=true" in again.json()["error"]
    replaced = api.post("/documents?replace=true", files={"file": ("rapport.pdf", b"not a pdf", "application/pdf")})
    assert replaced.status_code == 422
    assert (qa.settings.data_dir / "uploads" / "rapport.pdf").read_bytes() == pdf.read_bytes()
    assert sorted(p.name for p in (qa.settings.data_dir / "uploads").iterdir()) == ["rapport.pdf"]
    assert api.delete("/documents/rapport").json()["removed_chunks"] >= 1
    assert api.delete("/documents/rapport").status_code == 404
    assert not (qa.settings.data_dir / "uploads" / "rapport.pdf").exists()  # the file goes with its document
    corpus = api.delete("/documents/etude")
    assert corpus.status_code == 409 and "changed only by `docqa ingest`" in corpus.json()["error"]
    assert "etude" in {d["doc_id"] for d in api.get("/documents").json()}


def test_uploads_waiting_behind_a_long_one_leave_the_questions_answered(qa, monkeypatch):
    release = threading.Event()

    def long_upload(filename, *_, **__):  # an upload indexing a long file, until released
        release.wait(60)
        raise DocumentExistsError(f"{filename}: refused after the wait")

    monkeypatch.setattr("app.api.add_file", long_upload)
    with client(qa, monkeypatch) as api, ThreadPoolExecutor(48) as pool:
        # more uploads than the threads of the pool that answers questions (40)
        uploads = [pool.submit(api.post, "/documents", files={"file": (f"f{n}.txt", b"x")}) for n in range(45)]
        time.sleep(1)
        assert api.get("/health").status_code == 200
        assert api.post("/ask", json={"question": "Combien d'emplois d'ici 2025 ?"}).status_code == 200
        release.set()
        assert [u.result(timeout=60).status_code for u in uploads] == [409] * 45


def test_safe_names():
    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\x.pdf") == "x.pdf"
    assert safe_name("rapport final été.pdf") == "rapport final été.pdf"
    assert safe_name("...") == "document"
    long = safe_name("é" * 200 + ".pdf")  # 404 bytes: shortened, the suffix kept
    assert long.endswith(".pdf") and len(long.encode()) <= 120 and long.startswith("éé")


def test_search_with_history_searches_the_follow_up_with_the_previous_question(qa, monkeypatch):
    api = client(qa, monkeypatch)
    history = [{"role": "user", "content": "Combien d'emplois liés à l'IA d'ici 2025 ?"}]
    followed = api.post("/search", json={"query": "Et en France ?", "k": 1, "history": history}).json()
    merged = {"query": "Combien d'emplois liés à l'IA d'ici 2025 ? Et en France ?", "k": 1}
    assert followed == api.post("/search", json=merged).json() and "5 000" in followed["hits"][0]["text"]


def test_upload_word_and_powerpoint_files_with_their_titles(qa, monkeypatch, tmp_path):
    api = client(qa, monkeypatch)
    word = make_docx(tmp_path / "memo.docx", [("h1", "Télémédecine"), ("p", "La téléconsultation progresse.")])
    added = api.post("/documents", files={"file": ("memo.docx", word.read_bytes(), "application/octet-stream")})
    assert added.status_code == 201 and added.json()["title"] == "Télémédecine"  # its first heading
    deck = make_pptx(tmp_path / "deck.pptx", [{"title": "Feuille de route", "notes": "Trois axes."}], title="Plan 2030")
    added = api.post("/documents", files={"file": ("deck.pptx", deck.read_bytes(), "application/octet-stream")})
    assert added.status_code == 201 and added.json()["title"] == "Plan 2030"  # its core properties
    corrupt = api.post("/documents", files={"file": ("casse.pptx", b"PK\x03\x04", "application/octet-stream")})
    assert corrupt.status_code == 422 and "corrupt PowerPoint file" in corrupt.json()["error"]
    corpus = api.post("/documents", files={"file": ("note.docx", word.read_bytes(), "application/octet-stream")})
    assert corpus.status_code == 409 and "corpus document 'note'" in corpus.json()["error"]  # note.txt's name
    for doc_id in ("memo", "deck"):
        assert api.delete(f"/documents/{doc_id}").status_code == 200
    assert not list((qa.settings.data_dir / "uploads").glob("*.*x"))  # their files go with them


@pytest.mark.parametrize("key", ["s3cret-clé", " s3cret", "s3\ncret", ""])
def test_an_api_key_http_clients_cannot_send_is_refused_at_start_without_being_shown(key):
    with pytest.raises(ValueError, match="api_key") as error:
        Settings(api_key=key)
    assert "s3" not in str(error.value)
