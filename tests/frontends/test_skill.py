"""The agent skill: SKILL.md from the operation table, install-skill, and a whole
orchestration driven through the installed ``scripts/bazinga_db.py``, as agents call it."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from bazinga_db import __version__, operations
from bazinga_db.skill import MARKER_FILE, render_skill_md, skill_files
from conftest import REPO, Result, run_cli

SKILL_DIR = Path(".claude") / "skills" / "bazinga-db"
# Commands that serve until their input closes: their example runs with stdin closed.
SERVING = {"mcp", "dashboard"}
# A rough stand-in for a BPE tokenizer: words split at case changes and underscores,
# numbers in runs of three, every punctuation mark on its own. It overestimates prose.
_TOKEN = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d{1,3}|[^\sA-Za-z\d]")

INSTALL_HOOKS_HINT = "  Next: `bazinga-db install-hooks` records Claude Code's exact token usage as agents stop"


def estimated_tokens(text: str) -> int:
    return len(_TOKEN.findall(text))


def run_script(project: Path, *args: str, input: str | None = None, cwd: Path | None = None,
               python: list[str] | None = None, path: str | None = None) -> Result:
    """``python3 .claude/skills/bazinga-db/scripts/bazinga_db.py ARGS`` from the project folder."""
    script = project / SKILL_DIR / "scripts" / "bazinga_db.py"
    command = (python or [sys.executable]) + [str(script), *args]
    env = {key: value for key, value in os.environ.items() if key != "BAZINGA_DB"}
    if path is not None:
        env["PATH"] = path
    completed = subprocess.run(
        command, check=False, input=input, capture_output=True, text=True, cwd=cwd or project, env=env, timeout=120,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
    return Result(completed)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (a git checkout) with the skill installed by `bazinga-db install-skill`,
    run from a subfolder so that the project root is found as SPEC §3 says."""
    root = tmp_path / "project"
    (root / ".git").mkdir(parents=True)
    (root / "src" / "app").mkdir(parents=True)
    result = run_cli("install-skill", cwd=str(root / "src" / "app"))
    assert result.code == 0, result
    assert result.out == (
        f"✓ Skill installed: {root / SKILL_DIR} (SKILL.md created, scripts/bazinga_db.py created, "
        f"{len(reference_files())} references created)\n"
        f"{INSTALL_HOOKS_HINT}\n"
    )
    return root


def skill_examples(text: str) -> list[str]:
    commands = text.split("\n## Commands\n", 1)[1] if "\n## Commands\n" in text else text
    return re.findall(r"`bazinga-db ([^`]+)`", commands)


def reference_files() -> dict[str, str]:
    return {path: text for path, text in skill_files().items() if path.startswith("references/")}


def all_examples() -> list[str]:
    """Every example an agent can read: SKILL.md's, then each reference file's."""
    examples = skill_examples(render_skill_md())
    for text in reference_files().values():
        examples += skill_examples(text)
    return examples


# -- the skill text -----------------------------------------------------------------------


def test_repository_skill_folder_is_current() -> None:
    """skill/bazinga-db/ is generated from the operation table; `make skill` rewrites it."""
    for relative, text in skill_files().items():
        path = REPO / "skill" / "bazinga-db" / relative
        assert path.read_text(encoding="utf-8") == text, f"{path} is stale: run `make skill`"
    assert os.access(REPO / "skill" / "bazinga-db" / "scripts" / "bazinga_db.py", os.X_OK)


def test_repository_script_runs_from_a_checkout(tmp_path: Path) -> None:
    """`python3 skill/bazinga-db/scripts/bazinga_db.py --db PATH ...` with the package installed."""
    script = REPO / "skill" / "bazinga-db" / "scripts" / "bazinga_db.py"
    db = str(tmp_path / "checkout.db")
    for args, expected in [(["create-session", "s1", "simple", "from a checkout"], "✓ Session created: s1"),
                           (["get-config", "missing"], "null")]:
        completed = subprocess.run([sys.executable, str(script), "--db", db, *args], check=False,
                                   capture_output=True, text=True, cwd=REPO, timeout=60)
        assert completed.returncode == 0, completed.stderr
        assert completed.stdout.splitlines()[-1] == expected


def test_front_matter_follows_the_skill_format() -> None:
    text = render_skill_md()
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    assert match, "SKILL.md must start with a front matter block"
    fields = dict(line.split(": ", 1) for line in match.group(1).splitlines())
    assert list(fields) == ["name", "description", "version", "allowed-tools"]
    assert fields["name"] == "bazinga-db"
    assert fields["version"] == __version__
    assert fields["allowed-tools"] == "Bash, Read"
    assert 50 < len(fields["description"]) < 400


