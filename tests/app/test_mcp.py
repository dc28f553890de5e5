"""The MCP server through an in-process MCP client session."""

import asyncio
import json

from mcp import Client

from app.mcp_server import build_server
from docqa.qa import QA
from docqa.settings import Settings
from ingest.pipeline import ingest
from tests.corpora import small_corpus


def test_mcp_lists_tools_and_answers(tmp_path):
    corpus = small_corpus(tmp_path / "corpus")
    settings = Settings(data_dir=tmp_path / "data")
    qa = QA(settings)
    ingest([corpus], qa.index, settings)

    async def session():
        async with Client(build_server(lambda: qa)) as client:
            tools = {t.name for t in (await client.list_tools()).tools}
            answer = await client.call_tool("ask", {"question": "Combien d'emplois d'ici 2025 ?"})
            resources = await client.list_resources()
            listing = await client.read_resource("docqa://documents")
            return tools, answer, resources, listing

    tools, answer, resources, listing = asyncio.run(session())
    assert {"search", "ask"} <= tools
    payload = answer.structured_content or json.loads(answer.content[0].text)
    payload = payload.get("result", payload)
    assert "5 000" in payload["answer"] and payload["citations"][0]["doc_id"] == "etude"
    assert any(str(r.uri) == "docqa://documents" for r in resources.resources)
    assert json.loads(listing.contents[0].text)[0]["doc_id"] == "etude"
