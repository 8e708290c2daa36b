"""The MCP server: every store operation of the table as a tool, sessions as resources.

    bazinga-db [--db PATH_OR_URL] mcp        # stdio; needs the extra: pip install '.[mcp]' in a checkout

Built on the SDK's low-level ``Server`` (its public handler API): the tool list is
written here from ``operations.OPERATIONS``, so it stays small — an agent reads it into
its context on every conversation. The tool name is the Python method name
(``log_interaction``); the input schema lists the operation's arguments with their help,
JSON type (none for a ``json`` argument: any JSON value) and the API's default where it
is not None; there are no titles and no output schema. A call goes through the same
binder as the CLI and batch mode (``operations.bind``), so argument errors carry the
CLI's words and codes; the SDK does not check arguments against the input schema (it
only reads it for HTTP ``Mcp-Param`` headers, which these tools do not declare).

The structured result is what the method returns (a dict as it is; a list or a bare
value as ``{"result": …}``, since MCP wants an object). Errors come back as tool errors
carrying the CLI's message and its JSON error document.

This module imports the MCP SDK (over a second to import), so only ``bazinga-db mcp``
imports it.
"""

from __future__ import annotations

import inspect
import threading
import typing
from collections.abc import Callable
from typing import Any, TextIO

from ..errors import BackendUnavailable, BazingaError, InvalidInput, NotFound, UsageError

try:
    import anyio
    from mcp import types
    from mcp.server import Server, ServerRequestContext
    from mcp.server.stdio import stdio_server
    from mcp.shared.exceptions import MCPError
except ImportError as exc:  # missing, or the 1.x SDK (it has no ServerRequestContext)
    raise BackendUnavailable(
        f"the MCP server needs the MCP SDK 2.x ({exc}); install it with: pip install '.[mcp]' in a "
        "bazinga-db checkout, or pip install 'mcp>=2' into the same environment"
    ) from None

from .. import __version__, operations
from ..operations import Operation
from ..store import BazingaDB
from . import render

SERVER_NAME = "bazinga-db"
INSTRUCTIONS = (
    "A concurrent-safe state store for a multi-agent coding team: sessions, orchestration logs, "
    "state snapshots, task groups, token usage, skill outputs and decisions. One tool per "
    "operation; unknown arguments are refused; writing to a session that does not exist creates it "
    "with defaults. Arguments "
    "that mean the same in every tool: "
    + "; ".join(f"{param.name}: {param.help}" for param in operations.SHARED_PARAMS)
    + ". Resources: bazinga://sessions, bazinga://sessions/{session_id}/snapshot and .../logs."
)

# The JSON Schema type of each argument kind; a "json" argument takes any JSON value.
_SCHEMA_TYPES = {"str": "string", "int": "integer", "flag": "boolean"}

SESSIONS_URI = "bazinga://sessions"
_SESSION_RESOURCES = {  # the last part of bazinga://sessions/{session_id}/<part>
    "snapshot": ("session_snapshot", "application/json",
                 "Everything about a session in one consistent read (as dashboard_snapshot)."),
    "logs": ("session_logs", "text/markdown",
             "The latest 50 log entries of a session as Markdown, oldest first (as stream-logs)."),
}


def store_operations() -> list[Operation]:
    """The operations served as tools: every one that is a store method."""
    return [operation for operation in operations.OPERATIONS if not operation.tool and operation.mcp]


# What ``bazinga-db mcp --tools`` can select: every client reads the whole tool list on
# every turn, so an agent loads only what it uses. "run" (the default) is what agents call
# at the moments of a run; "agent" adds the read-backs and analyses they call now and then
# and the project's learned memory; "core" is the records of the first version,
# "workflow" the workflow records (criteria, plan, events, reasoning, context packages),
# "memory" the error patterns and strategies, "operator" the commands for people.
WORKFLOW_FAMILIES = ("criteria", "plans", "events", "reasoning", "context")
OCCASIONAL = frozenset({
    "state-history", "state-diff", "search-logs", "get-task-group-events", "query",
    "update-context-references", "save-consumption", "get-consumption",
})
TOOL_SETS = {
    "run": lambda op: op.audience == "agent" and op.family != "memory" and op.name not in OCCASIONAL,
    "agent": lambda op: op.audience == "agent",
    "core": lambda op: op.audience == "agent" and op.family == "core",
    "workflow": lambda op: op.family in WORKFLOW_FAMILIES,
    "memory": lambda op: op.family == "memory",
    "operator": lambda op: op.audience != "agent",
    "all": lambda op: True,
}
DEFAULT_TOOLS = "run"