def test_skill_md_is_concise_and_portable() -> None:
    text = render_skill_md()
    tokens = estimated_tokens(text)
    assert tokens <= 1500, f"SKILL.md is about {tokens} tokens; every agent reads it, keep it under 1,500"
    assert "--json" in text and "whenever you parse the output" in text
    for exit_code in ("`0`", "`2`", "`1`"):
        assert exit_code in text
    assert '{"ok": false, "error":' in text
    assert "creates it" in text  # auto-created sessions
    for machine_specific in ("/home/", "/root", "/tmp/", "/work/", "/usr/", "C:\\"):
        assert machine_specific not in text


def test_every_cli_command_is_documented_with_one_example() -> None:
    general_help = run_cli("--help").out
    listed = re.findall(r"^  ([a-z][a-z-]+) ", general_help.split("commands:\n", 1)[1], re.MULTILINE)
    assert set(listed) == {operation.name for operation in operations.OPERATIONS}
    text = render_skill_md()
    examples = [example.split()[0] for example in all_examples()]
    agent_commands = [operation.name for operation in operations.OPERATIONS if operation.audience == "agent"]
    assert sorted(examples) == sorted(agent_commands), "each agent command has one example (SKILL.md or a reference)"
    # Commands for people (export, dashboard, …) are named, without an example.
    people_line = text.split("- For people and scripts", 1)[1].splitlines()[0]
    named = people_line.split("): ", 1)[1].rstrip(".").split(", ")
    assert sorted(named + examples) == sorted(listed)


# -- the installed skill --------------------------------------------------------------------


def test_each_reference_file_is_short_and_named_in_skill_md() -> None:
    text = render_skill_md()
    assert reference_files(), "the workflow families have reference files"
    for path, reference in reference_files().items():
        tokens = estimated_tokens(reference)
        assert tokens <= 700, f"{path} is about {tokens} tokens; keep each reference under ~700"
        assert f"`{path}`" in text
        assert skill_examples(reference), f"{path} shows no example"


