"""search-logs: a full-text index kept in step with the logs, ranked, highlighted, safe for any text."""

from __future__ import annotations

import sqlite3

import pytest

from bazinga_db import BazingaDB
from bazinga_db.db import schema
from bazinga_db.util.search_syntax import fts5_expression, parse_query


def back_to_version_1(db_path: str) -> None:
    """Take a file back to schema version 1, as the first release left it: no search index."""
    connection = sqlite3.connect(db_path, isolation_level=None)
    for name in ("insert", "delete", "update"):
        connection.execute(f"DROP TRIGGER _logs_fts_{name}")
    connection.execute("DROP TABLE _logs_fts")
    # and no measured token usage (m003): token_usage as m001 made it, no read positions
    token_usage = next(table for table in schema.TABLES_V1 if table.name == "token_usage")
    connection.execute("DROP TABLE _transcript_offsets")
    connection.execute("DROP TABLE token_usage")
    connection.execute(schema.create_table_sql(token_usage, "sqlite"))
    for index in token_usage.indexes:
        connection.execute(schema.create_index_sql(token_usage, index))
    connection.execute("DELETE FROM _migrations WHERE id >= 2")
    connection.execute("PRAGMA user_version = 1")
    connection.close()


@pytest.fixture
def logs(store: BazingaDB) -> BazingaDB:
    store.log_interaction("s1", "developer", "group_b: validate pagination parameters before querying", agent_id="developer_2")
    store.log_interaction("s1", "qa", "All tests pass; coverage 87.5% on the pagination module")
    store.log_interaction("s1", "tech_lead", "Pagination pagination pagination: the cursor logic is right")
    store.log_interaction("s2", "developer", "Wrote the OAuth2 callback handler (café edition)")
    return store


def test_results_are_ranked_highlighted_and_filtered(logs: BazingaDB) -> None:
    results = logs.search_logs("pagination")
    assert results[0]["agent_type"] == "tech_lead"  # the densest match ranks first
    assert len(results) == 3
    assert results[0]["score"] >= results[1]["score"] >= results[2]["score"]
    assert "**pagination**" in results[1]["snippet"] or "**pagination**" in results[2]["snippet"]
    assert {row["agent_type"] for row in logs.search_logs("pagination", agent_type="qa")} == {"qa"}
    assert logs.search_logs("pagination", session_id="s2") == []
    assert len(logs.search_logs("pagination", limit=1)) == 1
    assert [row["session_id"] for row in logs.search_logs("OAUTH2 CALLBACK")] == ["s2"]  # case folded everywhere
    if logs.backend.dialect == "sqlite":  # FTS5's unicode61 also folds accents; PostgreSQL's 'simple' does not
        assert [row["session_id"] for row in logs.search_logs("CAFE")] == ["s2"]


def test_words_phrases_and_prefixes(logs: BazingaDB) -> None:
    assert len(logs.search_logs("pagination validate")) == 1  # every word must occur
    assert len(logs.search_logs('"validate pagination"')) == 1
    assert logs.search_logs('"pagination validate"') == []  # a phrase keeps its order
    assert len(logs.search_logs("paginat*")) == 3
    assert [row["agent_id"] for row in logs.search_logs("group_b")] == ["developer_2"]
    assert len(logs.search_logs("87.5")) == 1


@pytest.mark.parametrize("query", [
    'oauth2 "callback', "oauth2 AND OR NOT", "-oauth2", "content:oauth2", "oauth2 (", "oauth2 ^ ~ + NEAR(",
    "oauth2 '", 'oauth2 "" ""', "oauth2*", "OAuth2 -- ;DROP TABLE sessions",
])
def test_any_text_is_a_query_never_a_syntax_error(logs: BazingaDB, query: str) -> None:
    results = logs.search_logs(query)
    if query == "content:oauth2":  # the parts of a word with punctuation form a phrase
        assert results == []
    if query.startswith(("oauth2 \"", "-oauth2", "oauth2 (", "oauth2 '", "oauth2*")):
        assert [row["session_id"] for row in results] == ["s2"]


def test_parsed_queries_only_hold_quoted_words() -> None:
    assert parse_query('a-b "c d" e* NOT "unclosed') == [("a b", False), ("c d", False), ("e", True),
                                                          ("NOT", False), ("unclosed", False)]
    assert fts5_expression(parse_query('x" OR y')) == '"x" "OR" "y"'


def test_cli_search_and_bad_input(cli) -> None:  # type: ignore[no-untyped-def]
    cli("log-interaction", "s1", "pm", "Task breakdown: three groups for OAuth2 login", "--quiet")
    found = cli("search-logs", "oauth2 login", "--session", "s1")
    assert found.code == 0, found
    assert found.json()[0]["snippet"] == "Task breakdown: three groups for **OAuth2** **login**"
    empty = cli("search-logs", "!!! - :")
    assert empty.code == 2 and "has no word to search for" in empty.err
    assert cli("search-logs", "x", "--limit", "0").code == 2
    assert cli("search-logs", "x", "--agent-type", "Not A Role!").code == 2
    assert cli("search-logs", "x", "--session", "missing").code == 1


def test_index_follows_deletes_updates_and_prunes(logs: BazingaDB, db_path: str) -> None:
    connection = sqlite3.connect(db_path)
    with connection:
        connection.execute("UPDATE orchestration_logs SET content = 'rewritten text' WHERE agent_type = 'qa'")
        connection.execute("DELETE FROM orchestration_logs WHERE agent_type = 'tech_lead'")
        connection.execute("INSERT INTO _logs_fts (_logs_fts, rank) VALUES ('integrity-check', 1)")
    connection.close()
    assert [row["agent_type"] for row in logs.search_logs("pagination")] == ["developer"]
    assert [row["agent_type"] for row in logs.search_logs("rewritten")] == ["qa"]


def test_migration_indexes_the_rows_of_an_existing_database(db_path: str) -> None:
    with BazingaDB(db_path) as db:
        db.log_interaction("old", "pm", "written before the search index existed")
    back_to_version_1(db_path)
    with BazingaDB(db_path) as db:
        assert [row["session_id"] for row in db.search_logs("before index")] == ["old"]
        assert ("database_migrated", db.location) in db.notices
    connection = sqlite3.connect(db_path)
    assert connection.execute("SELECT name FROM _migrations ORDER BY id").fetchall() == [
        ("m001_initial",), ("m002_log_search",), ("m003_token_sources",)]
    connection.close()


def test_migrated_schema_matches_a_fresh_one(db_path: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def objects(path: str) -> list[tuple[str, str, str]]:
        connection = sqlite3.connect(path)
        rows = connection.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        connection.close()
        return rows

    with BazingaDB(db_path) as db:
        db.log_interaction("old", "pm", "text")
    back_to_version_1(db_path)
    with BazingaDB(db_path) as db:
        db.migrate()
    fresh = str(tmp_path / "fresh.db")
    with BazingaDB(fresh) as db:
        db.migrate()
    assert objects(db_path) == objects(fresh)
    assert any(name == "_logs_fts" for _, name, _ in objects(fresh))
