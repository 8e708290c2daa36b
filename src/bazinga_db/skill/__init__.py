"""The agent skill: SKILL.md rendered from the operation table, and its installer.

The skill folder holds ``SKILL.md`` (read into every agent's prompt, so it stays short)
and ``scripts/bazinga_db.py`` (a launcher for the installed package's CLI). Both are
generated here, so the command list can never drift from the table; the copy in the
repository's ``skill/bazinga-db/`` is written by ``write_folder`` and checked by a test.
"""

from __future__ import annotations

import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

from .. import operations
from ..errors import BazingaError, Conflict, InvalidInput
from ..operations import Operation

SKILL_NAME = "bazinga-db"
SKILL_FILE = "SKILL.md"
SCRIPT_FILE = "scripts/bazinga_db.py"
# Records the hash of each file as written, so a later install can tell our own older
# copy (safe to replace) from one a person edited (kept unless --force).
MARKER_FILE = ".installed.json"


def command_line(operation: Operation) -> str:
    """One line per command: its example (which shows the positional arguments in
    order), its summary, and the options that exist only as flags."""
    line = f"- `bazinga-db {operation.example}` {operation.summary}"
    # Flags the example already shows, and --idempotency-key (explained once above the
    # list), are left out: every agent pays for each token of this file.
    shown = set(operation.example.replace("=", " ").split())
    flags = []
    for param in operation.params:
        spellings = ["--" + name.replace("_", "-") for name in (param.name, *param.aliases)]
        if param.positional or param.name == "idempotency_key" or shown.intersection(spellings):
            continue
        flags.append(min(spellings, key=len))  # any spelling works; the shortest costs least
    if flags:
        line += " [" + " ".join(flags) + "]"
    return line


# The families an agent reads about only when it needs them: one line in SKILL.md, and a
# references/<family>.md file beside it (title, when to use it).
FAMILIES: dict[str, tuple[str, str]] = {
    "criteria": (
        "Success criteria, completion gate",
        (
            "The PM saves the session's definition of done when it plans; agents mark a criterion met, "
            "blocked or failed with evidence. Marking the session completed is refused (exit 1, code "
            "`criteria_unmet`) while a required criterion is unmet, unless `--force --reason \"…\"`, "
            "which is recorded as a decision."
        ),
    ),
    "plans": (
        "Development plan",
        (
            "One plan per session, with phases. The PM reads it first when a session is resumed "
            "(`null` when there is none) and saves it when it plans; phases move on by number or name."
        ),
    ),
    "events": (
        "Typed events",
        (
            "Verdicts and notices between agents (`tl_issues`, `tl_verdicts`, `validator_verdict`, "
            "`scope_change`, `pm_bazinga` …) with a JSON payload; read newest first. The investigation "
            "loop saves each step as state and event in one transaction."
        ),
    ),
    "reasoning": (
        "Reasoning",
        (
            "Every agent records `understanding` when it starts and `completion` when it ends (other "
            "phases: approach, decisions, risks, blockers, pivot). Group `global` means session-wide. "
            "Entries show in the log stream."
        ),
    ),
    "context": (
        "Context packages",
        (
            "A producer hands a file in the project (research, failures, decisions, handoff, investigation) "
            "to consumer roles with a priority and a one-line summary. Before an agent starts, read its "
            "unread packages; when it has read one, mark it consumed. Paths outside the project are refused."
        ),
    ),
    "memory": (
        "Error patterns, strategies",
        (
            "What the project learned across sessions; name the project the same way in every session "
            "(e.g. the repository's name; `shop` below). Save an error with its fix; the same error from "
            "another file or line counts as one pattern. Report whether a fix worked (confidence goes up "
            "or down). Strategies are insights per topic; `extract-strategies` draws them from an "
            "approved group's reasoning."
        ),
    ),
}
REFERENCES_FOLDER = "references"


def render_reference(family: str) -> str:
    """``references/<family>.md``: what the family is for, and each command with an example."""
    title, purpose = FAMILIES[family]
    lines = [f"# bazinga-db: {title}", "", purpose, "",
             "`bazinga-db` stands for the command in SKILL.md; add `--json` to parse the output.", ""]
    lines += [command_line(op) for op in operations.OPERATIONS if op.family == family]
    return "\n".join(lines) + "\n"


def render_commands() -> str:
    """Core agent commands one per line, in full; other families one line each pointing to
    their reference file; the commands for people around a run only by name, since every
    agent pays for each token of SKILL.md in its prompt."""
    lines = [command_line(op) for op in operations.OPERATIONS if op.audience == "agent" and op.family == "core"]
    listed = "; ".join(
        f"`{REFERENCES_FOLDER}/{family}.md`" + ("" if title.lower() == family else f" ({title.lower()})")
        for family, (title, _) in FAMILIES.items()
    )
    lines.append(f"- Read when needed: {listed}.")
    # Plain names: backticks around each would cost two tokens a name in every agent's prompt.
    operator = [op.name for op in operations.OPERATIONS if op.audience != "agent"]
    if operator:
        lines.append(
            "- For people and scripts (each has `--help`): "
            + ", ".join(operator) + "."
        )
    return "\n".join(lines)


