"""MCP server (stdio) exposing docqa's `search` and `ask` tools and the indexed documents as resources.
Run with `docqa mcp [--data-dir PATH]`; MCP clients (IDEs, agents) start it as a subprocess, often from
another working directory, hence an absolute data folder."""

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from pydantic import Field

from docqa import get_qa
from docqa.errors import DocqaError
from docqa.qa import QA
from docqa.schema import PublicAnswer
from docqa.settings import Settings, get_settings
from docqa.store import require_folder

K = Annotated[int, Field(ge=1, le=50, description="Number of passages (1..50).")]


def resolved_settings(data_dir: Path | None = None) -> Settings:
    """The settings with an absolute data folder (`data_dir`, else DOCQA_DATA_DIR or ./data)."""
    settings = get_settings()
    return settings.model_copy(update={"data_dir": (data_dir or settings.data_dir).expanduser().resolve()})


def build_server(qa_factory: Callable[[], QA] | None = None, settings: Settings | None = None) -> MCPServer:
    """The MCP server over one engine (built on first use by `qa_factory`, default from `settings`)."""
    server = MCPServer("docqa", instructions="Cited answers about French reports on AI in health.")
    engine: dict[str, QA] = {}
    config = settings or resolved_settings()

    def qa() -> QA:
        if "qa" not in engine:
            if qa_factory is None:
                require_folder(config)
            engine["qa"] = (qa_factory or (lambda: get_qa(config)))()
        return engine["qa"]

    @contextmanager
    def reasons(error: type[ToolError | ResourceError]) -> Iterator[None]:
        """docqa's errors as the client's error text, naming the data folder."""
        try:
            yield
        except DocqaError as exc:
            folder = str((engine["qa"].settings if "qa" in engine else config).data_dir)
            raise error(str(exc) if folder in str(exc) else f"{exc} (data folder: {folder})") from exc

    @server.tool()
    def search(query: str, k: K = 5) -> list[dict]:
        """The passages of the reports most relevant to a query (doc_id, title, page, text, score)."""
        with reasons(ToolError):
            hits = qa().search(query, k=k)
        return [h.model_dump(include={"doc_id", "title", "page", "text", "score"}) for h in hits]

    @server.tool()
    def ask(question: str, k: K = 5) -> PublicAnswer:
        """A short answer quoted from the reports, each sentence cited ([n] -> document, page, quote); says so
        when the reports do not answer."""
        with reasons(ToolError):
            return PublicAnswer.model_validate(qa().ask(question, k=k).public())

    @server.resource("docqa://documents", mime_type="application/json")
    def documents() -> str:
        """The indexed documents (JSON)."""
        with reasons(ResourceError):
            listing = qa().index.documents()
        return json.dumps([d.public().model_dump(exclude={"content_hash"}) for d in listing], ensure_ascii=False)

    return server


def main(data_dir: Path | None = None) -> None:
    build_server(settings=resolved_settings(data_dir)).run()  # stdio


if __name__ == "__main__":
    main()
