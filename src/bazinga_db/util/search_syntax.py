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


# -- ranking ----------------------------------------------------------------------------
# The engine decides which entries match; these functions score a bounded set of them the
# way FTS5's bm25() does (k1 = 1.2, b = 0.75, the same idf), so that a search never has to
# ask FTS5 for bm25() itself, which counts every entry holding each term on every call.

K1 = 1.2
B = 0.75


def fold(text: str) -> list[str]:
    """The words of ``text`` as the index sees them: lower case, accents removed."""
    import re

    lowered = text.lower()
    if not lowered.isascii():  # most log text is ASCII: skip the decomposition
        import unicodedata

        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(char for char in decomposed if not unicodedata.combining(char))
    return re.findall(_WORD, lowered)


def scoring_terms(items: list[tuple[str, bool]]) -> list[tuple[list[str], bool]]:
    """Each parsed item as its folded words and whether the last one is a prefix."""
    return [(fold(text), prefix) for text, prefix in items]


def hits(words: list[str], term: list[str], prefix: bool) -> int:
    """How many times the phrase ``term`` (its last word a prefix if asked) occurs in ``words``."""
    size = len(term)
    if size == 0:
        return 0
    last = term[-1]
    if size == 1:
        return sum(1 for word in words if word.startswith(last)) if prefix else words.count(last)
    head, end = term[:-1], len(words) - size + 1
    count = 0
    for start in range(end):
        if words[start] != head[0] or words[start:start + size - 1] != head:
            continue
        word = words[start + size - 1]
        if word == last or (prefix and word.startswith(last)):
            count += 1
    return count


def idf(total_rows: float, rows_with_term: float) -> float:
    """FTS5's inverse document frequency, floored at 1e-6 for terms in half the rows or more."""
    import math

    value = math.log((total_rows - rows_with_term + 0.5) / (rows_with_term + 0.5))
    return value if value > 0 else 1e-6


def bm25(frequencies: list[int], length: int, weights: list[float], average_length: float) -> float:
    """Okapi BM25 of one entry: ``frequencies`` of each term in it, ``weights`` their idf."""
    norm = K1 * (1 - B + B * length / average_length) if average_length > 0 else K1
    return sum(weight * (tf * (K1 + 1)) / (tf + norm) for tf, weight in zip(frequencies, weights))
