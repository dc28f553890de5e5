"""The MCP server through the official MCP client: in-process, and over stdio as a host launches it."""

import json
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError

from app.mcp_server import argument_problem, build_server
from docqa.qa import QA
from docqa.settings import Settings
from ingest.pipeline import ingest
from tests.corpora import small_corpus

REPO = Path(__file__).resolve().parents[2]
JOBS = "Combien d'emplois d'ici 2025 ?"


@pytest.fixture(scope="module")
def qa(tmp_path_factory):
    root = tmp_path_factory.mktemp("mcp")
    settings = Settings(data_dir=root / "data")
    engine = QA(settings)
    assert ingest([small_corpus(root / "corpus")], engine.index, settings).ok
    return engine


def payload(result):
    data = result.structured_content or json.loads(result.content[0].text)
    return data.get("result", data)


async def test_mcp_lists_tools_and_answers(qa):
    async with Client(build_server(lambda: qa)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        answer = await client.call_tool("ask", {"question": JOBS})
        searched = await client.call_tool("search", {"query": "emplois", "k": 1})
        resources = await client.list_resources()
        listing = await client.read_resource("docqa://documents")
    assert {"search", "ask"} <= set(tools)
    k = tools["search"].input_schema["properties"]["k"]
    assert (k["minimum"], k["maximum"]) == (1, 50)
    assert "5 000" in payload(answer)["answer"] and payload(answer)["citations"][0]["doc_id"] == "etude"
    assert searched.structured_content == {"hits": [h.model_dump() for h in qa.search("emplois", k=1)]}  # as /search
    assert any(str(r.uri) == "docqa://documents" and r.mime_type == "application/json" for r in resources.resources)
    assert listing.contents[0].mime_type == "application/json"
    assert json.loads(listing.contents[0].text)[0]["doc_id"] == "etude"


@pytest.mark.parametrize(
    "tool, arguments, reason",
    [
        ("ask", {"question": "   "}, "the question is empty"),
        ("search", {"query": "emplois", "k": 500}, "less than or equal to 50"),
        ("search", {"query": "x" * 3000}, "the query is too long"),
        # bad arguments: one line naming each argument, not pydantic's report
        ("search", {"query": "emplois", "k": "3"}, "invalid arguments: k: Input should be a valid integer, got '3'"),
        ("ask", {"question": JOBS, "k": True}, "invalid arguments: k: Input should be a valid integer, got True"),
        ("ask", {"k": 3}, "invalid arguments: question is required"),
        ("search", {"query": None, "k": 0}, "query: Input should be a valid string, got None; k: Input should be"),
    ],
)
async def test_tool_errors_reach_the_client_with_their_reason(qa, tool, arguments, reason):
    async with Client(build_server(lambda: qa)) as client:
        result = await client.call_tool(tool, arguments)
    text = result.content[0].text
    assert result.is_error and reason in text and "\n" not in text and "pydantic" not in text, text


@pytest.mark.server
async def test_a_host_launches_it_from_another_folder_over_stdio(qa, tmp_path):
    def launched(data_dir: Path) -> StdioServerParameters:
        env = {"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
        args = ["-m", "app.cli", "mcp", "--data-dir", str(data_dir)]
        return StdioServerParameters(command=sys.executable, args=args, env=env, cwd=tmp_path)

    async with Client(launched(qa.settings.data_dir.resolve())) as client:
        answer = await client.call_tool("ask", {"question": JOBS})
    assert "5 000" in payload(answer)["answer"]
    assert not (tmp_path / "data").exists()  # nothing created in the host's working directory
    empty = tmp_path / "vide"
    empty.mkdir()
    async with Client(launched(empty)) as client:
        result = await client.call_tool("search", {"query": "emplois"})
    assert result.is_error and "is empty" in result.content[0].text and str(empty) in result.content[0].text
    missing = tmp_path / "no-such-data"  # a mistyped folder: said so, and not created
    async with Client(launched(missing)) as client:
        result = await client.call_tool("ask", {"question": JOBS})
        with pytest.raises(MCPError, match="no index under"):
            await client.read_resource("docqa://documents")
    assert result.is_error and f"no index under {missing}" in result.content[0].text
    assert not missing.exists()


async def test_ask_declares_its_output_schema_and_returns_structured_content(qa):
    async with Client(build_server(lambda: qa)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        result = await client.call_tool("ask", {"question": JOBS})
    schema = tools["ask"].output_schema
    assert {"answer", "abstained", "citations"} <= set(schema["properties"]) and "answer" in schema["required"]
    assert result.structured_content == qa.ask(JOBS).public() | {"timings": result.structured_content["timings"]}
    assert json.loads(result.content[0].text)["citations"][0]["doc_id"] == "etude"


def test_an_argument_too_long_to_show_is_named_by_its_type():
    error = {
        "type": "less_than_equal",
        "loc": ("k",),
        "msg": "Input should be less than or equal to 50",
        "input": 10**5000,
    }
    assert argument_problem(error) == "k: Input should be less than or equal to 50, got an int too long to show"
