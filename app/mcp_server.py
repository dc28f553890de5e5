"""MCP server (stdio) exposing docqa's `search` and `ask` tools and the indexed documents as resources.
Run with `docqa mcp [--data-dir PATH]`; MCP clients (IDEs, agents) start it as a subprocess, often from
another working directory, hence an absolute data folder."""

import json
import reprlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.context import Context
from mcp.server.mcpserver.exceptions import ResourceError, ToolError, UnexpectedToolError
from mcp.types import CallToolResult, InputRequiredResult
from pydantic import Field, ValidationError
from pydantic_core import ErrorDetails

from docqa import get_qa
from docqa.errors import DocqaError
from docqa.qa import QA
from docqa.schema import PublicAnswer
from docqa.settings import Settings, get_settings
from docqa.store import require_folder

K = Annotated[int, Field(ge=1, le=50, strict=True, description="Number of passages (1..50).")]


class Server(MCPServer):
    """The MCP server, saying a tool's bad arguments in one line each instead of pydantic's report."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> CallToolResult | InputRequiredResult:
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as exc:
            if isinstance(exc, UnexpectedToolError) or not isinstance(exc.__cause__, ValidationError):
                raise
            problems = "; ".join(argument_problem(e) for e in exc.__cause__.errors())
            raise ToolError(f"Error executing tool {name}: invalid arguments: {problems}") from exc.__cause__


def argument_problem(error: ErrorDetails) -> str:
    """One validation error of a tool's arguments: the argument, what is wrong, and the value sent."""
    name = ".".join(str(part) for part in error["loc"]) or "arguments"
    if error["type"] == "missing":
        return f"{name} is required"
    try:
        shown = reprlib.repr(error["input"])
    except ValueError:  # an integer of thousands of digits has no repr
        shown = f"an {type(error['input']).__name__} too long to show"
    return f"{name}: {error['msg']}, got {shown}"


def resolved_settings(data_dir: Path | None = None) -> Settings:
    """The settings with an absolute data folder (`data_dir`, else DOCQA_DATA_DIR or ./data)."""
    settings = get_settings()
    return settings.model_copy(update={"data_dir": (data_dir or settings.data_dir).expanduser().resolve()})


def build_server(qa_factory: Callable[[], QA] | None = None, settings: Settings | None = None) -> MCPServer:
    """The MCP server over one engine (built on first use by `qa_factory`, default from `settings`)."""
    server = Server("docqa", instructions="Cited answers about French reports on AI in health.")
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
    def search(query: str, k: K = 5) -> dict[str, list[dict]]:
        """The passages of the reports most relevant to a query, best first: `{"hits": [{doc_id, title, page,
        section, text, score, ...}]}`, as `docqa search --json` prints them and `POST /search` returns them."""
        with reasons(ToolError):
            hits = qa().search(query, k=k)
        return {"hits": [h.model_dump() for h in hits]}

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
