"""The MCP server: every store operation of the table as a tool, sessions as resources.

    bazinga-db [--db PATH_OR_URL] mcp        # stdio; needs the extra: pip install '.[mcp]' in a checkout

Tools are generated from ``operations.OPERATIONS``: the tool name is the Python method
name (``log_interaction``), the input properties are the operation's parameter names with
the API method's defaults, and the structured result is what the method returns (a dict
as it is; a list or a bare value as ``{"result": …}``, since MCP wants an object). Errors
come back as tool errors carrying the CLI's message and its JSON error document.

This module imports the MCP SDK (over a second to import), so only ``bazinga-db mcp``
imports it.
"""

from __future__ import annotations

import inspect
import threading
import typing
from collections.abc import Callable
from typing import Annotated, Any, TextIO

from ..errors import BackendUnavailable, BazingaError, InvalidInput, NotFound, UsageError

try:
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError
    from mcp.server.mcpserver.tools import Tool
    from mcp.types import CallToolResult, ContentBlock, TextContent, ToolAnnotations
    from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
except ImportError as exc:  # missing, or the 1.x SDK (it has no mcp.server.mcpserver)
    raise BackendUnavailable(
        f"the MCP server needs the MCP SDK 2.x ({exc}); install it with: pip install '.[mcp]' in a "
        "bazinga-db checkout, or pip install 'mcp>=2' into the same environment"
    ) from None

from .. import __version__, operations
from ..operations import Operation, Param
from ..store import BazingaDB
from . import render

SERVER_NAME = "bazinga-db"
INSTRUCTIONS = (
    "A concurrent-safe state store for a multi-agent coding team: sessions, orchestration logs, "
    "state snapshots, task groups, token usage, skill outputs and decisions. One tool per "
    "operation; writing to a session that does not exist creates it with defaults. Resources: "
    "bazinga://sessions, bazinga://sessions/{session_id}/snapshot and .../logs."
)

# Any JSON value: what a "json" parameter accepts on the command line, typed for the schema.
JSONValue = dict[str, Any] | list[Any] | str | int | float | bool | None
_KIND_TYPES: dict[str, Any] = {"str": str, "int": int, "json": JSONValue, "flag": bool}


def store_operations() -> list[Operation]:
    """The operations served as tools: every one that is a store method."""
    return [operation for operation in operations.OPERATIONS if not operation.tool]


def tool_name(operation: Operation) -> str:
    return operation.method


class _Arguments(BaseModel):
    # An argument the tool does not have is an error, not silently dropped.
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


class StoreTool(Tool):
    """A tool whose argument errors read like the CLI's: the same wording and error codes
    (``usage`` for a missing or unknown argument, ``invalid_input`` for a wrong type)."""

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        try:
            self.fn_metadata.validate_arguments(arguments)
        except ValidationError as exc:
            return error_result(argument_error(self.name, self.parameters, exc))
        return await super().run(arguments, context, convert_result)


_TYPE_WORDS = {"integer": "a whole number", "string": "text", "boolean": "true or false"}


