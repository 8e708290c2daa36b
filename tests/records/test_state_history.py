"""state-history and state-diff: every saved state, and what changed between two."""

from __future__ import annotations

import pytest

from bazinga_db import BazingaDB

PM_1 = '{"iteration": 1, "mode": "parallel", "pending_groups": ["group_a", "group_b"], "completed_groups": []}'
PM_2 = '{"iteration": 3, "mode": "parallel", "pending_groups": ["group_b"], "completed_groups": ["group_a"], "note": "x y"}'


@pytest.fixture
def states(cli):  # type: ignore[no-untyped-def]
    for document in (PM_1, PM_2):
        assert cli("save-state", "s1", "pm", document, "--quiet").code == 0
    assert cli("save-state", "s1", "pm", '{"iteration": 9}', "--group-id", "group_a", "--quiet").code == 0
    assert cli("save-state", "s1", "orchestrator", '{"phase": "dev"}', "--quiet").code == 0
    return cli


def test_history_is_newest_first_and_scoped_to_type_and_group(states):  # type: ignore[no-untyped-def]
    history = states("state-history", "s1", "pm").json()
    assert [entry["state_data"]["iteration"] for entry in history] == [3, 1]
    assert set(history[0]) == {"id", "timestamp", "group_id", "state_data"}
    assert history[0]["id"] > history[1]["id"]
    assert history[0]["group_id"] is None
    grouped = states("state-history", "s1", "pm", "--group-id", "group_a").json()
    assert [entry["state_data"] for entry in grouped] == [{"iteration": 9}]
    assert len(states("state-history", "s1", "pm", "--limit", "1").json()) == 1


def test_diff_defaults_to_previous_and_newest_as_text(states):  # type: ignore[no-untyped-def]
    result = states("state-diff", "s1", "pm")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert lines[0].startswith("--- pm state #1 ")
    assert lines[1].startswith("+++ pm state #2 ")
    assert lines[2:] == [
        "~ iteration: 1 → 3",
        '~ pending_groups[0]: "group_a" → "group_b"',
        '- pending_groups[1]: "group_b"',
        '+ completed_groups[0]: "group_a"',
        '+ note: "x y"',
    ]


def test_diff_json_is_a_structured_change_list(states):  # type: ignore[no-untyped-def]
    history = states("state-history", "s1", "pm").json()
    newest, oldest = history[0]["id"], history[1]["id"]
    result = states("--json", "state-diff", "s1", "pm", str(newest), str(oldest)).json()
    assert result["from"]["id"] == newest and result["to"]["id"] == oldest
    assert {"path": "note", "op": "remove", "old": "x y", "new": None} in result["changes"]
    assert {"path": "iteration", "op": "change", "old": 3, "new": 1} in result["changes"]
    same = states("--json", "state-diff", "s1", "pm", "--from", str(oldest), "--to", str(oldest)).json()
    assert same["changes"] == []


def test_diff_of_a_single_state_shows_everything_added(states):  # type: ignore[no-untyped-def]
    result = states("state-diff", "s1", "orchestrator")
    assert result.code == 0
    assert result.out.splitlines()[-1] == '+ phase: "dev"'
    assert "no earlier state" in result.out.splitlines()[0]


def test_diff_rejects_an_id_of_another_session_or_type(states):  # type: ignore[no-untyped-def]
    other = states("state-history", "s1", "orchestrator").json()[0]["id"]
    result = states("state-diff", "s1", "pm", str(other))
    assert result.code == 2
    assert f"state id {other} is not a pm state of session 's1'" in result.err
    assert "newest ids are 3, 2, 1" in result.err
    assert states("state-diff", "s1", "pm", "abc").code == 2
    missing = states("state-diff", "s1", "qa")
    assert missing.code == 1 and "no qa state saved in session 's1'" in missing.err
    assert states("state-history", "nope", "pm").code == 1
    assert states("state-history", "s1", "pm", "--limit", "0").code == 2


def test_history_through_the_python_api(store: BazingaDB) -> None:
    store.save_state("s2", "pm", {"i": 1})
    store.save_state("s2", "pm", {"i": 2})
    assert [row["state_data"] for row in store.state_history("s2", "pm")] == [{"i": 2}, {"i": 1}]
    assert store.state_diff("s2", "pm")["changes"] == [{"path": "i", "op": "change", "old": 1, "new": 2}]
