"""Write a Claude Code transcript as Claude Code lays it out, for the demo and the benchmark.

    python3 examples/make_transcript.py DIR [--subagent TYPE:ID …] [--turns N]

Creates ``DIR/<uuid>.jsonl`` (the main conversation) and, per subagent,
``DIR/<uuid>/subagents/agent-<ID>.jsonl`` with its ``.meta.json``; prints the main file's
path. Responses are streamed as Claude Code writes them (several lines per message, the
final one with the stop reason), with 1-hour cache writes, cache reads and a
``<synthetic>`` placeholder: the traps an exact count must avoid.
"""

from __future__ import annotations

import argparse
import json
import os
import random

SESSION = "7d2c1a0e-5b7f-4e11-9c3a-2f6d8e4b1a90"
MODELS = ("claude-sonnet-4-5-20250929", "claude-haiku-4-5-20251001")


def entry(kind: str, number: int, agent_id: str | None, **fields: object) -> str:
    line = {"type": kind, "uuid": f"u-{agent_id or 'main'}-{number}", "sessionId": SESSION, "isSidechain": False,
            "timestamp": f"2026-12-04T09:{number // 60 % 60:02d}:{number % 60:02d}.000Z", "cwd": "/home/me/app",
            "version": "2.1.240", **fields}
    if agent_id:
        line["agentId"] = agent_id
    return json.dumps(line, separators=(",", ":")) + "\n"


def turns(agent_id: str | None, count: int, seed: int, pad: int = 0) -> str:
    """``count`` user/assistant turns; ``pad`` adds that many characters of text per message."""
    rng = random.Random(seed)
    out = []
    for turn in range(count):
        number = turn * 4
        out.append(entry("user", number, agent_id, message={"role": "user", "content": "continue " + "x" * pad}))
        mid = f"msg_{agent_id or 'main'}_{turn:06d}"
        model = MODELS[turn % 7 == 6]
        usage = {"input_tokens": rng.randint(3, 40), "cache_read_input_tokens": rng.randint(0, 60_000),
                 "cache_creation_input_tokens": 0, "service_tier": "standard"}
        hour, five = rng.randint(0, 4000), rng.randint(0, 300)
        usage["cache_creation_input_tokens"] = hour + five
        usage["cache_creation"] = {"ephemeral_5m_input_tokens": five, "ephemeral_1h_input_tokens": hour}
        final = rng.randint(20, 2000)
        for step, (output, stop) in enumerate(((2, None), (final // 2, None), (final, "end_turn"))):
            message = {"id": mid, "model": model, "role": "assistant", "stop_reason": stop,
                       "content": [{"type": "text", "text": "…" + "y" * pad}], "usage": {**usage, "output_tokens": output}}
            out.append(entry("assistant", number + 1 + step, agent_id, requestId=f"req_{mid}", message=message))
    out.append(entry("assistant", count * 4, agent_id, isApiErrorMessage=True, message={
        "id": f"msg_synthetic_{agent_id}", "model": "<synthetic>", "role": "assistant", "stop_reason": "stop_sequence",
        "content": [{"type": "text", "text": "API Error: Request was aborted."}],
        "usage": {"input_tokens": 0, "output_tokens": 0}}))
    return "".join(out)


def write(folder: str, subagents: list[tuple[str, str]], count: int, pad: int = 0) -> str:
    os.makedirs(os.path.join(folder, SESSION, "subagents"), exist_ok=True)
    for number, (agent_type, agent_id) in enumerate(subagents, start=1):
        base = os.path.join(folder, SESSION, "subagents", f"agent-{agent_id}")
        with open(base + ".meta.json", "w", encoding="utf-8") as handle:
            json.dump({"agentType": agent_type, "description": f"{agent_type} work", "toolUseId": f"toolu_{number}"},
                      handle)
        with open(base + ".jsonl", "w", encoding="utf-8") as handle:
            handle.write(turns(agent_id, count, seed=number, pad=pad))
    main = os.path.join(folder, f"{SESSION}.jsonl")
    with open(main, "w", encoding="utf-8") as handle:
        handle.write(turns(None, count, seed=0, pad=pad))
    return main


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder")
    parser.add_argument("--subagent", action="append", default=[], help="TYPE:ID, e.g. developer:developer_1")
    parser.add_argument("--turns", type=int, default=6)
    arguments = parser.parse_args()
    agents = [tuple(spec.split(":", 1)) for spec in arguments.subagent]
    print(write(arguments.folder, agents, arguments.turns))  # type: ignore[arg-type]
