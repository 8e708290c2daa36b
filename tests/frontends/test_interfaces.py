"""One table, three faces: the CLI, the Python API and the MCP tools use the same names.

Command and tool names, argument and flag names, which arguments are required, their
types, and the JSON field names of results are checked against ``operations.OPERATIONS``.
"""

from __future__ import annotations

import asyncio
import inspect
import io
import typing
from typing import Any

import pytest

from bazinga_db import BazingaDB, operations
from bazinga_db.frontends import argv, cli
from bazinga_db.frontends.mcp import api_type_hints
from bazinga_db.operations import Operation
from bazinga_db.skill import install_skill
from conftest import run_cli

STORE_OPERATIONS = [operation for operation in operations.OPERATIONS if not operation.tool]
MCP_OPERATIONS = [operation for operation in STORE_OPERATIONS if operation.mcp]  # one spelling per tool
SAMPLE_VALUES = {"str": "x", "int": "3", "json": '{"a": 1}'}
PYTHON_TYPES = {"str": str, "int": int, "flag": bool}


def api_parameters(function: Any) -> list[inspect.Parameter]:
    return [p for name, p in inspect.signature(function).parameters.items() if name != "self"]


@pytest.mark.parametrize("operation", STORE_OPERATIONS, ids=lambda operation: operation.name)
def test_api_method_matches_the_operation(operation: Operation) -> None:
    method = getattr(BazingaDB, operation.method, None)
    assert method is not None, f"BazingaDB has no method {operation.method} for command {operation.name}"
    parameters = api_parameters(method)
    assert [p.name for p in parameters] == [param.name for param in operation.params]
    hints = api_type_hints(method)
    for param, api in zip(operation.params, parameters):
        assert param.required is (api.default is inspect.Parameter.empty), (operation.name, param.name)
        if param.kind in PYTHON_TYPES:
            accepted = typing.get_args(hints[param.name]) or (hints[param.name],)
            assert PYTHON_TYPES[param.kind] in accepted, (operation.name, param.name, hints[param.name])


@pytest.mark.parametrize("operation", operations.OPERATIONS, ids=lambda operation: operation.name)
def test_cli_flags_are_the_argument_names(operation: Operation) -> None:
    """Every argument given as its --flag reaches the API under its own name."""
    command = [operation.name]
    for param in operation.params:
        command += [param.flag] if param.kind == "flag" else [param.flag, SAMPLE_VALUES[param.kind]]
    invocation = argv.parse(command)
    assert invocation.operation is operation
    assert list(invocation.arguments) == [param.name for param in operation.params]
    out = io.StringIO()
    assert cli.main([operation.name, "--help"], stdout=out) == 0
    for param in operation.params:
        assert param.flag in out.getvalue()


def test_install_skill_function_matches_its_command() -> None:
    operation = operations.find("install-skill")
    assert operation is not None
    assert [p.name for p in api_parameters(install_skill)] == [param.name for param in operation.params]


def test_cli_accepts_the_tool_names() -> None:
    """An agent that read the MCP tool list may type log_interaction: that is the command too."""
    for operation in operations.OPERATIONS:
        assert operations.find(operation.method) is operation


def test_mcp_tools_match_the_operations(db_path: str) -> None:
    from mcp import Client

    from bazinga_db.frontends.mcp import build_server

    async def list_tools() -> list[Any]:
        db = BazingaDB(db_path)
        try:
            async with Client(build_server(db, "all")) as client:
                return (await client.list_tools()).tools
        finally:
            db.close()

    tools = {tool.name: tool for tool in asyncio.run(list_tools())}
    assert set(tools) == {operation.method for operation in MCP_OPERATIONS}
    for operation in MCP_OPERATIONS:
        schema = tools[operation.method].input_schema
        method = getattr(BazingaDB, operation.method)
        assert list(schema["properties"]) == [p.name for p in api_parameters(method)]
        assert set(schema.get("required", [])) == {
            p.name for p in api_parameters(method) if p.default is inspect.Parameter.empty}
        for api in api_parameters(method):
            # A default is stated only where it says something: None is "not given".
            if api.default is inspect.Parameter.empty or api.default is None:
                assert "default" not in schema["properties"][api.name], (operation.name, api.name)
            else:
                assert schema["properties"][api.name]["default"] == api.default, (operation.name, api.name)


def test_json_field_names_are_the_same_everywhere(db_path: str) -> None:
    """A record read through the CLI (--json), the API and MCP has the same fields and values."""
    from mcp import Client

    from bazinga_db.frontends.mcp import build_server

    with BazingaDB(db_path) as db:
        db.create_session("sess_n", "parallel", "names")
        db.create_task_group("group_a", "sess_n", "Auth", assigned_to="developer_1")
        from_api = db.get_session("sess_n"), db.get_task_groups("sess_n")

    from_cli = (run_cli("--json", "get-session", "sess_n", db=db_path).json(),
                run_cli("--json", "get-task-groups", "sess_n", db=db_path).json())

    async def read() -> tuple[Any, Any]:
        db = BazingaDB(db_path)
        try:
            async with Client(build_server(db)) as client:
                session = await client.call_tool("get_session", {"session_id": "sess_n"})
                groups = await client.call_tool("get_task_groups", {"session_id": "sess_n"})
                return session.structured_content, groups.structured_content["result"]  # type: ignore[index]
        finally:
            db.close()

    assert from_api == from_cli == asyncio.run(read())