def selected_operations(tools: str | None = None) -> list[Operation]:
    """The store operations of a ``--tools`` value: set names or tool names, comma-separated."""
    words = [word.strip().lower() for word in (tools or DEFAULT_TOOLS).split(",") if word.strip()]
    by_name = {tool_name(operation): operation for operation in store_operations()}
    chosen: set[str] = set()
    for word in words:
        if word in TOOL_SETS:
            chosen.update(name for name, operation in by_name.items() if TOOL_SETS[word](operation))
        elif word.replace("-", "_") in by_name:
            chosen.add(word.replace("-", "_"))
        else:
            raise UsageError(
                f"unknown tool set {word!r} for --tools; the sets are: {', '.join(TOOL_SETS)} "
                "(or tool names, comma-separated)",
                hint=f"e.g. --tools {DEFAULT_TOOLS},workflow",
            )
    return [operation for name, operation in by_name.items() if name in chosen]


def tool_name(operation: Operation) -> str:
    return operation.method


# -- the tool list -------------------------------------------------------------------------


def tool(operation: Operation) -> types.Tool:
    """The listed tool of an operation. Its description is the summary, plus example
    arguments where a JSON document's shape matters; every other argument's schema and
    help say enough (every character here is in the client's context on every turn)."""
    description = operation.summary
    if any(param.kind == "json" and param.required for param in operation.params):
        description += f"\nExample: {example_arguments(operation)}"
    return types.Tool(
        name=tool_name(operation),
        description=description,
        input_schema=input_schema(operation),
        annotations=tool_annotations(operation),
    )


def tool_annotations(operation: Operation) -> types.ToolAnnotations:
    """A read is read-only; a write is not destructive (it only adds records or changes
    status fields). Each hint is given only where it says something: the read-only
    hint's default is false, and the destructive hint means nothing for a read. (The
    open-world hint is left out: every tool works on this one database.)"""
    if operation.write:
        return types.ToolAnnotations(destructive_hint=False)
    return types.ToolAnnotations(read_only_hint=True)


def input_schema(operation: Operation) -> dict[str, Any]:
    """A compact JSON Schema of the arguments: their type and help, the API's default where
    it says something (not None), the required ones; nothing else."""
    defaults = inspect.signature(getattr(BazingaDB, operation.method)).parameters
    properties: dict[str, dict[str, Any]] = {}
    for param in operation.params:
        prop: dict[str, Any] = {"type": _SCHEMA_TYPES[param.kind]} if param.kind in _SCHEMA_TYPES else {}
        if not param.shared:  # a shared argument is explained once, in the server's instructions
            prop["description"] = param.help
        default = defaults[param.name].default
        if default is not inspect.Parameter.empty and default is not None:
            prop["default"] = default
        properties[param.name] = prop
    schema: dict[str, Any] = {"type": "object", "properties": properties}
    required = [param.name for param in operation.params if param.required]
    if required:
        schema["required"] = required
    return schema  # no additionalProperties: an unknown argument is refused by the server, with a hint


def example_arguments(operation: Operation) -> str:
    """The operation's CLI example as tool arguments (one line of JSON), read by the CLI's
    own parser so the two cannot disagree."""
    import json
    import shlex

    from .argv import parse

    arguments = parse(shlex.split(operation.example)).arguments
    return json.dumps(arguments, ensure_ascii=False, separators=(",", ":"))


# -- calling the store ---------------------------------------------------------------------


