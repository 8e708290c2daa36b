"""How long agents wait: one call through the skill script, and MCP tool calls.

    .venv/bin/python benchmarks/bench_agents.py [CALLS]

Prints the median wall time of a `log-interaction` through the installed skill script
(a new process per call, as a shell tool runs it), the size of the MCP tool list (what
an agent reads into its context), the MCP server's start-up over stdio, and the mean
time of a `log_interaction` tool call in-process and over stdio.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from mcp import Client, StdioServerParameters

from bazinga_db import BazingaDB
from bazinga_db.frontends.mcp import build_server
from bazinga_db.skill import install_skill


async def tool_calls(client: Client, calls: int) -> float:
    started = time.perf_counter()
    for index in range(calls):
        result = await client.call_tool("log_interaction", {"session_id": "bench", "agent_type": "developer",
                                                            "content": f"entry {index}"})
        assert not result.is_error, result.content
    return (time.perf_counter() - started) / calls


async def mcp_numbers(folder: Path, calls: int) -> None:
    db = BazingaDB(folder / "in_process.db")
    try:
        async with Client(build_server(db)) as client:
            tools = (await client.list_tools()).tools
            size = sum(len(json.dumps(tool.model_dump(by_alias=True, exclude_none=True, mode="json")))
                       for tool in tools)
            print(f"MCP tool list: {size:,} characters for {len(tools)} tools ({size / len(tools):.0f} per tool)")
            print(f"MCP in-process: {await tool_calls(client, calls) * 1000:.1f} ms per tool call ({calls} calls)")
    finally:
        db.close()
    started = time.perf_counter()
    server = StdioServerParameters(command=sys.executable,
                                   args=["-m", "bazinga_db", "mcp", "--db", str(folder / "stdio.db")])
    async with Client(server) as client:
        print(f"MCP stdio: {time.perf_counter() - started:.2f} s to start the server and connect")
        print(f"MCP stdio: {await tool_calls(client, calls) * 1000:.1f} ms per tool call ({calls} calls)")


def skill_numbers(folder: Path, calls: int) -> None:
    install_skill(str(folder))
    script = folder / ".claude" / "skills" / "bazinga-db" / "scripts" / "bazinga_db.py"
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        subprocess.run([sys.executable, str(script), "--db", str(folder / "skill.db"), "log-interaction",
                        "bench", "developer", "entry"], check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    print(f"skill script: {statistics.median(times) * 1000:.0f} ms per call, median of {calls} processes")


def main() -> None:
    calls = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    with tempfile.TemporaryDirectory() as folder:
        skill_numbers(Path(folder), max(10, calls // 5))
        asyncio.run(mcp_numbers(Path(folder), calls))


if __name__ == "__main__":
    main()
