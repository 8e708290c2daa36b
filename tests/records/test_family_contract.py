"""The contract every append-style record family keeps, on SQLite and on PostgreSQL.

A family is an operation that appends a row to a session's table (logs, states, token
usage, skill outputs, decisions). Each one, and each family added later, must:

(a) store a retried write (same ``idempotency_key``) once and return the first record,
    saying so in a notice;
(b) create a missing session (active, mode simple) in the same transaction as the row;
(c) store secrets in its free text or JSON as ``[REDACTED:<kind>]`` markers;
(d) come back identical from ``export`` of its session and ``import`` into a fresh database;
(e) go with a finished session that ``prune`` deletes, and stay with an active one;
(f) be a store operation served as the MCP tool named after its method.

To give a new family every guarantee, add one ``Family`` line to ``FAMILIES``;
``test_every_family_is_in_the_contract`` fails until an operation that takes an
``idempotency_key`` has its line.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bazinga_db import BazingaDB, BazingaError, operations
from bazinga_db.db.schema import SESSION_TABLES


@dataclass(frozen=True)
class Family:
    operation: str  # the CLI name; the store method and MCP tool are its ``method``
    table: str
    # Sample arguments of one write for (session_id, idempotency_key); a key of None is left out.
    sample: Callable[[str, str | None], dict[str, Any]]
    # The argument holding free text or JSON, where a pasted secret could hide (None: no such argument).
    secret_argument: str | None

    def __str__(self) -> str:
        return self.operation


FAMILIES = [
    Family("log-interaction", "orchestration_logs", lambda session, key: {
        "session_id": session, "agent_type": "developer", "content": "ran the tests: 12 passed", "iteration": 2,
        "agent_id": "developer_1", "group_id": "group_a", "idempotency_key": key}, "content"),
    Family("save-state", "state_snapshots", lambda session, key: {
        "session_id": session, "state_type": "pm", "state_data": {"iteration": 1, "groups": ["a", "b"]},
        "group_id": "group_a", "idempotency_key": key}, "state_data"),
    Family("log-tokens", "token_usage", lambda session, key: {
        "session_id": session, "agent_type": "developer", "tokens": 1200, "agent_id": "developer_1",
        "model": "opus", "input_tokens": 1000, "output_tokens": 200, "idempotency_key": key}, None),
    Family("save-skill-output", "skill_outputs", lambda session, key: {
        "session_id": session, "skill_name": "lint", "output_data": {"errors": 0, "warnings": 3},
        "agent_type": "qa", "iteration": 1, "idempotency_key": key}, "output_data"),
    Family("log-decision", "decisions", lambda session, key: {
        "session_id": session, "decision_type": "spawn_developers", "decision_data": {"count": 3},
        "iteration": 1, "idempotency_key": key}, "decision_data"),
    Family("save-event", "events", lambda session, key: {
        "session_id": session, "event_subtype": "tl_verdicts", "event_payload": {"group_a": "APPROVED"},
        "group_id": "group_a", "agent_type": "tech_lead", "idempotency_key": key}, "event_payload"),
    Family("save-reasoning", "orchestration_logs", lambda session, key: {
        "session_id": session, "group_id": "group_a", "agent_type": "developer", "reasoning_phase": "approach",
        "content": "JWT with refresh tokens", "confidence": "high", "idempotency_key": key}, "content"),
    Family("save-context-package", "context_packages", lambda session, key: {
        "session_id": session, "group_id": "group_a", "package_type": "research",
        "file_path": "bazinga/artifacts/research.md", "producer_agent": "investigator",
        "consumers": ["developer", "qa_expert"], "priority": "high", "summary": "OAuth providers compared",
        "idempotency_key": key}, "summary"),
]

# Secrets of two documented kinds (util/redaction.py), and the markers that replace them.
GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5f6" * 3
ANTHROPIC_KEY = "sk-ant-api03-" + "Zy9Xw8Vu7Ts6" * 2
SECRETS = {GITHUB_TOKEN: "[REDACTED:github_token]", ANTHROPIC_KEY: "[REDACTED:anthropic_key]"}

REDACTABLE = [family for family in FAMILIES if family.secret_argument is not None]


def family_ids(families: list[Family]) -> list[str]:
    return [family.operation for family in families]


def method(family: Family) -> str:
    operation = operations.find(family.operation)
    assert operation is not None, f"{family.operation} is not in the operation table"
    return operation.method


def write(store: BazingaDB, family: Family, session_id: str, key: str | None = None,
          **changes: Any) -> dict[str, Any]:
    """One write of the family through the Python API (the store method the CLI and MCP share)."""
    arguments = {**family.sample(session_id, key), **changes}
    result: dict[str, Any] = getattr(store, method(family))(**arguments)
    return result


def argv(family: Family, session_id: str, key: str | None) -> list[str]:
    """The same write as a command line, every argument given as its flag."""
    operation = operations.find(family.operation)
    assert operation is not None
    kinds = {param.name: param.kind for param in operation.params}
    line = [family.operation]
    for name, value in family.sample(session_id, key).items():
        if value is not None:
            line += ["--" + name.replace("_", "-"), json.dumps(value) if kinds[name] == "json" else str(value)]
    return line


def rows(store: BazingaDB, table: str, session_id: str) -> list[dict[str, Any]]:
    # The ids here are the test's own constants, so quoting them into the statement is safe.
    return store.query(f"SELECT * FROM {table} WHERE session_id = '{session_id}' ORDER BY id")


def plant(value: Any, secret: str) -> Any:
    """``value`` (text or a JSON object) with ``secret`` pasted into it, as an agent might."""
    if isinstance(value, str):
        return f"{value}; export GITHUB_TOKEN={secret}"
    assert isinstance(value, dict), value
    return {**value, "log_excerpt": f"curl -H 'x-key: {secret}' https://api.example.com"}


@pytest.fixture
def fresh_target(db_backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second empty database on this test's backend."""
    if db_backend == "sqlite":
        yield str(tmp_path / "fresh.db")
        return
    server = request.getfixturevalue("postgres_server")
    name = server.create_database()
    yield server.url(name)
    server.drop_database(name)


