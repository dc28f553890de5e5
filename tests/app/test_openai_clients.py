"""The OpenAI-compatible API through the clients people use (the official `openai` package, LangChain's
`ChatOpenAI`) against a real `docqa serve` process on loopback, with and without an API key."""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import openai
import pytest
from langchain_openai import ChatOpenAI

from docqa.settings import Settings
from docqa.store import Index
from eval.servers import free_port, wait_for_port
from ingest.pipeline import ingest
from tests.corpora import small_corpus

pytestmark = [pytest.mark.server, pytest.mark.slow]
REPO = Path(__file__).resolve().parents[2]
JOBS = "Combien d'emplois liés à l'IA d'ici 2025 ?"


@contextmanager
def docqa_serve(data_dir: Path, **env: str) -> Iterator[str]:
    """A `docqa serve` process over `data_dir` on a free port; yields its /v1 base URL."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env={**os.environ, "DOCQA_DATA_DIR": str(data_dir), **env},
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, 60)
        httpx.get(f"http://127.0.0.1:{port}/health", timeout=60).raise_for_status()  # the engine is loaded
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("openai")
    settings = Settings(data_dir=root / "data")
    assert ingest([small_corpus(root / "corpus", note=True)], Index(settings), settings).ok
    return settings.data_dir


@pytest.fixture(scope="module")
def base_url(data_dir) -> Iterator[str]:
    with docqa_serve(data_dir) as url:
        yield url


@pytest.fixture
def client(base_url) -> openai.OpenAI:
    return openai.OpenAI(base_url=base_url, api_key="unused", max_retries=0)


def test_plain_completion_with_usage_and_citations(client):
    reply = client.chat.completions.create(model="docqa", messages=[{"role": "user", "content": JOBS}])
    assert "5 000" in reply.choices[0].message.content and reply.choices[0].finish_reason == "stop"
    assert reply.usage.prompt_tokens == 10 and reply.usage.completion_tokens > 5
    assert reply.model_extra["citations"][0]["doc_id"] == "etude"


def test_streamed_completion_is_chunks_then_done(client):
    stream = client.chat.completions.create(
        model="docqa",
        messages=[{"role": "user", "content": JOBS}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert len(chunks) > 5 and all(c.object == "chat.completion.chunk" for c in chunks)
    assert "5 000" in text and "Sources :" in text
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage.completion_tokens > 5


def test_models_are_listed(client):
    assert [m.id for m in client.models.list()] == ["docqa"]
    assert client.models.retrieve("docqa").owned_by == "docqa"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("gpt-4o")


def test_content_parts_long_system_prompt_and_follow_ups(client):
    messages = [
        {"role": "system", "content": "Réponds en citant tes sources. " * 400},
        {"role": "user", "content": [{"type": "text", "text": JOBS}]},
    ]
    first = client.chat.completions.create(model="docqa", messages=messages)
    assert "5 000" in first.choices[0].message.content
    messages += [first.choices[0].message.model_dump(exclude_none=True), {"role": "user", "content": "Et en France ?"}]
    follow_up = client.chat.completions.create(model="docqa", messages=messages)
    assert "5 000" in follow_up.choices[0].message.content  # asked together with the previous question


def test_unknown_role_is_a_clear_error(client):
    with pytest.raises(openai.UnprocessableEntityError, match="messages.0.role: Input should be 'system'"):
        client.chat.completions.create(model="docqa", messages=[{"role": "wizard", "content": JOBS}])


def test_several_choices_are_refused_not_ignored(client):
    with pytest.raises(openai.UnprocessableEntityError, match="n: Input should be less than or equal to 1"):
        client.chat.completions.create(model="docqa", messages=[{"role": "user", "content": JOBS}], n=2)


def test_langchain_chat_openai_streams(base_url):
    model = ChatOpenAI(base_url=base_url, api_key="unused", model="docqa", streaming=True, max_retries=0)
    assert "5 000" in model.invoke(JOBS).content
    assert "5 000" in "".join(chunk.content for chunk in model.stream(JOBS))


def test_api_key_is_required_when_set(data_dir):
    with docqa_serve(data_dir, DOCQA_API_KEY="s3cret") as url:
        good = openai.OpenAI(base_url=url, api_key="s3cret", max_retries=0)
        assert (
            "5 000"
            in good.chat.completions.create(model="docqa", messages=[{"role": "user", "content": JOBS}])
            .choices[0]
            .message.content
        )
        assert [m.id for m in good.models.list()] == ["docqa"]
        wrong = openai.OpenAI(base_url=url, api_key="wrong", max_retries=0)
        with pytest.raises(openai.AuthenticationError):
            wrong.models.list()
        with pytest.raises(openai.AuthenticationError):
            wrong.chat.completions.create(model="docqa", messages=[{"role": "user", "content": JOBS}], stream=True)