def argument_error(tool: str, schema: dict[str, Any], exc: ValidationError) -> dict[str, str]:
    from difflib import get_close_matches

    properties: dict[str, Any] = schema.get("properties", {})
    problems: list[str] = []
    usage = False
    hint = None
    for error in exc.errors():
        name = str(error["loc"][0]) if error["loc"] else "arguments"
        if error["type"] == "missing":
            usage = True
            problems.append(f"{tool} is missing {name} ({properties.get(name, {}).get('description', '')})")
        elif error["type"] == "extra_forbidden":
            usage = True
            problems.append(f"unknown argument {name} for {tool}; its arguments are: {', '.join(properties)}")
            close = get_close_matches(name, list(properties), n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else hint
        else:
            types = [properties.get(name, {}).get("type")] + [
                option.get("type") for option in properties.get(name, {}).get("anyOf", [])]
            wanted = next((_TYPE_WORDS[kind] for kind in types if kind in _TYPE_WORDS), "valid")
            problems.append(f"{name} must be {wanted}, got {error.get('input')!r}")
    problem = "; ".join(dict.fromkeys(problems))  # one message per argument, in order
    return (UsageError if usage else InvalidInput)(problem, hint=hint).to_dict()


class StoreTools:
    """The tools and resources over one open store. SQLite connections are not for
    concurrent use, and the SDK runs each call on a worker thread, so calls take turns."""

    def __init__(self, db: BazingaDB) -> None:
        self.db = db
        self._lock = threading.Lock()

    # -- calling the store -----------------------------------------------------------

    def call(self, operation: Operation, arguments: dict[str, Any], wrap: bool) -> CallToolResult:
        try:
            with self._lock:
                result = getattr(self.db, operation.method)(**arguments)
                notices = list(self.db.notices)
        except BazingaError as exc:
            return error_result(exc.to_dict())
        except Exception as exc:  # noqa: BLE001 - a bug: the CLI's one line, never a traceback
            return error_result({"code": "internal_error", "message": f"internal error: {type(exc).__name__}: {exc}"})
        lines = render.notice_lines(notices)
        if operation.write:
            lines.append(render.confirmation(operation, arguments, result, notices))
        content: list[ContentBlock] = [TextContent(type="text", text=render.dumps(result))]
        if lines:
            content.append(TextContent(type="text", text="\n".join(lines)))
        return CallToolResult(content=content, structured_content={"result": result} if wrap else result)

    def read(self, method: str, *args: Any) -> Any:
        try:
            with self._lock:
                return getattr(self.db, method)(*args)
        except (NotFound, InvalidInput) as exc:
            raise ResourceNotFoundError(exc.message) from None
        except BazingaError as exc:
            raise ResourceError(exc.message) from None

    # -- building the server ---------------------------------------------------------

    def tools(self) -> list[Tool]:
        return [self._tool(operation) for operation in store_operations()]

    def _tool(self, operation: Operation) -> Tool:
        method = getattr(BazingaDB, operation.method)
        output, wrap = _output_type(operation, method)
        signature = inspect.Signature(
            [_parameter(param, method) for param in operation.params],
            return_annotation=Annotated[CallToolResult, output],
        )

        def run(**arguments: Any) -> CallToolResult:
            return self.call(operation, arguments, wrap)

        run.__name__ = tool_name(operation)
        run.__signature__ = signature  # type: ignore[attr-defined]
        description = f"{operation.summary}\nCLI: bazinga-db {operation.example}"
        tool = StoreTool.from_function(
            run,
            name=tool_name(operation),
            description=description,
            annotations=ToolAnnotations(
                read_only_hint=not operation.write,
                destructive_hint=False,  # writes only add records or change status fields
                open_world_hint=False,
            ),
            structured_output=True,
        )
        strict = create_model(
            f"{tool.name}_arguments", __base__=(tool.fn_metadata.arg_model, _Arguments)  # type: ignore[call-overload]
        )
        tool.fn_metadata.arg_model = strict  # type: ignore[assignment]  # a subclass of the SDK's model
        tool.parameters = strict.model_json_schema(by_alias=True)
        return tool

    def add_resources(self, server: MCPServer) -> None:
        @server.resource(
            "bazinga://sessions", name="sessions", mime_type="application/json",
            description="The 50 most recent sessions, newest first.",
        )
        def sessions() -> str:
            return render.dumps(self.read("list_sessions", 50))

        @server.resource(
            "bazinga://sessions/{session_id}/snapshot", name="session_snapshot", mime_type="application/json",
            description="Everything about a session in one consistent read (as dashboard_snapshot).",
        )
        def snapshot(session_id: str) -> str:
            return render.dumps(self.read("dashboard_snapshot", session_id))

        @server.resource(
            "bazinga://sessions/{session_id}/logs", name="session_logs", mime_type="text/markdown",
            description="The latest 50 log entries of a session as Markdown, oldest first (as stream-logs).",
        )
        def logs(session_id: str) -> str:
            return render.logs_markdown(session_id, self.read("stream_logs", session_id))


def error_result(error: dict[str, str]) -> CallToolResult:
    """A tool error: the CLI's stderr lines as text, its ``--json`` error document as data."""
    text = f"error: {error['message']}"
    if error.get("hint"):
        text += f"\nhint: {error['hint']}"
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content={"ok": False, "error": error},
        is_error=True,
    )


def _parameter(param: Param, method: Callable[..., Any]) -> inspect.Parameter:
    """The tool parameter of an operation argument: its kind's type, the API's default."""
    api = inspect.signature(method).parameters[param.name]
    annotation: Any = _KIND_TYPES[param.kind]
    default = api.default
    if default is None:
        annotation = annotation | None
    return inspect.Parameter(
        param.name,
        inspect.Parameter.KEYWORD_ONLY,
        default=default,
        annotation=Annotated[annotation, Field(description=param.help)],
    )


def api_type_hints(method: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations of a BazingaDB method. The store imports `typing` only
    for type checkers (start-up time), so the names its string annotations use are
    supplied here."""
    from collections.abc import Iterable
    from typing import TextIO

    return typing.get_type_hints(method, localns={"Any": Any, "TextIO": TextIO, "Iterable": Iterable})


def _output_type(operation: Operation, method: Callable[..., Any]) -> tuple[Any, bool]:
    """The result schema, from the API method's return annotation: a dict is the structured
    result itself; anything else is wrapped as ``{"result": …}``."""
    returns = api_type_hints(method).get("return", Any)
    if typing.get_origin(returns) is dict:
        return dict[str, Any], False
    model = create_model(f"{operation.method}_result", result=(returns, Field(description=operation.summary)))
    return model, True


def build_server(db: BazingaDB) -> MCPServer:
    """An MCP server over ``db`` with one tool per store operation and session resources."""
    store = StoreTools(db)
    server: MCPServer = MCPServer(
        SERVER_NAME, version=__version__, instructions=INSTRUCTIONS, tools=store.tools(), log_level="WARNING"
    )
    store.add_resources(server)
    return server


def serve_command(arguments: dict[str, Any], invocation: Any, out: TextIO, err: TextIO) -> int:
    """``bazinga-db mcp``: serve over stdio until the client closes the connection."""
    db = BazingaDB(invocation.db)
    try:
        build_server(db).run("stdio")
    finally:
        db.close()
    return 0
