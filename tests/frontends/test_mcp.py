"""The MCP server, through the SDK's own client: in-process and over stdio."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, MCPError, StdioServerParameters

from bazinga_db import BazingaDB
from bazinga_db import operations as operations_module
from bazinga_db.frontends.mcp import DEFAULT_TOOLS, build_server, store_operations, tool_name
from conftest import run_cli

JSON_TYPES = {"str": "string", "int": "integer", "flag": "boolean"}


def in_process(db_path: str, body: Callable[[Client], Awaitable[Any]], tools: str = "all") -> Any:
    async def main() -> Any:
        db = BazingaDB(db_path)
        try:
            async with Client(build_server(db, tools)) as client:
                return await body(client)
        finally:
            db.close()

    return asyncio.run(main())


def over_stdio(db_path: str, body: Callable[[Client], Awaitable[Any]], via_env: bool = False) -> Any:
    """`python -m bazinga_db mcp --db PATH --tools agent` as a subprocess, as an MCP client
    config starts it (or with BAZINGA_DB=PATH in its environment)."""
    if via_env:
        parameters = StdioServerParameters(command=sys.executable, args=["-m", "bazinga_db", "mcp", "--tools", "agent"],
                                           env={"BAZINGA_DB": db_path})
    else:
        parameters = StdioServerParameters(command=sys.executable, args=["-m", "bazinga_db", "mcp", "--db", db_path,
                                                                             "--tools", "agent"])

    async def main() -> Any:
        async with Client(parameters, read_timeout_seconds=60) as client:
            return await body(client)

    return asyncio.run(main())


async def call(client: Client, tool: str, /, **arguments: Any) -> Any:
    """Call a tool that must succeed; return its structured result."""
    result = await client.call_tool(tool, arguments)
    assert not result.is_error, (tool, result.content)
    assert result.structured_content is not None
    return result.structured_content


async def play_orchestration(client: Client) -> dict[str, Any]:
    """A PM plans, developers work, QA and the tech lead review (one revision); returns the snapshot."""
    sid = "sess_mcp"
    session = await call(client, "create_session", session_id=sid, mode="parallel", requirements="Add OAuth2 login")
    assert session["mode"] == "parallel" and session["status"] == "active"
    logged = await call(client, "log_interaction", session_id=sid, agent_type="pm", content="3 groups",
                        iteration=1, agent_id="pm_main")
    assert logged["agent_id"] == "pm_main" and logged["iteration"] == 1
    for group in ("group_a", "group_b", "group_c"):
        await call(client, "create_task_group", group_id=group, session_id=sid, name=f"Work {group}")
    await call(client, "save_state", session_id=sid, state_type="pm", state_data={"iteration": 1})
    await call(client, "log_decision", session_id=sid, decision_type="spawn_developers",
               decision_data={"count": 3}, iteration=1)
    # Developers call at the same time: the calls run concurrently on the server.
    await asyncio.gather(*[
        call(client, "log_interaction", session_id=sid, agent_type="developer", content=f"{group}: done",
             agent_id=f"developer_{n}", group_id=group, iteration=1)
        for n, group in enumerate(("group_a", "group_b", "group_c"), start=1)
    ])
    tokens = await call(client, "log_tokens", session_id=sid, agent_type="developer", tokens=9000,
                        agent_id="developer_1", model="claude-sonnet", input_tokens=7000, output_tokens=2000)
    assert tokens["tokens_estimated"] == 9000
    await call(client, "log_tokens", session_id=sid, agent_type="qa", tokens=1000)
    await call(client, "save_skill_output", session_id=sid, skill_name="lint",
               output_data={"errors": 0}, agent_type="developer", group_id="group_a")
    await call(client, "update_task_group", group_id="group_a", status="completed", last_review_status="APPROVED")
    revised = await call(client, "update_task_group", group_id="group_b", session_id=sid,
                         last_review_status="CHANGES_REQUESTED", increment_revision=True)
    assert revised["revision_count"] == 1
    for group in ("group_b", "group_c"):
        await call(client, "update_task_group", group_id=group, status="completed", last_review_status="APPROVED")
    await call(client, "set_config", key="max_parallel_developers", value=4)
    assert (await call(client, "get_config", key="max_parallel_developers")) == {"result": 4}
    assert (await call(client, "get_state", session_id=sid, state_type="pm")) == {"result": {"iteration": 1}}
    assert (await call(client, "get_state", session_id=sid, state_type="qa")) == {"result": None}
    logs = (await call(client, "get_logs", session_id=sid, agent_type="developer"))["result"]
    assert sorted(entry["agent_id"] for entry in logs) == ["developer_1", "developer_2", "developer_3"]
    summary = await call(client, "token_summary", session_id=sid)
    assert summary["breakdown"] == {"developer": 9000, "qa": 1000}
    rows = (await call(client, "query", sql="SELECT COUNT(*) AS n FROM task_groups"))["result"]
    assert rows == [{"n": 3}]
    await call(client, "update_session_status", session_id=sid, status="completed")
    return await call(client, "dashboard_snapshot", session_id=sid)


def check_snapshot(snapshot: dict[str, Any]) -> None:
    assert snapshot["session"]["status"] == "completed"
    assert snapshot["task_group_counts"]["completed"] == 3
    assert snapshot["log_count"] == 4
    assert snapshot["token_usage"]["total_tokens"] == 10000
    assert snapshot["skill_outputs"] == {"lint": {"errors": 0}}
    assert snapshot["states"] == {"pm": {"iteration": 1}}


# -- tools --------------------------------------------------------------------------------


def list_tools(db_path: str, tools: str = "all") -> list[Any]:
    async def body(client: Client) -> list[Any]:
        return (await client.list_tools()).tools

    return in_process(db_path, body, tools)  # type: ignore[no-any-return]


def test_one_compact_typed_tool_per_store_operation(db_path: str) -> None:
    tools = {tool.name: tool for tool in list_tools(db_path)}
    operations = store_operations()
    assert sorted(tools) == sorted(tool_name(operation) for operation in operations)
    for operation in operations:
        tool = tools[tool_name(operation)]
        schema = tool.input_schema
        assert set(schema) <= {"type", "properties", "required"}
        assert schema["type"] == "object"
        assert list(schema["properties"]) == [param.name for param in operation.params]
        assert schema.get("required", []) == [param.name for param in operation.params if param.required]
        for param in operation.params:
            prop = schema["properties"][param.name]
            assert set(prop) <= {"type", "description", "default"}, (tool.name, param.name, prop)
            if param.kind == "json":
                assert "type" not in prop  # any JSON value
            else:
                assert prop["type"] == JSON_TYPES[param.kind], (tool.name, param.name, prop)
            # A shared argument (session_id …) is explained once, in the server's instructions.
            assert prop.get("description") == (None if param.shared else param.help), (tool.name, param.name)
            assert prop.get("default", "absent") is not None
        assert tool.title is None and tool.output_schema is None
        assert tool.annotations is not None and tool.annotations.open_world_hint is None
        if operation.write:
            assert tool.annotations.destructive_hint is False and not tool.annotations.read_only_hint
        else:
            assert tool.annotations.read_only_hint is True
        if any(param.kind == "json" and param.required for param in operation.params):  # a document's shape
            summary, example = (tool.description or "").split("\n")
            assert example.startswith("Example: {")
            # The example is a valid call: its arguments are the tool's own.
            assert set(json.loads(example.removeprefix("Example: "))) <= set(schema["properties"])
        else:
            summary = tool.description or ""
        assert summary == operation.summary


def test_the_instructions_explain_the_shared_arguments(db_path: str) -> None:
    async def body(client: Client) -> str:
        return client.instructions or ""

    instructions = in_process(db_path, body)
    for param in operations_module.SHARED_PARAMS:
        assert f"{param.name}: {param.help}" in instructions


def test_the_tool_list_is_small(db_path: str) -> None:
    """An agent reads the whole tool list into its context on every turn: it must stay small
    (31 tools took about 32,000 characters with the SDK's generated schemas)."""
    def size(tools: str) -> tuple[int, int]:
        listed = list_tools(db_path, tools)
        # As the client receives it: compact JSON, UTF-8.
        return len(listed), sum(len(tool.model_dump_json(by_alias=True, exclude_none=True)) for tool in listed)

    default_count, default_total = size(DEFAULT_TOOLS)
    all_count, all_total = size("all")
    print(f"\ntool list: {default_total:,} characters for the {default_count} tools agents use (default), "
          f"{all_total:,} for all {all_count}")
    assert default_total <= 20_500  # ~20,000 is the aim
    assert all_total / all_count <= 520


def test_tools_selects_the_tool_list(db_path: str) -> None:
    names = {tool.name for tool in list_tools(db_path, "core")}
    assert "log_interaction" in names and "save_reasoning" not in names and "vacuum" not in names
    assert {tool.name for tool in list_tools(db_path, "workflow")} == {
        tool_name(op) for op in store_operations() if op.family not in ("core", "memory")}
    assert {tool.name for tool in list_tools(db_path, "log_interaction,get_logs")} == {"log_interaction", "get_logs"}
    agent = {tool_name(op) for op in store_operations() if op.audience == "agent"}
    assert {tool.name for tool in list_tools(db_path, "agent")} == agent
    default = {tool.name for tool in list_tools(db_path, DEFAULT_TOOLS)}
    # The default is what a run calls at its moments: the learned memory and the occasional
    # read-backs are one --tools word away.
    assert {"save_reasoning", "save_context_package", "get_context_packages", "mark_context_consumed",
            "get_events", "save_success_criteria", "log_interaction"} <= default < agent
    assert not default & {tool.name for tool in list_tools(db_path, "memory")}
    assert {tool.name for tool in list_tools(db_path, "run,memory")} > default
    refused = run_cli("--json", "mcp", "--tools", "everything", db=db_path)
    assert refused.code == 2 and refused.json()["error"]["code"] == "usage"
    assert "run, agent, core, workflow, memory, operator, all" in refused.json()["error"]["message"]


def test_example_calls_in_the_descriptions_succeed(db_path: str) -> None:
    """Each write's example, called as written, is accepted (the examples teach the shapes)."""
    async def body(client: Client) -> list[tuple[str, Any]]:
        results = []
        for tool in (await client.list_tools()).tools:
            if "\nExample: " not in (tool.description or "") or tool.name in ("update_task_group", "vacuum",
                                                                              "migrate", "prune",
                                                                              "update_context_references"):
                continue  # no example, or these need earlier records, or act on the whole database
            example = json.loads((tool.description or "").split("\nExample: ")[1])
            results.append((tool.name, await client.call_tool(tool.name, example)))
        return results

    for name, result in in_process(db_path, body):
        assert not result.is_error, (name, result.content)


def test_whole_orchestration_in_process(db_path: str) -> None:
    check_snapshot(in_process(db_path, play_orchestration))
    # The same database through the Python API and the CLI: one store behind all three.
    with BazingaDB(db_path) as db:
        assert db.get_task_groups("sess_mcp", "completed")[2]["id"] == "group_c"
    assert run_cli("--json", "get-session", "sess_mcp", db=db_path).json()["status"] == "completed"


@pytest.mark.parametrize("via_env", [False, True], ids=["--db", "BAZINGA_DB"])
def test_whole_orchestration_over_stdio(db_path: str, via_env: bool) -> None:
    check_snapshot(over_stdio(db_path, play_orchestration, via_env))
    snapshot = run_cli("--json", "dashboard-snapshot", "sess_mcp", db=db_path).json()
    check_snapshot(snapshot)


def test_write_results_carry_the_cli_confirmation_and_notices(db_path: str) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("log_interaction", {"session_id": "auto_1", "agent_type": "qa",
                                                          "content": "first"})

    result = in_process(db_path, body)
    assert json.loads(result.content[0].text) == result.structured_content
    lines = result.content[1].text.splitlines()
    assert "✓ Session auto_1 did not exist: created it with defaults (mode simple, active)" in lines
    assert lines[-1] == "✓ Logged QA interaction for session auto_1"


# -- errors ---------------------------------------------------------------------------------


BAD_CALLS = [
    # (tool arguments, the same call on the command line)
    (("create_session", {"session_id": "s", "mode": "turbo"}), ["create-session", "s", "turbo"]),
    (("update_session_status", {"session_id": "s", "status": "done"}), ["update-session-status", "s", "done"]),
    (("get_session", {"session_id": "missing"}), ["get-session", "missing"]),
    (("update_task_group", {"group_id": "group_a"}), ["update-task-group", "group_a"]),
    (("log_interaction", {"session_id": "s", "agent_type": "Lead Dev!", "content": "x"}),
     ["log-interaction", "s", "Lead Dev!", "x"]),
    (("query", {"sql": "DELETE FROM sessions"}), ["query", "DELETE FROM sessions"]),
    (("token_summary", {"session_id": "s", "by": "colour"}), ["token-summary", "s", "colour"]),
    (("list_sessions", {"limit": "ten"}), ["list-sessions", "ten"]),
]


@pytest.mark.parametrize(("tool_call", "command"), BAD_CALLS, ids=[call[0][0] for call in BAD_CALLS])
def test_tool_errors_carry_the_cli_message(db_path: str, tool_call: tuple[str, dict[str, Any]],
                                           command: list[str]) -> None:
    run_cli("create-session", "s", "simple", "x", db=db_path)
    name, arguments = tool_call

    async def body(client: Client) -> Any:
        return await client.call_tool(name, arguments)

    result = in_process(db_path, body)
    assert result.is_error
    plain = run_cli(*command, db=db_path)
    as_json = run_cli("--json", *command, db=db_path)
    assert plain.code in (1, 2)
    # The command line adds its usage line where an argument may be out of place; a tool's
    # arguments are named, so MCP has no such line. Everything else is the same.
    cli_text = "\n".join(line for line in plain.err.rstrip("\n").splitlines() if not line.startswith("hint: usage:"))
    assert result.content[0].text == cli_text
    cli_error = as_json.json()
    if cli_error["error"].get("hint", "").startswith("usage:"):
        del cli_error["error"]["hint"]
    assert result.structured_content == cli_error


def test_arguments_outside_the_schema_are_refused_in_cli_words(db_path: str) -> None:
    async def body(client: Client) -> list[Any]:
        return [
            await client.call_tool("get_session", {"session_id": "s", "sesion": "s"}),
            await client.call_tool("log_interaction", {"session_id": "s", "agent_type": "pm"}),
            await client.call_tool("update_task_group", {"group_id": "g", "increment_revision": "maybe"}),
            await client.call_tool("log_interactoin", {"session_id": "s"}),
        ]

    unknown, missing, wrong_type, no_tool = (result.structured_content for result in in_process(db_path, body))
    assert unknown == {"ok": False, "error": {
        "code": "usage", "message": "unknown argument sesion for get_session; its arguments are: session_id",
        "hint": "did you mean session_id?"}}
    assert missing == {"ok": False, "error": {
        "code": "usage", "message": "log_interaction is missing content (the text to log)"}}
    assert wrong_type == {"ok": False, "error": {
        "code": "invalid_input", "message": "increment_revision must be true or false, got 'maybe'"}}
    assert no_tool["error"]["code"] == "usage" and no_tool["error"]["hint"] == "did you mean log_interaction?"
    assert no_tool["error"]["message"].startswith("unknown tool 'log_interactoin'; the tools are: list_sessions, ")
    with BazingaDB(db_path) as db:
        assert db.list_sessions() == []  # nothing was written


def test_json_arguments_given_as_strings_are_json_text(db_path: str) -> None:
    """The batch rule: a double-encoded document is decoded; a string that is not JSON is
    refused as invalid_json in the CLI's words, and nothing is stored."""
    async def body(client: Client) -> list[Any]:
        return [
            await client.call_tool("save_state", {"session_id": "s", "state_type": "pm", "state_data": "{not json"}),
            await client.call_tool("save_state", {"session_id": "s", "state_type": "pm",
                                                  "state_data": json.dumps({"a": 1})}),
            await client.call_tool("get_state", {"session_id": "s", "state_type": "pm"}),
            await client.call_tool("list_sessions", {"limit": "5"}),
        ]

    broken, encoded, read_back, numeric = in_process(db_path, body)
    plain = run_cli("save-state", "s", "pm", "{not json", db=db_path)
    assert broken.is_error and broken.structured_content["error"]["code"] == "invalid_json"
    assert broken.content[0].text == plain.err.rstrip("\n")
    assert not encoded.is_error and read_back.structured_content == {"result": {"a": 1}}
    assert not numeric.is_error and len(numeric.structured_content["result"]) == 1
    with BazingaDB(db_path) as db:
        assert [state["state_data"] for state in db.state_history("s", "pm")] == [{"a": 1}]


# -- resources -------------------------------------------------------------------------------


def test_session_resources(db_path: str) -> None:
    with BazingaDB(db_path) as db:
        db.create_session("sess_r", "simple", "resources")
        db.log_interaction("sess_r", "developer", "wrote the handler", iteration=2, agent_id="developer_1")
        db.save_state("sess_r", "orchestrator", {"phase": "review"})

    async def body(client: Client) -> dict[str, Any]:
        templates = (await client.list_resource_templates()).resource_templates
        static = (await client.list_resources()).resources
        snapshot = (await client.read_resource("bazinga://sessions/sess_r/snapshot")).contents[0]
        logs = (await client.read_resource("bazinga://sessions/sess_r/logs")).contents[0]
        sessions = (await client.read_resource("bazinga://sessions")).contents[0]
        with pytest.raises(MCPError) as missing:
            await client.read_resource("bazinga://sessions/nope/snapshot")
        with pytest.raises(MCPError, match="unknown resource bazinga://sessions/sess_r/colour"):
            await client.read_resource("bazinga://sessions/sess_r/colour")
        return {"templates": templates, "static": static, "snapshot": snapshot, "logs": logs,
                "sessions": sessions, "missing": missing.value}

    got = in_process(db_path, body)
    assert {template.uri_template for template in got["templates"]} == {
        "bazinga://sessions/{session_id}/snapshot", "bazinga://sessions/{session_id}/logs"}
    assert [str(resource.uri) for resource in got["static"]] == ["bazinga://sessions"]
    assert got["snapshot"].mime_type == "application/json"
    snapshot = json.loads(got["snapshot"].text)
    assert snapshot["session"]["session_id"] == "sess_r" and snapshot["states"] == {"orchestrator": {"phase": "review"}}
    assert got["logs"].mime_type == "text/markdown"
    assert got["logs"].text.startswith("# Orchestration log: sess_r")
    assert "wrote the handler" in got["logs"].text and "iteration 2" in got["logs"].text
    assert [session["session_id"] for session in json.loads(got["sessions"].text)] == ["sess_r"]
    assert str(got["missing"]) == "session 'nope' not found"


# -- the command ------------------------------------------------------------------------------


def test_mcp_command_explains_a_missing_sdk(tmp_path: Path, db_path: str) -> None:
    """With an SDK that has no mcp.server.mcpserver (1.x, or none), one clear line, exit 1."""
    fake = tmp_path / "old_sdk"
    (fake / "mcp" / "server").mkdir(parents=True)
    (fake / "mcp" / "__init__.py").write_text("")
    (fake / "mcp" / "server" / "__init__.py").write_text("")
    result = run_cli("mcp", db=db_path, env={"PYTHONPATH": str(fake)})
    assert result.code == 1
    assert result.err.startswith("error: the MCP server needs the MCP SDK 2.x")
    assert "pip install '.[mcp]' in a bazinga-db checkout, or pip install 'mcp>=2'" in result.err
    assert "Traceback" not in result.err
    as_json = run_cli("--json", "mcp", db=db_path, env={"PYTHONPATH": str(fake)})
    assert as_json.json()["error"]["code"] == "backend_unavailable"


def test_mcp_command_ends_when_its_input_closes(db_path: str) -> None:
    result = run_cli("mcp", db=db_path, input="")
    assert result.code == 0, result
    assert result.out == ""