class StoreTools:
    """The tools and resources over one open store. SQLite connections are not for
    concurrent use, and each call runs on a worker thread, so calls take turns."""

    def __init__(self, db: BazingaDB, tools: str | None = None) -> None:
        self.db = db
        self._lock = threading.Lock()
        self.operations = {tool_name(operation): operation for operation in selected_operations(tools)}
        self.tools = [tool(operation) for operation in self.operations.values()]
        self._wrapped = {name for name, operation in self.operations.items() if wraps_result(operation)}

    def call(self, name: str, arguments: dict[str, Any] | None) -> types.CallToolResult:
        """Run one tool call (blocking): bind, call the method, render the result."""
        operation = self.operations.get(name)
        if operation is None:
            return error_result(_unknown_tool(name, list(self.operations)).to_dict())
        try:
            bound = operations.bind(operation, arguments or {}, called=name)
            with self._lock:
                result = getattr(self.db, operation.method)(**bound)
                notices = list(self.db.notices)
        except BazingaError as exc:
            return error_result(exc.to_dict())
        except Exception as exc:  # noqa: BLE001 - a bug: the CLI's one line, never a traceback
            return error_result({"code": "internal_error", "message": f"internal error: {type(exc).__name__}: {exc}"})
        lines = render.notice_lines(notices)
        if operation.write:
            lines.append(render.confirmation(operation, bound, result, notices))
        content: list[types.ContentBlock] = [types.TextContent(type="text", text=render.dumps(result))]
        if lines:
            content.append(types.TextContent(type="text", text="\n".join(lines)))
        structured = {"result": result} if name in self._wrapped else result
        return types.CallToolResult(content=content, structured_content=structured)

    def read(self, uri: str) -> types.ReadResourceResult:
        """Read one resource (blocking); a missing session is the protocol's invalid-params error."""
        from urllib.parse import unquote

        args: list[Any]
        mime = "application/json"
        if uri == SESSIONS_URI:
            method, args = "list_sessions", [50]
        else:
            prefix, _, rest = uri.partition(SESSIONS_URI + "/")
            session_id, _, part = rest.rpartition("/")
            if prefix or not session_id or part not in _SESSION_RESOURCES:
                raise MCPError(types.INVALID_PARAMS, f"unknown resource {uri}", {"uri": uri})
            method = "dashboard_snapshot" if part == "snapshot" else "stream_logs"
            mime, args = _SESSION_RESOURCES[part][1], [unquote(session_id)]
        try:
            with self._lock:
                value = getattr(self.db, method)(*args)
        except (NotFound, InvalidInput) as exc:
            raise MCPError(types.INVALID_PARAMS, exc.message, {"uri": uri}) from None
        except BazingaError as exc:
            raise MCPError(types.INTERNAL_ERROR, exc.message, {"uri": uri}) from None
        text = render.logs_markdown(str(args[0]), value) if method == "stream_logs" else render.dumps(value)
        return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=mime, text=text)])

    # -- the handlers (the SDK's low-level API: one coroutine per request type) --------

    async def on_list_tools(self, ctx: ServerRequestContext[Any], params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=self.tools)

    async def on_call_tool(self, ctx: ServerRequestContext[Any],
                           params: types.CallToolRequestParams) -> types.CallToolResult:
        # A worker thread, so a long call does not stop the server reading the next request.
        return await anyio.to_thread.run_sync(self.call, params.name, params.arguments)

    async def on_list_resources(self, ctx: ServerRequestContext[Any], params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(resources=[types.Resource(
            name="sessions", uri=SESSIONS_URI, mime_type="application/json",
            description="The 50 most recent sessions, newest first.",
        )])

    async def on_list_resource_templates(self, ctx: ServerRequestContext[Any],
                                         params: Any) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[
            types.ResourceTemplate(name=name, uri_template=f"{SESSIONS_URI}/{{session_id}}/{part}",
                                   mime_type=mime, description=description)
            for part, (name, mime, description) in _SESSION_RESOURCES.items()
        ])

    async def on_read_resource(self, ctx: ServerRequestContext[Any],
                               params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        return await anyio.to_thread.run_sync(self.read, str(params.uri))


def error_result(error: dict[str, str]) -> types.CallToolResult:
    """A tool error: the CLI's stderr lines as text, its ``--json`` error document as data."""
    text = f"error: {error['message']}"
    if error.get("hint"):
        text += f"\nhint: {error['hint']}"
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)],
        structured_content={"ok": False, "error": error},
        is_error=True,
    )


def _unknown_tool(name: str, names: list[str]) -> UsageError:
    from difflib import get_close_matches

    close = get_close_matches(name, names, n=1, cutoff=0.6)
    return UsageError(f"unknown tool {name!r}; the tools are: {', '.join(names)}",
                      hint=f"did you mean {close[0]}?" if close else None)


def wraps_result(operation: Operation) -> bool:
    """Whether the structured result is ``{"result": …}``: for every method not declared to
    return a dict (a list, a bare value, or a document that may be null), so that a
    tool's result has one shape whatever the data."""
    returns = api_type_hints(getattr(BazingaDB, operation.method)).get("return", Any)
    return typing.get_origin(returns) is not dict


def api_type_hints(method: Callable[..., Any]) -> dict[str, Any]:
    """The resolved annotations of a BazingaDB method. The store imports `typing` only
    for type checkers (start-up time), so the names its string annotations use are
    supplied here."""
    from collections.abc import Iterable

    return typing.get_type_hints(method, localns={"Any": Any, "TextIO": TextIO, "Iterable": Iterable})


def build_server(db: BazingaDB, tools: str | None = None) -> Server[Any]:
    """An MCP server over ``db`` with one tool per selected store operation (``tools``: the
    ``--tools`` value, default the agents' set) and session resources."""
    store = StoreTools(db, tools)
    return Server(
        SERVER_NAME,
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=store.on_list_tools,
        on_call_tool=store.on_call_tool,
        on_list_resources=store.on_list_resources,
        on_list_resource_templates=store.on_list_resource_templates,
        on_read_resource=store.on_read_resource,
    )


def serve_command(arguments: dict[str, Any], invocation: Any, out: TextIO, err: TextIO) -> int:
    """``bazinga-db mcp``: serve over stdio until the client closes the connection."""
    selected_operations(arguments.get("tools"))  # a bad --tools fails before anything is opened
    db = BazingaDB(invocation.db)

    async def serve() -> None:
        server = build_server(db, arguments.get("tools"))
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    try:
        anyio.run(serve)
    finally:
        db.close()
    return 0
