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
        "group_id": v.group_scope(group_id),
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
        scope = v.group_scope(group_id)  # global: the session-wide entries
        clauses.append("group_id IS NULL" if scope is None else "group_id = ?")
        params.extend(() if scope is None else (scope,))
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


# A search scores at most this many matching entries, the newest ones: ranking every match
# costs time in proportion to the matches, and a word in every entry matches a million.
SEARCH_WINDOW = 1000
# Each term's share of entries (bm25's idf) is counted among the newest entries only.
IDF_SAMPLE = 10_000
# A session with at most this many entries is searched on its own rows (copied into a
# temporary index); a larger one through the main index, newest matches first.
SMALL_SESSION = 2000
# The temporary index: the tokenizer must be the one of the main index (migration m002).
WORK_TABLE = "_logs_search_work"
TOKENIZER = "unicode61 remove_diacritics 2"


def search(tx: Transaction, query: str, session_id: str | None, agent_type: str | None, limit: int) -> list[dict[str, Any]]:
    from ..errors import InvalidInput
    from ..util.search_syntax import parse_query

    items = parse_query(query)
    if not items:
        raise InvalidInput(
            f"search query {query!r} has no word to search for; give one or more words, "
            '"a phrase" or a prefix*'
        )
    if tx.dialect == "postgres":
        return _search_postgres(tx, query, session_id, agent_type, limit)
    return _search_sqlite(tx, items, session_id, agent_type, limit)


def _search_postgres(tx: Transaction, query: str, session_id: str | None, agent_type: str | None,
                     limit: int) -> list[dict[str, Any]]:
    """The newest SEARCH_WINDOW matches (GIN index), ranked by ts_rank, the best ``limit``
    highlighted. ts_rank has no idf: a window ranks its entries as the whole set would."""
    from ..util.search_syntax import tsquery_sql

    filters, params = [], []  # type: list[str], list[Any]
    if session_id is not None:
        filters.append("l.session_id = ?")
        params.append(session_id)
    if agent_type is not None:
        filters.append("l.agent_type = ?")
        params.append(agent_type)
    where = "".join(f" AND {clause}" for clause in filters)
    expression, query_params = tsquery_sql(query)
    columns = ", ".join(f"l.{column}" for column in SEARCH_COLUMNS)
    outer = ", ".join(f"r.{column}" for column in SEARCH_COLUMNS)
    rows = tx.all(
        f"SELECT {outer}, ts_headline('simple', r.content, r.q, "
        "'StartSel=**, StopSel=**, MaxWords=24, MinWords=8, MaxFragments=2') AS snippet, r.score FROM ("
        f"SELECT c.*, ts_rank(to_tsvector('simple', c.content), c.q) AS score FROM ("
        f"SELECT {columns}, l.content, s.q FROM orchestration_logs AS l, (SELECT {expression} AS q) AS s "
        f"WHERE to_tsvector('simple', l.content) @@ s.q{where} ORDER BY l.id DESC LIMIT ?"
        ") AS c ORDER BY score DESC, c.id DESC LIMIT ?) AS r ORDER BY r.score DESC, r.id DESC",
        (*query_params, *params, SEARCH_WINDOW, limit),
    )
    for row in rows:
        row["score"] = round(float(row["score"]), 6)
    return rows


