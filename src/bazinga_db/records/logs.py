"""Orchestration logs: what each agent said or did, in order, and their full-text search.

Search: the query is parsed by ``util.search_syntax`` and only quoted terms reach the
engine (SQLite FTS5 over an external-content index; PostgreSQL's GIN index on the
'simple' text-search vector), both created by migration m002.
"""

from __future__ import annotations

from ..core import append, require_session
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store
    from ..db.backends import Transaction

SEARCH_LIMIT = 20
SEARCH_COLUMNS = ("id", "session_id", "timestamp", "iteration", "agent_type", "agent_id", "group_id", "log_type")
HIGHLIGHT = ("**", "**")


def log_interaction(
    db: Store,
    session_id: str,
    agent_type: str,
    content: str,
    iteration: int | None = None,
    agent_id: str | None = None,
    group_id: str | None = None,
    log_type: str = "interaction",
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    values: dict[str, Any] = {
        "session_id": v.identifier(session_id, "session_id"),
        "timestamp": utc_now(),
        "iteration": v.optional_integer(iteration, "iteration"),
        "agent_type": v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES),
        "agent_id": v.optional_identifier(agent_id, "agent_id"),
        "content": v.text(content, "content"),
        "group_id": v.optional_identifier(group_id, "group_id"),
        "log_type": v.name(log_type, "log_type"),
        "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }
    return append(db, "orchestration_logs", values)


def get_logs(
    db: Store,
    session_id: str,
    limit: int | None = None,
    agent_type: str | None = None,
    since: str | None = None,
    group_id: str | None = None,
    after_id: int | None = None,
    log_type: str | None = None,
) -> list[dict[str, Any]]:
    """Logs in the order they were written; ``limit`` keeps the newest N."""
    session_id = v.identifier(session_id, "session_id")
    clauses, params = ["session_id = ?"], [session_id]  # type: list[str], list[Any]
    if agent_type is not None:
        clauses.append("agent_type = ?")
        params.append(v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES))
    if since is not None:
        clauses.append("timestamp > ?")
        params.append(v.timestamp(since, "since"))
    if group_id is not None:
        clauses.append("group_id = ?")
        params.append(v.identifier(group_id, "group_id"))
    if after_id is not None:
        clauses.append("id > ?")
        params.append(v.integer(after_id, "after_id"))
    if log_type is not None:
        clauses.append("log_type = ?")
        params.append(v.name(log_type, "log_type"))
    sql = f"SELECT * FROM orchestration_logs WHERE {' AND '.join(clauses)} ORDER BY id DESC"
    if limit is not None:
        sql += " LIMIT ?"
        params.append(v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT))
    with db.read() as tx:
        require_session(tx, session_id)
        rows = tx.all(sql, params)
    rows.reverse()
    return rows


def stream_logs(db: Store, session_id: str, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
    """The newest ``limit`` logs after skipping the newest ``offset``, oldest first."""
    session_id = v.identifier(session_id, "session_id")
    limit = v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT)
    offset = v.integer(offset, "offset")
    with db.read() as tx:
        require_session(tx, session_id)
        rows = tx.all(
            "SELECT * FROM orchestration_logs WHERE session_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
            (session_id, limit, offset),
        )
    rows.reverse()
    return rows


def recent(tx: Transaction, session_id: str, limit: int) -> list[dict[str, Any]]:
    """The newest ``limit`` entries of a session, oldest first (snapshot, dashboard)."""
    rows = tx.all("SELECT * FROM orchestration_logs WHERE session_id = ? ORDER BY id DESC LIMIT ?", (session_id, limit))
    rows.reverse()
    return rows


# -- search ---------------------------------------------------------------------------------


def search_logs(
    db: Store,
    query: str,
    session_id: str | None = None,
    agent_type: str | None = None,
    limit: int = SEARCH_LIMIT,
) -> list[dict[str, Any]]:
    """Log entries matching the words of ``query``, best first, with a highlighted snippet."""
    query = v.text(query, "query")
    session_id = v.optional_identifier(session_id, "session_id")
    agent_type = None if agent_type is None else v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
    limit = v.integer(limit, "limit", minimum=1, maximum=v.MAX_LIMIT)
    with db.read() as tx:
        if session_id is not None:
            require_session(tx, session_id)
        return search(tx, query, session_id, agent_type, limit)


