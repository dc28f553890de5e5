"""Issue 12's attacks on a real `docqa serve` process (with and without DOCQA_API_KEY): uploads that would
replace other documents, cross-site requests, PDF CPU bombs, bodies sent before auth or over their limit,
hostile headers and names, malformed requests, and what a killed upload leaves."""

import json
import os
import signal
import socket
import stat
import threading
import time

import httpx
import pytest

from docqa.settings import Settings
from docqa.store import Index
from ingest.pipeline import ingest
from tests.faults.test_faults import assert_consistent, write_corpus
from tests.faults.test_server import QUESTION, asking_meanwhile, serving
from tests.pdfs import make_operator_bomb

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture
def data(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    ingest([write_corpus(tmp_path / "corpus", documents=1, sentences=20)], Index(settings), settings)
    return settings.data_dir


def raw(base: str, request: bytes, timeout: float = 10) -> tuple[int, dict]:
    """Send `request` as is on a new connection; the status and JSON body of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as connection:
        connection.sendall(request)
        received = b""
        while b"\r\n\r\n" not in received:
            received += connection.recv(65536)
        head, body = received.split(b"\r\n\r\n", 1)
        length = int(next(line for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))[15:])
        while len(body) < length:
            body += connection.recv(65536)
    return int(head.split()[1]), json.loads(body)


def chunks(client: httpx.Client) -> dict[str, int]:
    return {d["doc_id"]: d["chunks"] for d in client.get("/documents").json()}


def test_uploads_never_replace_what_they_did_not_create_and_cross_site_requests_are_refused(data):
    with serving(data) as (base, _, _), httpx.Client(base_url=base, timeout=120) as client:
        before = chunks(client)
        corpus = client.post("/documents", files={"file": ("doc0.txt", b"Rien.")})
        assert corpus.status_code == 409 and "docqa ingest" in corpus.json()["error"]
        assert client.post("/documents", files={"file": ("x.txt", "Première version.".encode())}).status_code == 201
        again = client.post("/documents", files={"file": ("x.md", "Deuxième version.".encode())})
        assert again.status_code == 409 and "replace=true" in again.json()["error"]
        replaced = client.post("/documents?replace=true", files={"file": ("x.md", "Deuxième version.".encode())})
        assert replaced.status_code == 201 and replaced.json()["source"].endswith("x.md")
        assert sorted(p.name for p in (data / "uploads").iterdir()) == ["x.md"]
        assert chunks(client)["doc0"] == before["doc0"]
        # a web page the user visits (a cross-site form) or a DNS-rebound name: refused, nothing read
        evil = client.post("/documents", files={"file": ("y.txt", b"y")}, headers={"Origin": "http://evil.example"})
        assert evil.status_code == 403 and "cross-site request refused" in evil.json()["error"]
        rebound = client.get("/documents", headers={"Host": "evil.example"})
        assert rebound.status_code == 403 and "only a loopback address" in rebound.json()["error"]
        assert client.get("/documents", headers={"Origin": base}).status_code == 200  # its own page
        assert not (data / "uploads" / "y.txt").exists()
        # data folder 0700, uploads 0600
        assert stat.S_IMODE((data / "uploads" / "x.md").stat().st_mode) == 0o600
        assert stat.S_IMODE((data / "uploads").stat().st_mode) == 0o700


def test_pdf_cpu_bombs_are_refused_in_seconds_while_the_server_answers(data, tmp_path):
    bomb = make_operator_bomb(tmp_path / "cpu.pdf", 600_000).read_bytes()  # ~6 KB
    slow = make_operator_bomb(tmp_path / "slow.pdf", 19_000, pages=60).read_bytes()  # within the operator bounds
    with (
        serving(data, DOCQA_PDF_SECONDS="3") as (base, _, _),
        asking_meanwhile(base) as failures,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        for name, content, reason in (
            ("cpu.pdf", bomb, "page 1 has 600000 text operators (more than 20000): a PDF bomb?"),
            ("slow.pdf", slow, "reading it took more than 3 s (DOCQA_PDF_SECONDS): a PDF bomb?"),
        ):
            started = time.monotonic()
            response = client.post("/documents", files={"file": (name, content)})
            assert response.status_code == 422 and response.json()["error"] == f"{name}: {reason}"
            assert time.monotonic() - started < 20  # minutes before
        assert set(chunks(client)) == {"doc0"}
    assert not failures


def test_auth_and_size_are_checked_before_the_body_is_read(data):
    huge = 200 * 2**20
    with serving(data, DOCQA_API_KEY="s3cret", DOCQA_MAX_FILE_MB="1") as (base, _, _):
        # a 200 MB body announced, 10 bytes sent: answered at once, the body never read
        for path, headers, status in (
            ("/ask", b"", 401),
            ("/ask", b"Authorization: Bearer s3cret\r\n", 413),
            ("/documents", b"Authorization: Bearer s3cret\r\n", 413),
            ("/ask", "Authorization: Bearer été\r\n".encode(), 401),  # non-ASCII bytes
            ("/ask", b"Authorization: Bearer \xff\xfe\r\n", 401),
        ):
            request = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {huge}\r\n".encode()
            code, body = raw(base, request + headers + b"Content-Type: application/json\r\n\r\n" + b"0123456789")
            assert (code, set(body)) == (status, {"error"}), (path, headers, body)
        with httpx.Client(base_url=base, headers={"Authorization": "Bearer s3cret"}, timeout=60) as client:
            big = client.post("/documents", files={"file": ("gros.txt", b"a " * 2**20)})  # 2 MB over 1 MB
            assert big.status_code == 413
            chunked = client.post("/ask", content=iter([b'{"question": "', b"a" * 2**20, b'"}']))  # no length
            assert chunked.status_code == 413 and "request body too large" in chunked.json()["error"]
            assert client.post("/ask", json={"question": QUESTION}).status_code == 200
            schema = client.get("/openapi.json").json()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert schema["paths"]["/ask"]["post"]["security"] and "security" not in schema["paths"]["/health"]["get"]
    with serving(data) as (base, _, _):
        assert "securitySchemes" not in httpx.get(f"{base}/openapi.json").json().get("components", {})


def test_every_error_is_json_error_and_long_names_are_shortened(data):
    with serving(data) as (base, _, _), httpx.Client(base_url=base, timeout=60) as client:
        multipart = {"Content-Type": "multipart/form-data; boundary=zz"}
        json_ = {"Content-Type": "application/json"}
        for response, status in (
            (client.get("/nope"), 404),
            (client.delete("/health"), 405),
            (client.post("/documents", content=b"--zz\r\nnot a part", headers=multipart), 400),
            (client.post("/documents", content=b"garbage", headers={"Content-Type": "multipart/form-data"}), 400),
            (client.post("/ask", content=b"[" * 100_000, headers=json_), 400),  # deep nesting
            (client.post("/ask", content=b'{"question": "\xff\xfe"}', headers=json_), 400),  # invalid UTF-8
            (client.post("/ask", content=b"{", headers=json_), 422),
        ):
            assert (response.status_code, list(response.json())) == (status, ["error"]), response.text
        assert client.delete("/health").headers["allow"] == "GET"
        name = "rapport " + "é" * 250 + ".txt"  # 508 bytes
        added = client.post("/documents", files={"file": (name, "Le Health Data Hub héberge.".encode())})
        assert added.status_code == 201, added.text
        [stored] = (data / "uploads").iterdir()
        assert stored.suffix == ".txt" and len(stored.name.encode()) <= 120
        assert client.delete(f"/documents/{added.json()['doc_id']}").status_code == 200
        assert not list((data / "uploads").iterdir())  # the file goes with its document
        assert client.get("/documents").status_code == 200


def test_a_server_killed_during_an_upload_leaves_nothing_half_done(data):
    long_text = " ".join(f"La phrase numéro {i} parle de télésanté et de données." for i in range(6000)).encode()
    with serving(data) as (base, _, process), httpx.Client(base_url=base, timeout=120) as client:
        assert client.post("/documents", files={"file": ("v.txt", b"Version un du document v.")}).status_code == 201
        first = chunks(client)["v"]

        def replace() -> None:
            with pytest.raises(httpx.TransportError):  # the server dies under it
                client.post("/documents?replace=true", files={"file": ("v.txt", long_text)})

        uploader = threading.Thread(target=replace)
        uploader.start()
        deadline = time.monotonic() + 30
        while not (data / "uploads" / ".v.txt.previous").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1)  # embedding the new version
        os.kill(process.pid, signal.SIGKILL)
        uploader.join(timeout=30)
    assert (data / "uploads" / ".v.txt.previous").exists()  # what the kill left
    (data / "uploads" / "orphan.txt").write_text("jamais indexé", encoding="utf-8")  # as a kill before indexing
    with serving(data) as (base, _, _), httpx.Client(base_url=base, timeout=60) as client:
        assert chunks(client) == {"doc0": chunks(client)["doc0"], "v": first}
        assert sorted(p.name for p in (data / "uploads").iterdir()) == ["v.txt"]
        assert (data / "uploads" / "v.txt").read_text(encoding="utf-8") == "Version un du document v."
    assert_consistent(Index(Settings(data_dir=data)))
