"""The search-logs query syntax: any text becomes quoted words, never an FTS5 syntax error."""

from __future__ import annotations

from bazinga_db.util.search_syntax import fts5_expression, parse_query


def test_parsed_queries_only_hold_quoted_words() -> None:
    assert parse_query('a-b "c d" e* NOT "unclosed') == [("a b", False), ("c d", False), ("e", True),
                                                          ("NOT", False), ("unclosed", False)]
    assert fts5_expression(parse_query('x" OR y')) == '"x" "OR" "y"'
