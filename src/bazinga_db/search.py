"""Full-text search over log content: query parsing and the SQL of each dialect.

The user's query is never passed to the search engine as syntax. It is parsed here into
terms, and the engine receives only quoted terms, so any text (quotes, ``-``, ``:``,
``AND``/``OR``/``NOT``, parentheses) searches for words instead of failing:

- words: every one must occur (``oauth callback`` finds entries holding both);
- ``"two words"``: a phrase, the words next to each other in that order;
- ``word*``: a prefix (``paginat*`` finds pagination, paginate);
- punctuation inside a word makes it a phrase of its parts (``group_b``, ``87.5``).
There is no OR, NOT or column filter. Case and accents are ignored.
"""

from __future__ import annotations

TYPE_CHECKING = False  # migrations import this module on every new database: keep it light
if TYPE_CHECKING:
    from typing import Any

from .errors import BackendUnavailable, InvalidInput

FTS_TABLE = "_logs_fts"
HIGHLIGHT = ("**", "**")
_CHUNK = r'"([^"]*)"?|(\S+)'
_WORD = r"[^\W_]+"


def parse_chunks(query: str) -> list[tuple[str, str, bool]]:
    """The query as (raw text, its words joined by spaces, is_prefix) items; items
    without a word are dropped. A quoted "phrase" is one item, so is each bare word."""
    import re

    items = []
    for match in re.finditer(_CHUNK, query):
        quoted, bare = match.group(1), match.group(2)
        text = quoted if quoted is not None else bare.replace('"', " ")
        prefix = quoted is None and text.endswith("*")
        words = re.findall(_WORD, text)
        if words:
            items.append((text.rstrip("*") if prefix else text, " ".join(words), prefix))
    return items


def parse_query(query: str) -> list[tuple[str, bool]]:
    """The query as (phrase text, is_prefix) items; items without a word are dropped."""
    return [(words, prefix) for _, words, prefix in parse_chunks(query)]


def fts5_expression(items: list[tuple[str, bool]]) -> str:
    # Each item is a double-quoted FTS5 string of plain words: no operator can appear.
    return " ".join(f'"{text}"' + (" *" if prefix else "") for text, prefix in items)


def tsquery_sql(query: str) -> tuple[str, list[str]]:
    """A PostgreSQL tsquery expression (with its parameters) that needs every item.

    A plain item goes through phraseto_tsquery, so PostgreSQL's own parser splits it
    exactly as to_tsvector split the content ("87.5" stays one token); a prefix item
    becomes word & word:* from its plain words (no operator can come from the user).
    """
    parts, params = [], []
    for raw, words, prefix in parse_chunks(query):
        if prefix:
            terms = [f"'{word.lower()}'" for word in words.split()]
            terms[-1] += ":*"
            parts.append("to_tsquery('simple', ?)")
            params.append(" <-> ".join(terms))
        else:
            parts.append("phraseto_tsquery('simple', ?)")
            params.append(raw)
    return " && ".join(parts), params


def fts5_available(tx: Any) -> bool:
    import sqlite3

    try:
        return tx.one("SELECT 1 AS found FROM pragma_module_list WHERE name = 'fts5'") is not None
    except sqlite3.Error:  # pragma_module_list missing from very old SQLite builds
        row = tx.one("SELECT sqlite_compileoption_used('ENABLE_FTS5') AS found")
        return bool(row and row["found"])


COLUMNS = ("id", "session_id", "timestamp", "iteration", "agent_type", "agent_id", "group_id", "log_type")


def search(
    tx: Any, query: str, session_id: str | None, agent_type: str | None, limit: int
) -> list[dict[str, Any]]:
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
    columns = ", ".join(f"l.{column}" for column in COLUMNS)
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
    if tx.one("SELECT 1 AS found FROM sqlite_master WHERE name = ?", (FTS_TABLE,)) is None:
        raise BackendUnavailable(
            "this database has no full-text index: the SQLite library in use was built without FTS5",
            hint="use a Python whose sqlite3 module has FTS5, then run `bazinga-db migrate`",
        )
    # bm25() is smaller for better matches; the score we report is its negation.
    rows = tx.all(
        f"SELECT {columns}, snippet({FTS_TABLE}, 0, ?, ?, '…', 16) AS snippet, "
        f"bm25({FTS_TABLE}) AS rank FROM {FTS_TABLE} JOIN orchestration_logs AS l ON l.id = {FTS_TABLE}.rowid "
        f"WHERE {FTS_TABLE} MATCH ?{where} ORDER BY rank, l.id DESC LIMIT ?",
        (*HIGHLIGHT, fts5_expression(items), *params, limit),
    )
    for row in rows:
        row["score"] = round(-float(row.pop("rank")), 6)
    return rows