def render_skill_md() -> str:
    from .. import __version__

    template = resources.files(__package__).joinpath("SKILL.template.md").read_text(encoding="utf-8")
    return template.replace("<<VERSION>>", __version__).replace("<<COMMANDS>>", render_commands())


def launcher_source() -> str:
    return resources.files(__package__).joinpath("launcher.py").read_text(encoding="utf-8")


def skill_files() -> dict[str, str]:
    """Every file of the skill folder, by path inside it."""
    files = {SKILL_FILE: render_skill_md(), SCRIPT_FILE: launcher_source()}
    for family in FAMILIES:
        files[f"{REFERENCES_FOLDER}/{family}.md"] = render_reference(family)
    return files


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write(path: Path, text: str) -> None:
    """Write via a temporary file and a rename: an agent never reads half a SKILL.md."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(text, encoding="utf-8")
    if path.suffix == ".py":
        temporary.chmod(0o755)
    os.replace(temporary, path)


def write_folder(folder: str | os.PathLike[str]) -> None:
    """Write the skill files into ``folder`` as they are (the repository's copy)."""
    for relative, text in skill_files().items():
        _write(Path(folder) / relative, text)


def install_skill(dir: str | None = None, force: bool = False) -> dict[str, Any]:
    """Write the skill into ``DIR/.claude/skills/bazinga-db/`` (default: the project root).

    Unchanged files are left alone; a file that differs from what this version writes
    is replaced only if an earlier install wrote it, or with ``force``. Nothing is
    written when a modified file blocks the install.
    """
    from ..db.paths import find_project_root

    if dir is None:
        project = Path(find_project_root() or os.getcwd())
    else:
        project = Path(dir).expanduser().absolute()
        if not project.is_dir():
            raise InvalidInput(f"install-skill: {project} is not a folder", hint="give an existing project folder")
    target = project / ".claude" / "skills" / SKILL_NAME
    try:
        return _install(target, force)
    except OSError as exc:
        raise BazingaError(f"cannot install the skill into {target}: {exc.strerror or exc}") from None


def _install(target: Path, force: bool) -> dict[str, Any]:
    recorded = _read_marker(target / MARKER_FILE)
    planned = skill_files()
    statuses: dict[str, str] = {}
    modified: list[str] = []
    for relative, text in planned.items():
        path = target / relative
        if not path.exists():
            statuses[relative] = "created"
            continue
        current = path.read_bytes()
        if current == text.encode("utf-8"):
            statuses[relative] = "unchanged"
        elif recorded.get(relative) == _digest(current):
            statuses[relative] = "updated"
        else:
            statuses[relative] = "replaced"
            modified.append(relative)
    if modified and not force:
        raise Conflict(
            f"the skill at {target} was modified by hand ({', '.join(modified)}); nothing was written",
            hint="run `bazinga-db install-skill --force` to replace it (the changes are lost)",
        )
    from .. import __version__

    marker = {
        "version": __version__,
        "files": {relative: _digest(text.encode("utf-8")) for relative, text in planned.items()},
    }
    marker_text = json.dumps(marker, indent=2, sort_keys=True) + "\n"
    for relative, status in statuses.items():
        if status != "unchanged":
            _write(target / relative, planned[relative])
    if _read_text(target / MARKER_FILE) != marker_text:
        _write(target / MARKER_FILE, marker_text)
    return {"skill_dir": str(target), "version": __version__, "files": statuses}


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _read_marker(path: Path) -> dict[str, str]:
    text = _read_text(path)
    if text is None:
        return {}
    try:
        files = json.loads(text).get("files", {})
    except (ValueError, AttributeError):
        return {}  # a damaged marker only means we cannot vouch for the files
    return {str(key): str(value) for key, value in files.items()} if isinstance(files, dict) else {}


def confirmation(result: dict[str, Any]) -> str:
    statuses = result["files"]
    if all(status == "unchanged" for status in statuses.values()):
        return f"✓ Skill up to date: {result['skill_dir']}"
    parts = [f"{relative} {status}" for relative, status in statuses.items() if not relative.startswith(REFERENCES_FOLDER)]
    references = [status for relative, status in statuses.items() if relative.startswith(REFERENCES_FOLDER)]
    for status in dict.fromkeys(references):
        parts.append(f"{references.count(status)} {REFERENCES_FOLDER} {status}")
    details = ", ".join(parts)
    return (f"✓ Skill installed: {result['skill_dir']} ({details})\n"
            "  Next: `bazinga-db install-hooks` records Claude Code's exact token usage as agents stop")