def search(tx: Transaction, query: str, session_id: str | None, agent_type: str | None, limit: int) -> list[dict[str, Any]]:
    from ..db.schema import LOG_SEARCH_TABLE as fts
    from ..errors import BackendUnavailable, InvalidInput
    from ..util.search_syntax import fts5_expression, parse_query, tsquery_sql

    items = parse_query(query)
    if not items:
        raise InvalidInput(
            f"search query {query!r} has no word to search for; give one or more words, "
            '"a phrase" or a prefix*'
        )
    filters, params = [], []  # type: list[str], list[Any]
    if session_id is not None:
        filters.append("l.session_id = ?")
        params.append(session_id)
    if agent_type is not None:
        filters.append("l.agent_type = ?")
        params.append(agent_type)
    where = "".join(f" AND {clause}" for clause in filters)
    columns = ", ".join(f"l.{column}" for column in SEARCH_COLUMNS)
    if tx.dialect == "postgres":
        expression, query_params = tsquery_sql(query)
        rows = tx.all(
            f"SELECT {columns}, ts_headline('simple', l.content, s.q, "
            "'StartSel=**, StopSel=**, MaxWords=24, MinWords=8, MaxFragments=2') AS snippet, "
            "ts_rank(to_tsvector('simple', l.content), s.q) AS score "
            f"FROM orchestration_logs AS l, (SELECT {expression} AS q) AS s "
            f"WHERE to_tsvector('simple', l.content) @@ s.q{where} ORDER BY score DESC, l.id DESC LIMIT ?",
            (*query_params, *params, limit),
        )
        for row in rows:
            row["score"] = round(float(row["score"]), 6)
        return rows
    if tx.one("SELECT 1 AS found FROM sqlite_master WHERE name = ?", (fts,)) is None:
        raise BackendUnavailable(
            "this database has no full-text index: the SQLite library in use was built without FTS5",
            hint="use a Python whose sqlite3 module has FTS5, then run `bazinga-db migrate`",
        )
    # bm25() is smaller for better matches; the score we report is its negation.
    rows = tx.all(
        f"SELECT {columns}, snippet({fts}, 0, ?, ?, '…', 16) AS snippet, "
        f"bm25({fts}) AS rank FROM {fts} JOIN orchestration_logs AS l ON l.id = {fts}.rowid "
        f"WHERE {fts} MATCH ?{where} ORDER BY rank, l.id DESC LIMIT ?",
        (*HIGHLIGHT, fts5_expression(items), *params, limit),
    )
    for row in rows:
        row["score"] = round(-float(row.pop("rank")), 6)
    return rows


# -- reads inside an open transaction (dashboard) -----------------------------------------


def after(
    tx: Transaction,
    session_id: str,
    after_id: int = 0,
    agent_type: str | None = None,
    group_id: str | None = None,
    limit: int = 500,
) -> list[dict[str, Any]]:
    """The newest ``limit`` entries with an id above ``after_id``, oldest first (live views)."""
    sql = "SELECT * FROM orchestration_logs WHERE session_id = ? AND id > ?"
    params: list[Any] = [session_id, after_id]
    if agent_type:
        sql += " AND agent_type = ?"
        params.append(agent_type)
    if group_id:
        sql += " AND group_id = ?"
        params.append(group_id)
    rows = tx.all(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
    rows.reverse()
    return rows


def counts(tx: Transaction, session_id: str) -> dict[str, int]:
    """``{"log_count": n, "last_log_id": id}`` of one session (0 and 0 when it has none)."""
    row = tx.one(
        "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last_id FROM orchestration_logs WHERE session_id = ?",
        (session_id,),
    )
    return {"log_count": int(row["n"]) if row else 0, "last_log_id": int(row["last_id"]) if row else 0}


def filter_values(tx: Transaction, session_id: str) -> dict[str, list[str]]:
    """The agent types and group ids a session's entries use, sorted (for filter menus)."""
    return {
        "agent_types": [row["v"] for row in tx.all(
            "SELECT DISTINCT agent_type AS v FROM orchestration_logs WHERE session_id = ? ORDER BY v",
            (session_id,))],
        "group_ids": [row["v"] for row in tx.all(
            "SELECT DISTINCT group_id AS v FROM orchestration_logs WHERE session_id = ? AND group_id IS NOT NULL "
            "ORDER BY v", (session_id,))],
    }


def activity_of_sessions(tx: Transaction, session_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per session of ``session_ids``: ``log_count`` and ``last_activity``, the timestamp of
    its newest entry (the one written last). Sessions without entries are left out.

    Both come from the (session_id, id) index and one primary-key lookup per session: a
    MAX(timestamp) would read every entry of every session on the page.
    """
    if not session_ids:
        return {}
    marks = ", ".join("?" * len(session_ids))
    rows = tx.all(
        "SELECT session_id, COUNT(*) AS n, MAX(id) AS last_id FROM orchestration_logs "
        f"WHERE session_id IN ({marks}) GROUP BY session_id",
        session_ids,
    )
    if not rows:
        return {}
    last_ids = [row["last_id"] for row in rows]
    stamps = {row["id"]: row["timestamp"] for row in tx.all(
        f"SELECT id, timestamp FROM orchestration_logs WHERE id IN ({', '.join('?' * len(last_ids))})", last_ids
    )}
    return {row["session_id"]: {"log_count": int(row["n"]), "last_activity": stamps.get(row["last_id"])}
            for row in rows}