def _search_sqlite(tx: Transaction, items: list[tuple[str, bool]], session_id: str | None,
                   agent_type: str | None, limit: int) -> list[dict[str, Any]]:
    from ..db.schema import LOG_SEARCH_TABLE as fts
    from ..errors import BackendUnavailable
    from ..util.search_syntax import fts5_expression

    if tx.one("SELECT 1 AS found FROM sqlite_master WHERE name = ?", (fts,)) is None:
        raise BackendUnavailable(
            "this database has no full-text index: the SQLite library in use was built without FTS5",
            hint="use a Python whose sqlite3 module has FTS5, then run `bazinga-db migrate`",
        )
    expression = fts5_expression(items)
    columns = ", ".join(f"l.{column}" for column in SEARCH_COLUMNS)
    agent = "" if agent_type is None else " AND l.agent_type = ?"
    agent_params = [] if agent_type is None else [agent_type]
    # A temporary table lives in this connection's own temp database: the file is not written.
    tx.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{WORK_TABLE} USING fts5(content, tokenize='{TOKENIZER}')")
    try:
        tx.execute(f"DELETE FROM temp.{WORK_TABLE}")
        span = None
        if session_id is not None:
            span = tx.one(
                "SELECT COUNT(*) AS n, MIN(id) AS low, MAX(id) AS high FROM orchestration_logs WHERE session_id = ?",
                (session_id,),
            )
            if span is None or not span["n"]:
                return []
        if span is not None and span["n"] <= SMALL_SESSION:
            # Matching the session's rows on their own beats probing the main index once per
            # row, which costs up to milliseconds for each entry of a phrase of common words.
            tx.execute(
                f"INSERT INTO temp.{WORK_TABLE} (rowid, content) "
                f"SELECT l.id, l.content FROM orchestration_logs AS l WHERE l.session_id = ?{agent}",
                (session_id, *agent_params),
            )
            rows = tx.all(
                f"SELECT {columns}, l.content FROM temp.{WORK_TABLE} JOIN orchestration_logs AS l "
                f"ON l.id = {WORK_TABLE}.rowid WHERE {WORK_TABLE} MATCH ? ORDER BY {WORK_TABLE}.rowid DESC LIMIT ?",
                (expression, SEARCH_WINDOW),
            )
        else:
            # The index hands out matches newest first at no extra cost; only the first
            # SEARCH_WINDOW that pass the filters are read.
            within, within_params = "", []  # type: str, list[Any]
            if span is not None:
                within = f" AND {fts}.rowid BETWEEN ? AND ? AND l.session_id = ?"
                within_params = [span["low"], span["high"], session_id]
            rows = tx.all(
                f"SELECT {columns}, l.content FROM {fts} JOIN orchestration_logs AS l ON l.id = {fts}.rowid "
                f"WHERE {fts} MATCH ?{within}{agent} ORDER BY {fts}.rowid DESC LIMIT ?",
                (expression, *within_params, *agent_params, SEARCH_WINDOW),
            )
        if not rows:
            return []
        # Unfiltered and short of the window: the rows are every match of the query.
        complete = session_id is None and agent_type is None and len(rows) < SEARCH_WINDOW
        best = _rank(tx, items, rows, limit, complete)
        # snippet() needs the rows in an index: the few results, in the temporary one.
        tx.execute(f"DELETE FROM temp.{WORK_TABLE}")
        tx.execute_many(
            f"INSERT INTO temp.{WORK_TABLE} (rowid, content) VALUES (?, ?)",
            [(row["id"], row.pop("content")) for row in best],
        )
        snippets = {
            found["rowid"]: found["snippet"]
            for found in tx.all(
                f"SELECT rowid, snippet({WORK_TABLE}, 0, ?, ?, '…', 16) AS snippet FROM temp.{WORK_TABLE} "
                f"WHERE {WORK_TABLE} MATCH ?",
                (*HIGHLIGHT, expression),
            )
        }
    finally:
        # Emptied, not dropped: dropping costs milliseconds, and the table goes with the connection.
        tx.execute(f"DELETE FROM temp.{WORK_TABLE}")
    for row in best:
        score = row.pop("score")
        row["snippet"] = snippets.get(row["id"], "")
        row["score"] = score
    return best


def _rank(tx: Transaction, items: list[tuple[str, bool]], rows: list[dict[str, Any]], limit: int,
          complete: bool) -> list[dict[str, Any]]:
    """The best ``limit`` of ``rows`` by bm25, as FTS5 computes it, best first (newest first
    among equals), each with its ``score``; ``complete``: the rows are every match."""
    from ..db.schema import LOG_SEARCH_TABLE as fts
    from ..util.search_syntax import bm25, fold, fts5_expression, hits, idf, scoring_terms

    total_rows, total_words = _index_totals(tx, fts)
    high = tx.one("SELECT MAX(id) AS high FROM orchestration_logs")
    low_id = int(high["high"] or 0) - IDF_SAMPLE if high else 0
    sampled = tx.one("SELECT COUNT(*) AS n FROM orchestration_logs WHERE id > ?", (low_id,))
    sample_rows = int(sampled["n"]) if sampled else 0
    if total_rows <= 0:
        total_rows = max(sample_rows, len(rows))
    weights = []
    for item in items:
        if complete and len(items) == 1:
            weights.append(idf(total_rows, len(rows)))
            continue
        found = tx.one(
            f"SELECT COUNT(*) AS n FROM {fts} WHERE {fts} MATCH ? AND rowid > ?", (fts5_expression([item]), low_id)
        )
        in_sample = int(found["n"]) if found else 0
        # Exact when the sample holds every entry; otherwise the sample's share, scaled up,
        # and never below the candidates, which all hold every term.
        share = in_sample if sample_rows >= total_rows else in_sample * total_rows / max(sample_rows, 1)
        weights.append(idf(total_rows, max(share, len(rows))))
    terms = scoring_terms(items)
    scored = []
    lengths = 0
    for row in rows:
        words = fold(row["content"])
        lengths += len(words)
        scored.append((row, [hits(words, term, prefix) for term, prefix in terms], len(words)))
    average = total_words / total_rows if total_words > 0 else lengths / len(rows)
    for row, frequencies, length in scored:
        row["score"] = bm25(frequencies, length, weights, average)
    rows.sort(key=lambda row: (-row["score"], -row["id"]))
    best = rows[:limit]
    for row in best:
        row["score"] = round(row["score"], 6)
    return best


def _index_totals(tx: Transaction, fts: str) -> tuple[int, int]:
    """Entries and words in the full-text index, from the totals record FTS5 keeps up to
    date on every write (row 1 of its data table: varint entries, varint words per column);
    (0, 0) when it cannot be read."""
    import sqlite3

    try:
        record = tx.one(f"SELECT block FROM {fts}_data WHERE id = 1")
    except sqlite3.Error:  # a future FTS5 layout: fall back to estimates
        return 0, 0
    if record is None or not isinstance(record["block"], bytes):
        return 0, 0
    values: list[int] = []
    data, at = record["block"], 0
    while at < len(data) and len(values) < 2:
        value = 0
        for position in range(9):  # SQLite varint: 7 bits a byte, high bit = more; 9th byte whole
            if at >= len(data):
                return 0, 0
            byte = data[at]
            at += 1
            if position == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if byte < 0x80:
                break
        values.append(value)
    return (values[0], values[1]) if len(values) == 2 else (0, 0)


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
