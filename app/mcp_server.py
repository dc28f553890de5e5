"""MCP server (stdio) exposing docqa's `search` and `ask` tools and the indexed documents as resources.
Run with `docqa mcp`; MCP clients (IDEs, agents) start it as a subprocess."""

import json
from collections.abc import Callable

from mcp.server.mcpserver import MCPServer

from docqa.qa import QA
from docqa.settings import get_settings


def build_server(qa_factory: Callable[[], QA] | None = None) -> MCPServer:
    """The MCP server over one engine (built on first use)."""
    server = MCPServer("docqa", instructions="Cited answers about French reports on AI in health.")
    engine: dict[str, QA] = {}

    def qa() -> QA:
        if "qa" not in engine:
            engine["qa"] = (qa_factory or (lambda: QA(get_settings())))()
        return engine["qa"]

    @server.tool()
    def search(query: str, k: int = 5) -> list[dict]:
        """The passages of the reports most relevant to a query (doc_id, title, page, text, score)."""
        return [h.model_dump(include={"doc_id", "title", "page", "text", "score"}) for h in qa().search(query, k=k)]

    @server.tool()
    def ask(question: str, k: int = 5) -> dict:
        """A short answer quoted from the reports, each sentence cited ([n] -> document, page, quote); says so
        when the reports do not answer."""
        return qa().ask(question, k=k).public()

    @server.resource("docqa://documents")
    def documents() -> str:
        """The indexed documents (JSON)."""
        return json.dumps([d.model_dump(exclude={"content_hash"}) for d in qa().index.documents()], ensure_ascii=False)

    return server


def main() -> None:
    build_server().run()  # stdio


if __name__ == "__main__":
    main()