def test_every_family_is_in_the_contract() -> None:
    """Each operation that takes an idempotency key appends to a session's table: it needs its line here."""
    appending = {operation.name for operation in operations.OPERATIONS
                 if any(param.name == "idempotency_key" for param in operation.params)}
    assert appending == {family.operation for family in FAMILIES}
    for family in FAMILIES:
        assert family.table in SESSION_TABLES, family
        names = [param.name for param in operations.find(family.operation).params]  # type: ignore[union-attr]
        assert set(family.sample("s", "k")) <= set(names), family
        assert family.secret_argument is None or family.secret_argument in names, family


# -- (a) idempotent replay ---------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=family_ids(FAMILIES))
def test_a_replayed_write_stores_one_row_and_returns_the_first(
    family: Family, cli: Any, store: BazingaDB
) -> None:
    store.create_session("sess_replay", "parallel", "replays")
    first = cli("--json", *argv(family, "sess_replay", "retry-1"))
    assert first.code == 0, first
    assert "Already recorded" not in first.err
    again = cli("--json", *argv(family, "sess_replay", "retry-1"))
    assert again.code == 0, again
    assert again.json() == first.json()
    assert "✓ Already recorded under idempotency key retry-1: nothing new stored" in again.err
    assert [row["id"] for row in rows(store, family.table, "sess_replay")] == [first.json()["id"]]
    # Through the API too, with the notice on the store; a write without a key is a new row.
    assert write(store, family, "sess_replay", "retry-1") == first.json()
    assert ("idempotent_replay", "retry-1") in store.notices
    write(store, family, "sess_replay")
    assert len(rows(store, family.table, "sess_replay")) == 2


# -- (b) session auto-creation -----------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=family_ids(FAMILIES))
def test_a_write_to_a_missing_session_creates_it_in_the_same_transaction(
    family: Family, store: BazingaDB, db_backend: str
) -> None:
    record = write(store, family, "sess_new")
    assert ("session_auto_created", "sess_new") in store.notices
    session = store.get_session("sess_new")
    assert (session["status"], session["mode"]) == ("active", "simple")
    assert [row["id"] for row in rows(store, family.table, "sess_new")] == [record["id"]]
    # When the row cannot be stored, the session it would have created is not kept either.
    refuse_inserts(store, family.table, db_backend)
    with pytest.raises(BazingaError):
        write(store, family, "sess_never")
    sessions = store.query("SELECT session_id FROM sessions ORDER BY session_id")
    assert [row["session_id"] for row in sessions] == ["sess_new"]


