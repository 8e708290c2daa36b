"""The structured difference between two JSON documents that state-diff reports."""

from __future__ import annotations

from bazinga_db.util.jsondiff import diff


def test_diff_paths_quote_odd_keys_and_compare_numbers_by_value() -> None:
    changes = diff({"a b": 1, "n": 1, "flag": True, "list": [{"x": 1}]}, {"a b": 2, "n": 1.0, "flag": 1, "list": [{"x": 2}]})
    assert changes == [
        {"path": '["a b"]', "op": "change", "old": 1, "new": 2},
        {"path": "flag", "op": "change", "old": True, "new": 1},
        {"path": "list[0].x", "op": "change", "old": 1, "new": 2},
    ]
    assert diff([1], {"a": 1}) == [{"path": "", "op": "change", "old": [1], "new": {"a": 1}}]
