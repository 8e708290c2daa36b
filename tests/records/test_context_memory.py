"""Context packages handed between agents, consumption scope, and what a project learns
across sessions (error patterns, strategies) — through the CLI, on both backends."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

SID = "sess_ctx"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with files agents hand to each other, and a secret file outside it."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "artifacts").mkdir()
    (root / "artifacts" / "research.md").write_text("# OAuth providers\n" + "x" * 100)
    (tmp_path / "secret.txt").write_text("not for agents")
    return root


@pytest.fixture
def ctx(cli, project: Path):  # type: ignore[no-untyped-def]
    """The CLI run from inside the project (its root is found from the current folder)."""
    def run(*args: str, **kwargs: Any) -> Any:
        return cli(*args, cwd=str(project), **kwargs)

    assert run("create-task-group", "group_a", SID, "Auth").code == 0
    return run


def package(ctx, consumers: str = '["developer", "qa_expert"]', priority: str = "high",  # type: ignore[no-untyped-def]
            group: str = "group_a", summary: str = "OAuth providers compared",
            path: str = "artifacts/research.md", *extra: str) -> dict[str, Any]:
    result = ctx("--json", "save-context-package", SID, group, "research", path, "investigator", consumers,
                 priority, summary, *extra)
    assert result.code == 0, result
    return result.json()  # type: ignore[no-any-return]


def ids(ctx, *args: str) -> list[int]:  # type: ignore[no-untyped-def]
    result = ctx("--json", "get-context-packages", SID, *args)
    assert result.code == 0, result
    return [p["id"] for p in result.json()]


# -- context packages ---------------------------------------------------------------------


def test_a_package_is_handed_read_and_drops_out(ctx, project: Path) -> None:  # type: ignore[no-untyped-def]
    saved = package(ctx, '["developer", "qa_expert", "developer"]')
    assert saved["file_path"] == "artifacts/research.md" and saved["size_bytes"] == 118
    assert [c["agent_type"] for c in saved["consumers"]] == ["developer", "qa_expert"]  # de-duplicated
    assert all(c["consumed_at"] is None for c in saved["consumers"])
    # the package is one of the group's references
    [group] = ctx("--json", "get-task-groups", SID).json()
    assert group["context_references"] == [saved["id"]]
    assert ids(ctx, "group_a", "developer") == [saved["id"]]
    assert ids(ctx, "group_a", "tech_lead") == []  # not a consumer
    read = ctx("mark-context-consumed", str(saved["id"]), "developer", "1")
    assert read.code == 0 and read.out.startswith(f"✓ Package {saved['id']} read by developer (iteration 1)")
    again = ctx("mark-context-consumed", str(saved["id"]), "developer", "1")
    assert again.code == 0 and "was already read" in again.out
    assert ids(ctx, "group_a", "developer") == []
    assert ids(ctx, "group_a", "developer", "--include-consumed") == [saved["id"]]
    assert ids(ctx, "group_a", "qa_expert") == [saved["id"]]  # per consumer


def test_unread_packages_come_by_priority_then_newest(ctx) -> None:  # type: ignore[no-untyped-def]
    low = package(ctx, priority="low")["id"]
    critical = package(ctx, priority="critical")["id"]
    medium_old = package(ctx, priority="medium")["id"]
    medium_new = package(ctx, priority="MEDIUM")["id"]
    session_wide = package(ctx, priority="high", group="global")["id"]
    assert ids(ctx, "group_a", "developer", "10") == [critical, session_wide, medium_new, medium_old, low]
    assert ids(ctx, "group_a", "developer", "2") == [critical, session_wide]  # the limit
    assert ids(ctx, "global", "developer", "10") == [session_wide]


def test_a_newer_version_supersedes_the_old_one(ctx) -> None:  # type: ignore[no-untyped-def]
    old = package(ctx)["id"]
    new = package(ctx, '["developer"]', "high", "group_a", "OAuth providers, v2", "artifacts/research.md",
                  "--supersedes", str(old))["id"]
    assert ids(ctx, "group_a", "developer") == [new]
    missing = ctx("--json", "save-context-package", SID, "group_a", "research", "artifacts/research.md",
                  "investigator", '["developer"]', "high", "v3", "--supersedes", "999")
    assert missing.code == 1 and missing.json()["error"]["code"] == "not_found"


def test_a_later_iteration_reads_again_and_strangers_are_refused(ctx) -> None:  # type: ignore[no-untyped-def]
    saved = package(ctx, '["developer"]')["id"]
    assert ctx("mark-context-consumed", str(saved), "developer", "2").code == 0  # the pending row, read in 2
    assert ctx("mark-context-consumed", str(saved), "developer", "3").code == 0  # read again in 3
    [row] = ctx("--json", "get-context-packages", SID, "group_a", "developer", "--include-consumed").json()
    assert [(c["iteration"], c["consumed_at"] is not None) for c in row["consumers"]] == [(2, True), (3, True)]
    stranger = ctx("--json", "mark-context-consumed", str(saved), "tech_lead")
    assert stranger.code == 1 and stranger.json()["error"]["code"] == "not_found"
    assert "its consumers: developer" in stranger.json()["error"]["message"]
    unknown = ctx("--json", "mark-context-consumed", "999", "developer")
    assert unknown.code == 1 and unknown.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["../secret.txt", "artifacts/../../secret.txt", "{outside}", "link_out",
                                  "linked_dir/secret.txt"])
def test_a_path_outside_the_project_is_refused(ctx, project: Path, path: str) -> None:  # type: ignore[no-untyped-def]
    outside = project.parent / "secret.txt"
    os.symlink(outside, project / "link_out")
    os.symlink(project.parent, project / "linked_dir")
    result = ctx("--json", "save-context-package", SID, "group_a", "research", path.format(outside=outside),
                 "investigator", '["developer"]', "high", "sneaky")
    assert result.code == 2, result
    message = result.json()["error"]["message"]
    assert "outside the project" in message or "leads outside the project" in message
    assert ("symbolic link" in message) == path.startswith("link")
    assert ctx("--json", "get-context-packages", SID).json() == []  # nothing stored


def test_an_absolute_path_inside_the_project_is_stored_relative(ctx, project: Path) -> None:  # type: ignore[no-untyped-def]
    saved = package(ctx, path=str(project / "artifacts" / "research.md"))
    assert saved["file_path"] == "artifacts/research.md"
    # a file the producer has not written yet is accepted inside the project, without a size
    later = package(ctx, path="artifacts/later.md")
    assert later["size_bytes"] is None


@pytest.mark.parametrize("change", [
    {"type": "notes"}, {"priority": "urgent"}, {"consumers": '"developer; qa"'}, {"consumers": "[]"},
    {"consumers": '[1, 2]'}, {"summary": "x" * 201}, {"summary": "two\nlines"}, {"consumers": "{not json"},
    {"producer": "Not A Role!"},
])
def test_bad_packages_change_nothing(ctx, change: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    values = {"type": "research", "producer": "investigator", "consumers": '["developer"]', "priority": "high",
              "summary": "fine", **change}
    result = ctx("--json", "save-context-package", SID, "group_a", values["type"], "artifacts/research.md",
                 values["producer"], values["consumers"], values["priority"], values["summary"])
    assert result.code == 2, result
    assert "Traceback" not in result.err
    assert ctx("--json", "get-context-packages", SID).json() == []


def test_bad_reads_are_refused(ctx) -> None:  # type: ignore[no-untyped-def]
    for limit in ("0", "51", "many"):
        assert ctx("get-context-packages", SID, "group_a", "developer", limit).code == 2


def test_references_are_set_on_the_group(ctx) -> None:  # type: ignore[no-untyped-def]
    first, second = package(ctx)["id"], package(ctx)["id"]
    result = ctx("--json", "update-context-references", "group_a", SID, f"[{second}, {first}, {second}]")
    assert result.code == 0, result
    assert result.json()["context_references"] == [second, first]
    assert ctx("--json", "get-task-groups", SID).json()[0]["context_references"] == [second, first]
    # the skill's documented order (session first) names no group: refused, with the order to use
    swapped = ctx("--json", "update-context-references", SID, "group_a", f"[{first}]")
    assert swapped.code == 2 and swapped.json()["error"]["code"] == "usage"
    assert swapped.json()["error"]["hint"] == f"update-context-references group_a {SID} IDS"
    nowhere = ctx("--json", "update-context-references", "group_z", SID, f"[{first}]")
    assert nowhere.code == 1 and nowhere.json()["error"]["code"] == "task_group_not_found"
    unknown = ctx("--json", "update-context-references", "group_a", SID, "[999]")
    assert unknown.code == 1 and unknown.json()["error"]["code"] == "not_found"
    assert ctx("update-context-references", "group_a", SID, '["a"]').code == 2
    assert ctx("--json", "get-task-groups", SID).json()[0]["context_references"] == [second, first]


def test_consumption_is_recorded_once(ctx) -> None:  # type: ignore[no-untyped-def]
    saved = package(ctx)["id"]
    first = ctx("--json", "save-consumption", SID, "group_a", "developer", "1", str(saved))
    assert first.code == 0 and first.json()["inserted"] is True and len(first.json()["scope_id"]) == 32
    again = ctx("save-consumption", SID, "group_a", "developer", "1", str(saved))
    assert again.code == 0 and "was already recorded" in again.out
    assert ctx("save-consumption", SID, "group_a", "qa_expert", "1", str(saved)).code == 0
    rows = ctx("--json", "get-consumption", SID, "--agent-type", "developer").json()
    assert [(r["agent_type"], r["iteration"], r["package_id"]) for r in rows] == [("developer", 1, saved)]
    assert len(ctx("--json", "get-consumption", SID, "--group-id", "group_a").json()) == 2
    # group-only, a known package, and the skill's documented forms refused rather than stored as something else
    assert ctx("save-consumption", SID, "global", "developer", "1", str(saved)).code == 2
    assert ctx("--json", "save-consumption", SID, "group_a", "developer", "1", "999").json()["error"]["code"] \
        == "not_found"
    documented = ctx("save-consumption", SID, "developer", "file", "src/a.py", "1200")
    assert documented.code == 2 and "usage: bazinga-db save-consumption SESSION_ID GROUP_ID AGENT_TYPE ITERATION" \
        in documented.err
    assert ctx("get-consumption", SID, "developer", "file").code == 2
    assert len(ctx("--json", "get-consumption", SID).json()) == 2


# -- error patterns -----------------------------------------------------------------------


def pattern(cli, *args: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = cli("--json", "save-error-pattern", "shop", *args)
    assert result.code == 0, result
    return result.json()  # type: ignore[no-any-return]


def test_the_same_error_elsewhere_is_one_pattern(cli) -> None:  # type: ignore[no-untyped-def]
    first = pattern(cli, "ModuleNotFoundError", "No module named 'jwt' (/home/ana/shop/src/auth.py, line 12)",
                    "pip install pyjwt", "--lang", "python")
    assert first["operation"] == "created" and first["confidence"] == 0.5 and first["occurrences"] == 1
    assert first["signature"]["message_pattern"] == "No module named '...' (<path>, line N)"
    second = pattern(cli, "ModuleNotFoundError", "No module named 'requests' (C:\\work\\shop\\api.py, line 7)",
                     "pip install pyjwt, and add it to requirements.txt")
    assert second["operation"] == "updated" and second["pattern_hash"] == first["pattern_hash"]
    assert second["occurrences"] == 2 and second["solution"] == "pip install pyjwt, and add it to requirements.txt"
    third = pattern(cli, "ModuleNotFoundError", "No module named 'x' (/srv/a.py, line 1)", "same fix")
    assert third["occurrences"] == 3 and third["solution"] == second["solution"]  # the longer one stays
    other = pattern(cli, "ImportError", "No module named 'jwt' (/x/y.py, line 2)", "pip install pyjwt")
    assert other["pattern_hash"] != first["pattern_hash"]
    hinted = pattern(cli, "ModuleNotFoundError", "No module named 'jwt' (/x/y.py, line 2)", "pip install pyjwt",
                     "--context-hints", '["docker"]')
    assert hinted["pattern_hash"] != first["pattern_hash"]  # another context is another pattern


def test_confidence_moves_within_bounds(cli) -> None:  # type: ignore[no-untyped-def]
    digest = pattern(cli, "KeyError", "KeyError: 'user_id'", "check the session first")["pattern_hash"]

    def outcome(word: str) -> dict[str, Any]:
        result = cli("--json", "update-error-confidence", digest, "shop", word)
        assert result.code == 0, result
        return result.json()  # type: ignore[no-any-return]

    assert [outcome("success")["new_confidence"] for _ in range(7)] == [0.6, 0.7, 0.8, 0.9, 1.0, 1.0, 1.0]
    falls = [outcome("failure") for _ in range(6)]
    assert [f["new_confidence"] for f in falls] == [0.8, 0.6, 0.4, 0.2, 0.1, 0.1]
    assert [f["injectable"] for f in falls] == [True, True, True, False, False, False]
    assert cli("--json", "update-error-confidence", "0000", "shop", "success").json()["error"]["code"] == "not_found"
    assert cli("update-error-confidence", digest, "shop", "maybe").code == 2
    assert cli("update-error-confidence", digest, "0.1").code == 2  # the skill's `<id> <adjustment>` form
    assert cli("--json", "get-error-patterns", "shop", "--min-confidence", "0").json()[0]["confidence"] == 0.1


def test_patterns_are_read_by_confidence_and_filters(cli) -> None:  # type: ignore[no-untyped-def]
    low = pattern(cli, "KeyError", "KeyError: 'a'", "fix a", "--lang", "python")["pattern_hash"]
    high = pattern(cli, "TypeError", "x is not callable", "fix b", "--lang", "python")["pattern_hash"]
    ts = pattern(cli, "TS2345", "Argument of type 'string'", "fix c", "--lang", "typescript")["pattern_hash"]
    for _ in range(3):
        assert cli("update-error-confidence", high, "shop", "success").code == 0
    assert cli("update-error-confidence", ts, "shop", "success").code == 0
    read = cli("--json", "get-error-patterns", "shop").json()  # default: confidence >= 0.7
    assert [p["pattern_hash"] for p in read] == [high]
    everything = cli("--json", "get-error-patterns", "shop", "--min-confidence", "0", "--limit", "10").json()
    assert [p["pattern_hash"] for p in everything] == [high, ts, low]
    python = cli("--json", "get-error-patterns", "shop", "--lang", "python", "--min-confidence", "0").json()
    assert {p["pattern_hash"] for p in python} == {high, low}
    typed = cli("--json", "get-error-patterns", "shop", "--error-type", "KeyError", "--min-confidence", "0").json()
    assert [p["pattern_hash"] for p in typed] == [low]
    assert cli("--json", "get-error-patterns", "other").json() == []
    for bad in ("1.5", "high", "-0.1"):
        assert cli("get-error-patterns", "shop", "--min-confidence", bad).code == 2
    assert cli("get-error-patterns", "--error-type", "KeyError").code == 2  # no project: say so


def test_expired_patterns_are_not_offered_and_cleaned_up(cli, store) -> None:  # type: ignore[no-untyped-def]
    old = pattern(cli, "KeyError", "KeyError: 'a'", "fix a", "--ttl-days", "7")["pattern_hash"]
    kept = pattern(cli, "TypeError", "bad call", "fix b")["pattern_hash"]
    weak = pattern(cli, "ValueError", "bad value", "fix c")["pattern_hash"]
    with store.write() as tx:  # as if last seen 8 days ago
        tx.execute("UPDATE error_patterns SET last_seen = '2020-01-01T00:00:00.000Z', "
                   "expires_at = '2020-01-08T00:00:00.000Z' WHERE pattern_hash = ?", (old,))
    assert cli("update-error-confidence", weak, "shop", "failure").code == 0
    offered = cli("--json", "get-error-patterns", "shop", "--min-confidence", "0").json()
    assert {p["pattern_hash"] for p in offered} == {kept, weak}
    assert cli("--json", "cleanup-error-patterns", "other").json()["deleted_count"] == 0
    cleaned = cli("--json", "cleanup-error-patterns", "shop").json()
    assert cleaned["deleted"] == [f"shop:{old}"]
    # the skill's documented flags work too: below a confidence, or unseen for N days
    assert cli("--json", "cleanup-error-patterns", "--min-confidence", "0.4").json()["deleted"] == [f"shop:{weak}"]
    assert cli("--json", "cleanup-error-patterns", "--max-age-days", "1").json()["deleted_count"] == 0
    assert [p["pattern_hash"] for p in cli("--json", "get-error-patterns", "shop", "--min-confidence", "0").json()] \
        == [kept]


def test_secrets_never_reach_a_pattern(cli) -> None:  # type: ignore[no-untyped-def]
    token = "ghp_" + "A1b2C3d4E5f6" * 3
    first = pattern(cli, "AuthError", f"401 for token {token}", f"rotate {token}")
    second = pattern(cli, "AuthError", "401 for token ghp_" + "Z9y8X7w6V5u4" * 3, "rotate it")
    assert first["pattern_hash"] == second["pattern_hash"] and second["occurrences"] == 2
    stored = json.dumps(cli("--json", "get-error-patterns", "shop", "--min-confidence", "0").json())
    assert "ghp_" not in stored and "[REDACTED:github_token]" in stored


def test_the_documented_pattern_forms_are_refused(cli) -> None:  # type: ignore[no-untyped-def]
    documented = cli("--json", "save-error-pattern", SID, "group_a", "TypeError", "sig", "resolution",
                     "--confidence", "0.8")
    assert documented.code == 2 and documented.json()["error"]["code"] == "usage"
    assert cli("--json", "get-error-patterns", "shop", "--min-confidence", "0").json() == []


# -- strategies ---------------------------------------------------------------------------


def strategy(cli, *args: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    result = cli("--json", "save-strategy", "shop", *args)
    assert result.code == 0, result
    return result.json()  # type: ignore[no-any-return]


def test_strategies_count_their_helpfulness(cli) -> None:  # type: ignore[no-untyped-def]
    first = strategy(cli, "architecture", "One adapter per payment provider", "--lang", "python")
    again = strategy(cli, "architecture", "One  adapter per payment provider", "--lang", "python")
    assert again["strategy_id"] == first["strategy_id"] and again["helpfulness"] == 2
    strategy(cli, "methodology", "Write the failing test first", "--framework", "django")
    strategy(cli, "general", "Small commits", "--lang", "go")
    python = cli("--json", "get-strategies", "shop", "--lang", "python").json()
    assert [s["insight"] for s in python] == ["One adapter per payment provider", "Write the failing test first"]
    topic = cli("--json", "get-strategies", "shop", "--topic", "methodology").json()
    assert [s["topic"] for s in topic] == ["methodology"]
    bumped = cli("--json", "update-strategy-helpfulness", first["strategy_id"], "5").json()
    assert (bumped["previous_helpfulness"], bumped["new_helpfulness"]) == (2, 7)
    missing = cli("--json", "update-strategy-helpfulness", "nope")
    assert missing.code == 1 and missing.json()["error"]["code"] == "not_found"
    assert cli("update-strategy-helpfulness", first["strategy_id"], "101").code == 2


@pytest.mark.parametrize("args", [
    ("testing", "A topic we do not have"), ("general", "x" * 501),
    # the skill's `save-strategy <sid> <gid> <type> <description> <outcome> --confidence N`
    (SID, "group_a", "approach", "desc", "worked", "--confidence", "0.9"),
])
def test_bad_strategies_change_nothing(cli, args: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    result = cli("--json", "save-strategy", "shop", *args)
    assert result.code == 2, result
    assert cli("--json", "get-strategies", "shop").json() == []
    assert cli("get-strategies", "--strategy-type", "approach").code == 2


def test_strategies_are_extracted_from_approved_groups_only(cli) -> None:  # type: ignore[no-untyped-def]
    for group in ("group_a", "group_b"):
        assert cli("create-task-group", group, SID, group).code == 0
        for phase, text in (("understanding", "read the code"), ("approach", f"{group}: tests first"),
                            ("decisions", f"{group}: one adapter per provider"),
                            ("completion", f"{group}: done behind a feature flag")):
            assert cli("save-reasoning", SID, group, "developer", phase, text).code == 0
    refused = cli("--json", "extract-strategies", SID, "group_a", "shop")
    assert refused.code == 1 and refused.json()["error"]["code"] == "group_not_approved"
    assert cli("--json", "get-strategies", "shop").json() == []
    assert cli("update-task-group", "group_a", "--session", SID, "--last-review-status", "APPROVED").code == 0
    extracted = cli("--json", "extract-strategies", SID, "group_a", "shop", "--lang", "python").json()
    assert extracted["groups"] == ["group_a"] and extracted["extracted"] == 3
    assert {(s["topic"], s["insight"]) for s in extracted["strategies"]} == {
        ("methodology", "group_a: tests first"), ("architecture", "group_a: one adapter per provider"),
        ("implementation", "group_a: done behind a feature flag")}
    # again, for every approved group: the same insights count once more, nothing duplicated
    again = cli("--json", "extract-strategies", SID, "all", "shop", "--lang", "python").json()
    assert again["groups"] == ["group_a"] and {s["helpfulness"] for s in again["strategies"]} == {2}
    assert len(cli("--json", "get-strategies", "shop", "--limit", "100").json()) == 3
    unknown = cli("--json", "extract-strategies", SID, "group_z", "shop")
    assert unknown.code == 1 and unknown.json()["error"]["code"] == "not_found"


def test_what_a_project_learned_outlives_its_sessions(cli) -> None:  # type: ignore[no-untyped-def]
    assert cli("create-session", "short_lived", "simple", "x").code == 0
    pattern(cli, "KeyError", "KeyError: 'a'", "fix a")
    strategy(cli, "general", "Small commits")
    assert cli("update-session-status", "short_lived", "failed").code == 0
    assert cli("prune", "--older-than", "2099-01-01").code == 0
    assert cli("--json", "list-sessions").json() == []
    assert len(cli("--json", "get-error-patterns", "shop", "--min-confidence", "0").json()) == 1
    assert len(cli("--json", "get-strategies", "shop").json()) == 1