def refuse_inserts(store: BazingaDB, table: str, db_backend: str) -> None:
    """A trigger that makes every INSERT into ``table`` fail inside the write's transaction."""
    with store.write() as tx:
        if db_backend == "sqlite":
            tx.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            tx.execute("CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                       "$$ BEGIN RAISE EXCEPTION 'refused'; END $$")
            tx.execute(f"CREATE TRIGGER refuse BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION refuse()")


# -- (c) redaction -----------------------------------------------------------------------


@pytest.mark.parametrize("family", REDACTABLE, ids=family_ids(REDACTABLE))
@pytest.mark.parametrize("secret", list(SECRETS), ids=["github_token", "anthropic_key"])
def test_secrets_in_text_or_json_are_stored_redacted(
    family: Family, secret: str, store: BazingaDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("BAZINGA_REDACT_SECRETS", raising=False)
    name = family.secret_argument
    assert name is not None
    planted = plant(family.sample("sess_secret", None)[name], secret)
    record = write(store, family, "sess_secret", **{name: planted})
    [row] = rows(store, family.table, "sess_secret")
    stored = row[name] if isinstance(row[name], str) else json.dumps(row[name])
    assert secret not in stored and SECRETS[secret] in stored, stored
    assert secret not in json.dumps(record) and SECRETS[secret] in json.dumps(record)


# -- (d) export and import ---------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=family_ids(FAMILIES))
def test_export_then_import_into_a_fresh_database_gives_identical_rows(
    family: Family, cli: Any, store: BazingaDB, fresh_target: str, tmp_path: Path
) -> None:
    store.create_session("sess_move", "parallel", "to be moved")
    write(store, family, "sess_move", "move-1")
    write(store, family, "sess_move")
    write(store, family, "sess_other")  # another session: not part of the export
    export = str(tmp_path / "sess_move.jsonl")
    exported = cli("export", "--session", "sess_move", "--output", export)
    assert exported.code == 0, exported
    imported = cli("import", export, db=fresh_target)
    assert imported.code == 0, imported
    with BazingaDB(fresh_target) as copy:
        assert rows(copy, family.table, "sess_move") == rows(store, family.table, "sess_move")
        assert len(rows(copy, family.table, "sess_move")) == 2
        assert copy.query("SELECT * FROM sessions") == store.query(
            "SELECT * FROM sessions WHERE session_id = 'sess_move'")
        assert rows(copy, family.table, "sess_other") == []


# -- (e) prune ---------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=family_ids(FAMILIES))
def test_prune_takes_a_finished_sessions_rows_and_never_an_active_ones(family: Family, store: BazingaDB) -> None:
    for session_id in ("sess_old_done", "sess_old_active", "sess_new_done"):
        write(store, family, session_id, "prune-1")
        write(store, family, session_id)
    store.update_session_status("sess_old_done", "completed")
    store.update_session_status("sess_new_done", "completed")
    long_ago = "2024-01-01T00:00:00.000Z"
    with store.write() as tx:
        tx.execute("UPDATE sessions SET start_time = ?, created_at = ?, end_time = ? WHERE session_id = ?",
                   (long_ago, long_ago, long_ago, "sess_old_done"))
        tx.execute("UPDATE sessions SET start_time = ?, created_at = ? WHERE session_id = ?",
                   (long_ago, long_ago, "sess_old_active"))
    report = store.prune("30d")
    assert report["sessions"] == ["sess_old_done"], report
    assert report["removed"][family.table] == 2, report
    assert rows(store, family.table, "sess_old_done") == []
    assert len(rows(store, family.table, "sess_old_active")) == 2
    assert len(rows(store, family.table, "sess_new_done")) == 2
    assert {row["session_id"] for row in store.query("SELECT session_id FROM sessions")} == {
        "sess_old_active", "sess_new_done"}


# -- (f) the MCP tool --------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES, ids=family_ids(FAMILIES))
def test_the_operation_is_a_store_method_listed_as_an_mcp_tool(family: Family, store: BazingaDB) -> None:
    from mcp import Client

    from bazinga_db.frontends.mcp import build_server

    operation = operations.find(family.operation)
    assert operation is not None and operation.write and not operation.tool
    assert callable(getattr(BazingaDB, operation.method, None))

    async def listed() -> set[str]:
        async with Client(build_server(store)) as client:
            return {tool.name for tool in (await client.list_tools()).tools}

    assert operation.method in asyncio.run(listed())