def test_every_example_in_skill_md_runs(project: Path) -> None:
    folder = project / SKILL_DIR
    examples = skill_examples((folder / "SKILL.md").read_text(encoding="utf-8"))
    for path in sorted((folder / "references").glob("*.md")):  # installed beside SKILL.md
        examples += skill_examples(path.read_text(encoding="utf-8"))
    assert len(examples) == len([op for op in operations.OPERATIONS if op.audience == "agent"])
    for example in examples:
        args = shlex.split(example)
        if args[0] in SERVING:
            script = project / SKILL_DIR / "scripts" / "bazinga_db.py"
            process = subprocess.Popen([sys.executable, str(script), *args], cwd=project,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                code = process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                code = 0  # still serving: it started
            assert code == 0, (example, process.stderr.read() if process.stderr else b"")
            continue
        result = run_script(project, *args)
        check = operations.find(args[0])
        if check is not None and check.exit_1_unless and result.code == 1:  # a check saying "not yet"
            assert json.loads(result.out)[check.exit_1_unless] is False, (example, result)
            continue
        assert result.code == 0, (example, result)
        assert "Traceback" not in result.err
    # No --db anywhere: everything went to the default database under the project root.
    assert (project / "bazinga" / "bazinga.db").is_file()


def test_whole_orchestration_through_the_installed_script(project: Path) -> None:
    def db(*args: str, input: str | None = None) -> object:
        result = run_script(project, "--json", *args, input=input)
        assert result.code == 0, (args, result)
        return json.loads(result.out)

    sid = "bazinga_20250113_143530"
    session = db("create-session", sid, "parallel", "Add OAuth2 login, an API backend and UI components")
    assert session["status"] == "active" and session["mode"] == "parallel"
    db("log-interaction", sid, "orchestrator", "Spawning the project manager", "1", "orchestrator")
    db("log-interaction", sid, "pm", "Task breakdown: 3 groups", "1", "pm_main")
    for group, name, developer in [("group_a", "Authentication", "developer_1"),
                                   ("group_b", "API backend", "developer_2"),
                                   ("group_c", "UI components", "developer_3")]:
        created = db("create-task-group", group, sid, name, "pending", developer)
        assert created["status"] == "pending" and created["assigned_to"] == developer
    db("save-state", sid, "pm", '{"iteration": 1, "pending_groups": ["group_a", "group_b", "group_c"]}')
    db("log-decision", sid, "spawn_developers", '{"count": 3}', "1")

    # Three developers write at the same moment, from separate processes.
    script = str(project / SKILL_DIR / "scripts" / "bazinga_db.py")
    developers = [
        subprocess.Popen(
            [sys.executable, script, "--quiet", "log-interaction", sid, "developer", f"{group}: implemented",
             "--iteration", "1", "--agent-id", f"developer_{n}", "--group-id", group],
            cwd=project, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n, group in enumerate(["group_a", "group_b", "group_c"], start=1)
        for _ in range(3)
    ]
    for process in developers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert out == ""  # --quiet
    for n in (1, 2, 3):
        db("log-tokens", sid, "developer", str(8000 + n), f"developer_{n}")
    db("save-skill-output", sid, "lint", '{"errors": 0, "warnings": 2}', "--agent-type", "developer")
    db("save-skill-output", sid, "coverage", "-", input='{"line_coverage": 87.5}')

    # QA passes everything; the tech lead asks for one revision of group_b.
    db("log-interaction", sid, "qa", "All groups pass", "2", "qa_main")
    db("update-task-group", "group_a", "--status", "completed", "--last_review_status", "APPROVED")
    db("update-task-group", "group_c", "--session", sid, "--status=completed", "--last-review-status=APPROVED")
    revised = db("update-task-group", "group_b", "--last-review-status", "CHANGES_REQUESTED", "--increment-revision")
    assert revised["revision_count"] == 1
    db("update-task-group", "group_b", "--status", "completed", "--last-review-status", "APPROVED")
    db("save-state", sid, "pm", '{"iteration": 3, "completed_groups": ["group_a", "group_b", "group_c"]}')
    finished = db("update-session-status", sid, "completed")
    assert finished["status"] == "completed" and finished["end_time"]

    snapshot = db("dashboard-snapshot", sid)
    assert snapshot["task_group_counts"]["completed"] == 3
    assert snapshot["log_count"] == 2 + 9 + 1
    assert snapshot["token_usage"]["total_tokens"] == 24006
    assert snapshot["states"]["pm"]["iteration"] == 3
    assert snapshot["skill_outputs"] == {"coverage": {"line_coverage": 87.5}, "lint": {"errors": 0, "warnings": 2}}
    assert {group["id"]: group["revision_count"] for group in snapshot["task_groups"]} == {
        "group_a": 0, "group_b": 1, "group_c": 0}
    assert db("get-state", sid, "pm") == {"iteration": 3, "completed_groups": ["group_a", "group_b", "group_c"]}
    developer_logs = db("get-logs", sid, "--agent-type", "developer")
    assert len(developer_logs) == 9
    markdown = run_script(project, "stream-logs", sid, "3")
    assert markdown.code == 0 and markdown.out.startswith(f"# Orchestration log: {sid}")

    # A plain write prints one ✓ line; a write to an unknown session creates it and says so.
    plain = run_script(project, "log-interaction", "sess_new", "qa", "late entry")
    assert plain.code == 0
    assert plain.out.splitlines()[-1] == "✓ Logged QA interaction for session sess_new"
    assert "did not exist: created it" in plain.out

    # Bad input: exit 2, one JSON error document, nothing written.
    bad = run_script(project, "--json", "update-session-status", sid, "done")
    assert bad.code == 2
    assert json.loads(bad.out)["error"]["code"] == "invalid_input"
    assert bad.err.startswith("error: ") and "Traceback" not in bad.err
    assert db("get-session", sid)["status"] == "completed"


def test_the_script_says_so_when_the_package_is_missing(project: Path, tmp_path: Path) -> None:
    # -S: no site-packages, so the installed package cannot be imported; and no
    # bazinga-db command on PATH to hand over to.
    python = [sys.executable, "-S"]
    empty = str(tmp_path / "empty-bin")
    plain = run_script(project, "list-sessions", python=python, path=empty)
    assert plain.code == 1
    assert plain.out == ""
    assert plain.err.startswith("error: the bazinga-db package is not installed for ")
    assert len(plain.err.splitlines()) == 1 and "Traceback" not in plain.err
    # The way the package is really installed (README "Install"), never a registry name
    # under which nothing of ours is published.
    assert "install it from a bazinga-db checkout with: python3 -m pip install . " in plain.err
    assert "pipx install ." in plain.err
    assert "pip install bazinga-db" not in plain.err
    as_json = run_script(project, "--json", "list-sessions", python=python, path=empty)
    assert as_json.code == 1
    assert json.loads(as_json.out)["error"]["code"] == "not_installed"


def test_a_python_without_the_package_hands_over_to_the_command_on_path(project: Path) -> None:
    """bazinga-db installed with pipx or in a virtualenv: the skill's python3 lacks the
    package, and the launcher runs the bazinga-db command found on PATH instead."""
    bin_folder = os.path.dirname(sys.executable)
    assert os.path.exists(os.path.join(bin_folder, "bazinga-db")), "the test needs an installed bazinga-db command"
    python = [sys.executable, "-S"]
    result = run_script(project, "--json", "create-session", "sess_path", python=python,
                        path=bin_folder + os.pathsep + os.environ.get("PATH", ""))
    assert result.code == 0, result
    assert json.loads(result.out)["session_id"] == "sess_path"
    assert (project / "bazinga" / "bazinga.db").is_file()


def test_the_script_runs_from_any_folder(project: Path, tmp_path: Path) -> None:
    """The script's own folder (which holds a bazinga_db.py) never shadows the package."""
    here = project / SKILL_DIR / "scripts"
    result = run_script(project, "--db", str(tmp_path / "elsewhere.db"), "get-config", "x", cwd=here)
    assert result.code == 0, result
    assert result.out == "null\n"


# -- install-skill ----------------------------------------------------------------------------


def test_install_is_idempotent(project: Path) -> None:
    skill_md = project / SKILL_DIR / "SKILL.md"
    before = skill_md.stat().st_mtime_ns
    again = run_cli("install-skill", str(project))
    assert again.code == 0
    assert again.out == f"✓ Skill up to date: {project / SKILL_DIR}\n"
    assert skill_md.stat().st_mtime_ns == before
    as_json = run_cli("--json", "install-skill", str(project))
    assert json.loads(as_json.out) == {
        "skill_dir": str(project / SKILL_DIR), "version": __version__,
        "files": {"SKILL.md": "unchanged", "scripts/bazinga_db.py": "unchanged",
                  **{path: "unchanged" for path in reference_files()}},
    }
    assert run_cli("--quiet", "install-skill", str(project)).out == ""


def test_install_refuses_to_overwrite_a_modified_copy(project: Path) -> None:
    skill_md = project / SKILL_DIR / "SKILL.md"
    edited = skill_md.read_text(encoding="utf-8") + "\nOur team always passes --group-id.\n"
    skill_md.write_text(edited, encoding="utf-8")
    refused = run_cli("install-skill", str(project))
    assert refused.code == 1
    assert refused.out == ""
    assert refused.err.startswith(f"error: the skill at {project / SKILL_DIR} was modified by hand (SKILL.md)")
    assert "--force" in refused.err
    assert skill_md.read_text(encoding="utf-8") == edited
    as_json = run_cli("--json", "install-skill", str(project))
    assert as_json.code == 1 and json.loads(as_json.out)["error"]["code"] == "conflict"

    forced = run_cli("install-skill", str(project), "--force")
    assert forced.code == 0, forced
    assert forced.out == (
        f"✓ Skill installed: {project / SKILL_DIR} (SKILL.md replaced, scripts/bazinga_db.py unchanged, "
        f"{len(reference_files())} references unchanged)\n"
        f"{INSTALL_HOOKS_HINT}\n"
    )
    assert skill_md.read_text(encoding="utf-8") == render_skill_md()


def test_install_replaces_its_own_older_copy_without_force(project: Path) -> None:
    """A copy written by an earlier version (its hash is in the marker) is not a user edit."""
    skill_md = project / SKILL_DIR / "SKILL.md"
    marker_path = project / SKILL_DIR / MARKER_FILE
    older = "---\nname: bazinga-db\nversion: 0.0.1\n---\nolder text\n"
    skill_md.write_text(older, encoding="utf-8")
    marker = json.loads(marker_path.read_text(encoding="utf-8"))
    import hashlib

    marker["files"]["SKILL.md"] = hashlib.sha256(older.encode()).hexdigest()
    marker_path.write_text(json.dumps(marker), encoding="utf-8")
    result = run_cli("install-skill", str(project))
    assert result.code == 0, result
    assert "SKILL.md updated" in result.out
    assert skill_md.read_text(encoding="utf-8") == render_skill_md()


def test_install_into_a_missing_folder_is_bad_input(tmp_path: Path) -> None:
    result = run_cli("install-skill", str(tmp_path / "nowhere"))
    assert result.code == 2
    assert result.err.startswith(f"error: install-skill: {tmp_path / 'nowhere'} is not a folder")
    assert not (tmp_path / "nowhere").exists()


def test_install_without_a_project_uses_the_current_folder(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    result = run_cli("install-skill", cwd=str(folder))
    assert result.code == 0, result
    assert (folder / SKILL_DIR / "SKILL.md").read_text(encoding="utf-8") == render_skill_md()
    assert os.access(folder / SKILL_DIR / "scripts" / "bazinga_db.py", os.X_OK)


def test_install_reports_a_folder_it_cannot_write(tmp_path: Path) -> None:
    project = tmp_path / "blocked"
    (project / ".claude" / "skills").mkdir(parents=True)
    (project / ".claude" / "skills" / "bazinga-db").write_text("a file where the skill folder goes")
    result = run_cli("install-skill", str(project))
    assert result.code == 1
    assert result.err.startswith(f"error: cannot install the skill into {project / SKILL_DIR}: ")
    assert len(result.err.splitlines()) == 1 and "Traceback" not in result.err
