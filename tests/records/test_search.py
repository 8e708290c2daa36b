"""search-logs: a full-text index kept in step with the logs, ranked, highlighted, safe for any text."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from bazinga_db import BazingaDB
from bazinga_db.util.search_syntax import fts5_expression, parse_query


def back_to_version_1(db_path: str) -> None:
    """Take a file back to schema version 1, as the first release left it: no search index."""
    from bazinga_db.db import schema

    connection = sqlite3.connect(db_path, isolation_level=None)
    for name in ("insert", "delete", "update"):
        connection.execute(f"DROP TRIGGER _logs_fts_{name}")
    connection.execute("DROP TABLE _logs_fts")
    # and what the migrations after m002 added
    for table in schema.TABLES[len(schema.TABLES_V1):]:
        connection.execute(f"DROP TABLE {table.name}")
    for table, columns in schema.ADDED_COLUMNS.items():
        first = {index.name for index in schema.TABLES_BY_NAME[table].indexes}
        for (index,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", (table,)):
            if index not in first:  # an index a later migration added (it may use the added columns)
                connection.execute(f"DROP INDEX {index}")
        for column in columns:
            connection.execute(f"ALTER TABLE {table} DROP COLUMN {column.name}")
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
    from bazinga_db.db.migrations import NAMES

    assert connection.execute("SELECT name FROM _migrations ORDER BY id").fetchall() == [(name,) for name in NAMES]
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


# -- ranking at scale: a bounded window of the newest matches ------------------------------


def ids(results: list[dict]) -> list[int]:  # type: ignore[type-arg]
    return [row["id"] for row in results]


def test_output_keeps_its_shape(logs: BazingaDB) -> None:
    row = logs.search_logs("pagination", session_id="s1", limit=1)[0]
    assert list(row) == ["id", "session_id", "timestamp", "iteration", "agent_type", "agent_id", "group_id",
                         "log_type", "snippet", "score"]
    assert "**" in row["snippet"] and row["score"] > 0


def test_a_common_query_ranks_the_newest_matches(store: BazingaDB, monkeypatch: pytest.MonkeyPatch) -> None:
    """With more matches than the window, only the newest ones are scored: the densest
    old entry is left out, the best of the newest come first, ties newest first."""
    from bazinga_db.records import logs as family

    monkeypatch.setattr(family, "SEARCH_WINDOW", 4)
    dense_old = store.log_interaction("s1", "developer", "deploy deploy deploy: the old release")["id"]
    store.log_interaction("s1", "developer", "nothing to see here")
    for n in range(3):
        store.log_interaction("s1", "qa", f"checked the deploy of build {n} and wrote a long note about the checks")
    dense_new = store.log_interaction("s1", "developer", "deploy deploy again")["id"]
    newest = store.log_interaction("s1", "pm", "planned the deploy of build 9 with a long list of the steps needed")["id"]
    results = store.search_logs("deploy")
    assert dense_old not in ids(results)
    assert len(results) == 4 and ids(results)[0] == dense_new  # best of the window first
    assert ids(results)[1] == newest  # equal scores: the newest first
    assert all(first["score"] >= second["score"] for first, second in itertools.pairwise(results))
    assert ids(store.search_logs("deploy", limit=2)) == [dense_new, newest]
    monkeypatch.setattr(family, "SEARCH_WINDOW", 1000)
    assert ids(store.search_logs("deploy"))[0] == dense_old  # every match scored: the densest wins


@pytest.mark.parametrize("small_session", [2000, 0], ids=["session-rows", "main-index"])
def test_session_search_gives_the_same_results_either_way(store: BazingaDB, monkeypatch: pytest.MonkeyPatch,
                                                           small_session: int) -> None:
    """A session is matched on its own rows when small, through the main index otherwise;
    both give the same entries, scores and snippets."""
    from bazinga_db.records import logs as family

    monkeypatch.setattr(family, "SMALL_SESSION", small_session)
    for n in range(6):
        store.log_interaction("other", "developer", f"oauth callback {n} in another session")
        store.log_interaction("s1", "developer" if n % 2 else "qa", f"oauth callback step {n}" + " callback" * (n % 3))
    results = store.search_logs("oauth callback", session_id="s1")
    assert {row["session_id"] for row in results} == {"s1"} and len(results) == 6
    assert results[0]["snippet"].count("**callback**") == 3  # the densest first
    assert all(first["score"] >= second["score"] for first, second in itertools.pairwise(results))
    assert len(store.search_logs('"callback step"', session_id="s1")) == 6
    assert len(store.search_logs("callb*", session_id="s1", agent_type="qa")) == 3
    assert store.search_logs('"step callback"', session_id="s1") == []
    assert store.search_logs("oauth callback", session_id="s1", limit=2) == results[:2]
    expected = [(row["id"], row["score"], row["snippet"]) for row in results]
    monkeypatch.setattr(family, "SMALL_SESSION", 2000 - small_session)  # the other way
    assert [(row["id"], row["score"], row["snippet"]) for row in store.search_logs(
        "oauth callback", session_id="s1")] == expected


def test_scores_are_fts5_bm25(db_path: str) -> None:
    """Computed outside FTS5, the scores equal its bm25() on a database the sample covers."""
    import random

    chooser = random.Random(7)
    vocabulary = ["alpha", "beta", "gamma", "pagination", "oauth", "callback", "café", "token", "login", "error",
                  "retry", "the", "of"]
    vocabulary += [f"w{n}" for n in range(40)]
    with BazingaDB(db_path) as db:
        for n in range(300):
            words = [chooser.choice(vocabulary) for _ in range(chooser.randint(3, 30))]
            db.log_interaction(f"s{n % 4}", "developer", " ".join(words))
        connection = sqlite3.connect(db_path)
        for query in ("pagination", "oauth callback", "pag*", "cafe retry", '"the of"', "token w3 error"):
            ours = [(row["id"], row["score"]) for row in db.search_logs(query, limit=15)]
            theirs = [(rowid, round(-rank, 6)) for rowid, rank in connection.execute(
                "SELECT rowid, bm25(_logs_fts) AS r FROM _logs_fts WHERE _logs_fts MATCH ? ORDER BY r, rowid DESC "
                "LIMIT 15", (fts5_expression(parse_query(query)),))]
            assert ours == theirs, query
        connection.close()


def test_a_sampled_idf_keeps_the_order(db_path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a database larger than the sample, term weights are estimated from the newest
    entries; a rare word still outweighs a common one."""
    from bazinga_db.records import logs as family

    monkeypatch.setattr(family, "IDF_SAMPLE", 10)
    with BazingaDB(db_path) as db:
        for n in range(40):
            db.log_interaction("s1", "developer", f"common words in entry {n}" + (" rare" if n % 10 == 0 else ""))
        rare_twice = db.log_interaction("s1", "qa", "rare rare common")["id"]
        common_twice = db.log_interaction("s1", "qa", "common common rare")["id"]
        results = db.search_logs("common rare")
        assert ids(results)[:2] == [rare_twice, common_twice]
        assert len(results) == 6 and all(row["score"] > 0 for row in results)


def test_search_leaves_the_connection_usable(store: BazingaDB) -> None:
    store.log_interaction("s1", "developer", "first note about retries")
    assert len(store.search_logs("retries", session_id="s1")) == 1
    store.log_interaction("s1", "developer", "second note about retries")  # a write after a search
    assert len(store.search_logs("retries")) == 2
    assert len(store.search_logs("retries", session_id="s1")) == 2
