"""export and import: every table to JSON Lines and back, merging and idempotent."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bazinga_db import BazingaDB
from bazinga_db.admin.transfer import KEYED, TABLE_ORDER
from bazinga_db.db.migrations import LATEST_VERSION
from bazinga_db.db.schema import GLOBAL_TABLES

REPO = Path(__file__).resolve().parents[2]


def table_rows(path: str, table: str, *, without_ids: bool = False) -> list[tuple[object, ...]]:
    connection = sqlite3.connect(path)
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
    if without_ids and "id" in columns and table not in ("task_groups",):
        columns.remove("id")
    # Tables keyed otherwise than by id are exported in key order: compare them in it.
    order = ", ".join(KEYED[table]) if table in KEYED and table != "task_groups" else "rowid"
    rows = connection.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}").fetchall()
    connection.close()
    return rows


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database produced by examples/demo.sh through the installed CLI."""
    path = str(tmp_path_factory.mktemp("demo") / "demo.db")
    env = {**os.environ, "DEMO_DB": path, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    subprocess.run(["bash", str(REPO / "examples" / "demo.sh")], env=env, check=True, capture_output=True, timeout=300)
    with BazingaDB(path) as db:  # a price table too, so configuration has a row
        db.set_config("prices", {"local-model": {"input": 0.5, "output": 1}})
    return path


def test_demo_database_round_trips_exactly(demo_db: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    first, second, copy = tmp_path / "first.jsonl", tmp_path / "second.jsonl", str(tmp_path / "copy.db")
    exported = cli("export", db=demo_db)
    assert exported.code == 0, exported
    assert "✓ Exported" in exported.err  # the summary goes to stderr: stdout is the export
    first.write_text(exported.out, encoding="utf-8")
    imported = cli("--json", "import", str(first), db=copy)
    assert imported.code == 0, imported
    report = imported.json()
    assert all(counts["renumbered"] == 0 and counts["conflicts"] == 0 for counts in report["tables"].values())
    assert cli("export", "--output", str(second), db=copy).code == 0
    lines_a, lines_b = first.read_text().splitlines(), second.read_text().splitlines()
    header_a, header_b = json.loads(lines_a[0]), json.loads(lines_b[0])
    header_a.pop("exported_at"), header_b.pop("exported_at")
    assert header_a == header_b and header_a["schema_version"] == LATEST_VERSION
    assert lines_a[1:] == lines_b[1:]  # byte-identical rows, ids included, and the same counts
    counts = json.loads(lines_a[-1])["counts"]
    for table in TABLE_ORDER:
        assert table_rows(demo_db, table) == table_rows(copy, table), table
        assert counts[table] == len(table_rows(demo_db, table)) > 0, table
    with BazingaDB(copy) as db:  # the search index was filled by the import
        assert {row["group_id"] for row in db.search_logs("pagination")} == {"group_b"}


def test_importing_twice_adds_nothing(demo_db: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    export, copy = tmp_path / "x.jsonl", str(tmp_path / "copy.db")
    assert cli("export", "-o", str(export), db=demo_db).code == 0
    assert cli("import", str(export), db=copy).code == 0
    before = {table: table_rows(copy, table) for table in TABLE_ORDER}
    again = cli("import", "-", db=copy, input=export.read_text())
    assert again.code == 0, again
    assert again.out.splitlines()[0] == "✓ Imported 0 rows from stdin"
    assert "  orchestration_logs: 0 new, 29 identical" in again.out
    assert {table: table_rows(copy, table) for table in TABLE_ORDER} == before


def test_import_into_a_busy_database_renumbers_and_keeps_order(demo_db: str, store: BazingaDB, db_path: str) -> None:
    for n in range(30):  # take the ids the demo's rows had
        store.log_interaction("local", "developer", f"local entry {n}")
    store.save_state("local", "pm", {"local": True})
    store.save_context_package("local", "global", "handoff", "local.md", "pm", ["developer"], "low", "local package",
                               project_root=str(Path(db_path).parent))  # takes the demo package's id
    text = io.StringIO()
    with BazingaDB(demo_db) as source:
        source.export(output=text)
        session = source.list_sessions()[0]["session_id"]
    report = store.import_(text.getvalue().splitlines())
    assert report["tables"]["orchestration_logs"]["renumbered"] == 29
    assert report["tables"]["state_snapshots"]["renumbered"] == 2
    assert report["tables"]["context_packages"]["renumbered"] == 1
    assert report["tables"]["decisions"]["renumbered"] == 0  # its ids were free
    referring = ("context_package_consumers", "consumption_scope")  # their package ids follow the renumbering
    for table in TABLE_ORDER:
        if table in GLOBAL_TABLES or table in referring:
            continue
        mine = [row for row in table_rows(db_path, table, without_ids=True) if session in row]
        theirs = table_rows(demo_db, table, without_ids=True)
        assert mine == theirs, table  # every row, in its original order
    # A consumer row still points at its own package, under the package's new id.
    for database in (demo_db, db_path):
        with BazingaDB(database) as db, db.read() as tx:
            pairs = [(row["summary"], row["agent_type"], row["consumed_at"]) for row in tx.all(
                "SELECT p.summary, c.agent_type, c.consumed_at FROM context_package_consumers c "
                "JOIN context_packages p ON p.id = c.package_id WHERE c.session_id = ? ORDER BY c.id", (session,))]
            scopes = [row["summary"] for row in tx.all(
                "SELECT p.summary FROM consumption_scope s JOIN context_packages p ON p.id = s.package_id "
                "WHERE s.session_id = ?", (session,))]
        if database == demo_db:
            expected = (pairs, scopes)
            assert pairs and scopes
    assert (pairs, scopes) == expected
    assert len(store.get_logs("local")) == 30
    assert store.import_(text.getvalue().splitlines())["inserted"] == 0


def test_session_export_and_conflicts(demo_db: str, store: BazingaDB) -> None:
    with BazingaDB(demo_db) as source:
        session = source.list_sessions()[0]["session_id"]
        text = io.StringIO()
        summary = source.export(session_id=session, output=text)
    assert "configuration" not in summary["counts"] and summary["counts"]["orchestration_logs"] == 29
    store.create_session(session, "simple", "something else entirely")
    store.log_interaction(session, "pm", "already here", idempotency_key="k1")
    lines = text.getvalue().splitlines()
    # a row of the file reusing that idempotency key for other content
    index = next(i for i, line in enumerate(lines) if '"table":"orchestration_logs"' in line)
    row = json.loads(lines[index])
    row["row"]["idempotency_key"] = "k1"
    lines[index] = json.dumps(row)
    report = store.import_(lines)
    assert report["tables"]["sessions"] == {"inserted": 0, "identical": 0, "conflicts": 1, "renumbered": 0}
    assert report["tables"]["orchestration_logs"]["conflicts"] == 1
    assert report["tables"]["orchestration_logs"]["inserted"] == 28
    assert store.get_session(session)["original_requirements"] == "something else entirely"


def test_unknown_columns_are_left_out_and_reported(store: BazingaDB, tmp_path: Path) -> None:
    text = io.StringIO()
    store.log_interaction("s1", "pm", "hello")
    store.export(output=text)
    lines = text.getvalue().splitlines()
    row = json.loads(lines[1])
    row["row"]["legacy_flag"] = 1
    lines[1] = json.dumps(row)
    with BazingaDB(str(tmp_path / "copy.db")) as other:
        report = other.import_(lines)
        assert report["dropped_columns"] == {"sessions": ["legacy_flag"]}
        assert other.get_logs("s1")[0]["content"] == "hello"


def _damaged(lines: list[str]) -> dict[str, str]:
    header, rows, end = lines[0], lines[1:-1], lines[-1]
    orphan = json.loads(rows[-1])
    orphan["row"]["session_id"] = "ghost"
    newer = json.loads(header)
    newer["format_version"] = 99
    unknown = json.loads(rows[0])
    unknown["table"] = "users"
    no_content = json.loads(rows[1])
    assert no_content["table"] == "orchestration_logs"
    no_content["row"]["content"] = None
    nested = json.loads(rows[1])
    nested["row"]["content"] = {"text": "hi"}
    return {
        "is not a bazinga-db export": '{"hello": 1}\n',
        "is empty": "",
        "is not JSON": header + "\n{oops\n" + end + "\n",
        "is truncated": "\n".join(lines[:-3]) + "\n",
        "is damaged": "\n".join([header, *rows[:-1], end]) + "\n",
        "format version 99": "\n".join([json.dumps(newer), *rows, end]) + "\n",
        "unknown table 'users'": "\n".join([header, json.dumps(unknown), *rows[1:], end]) + "\n",
        "this orchestration_logs row does not fit the table":
            "\n".join([header, rows[0], json.dumps(no_content), *rows[2:], end]) + "\n",
        "column 'content' holds a JSON dict": "\n".join([header, rows[0], json.dumps(nested), *rows[2:], end]) + "\n",
        "session 'ghost' is neither in the file nor in the database":
            "\n".join([header, *rows[:-1], json.dumps(orphan), end]) + "\n",
    }


def test_bad_files_exit_2_and_write_nothing(cli, tmp_path: Path, db_path: str) -> None:  # type: ignore[no-untyped-def]
    cli("log-interaction", "s1", "pm", "first entry", "--quiet")
    cli("save-state", "s1", "pm", '{"i": 1}', "--quiet")
    source = str(tmp_path / "source.db")
    cli("log-interaction", "s2", "qa", "from elsewhere", "--quiet", db=source)
    cli("save-state", "s2", "qa", '{"i": 2}', "--quiet", db=source)
    lines = cli("export", db=source).out.splitlines()
    before = {table: table_rows(db_path, table) for table in TABLE_ORDER}
    for problem, text in _damaged(lines).items():
        path = tmp_path / "bad.jsonl"
        path.write_text(text, encoding="utf-8")
        result = cli("import", str(path))
        assert result.code == 2, (problem, result)
        assert problem in result.err, (problem, result.err)
        assert {table: table_rows(db_path, table) for table in TABLE_ORDER} == before, problem
    missing = cli("--json", "import", str(tmp_path / "nope.jsonl"))
    assert missing.code == 2 and missing.json()["error"]["code"] == "invalid_input"
    assert "cannot read" in missing.json()["error"]["message"]
    assert cli("import").code == 2
    fmt = cli("export", "--format", "csv")
    assert fmt.code == 2 and "allowed values: jsonl" in fmt.err
    assert cli("--json", "export").code == 2
    assert cli("export", "--session", "nobody").code == 1
    folder = cli("export", "--output", str(tmp_path))
    assert folder.code == 2 and "is a directory" in folder.err
    assert not [name for name in os.listdir(tmp_path) if ".tmp-" in name]  # no half-written file left


def test_export_into_a_pipe_writes_into_it(demo_db: str, tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    """--output naming a device or a FIFO (/dev/stdout, /dev/null) is written to, never replaced by a file."""
    import os
    import stat
    import threading

    fifo = tmp_path / "export.pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    result = cli("export", "--output", str(fifo), db=demo_db)
    reader.join(timeout=60)
    assert result.code == 0, result
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still the pipe, not a file renamed over it
    lines = received[0].splitlines()
    assert json.loads(lines[0])["format"] == "bazinga-db-export" and json.loads(lines[-1])["format"] == "bazinga-db-export-end"
