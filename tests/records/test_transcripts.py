"""Measured token usage: Claude Code transcripts, the hook, install-hooks, and no double counting.

The corpus is written by the test from a list of API messages (their final figures and
whose they are), with the traps real transcripts hold: streamed copies, a message repeated
in a subagent file and the main file, synthetic placeholders, assistant lines without
usage, two models, and a half-written last line. The expected totals are summed from that
list, not from the code under test.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from bazinga_db import BazingaDB
from bazinga_db.util.prices import DEFAULT_PRICES, cost_usd, effective_prices, match_price
from conftest import run_cli

SONNET = "claude-sonnet-4-5-20250929"
HAIKU = "claude-haiku-4-5-20251001"
UUID = "0b5c7f3e-1111-4222-8333-944455556666"
KINDS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "cache_write_1h_tokens")


def message(mid: str, owner: tuple[str, str | None], model: str, inp: int, out: int, read: int,
            write_5m: int, write_1h: int, request: str | None = "req") -> dict[str, Any]:
    return {"id": mid, "owner": owner, "model": model, "input_tokens": inp, "output_tokens": out,
            "cache_read_tokens": read, "cache_write_tokens": write_5m + write_1h, "cache_write_1h_tokens": write_1h,
            "request": None if request is None else f"{request}_{mid}"}


ORCH = ("orchestrator", None)
DEV = ("general-purpose", "a1f2")
EXPLORE = ("explore", "b3c4")

# Every API message of the corpus with its final figures and whose it is.
MESSAGES = {
    "A": message("msg_A", ORCH, SONNET, 10, 120, 1000, 100, 400),
    "B": message("msg_B", ORCH, HAIKU, 7, 33, 0, 0, 0, request=None),  # no requestId: the message id alone
    "C": message("msg_C", DEV, SONNET, 3, 40, 2000, 0, 250),  # also copied into the main file
    "E": message("msg_E", DEV, SONNET, 5, 90, 3000, 50, 0),
    "F": message("msg_F", EXPLORE, HAIKU, 11, 17, 500, 0, 60),
    "G": message("msg_G", EXPLORE, SONNET, 2, 8, 100, 0, 0),
    "H": message("msg_H", ORCH, SONNET, 4, 300, 800, 0, 20),  # its final copy arrives in a later read
    "D": message("msg_D", ORCH, HAIKU, 6, 60, 0, 30, 0),  # half-written at first
}


def line(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, "sessionId": UUID, "timestamp": "2026-12-04T10:00:00.000Z", **fields}) + "\n"


def copy(spec: dict[str, Any], output: int, stop: str | None, **extra: Any) -> str:
    usage = {"input_tokens": spec["input_tokens"], "output_tokens": output,
             "cache_creation_input_tokens": spec["cache_write_tokens"],
             "cache_read_input_tokens": spec["cache_read_tokens"],
             "cache_creation": {"ephemeral_5m_input_tokens": spec["cache_write_tokens"] - spec["cache_write_1h_tokens"],
                                "ephemeral_1h_input_tokens": spec["cache_write_1h_tokens"]},
             "service_tier": "standard"}
    fields: dict[str, Any] = {"message": {"id": spec["id"], "model": spec["model"], "role": "assistant",
                                          "content": [{"type": "text", "text": "…"}], "stop_reason": stop,
                                          "usage": usage}, **extra}
    if spec["request"]:
        fields["requestId"] = spec["request"]
    return line("assistant", **fields)


def streamed(spec: dict[str, Any], copies: int = 3) -> str:
    """A streamed response: growing output on unfinished copies, the final one last."""
    partial = [copy(spec, min(n, spec["output_tokens"]), None) for n in (1, 9, 27)[: copies - 1]]
    return "".join(partial) + copy(spec, spec["output_tokens"], "end_turn")


def synthetic() -> str:
    return line("assistant", isApiErrorMessage=True, message={
        "id": "msg_synthetic", "model": "<synthetic>", "role": "assistant", "stop_reason": "stop_sequence",
        "content": [{"type": "text", "text": "API Error: Request was aborted."}],
        "usage": {"input_tokens": 0, "output_tokens": 0}})


def no_usage() -> str:
    return line("assistant", message={"id": "msg_nousage", "model": SONNET, "role": "assistant", "content": []})


def write_corpus(root: Path) -> Path:
    """A project folder as Claude Code leaves it; returns the main transcript."""
    project = root / "-home-me-app"
    subagents = project / UUID / "subagents"
    subagents.mkdir(parents=True)
    main = project / f"{UUID}.jsonl"
    h_first = copy(MESSAGES["H"], 3, None)
    d_line = copy(MESSAGES["D"], MESSAGES["D"]["output_tokens"], "end_turn")
    main.write_text(
        line("user", message={"role": "user", "content": "build it"})
        + line("file-history-snapshot", snapshot={})
        + streamed(MESSAGES["A"])
        + line("user", toolUseResult={"agentId": "a1f2", "totalTokens": 99999,
                                      "usage": {"input_tokens": 5000, "output_tokens": 5000}},
               message={"role": "user", "content": [{"type": "tool_result"}]})
        + synthetic()
        + no_usage()
        + copy(MESSAGES["B"], MESSAGES["B"]["output_tokens"], "tool_use")
        + copy(MESSAGES["C"], MESSAGES["C"]["output_tokens"], "end_turn")  # the cross-file copy
        + line("progress", data={"type": "hook_progress"})
        + line("some-future-type", anything=[1, 2])
        + h_first
        + d_line[: len(d_line) // 2],  # Claude Code is still writing this line
        encoding="utf-8",
    )
    (subagents / "agent-a1f2.meta.json").write_text(json.dumps({"agentType": "general-purpose"}))
    (subagents / "agent-a1f2.jsonl").write_text(
        line("user", agentId="a1f2", message={"role": "user", "content": "task"})
        + streamed(MESSAGES["C"], copies=2) + streamed(MESSAGES["E"]) + synthetic(), encoding="utf-8")
    workflow = subagents / "workflows" / "run1"
    workflow.mkdir(parents=True)
    (workflow / "agent-b3c4.meta.json").write_text(json.dumps({"agentType": "Explore"}))
    (workflow / "agent-b3c4.jsonl").write_text(
        copy(MESSAGES["F"], MESSAGES["F"]["output_tokens"], "end_turn") + streamed(MESSAGES["G"], copies=2),
        encoding="utf-8")
    (workflow / "journal.jsonl").write_text(line("journal", note="not a transcript"))
    return main


def finish_corpus(main: Path) -> None:
    """Claude Code completes the half-written line, then streams H's final copy."""
    d_line = copy(MESSAGES["D"], MESSAGES["D"]["output_tokens"], "end_turn")
    with main.open("a", encoding="utf-8") as handle:
        handle.write(d_line[len(d_line) // 2:])
        handle.write(copy(MESSAGES["H"], 150, None) + copy(MESSAGES["H"], 300, "end_turn"))


def expected(names: list[str], h_output: int | None = None, by: str = "agent_type") -> dict[str, dict[str, int]]:
    """Totals per agent type (or model) summed from MESSAGES alone."""
    totals: dict[str, dict[str, int]] = {}
    for name in names:
        spec = dict(MESSAGES[name])
        if name == "H" and h_output is not None:
            spec["output_tokens"] = h_output
        key = spec["owner"][0] if by == "agent_type" else spec["model"]
        row = totals.setdefault(key, dict.fromkeys((*KINDS, "calls"), 0))
        for kind in KINDS:
            row[kind] += spec[kind]
        row["calls"] += 1
    return totals


def measured(summary: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {key: {**{kind: detail[kind] for kind in KINDS}, "calls": detail["calls"]}
            for key, detail in summary["details"].items()}


FIRST = ["A", "B", "C", "E", "F", "G", "H"]  # H at its first copy (output 3); D not yet complete


def test_ingest_counts_every_message_once_then_only_what_is_new(store: BazingaDB, tmp_path: Path) -> None:
    main = write_corpus(tmp_path)
    store.create_session("s1")
    report = store.ingest_transcript(str(main), session_id="s1")
    assert report["file_count"] == 3 and report["messages"] == 7 and report["updated"] == 0
    assert report["synthetic"] == 2 and report["without_usage"] == 1
    # streamed copies: A 2, C 1, E 2, G 1 in their reads; the cross-file copy of C once
    assert report["duplicates"] == 7
    want = expected(FIRST, h_output=3)
    assert measured(store.token_summary("s1")) == want
    assert measured(store.token_summary("s1", by="model")) == expected(FIRST, h_output=3, by="model")
    assert report["tokens"] == {kind: sum(row[kind] for row in want.values()) for kind in KINDS} | {
        "total_tokens": sum(row[kind] for row in want.values() for kind in KINDS[:4])}
    by_id = store.token_summary("s1", by="agent_id")["breakdown"]
    assert set(by_id) == {"a1f2", "b3c4", "unknown"}

    again = store.ingest_transcript(str(main), session_id="s1")
    assert again["messages"] == again["updated"] == again["duplicates"] == 0
    assert again["tokens"]["total_tokens"] == 0
    assert measured(store.token_summary("s1")) == want

    finish_corpus(main)
    grown = store.ingest_transcript(str(main), session_id="s1")
    assert grown["messages"] == 1 and grown["updated"] == 1  # D is new; H's final copy replaces its first
    assert grown["files"][-1]["read_from"] == report["files"][-1]["read_to"]  # read from where it stopped
    assert grown["tokens"]["output_tokens"] == MESSAGES["D"]["output_tokens"] + 300 - 3
    final = expected([*FIRST, "D"])
    assert measured(store.token_summary("s1")) == final
    summary = store.token_summary("s1")
    assert summary["source"] == "measured" and summary["measured"]["calls"] == 8
    # each record priced at its model's list price, 1-hour writes at the 1-hour rate
    table = effective_prices(None)
    want_cost = sum(
        cost_usd(match_price(spec["model"], table)[1], *(spec[kind] for kind in KINDS))  # type: ignore[index]
        for spec in (MESSAGES[name] for name in [*FIRST, "D"])
    )
    assert summary["cost_usd"] == pytest.approx(want_cost, abs=1e-6)
    assert store.ingest_transcript(str(main), session_id="s1")["messages"] == 0


def test_cli_ingest_reports_counts_and_refuses_bad_input(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    main = write_corpus(tmp_path)
    assert cli("ingest-transcript", str(main)).code != 0  # no session at all yet
    cli("create-session", "s1")
    done = cli("ingest-transcript", str(main), "--json", env={"BAZINGA_SESSION": ""})
    assert done.code == 0, done
    counts = done.json()
    assert counts["session_id"] == "s1" and counts["messages"] == 7 and counts["duplicates"] == 7
    text = cli("ingest-transcript", str(main), "--session", "s1")
    assert text.code == 0 and text.out.startswith("✓ Recorded 0 messages (0 updated, 0 duplicates skipped)")
    for bad in (["ingest-transcript", str(tmp_path / "missing.jsonl")],
                ["ingest-transcript", str(main), "--agent-type", "!!"]):
        result = cli(*bad)
        assert result.code == 2 and result.err.startswith("error: ") and "Traceback" not in result.err, result
    assert cli("token-summary", "s1", "--json").json()["calls"] == 7


def test_a_subagent_file_alone_and_the_env_session(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    main = write_corpus(tmp_path)
    sub = main.parent / UUID / "subagents" / "agent-a1f2.jsonl"
    result = cli("ingest-transcript", str(sub), "--json", env={"BAZINGA_SESSION": "from_env"})
    assert result.code == 0, result
    assert result.json()["session_id"] == "from_env" and result.json()["messages"] == 2
    summary = cli("token-summary", "from_env", "agent_id").json()
    assert measured(summary) == {"a1f2": expected(["C", "E"])["general-purpose"]}


def hook(cli, event: Any, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    text = event if isinstance(event, str) else json.dumps(event)
    return cli("hook", input=text, env={"BAZINGA_SESSION": "", **(env or {})})


def test_hooks_attribute_subagents_and_the_orchestrator(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    main = write_corpus(tmp_path)
    cli("create-session", "older")
    cli("create-session", "s1")  # the newest active session gets the usage
    sub = main.parent / UUID / "subagents" / "agent-a1f2.jsonl"
    base = {"session_id": UUID, "transcript_path": str(main), "cwd": str(tmp_path), "permission_mode": "default"}
    started = hook(cli, {**base, "hook_event_name": "SubagentStart", "agent_id": "a1f2", "agent_type": "developer"})
    assert (started.code, started.out, started.err) == (0, "{}\n", ""), started
    assert "developer agent started (a1f2)" in cli("stream-logs", "s1").out
    assert cli("get-logs", "s1", "--log-type", "agent_start").json()[0]["agent_type"] == "developer"

    stopped = hook(cli, {**base, "hook_event_name": "SubagentStop", "agent_id": "a1f2", "agent_type": "developer",
                         "agent_transcript_path": str(sub), "stop_hook_active": False,
                         "last_assistant_message": "done"})
    assert (stopped.code, stopped.out) == (0, "{}\n"), stopped
    summary = cli("token-summary", "s1").json()
    assert measured(summary) == {"developer": expected(["C", "E"])["general-purpose"]}
    assert cli("token-summary", "s1", "agent_id").json()["breakdown"].keys() == {"a1f2"}

    # Stop reads the main file and the subagent files not read yet; C stays the developer's.
    stop = hook(cli, {**base, "hook_event_name": "Stop", "stop_hook_active": False})
    assert (stop.code, stop.out) == (0, "{}\n"), stop
    details = measured(cli("token-summary", "s1").json())
    assert details["developer"] == expected(["C", "E"])["general-purpose"]
    assert details["orchestrator"] == expected(["A", "B", "H"], h_output=3)["orchestrator"]
    assert details["explore"] == expected(["F", "G"])["explore"]
    assert cli("token-summary", "older").json()["calls"] == 0
    assert hook(cli, {**base, "hook_event_name": "PreToolUse", "tool_name": "Bash"}).out == "{}\n"


@pytest.mark.parametrize("garbage", ["", "not json", "[1, 2]", '{"hook_event_name": 7}', "\x00\xff",
                                     '{"hook_event_name": "Stop", "transcript_path": 12}',
                                     '{"hook_event_name": "SubagentStop", "agent_id": "zz"}'])
def test_garbage_on_the_hook_changes_nothing(cli, db_target: str, garbage: str) -> None:  # type: ignore[no-untyped-def]
    cli("create-session", "s1")
    cli("log-tokens", "s1", "developer", "100")
    before = cli("export").out.splitlines()[1:-1]
    result = hook(cli, garbage)
    assert result.code in (0, 1), result
    assert result.out in ("", "{}\n")
    assert len(result.err.strip().splitlines()) <= 1 and "Traceback" not in result.err
    if result.code == 1 or garbage.startswith("{\"hook_event_name\": \"S"):
        assert result.err.startswith("bazinga-db hook: ")
    assert cli("export").out.splitlines()[1:-1] == before


def test_hook_without_database_or_session_writes_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none" / "bazinga.db"
    event = json.dumps({"hook_event_name": "Stop", "transcript_path": str(write_corpus(tmp_path))})
    result = run_cli("hook", db=str(missing), input=event, env={"BAZINGA_SESSION": ""})
    assert result.code in (0, 1) and result.out in ("", "{}\n") and len(result.err.splitlines()) == 1, result
    assert not missing.exists() and not missing.parent.exists()
    empty = tmp_path / "empty.db"
    run_cli("create-session", "done", db=str(empty))
    run_cli("update-session-status", "done", "completed", db=str(empty))
    result = run_cli("hook", db=str(empty), input=event, env={"BAZINGA_SESSION": ""})
    assert (result.code, result.out) == (0, "{}\n") and "no active session" in result.err, result
    connection = sqlite3.connect(empty)
    assert connection.execute("SELECT COUNT(*) FROM token_usage").fetchone() == (0,)
    connection.close()


def test_install_hooks_merges_and_is_idempotent(tmp_path: Path) -> None:
    settings = tmp_path / ".claude" / "settings.json"
    settings.parent.mkdir()
    original = {
        "permissions": {"allow": ["Bash(make test)"]},
        "env": {"FOO": "1"},
        "hooks": {
            "Stop": [{"hooks": [{"type": "command", "command": "notify-send done"}]}],
            "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "./check.sh"}]}],
        },
    }
    settings.write_text(json.dumps(original, indent=4) + "\n")
    first = run_cli("install-hooks", "--settings", str(settings), "--json")
    assert first.code == 0, first
    assert first.json()["added"] == ["SubagentStart", "SubagentStop", "Stop"]
    text = settings.read_text()
    document = json.loads(text)
    assert document["permissions"] == original["permissions"] and document["env"] == original["env"]
    assert document["hooks"]["PreToolUse"] == original["hooks"]["PreToolUse"]
    assert document["hooks"]["Stop"][0] == original["hooks"]["Stop"][0]
    for event in ("SubagentStart", "SubagentStop", "Stop"):
        commands = [hook["command"] for group in document["hooks"][event] for hook in group["hooks"]]
        assert commands.count("bazinga-db hook") == 1
    assert text.splitlines()[1].startswith("    \"") and text.endswith("}\n")  # four spaces, as it was
    second = run_cli("install-hooks", "--settings", str(settings))
    assert second.code == 0 and "unchanged" in second.out, second
    assert settings.read_text() == text
    # the default: .claude/settings.json under the project root, created when missing
    project = tmp_path / "proj"
    (project / ".git").mkdir(parents=True)
    (project / "src").mkdir()
    made = run_cli("install-hooks", cwd=str(project / "src"))
    assert made.code == 0 and str(project / ".claude" / "settings.json") in made.out, made
    assert set(json.loads((project / ".claude" / "settings.json").read_text())["hooks"]) == {
        "SubagentStart", "SubagentStop", "Stop"}
    settings.write_text("{broken")
    bad = run_cli("install-hooks", "--settings", str(settings))
    assert bad.code == 2 and "not valid JSON" in bad.err and settings.read_text() == "{broken"


def test_reported_and_measured_usage_are_not_added_together(store: BazingaDB, tmp_path: Path) -> None:
    main = write_corpus(tmp_path)
    store.create_session("s1")
    store.log_tokens("s1", "orchestrator", 50_000)  # estimates of agents that are also measured
    store.log_tokens("s1", "general-purpose", 70_000, agent_id="a1f2")
    store.log_tokens("s1", "general-purpose", 9_000, agent_id="other")  # another agent: not measured
    store.log_tokens("s1", "qa", 3_000, agent_id="qa_1", model=SONNET, input_tokens=1000, output_tokens=2000)
    store.ingest_transcript(str(main), session_id="s1")
    want = expected(FIRST, h_output=3)
    measured_tokens = sum(row[kind] for row in want.values() for kind in KINDS[:4])
    summary = store.token_summary("s1")
    assert summary["total_tokens"] == measured_tokens + 9_000 + 3_000
    assert summary["breakdown"]["orchestrator"] == sum(want["orchestrator"][kind] for kind in KINDS[:4])
    assert summary["details"]["general-purpose"]["source"] == "mixed"
    assert summary["details"]["qa"]["source"] == "reported"
    assert summary["source"] == "mixed"
    assert summary["measured"]["tokens"] == measured_tokens and summary["measured"]["calls"] == 7
    assert summary["reported"]["tokens"] == 132_000 and summary["reported"]["superseded_tokens"] == 120_000
    assert summary["reported"]["superseded_calls"] == 2 and "not added" in summary["note"]
    qa_cost = (1000 * 3 + 2000 * 15) / 1e6
    assert summary["cost_usd"] == pytest.approx(summary["measured"]["cost_usd"] + qa_cost, abs=2e-6)
    snapshot = store.dashboard_snapshot("s1")
    assert snapshot["token_usage"]["total_tokens"] == summary["total_tokens"]
    assert snapshot["token_usage"]["cost_usd"] == summary["cost_usd"]
    snapshot = snapshot["token_usage_detail"]
    assert snapshot["source"] == "mixed" and snapshot["measured"] == summary["measured"]
    assert snapshot["cache_read_tokens"] == sum(row["cache_read_tokens"] for row in want.values())
    assert snapshot["cache_write_1h_tokens"] == sum(row["cache_write_1h_tokens"] for row in want.values())
    store.create_session("s2")
    store.log_tokens("s2", "developer", 1234)
    compared = store.compare_sessions("s1", "s2")
    first, second = compared["sessions"]
    assert first["total_tokens"] == summary["total_tokens"] and first["token_source"] == "mixed"
    assert first["tokens_by_kind"]["output_tokens"] == summary["output_tokens"]
    assert second["token_source"] == "reported" and second["total_tokens"] == 1234
    assert compared["difference"]["total_tokens"] == 1234 - summary["total_tokens"]


def test_transcript_records_travel_with_export_import_and_prune(store: BazingaDB, tmp_path: Path) -> None:
    main = write_corpus(tmp_path)
    store.create_session("s1")
    store.ingest_transcript(str(main), session_id="s1")
    exported = tmp_path / "export.jsonl"
    store.export(output=str(exported))
    assert '"table":"_transcript_offsets"' in exported.read_text()
    copy_db = BazingaDB(str(tmp_path / "copy.db"))
    try:
        copy_db.import_(str(exported))
        assert copy_db.token_summary("s1")["details"] == store.token_summary("s1")["details"]
        assert copy_db.ingest_transcript(str(main), session_id="s1")["messages"] == 0  # offsets came along
        assert copy_db.import_(str(exported))["inserted"] == 0
    finally:
        copy_db.close()
    store.update_session_status("s1", "completed")
    store.prune(older_than="2999-01-01")
    assert store.query("SELECT COUNT(*) AS n FROM _transcript_offsets")[0]["n"] == 0


# -- prices ------------------------------------------------------------------------------

# (input, output, 5-minute write, 1-hour write, cache read) per the reference sheet of 2026-12-04
SHEET = {
    "claude-fable-5-2": (8, 40, 10, 16, 0.20),
    "claude-fable-5-1": (10, 50, 12.50, 20, 0.25),
    "claude-opus-5-5": (4, 20, 5, 8, 0.20),
    "claude-opus-5": (5, 25, 6.25, 10, 0.50),
    "claude-sonnet-5-5": (2, 10, 2.50, 4, 0.10),
    "claude-sonnet-5": (2, 10, 2.50, 4, 0.20),
    "claude-haiku-5-5": (0.10, 0.50, 0.125, 0.20, 0.01),
    "claude-opus-4-5-20251101": (5, 25, 6.25, 10, 0.50),
    "claude-opus-4-6": (5, 25, 6.25, 10, 0.50),
    "claude-opus-4-7": (5, 25, 6.25, 10, 0.50),
    "claude-opus-4-8": (5, 25, 6.25, 10, 0.50),
    "claude-sonnet-4-5-20250929": (3, 15, 3.75, 6, 0.30),
    "claude-sonnet-4-5": (3, 15, 3.75, 6, 0.30),
    "claude-sonnet-4-6": (3, 15, 3.75, 6, 0.30),
    "claude-sonnet-4": (3, 15, 3.75, 6, 0.30),
    "claude-sonnet-4-20250514": (3, 15, 3.75, 6, 0.30),
    "claude-haiku-4-5-20251001": (1, 5, 1.25, 2, 0.10),
    "claude-opus-4-1": (15, 75, 18.75, 30, 1.50),
    "claude-opus-4-1-20250805": (15, 75, 18.75, 30, 1.50),
    "claude-opus-4": (15, 75, 18.75, 30, 1.50),
    "claude-3-5-haiku-latest": (0.8, 4, 1.0, 1.6, 0.08),
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0": (3, 15, 3.75, 6, 0.30),
    "claude-sonnet-4-5@20250929": (3, 15, 3.75, 6, 0.30),
    "claude-opus-4-6[1m]": (5, 25, 6.25, 10, 0.50),
}


@pytest.mark.parametrize("model", sorted(SHEET))
def test_each_current_model_gets_its_list_price(model: str) -> None:
    found = match_price(model, effective_prices(None))
    assert found is not None, model
    prices = found[1]
    assert (prices["input"], prices["output"], prices["cache_write"], prices["cache_write_1h"],
            prices["cache_read"]) == pytest.approx(SHEET[model]), (model, found[0])


def test_newer_point_releases_fall_back_within_their_family() -> None:
    table = effective_prices(None)
    assert match_price("claude-opus-4-9", table)[0] == "claude-opus-4-8"  # type: ignore[index]
    assert match_price("claude-sonnet-5-5-20261001", table)[0] == "claude-sonnet-5-5"  # type: ignore[index]
    assert match_price("claude-sonnet-5-1", table)[0] == "claude-sonnet-5"  # type: ignore[index]
    assert all("cache_write_1h" in prices for name, prices in DEFAULT_PRICES.items() if "claude" in name)


def test_one_hour_writes_and_overrides(store: BazingaDB) -> None:
    one_hour = cost_usd(DEFAULT_PRICES["claude-sonnet-4-5"], 0, 0, 0, 1_000_000, 1_000_000)
    five_minute = cost_usd(DEFAULT_PRICES["claude-sonnet-4-5"], 0, 0, 0, 1_000_000, 0)
    assert (one_hour, five_minute) == (6.0, 3.75)
    store.set_config("prices", {"claude-sonnet-4-5": {"input": 1, "output": 2, "cache_write": 3,
                                                      "cache_write_1h": 4}})
    assert store.prices()["prices"]["claude-sonnet-4-5"]["cache_write_1h"] == 4.0
    # without a 1-hour price an override prices 1-hour writes like 5-minute ones
    store.set_config("prices", {"claude-sonnet-4-5": {"input": 1, "output": 2, "cache_write": 3}})
    assert cost_usd(store.prices()["prices"]["claude-sonnet-4-5"], 0, 0, 0, 10, 10) == pytest.approx(30 / 1e6)
