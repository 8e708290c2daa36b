"""The search syntax of ``search-logs``: a user's query parsed into terms for each engine.

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
