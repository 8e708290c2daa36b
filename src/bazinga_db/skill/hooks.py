"""Claude Code hooks: writing them into a project's settings, and handling their events.

``install_hooks`` adds SubagentStart, SubagentStop and Stop entries running
``bazinga-db hook`` to ``.claude/settings.json``, keeping every other key and hook and the
file's indentation; a second run changes nothing. ``handle_event`` is what that command
does with one event: it records a subagent's start as a log entry and, when an agent
stops, the exact usage of its transcript (``ingest-transcript``). A hook must never stand
in the agent's way, so the command prints only ``{}`` and never exits 2 (which would make
Claude Code keep the agent working); see ``frontends/commands.hook_command``.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ..errors import InvalidInput

HOOK_COMMAND = "bazinga-db hook"
HOOK_EVENTS = ("SubagentStart", "SubagentStop", "Stop")
HOOK_TIMEOUT_S = 30
MAX_EVENT_BYTES = 16 * 1024 * 1024


# -- install-hooks -------------------------------------------------------------------------


def default_settings_path() -> str:
    from ..db.paths import find_project_root

    return os.path.join(find_project_root() or os.getcwd(), ".claude", "settings.json")


def install_hooks(settings: str | None = None) -> dict[str, Any]:
    """Add our three hook entries to ``settings`` (default: the project's .claude/settings.json)."""
    path = os.path.abspath(os.path.expanduser(settings)) if settings else default_settings_path()
    text = None
    if os.path.exists(path):
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(f"cannot read {path}: {exc}; nothing was changed") from None
    document: Any = {}
    if text is not None and text.strip():
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise InvalidInput(f"{path} is not valid JSON ({exc}); fix it first, nothing was changed") from None
    if not isinstance(document, dict):
        raise InvalidInput(f"{path} holds a JSON {type(document).__name__}, not an object; nothing was changed")
    hooks = document.setdefault("hooks", {})
    if not isinstance(hooks, dict):
        raise InvalidInput(f'{path}: "hooks" is not an object; nothing was changed')
    added = []
    for event in HOOK_EVENTS:
        groups = hooks.setdefault(event, [])
        if not isinstance(groups, list):
            raise InvalidInput(f'{path}: "hooks.{event}" is not a list; nothing was changed')
        if not any(_runs_our_hook(group) for group in groups):
            groups.append({"hooks": [{"type": "command", "command": HOOK_COMMAND, "timeout": HOOK_TIMEOUT_S}]})
            added.append(event)
    if added:
        indent = _indent_of(text)
        rendered = json.dumps(document, indent=indent, ensure_ascii=False)
        if text is None or text.endswith("\n") or indent is not None:
            rendered += "\n"
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = f"{path}.tmp-{os.getpid()}"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(rendered)
        os.replace(temporary, path)  # whole or not at all: Claude Code may read it any time
    return {"settings": path, "created": text is None, "added": added, "events": list(HOOK_EVENTS),
            "command": HOOK_COMMAND}


def _runs_our_hook(group: Any) -> bool:
    entries = group.get("hooks") if isinstance(group, dict) else None
    if not isinstance(entries, list):
        return False
    for entry in entries:
        words = str(entry.get("command", "")).split() if isinstance(entry, dict) else []
        if words and words[-1] == "hook" and any("bazinga" in word for word in words[:-1]):
            return True
    return False


def _indent_of(text: str | None) -> int | str | None:
    """The indentation a JSON text uses: a tab, a number of spaces, or None (one line)."""
    if text is None or not text.strip():
        return 2
    lines = text.strip().splitlines()
    if len(lines) == 1:
        return None
    for line in lines[1:]:
        body = line.lstrip(" \t")
        if body and body != line:
            lead = line[: len(line) - len(body)]
            return "\t" if lead.startswith("\t") else len(lead)
    return 2


def confirmation(result: dict[str, Any]) -> str:
    if not result["added"]:
        return f"✓ Hooks already installed in {result['settings']} (unchanged)"
    return (f"✓ Hooks installed in {result['settings']}: {', '.join(result['added'])} run `{result['command']}`"
            " (Claude Code's exact token usage is recorded when each agent stops)")


# -- hook ------------------------------------------------------------------------------------


def read_event(raw: bytes) -> dict[str, Any]:
    """The hook event on stdin; InvalidInput names what is wrong with it."""
    if len(raw) > MAX_EVENT_BYTES:
        raise InvalidInput(f"the hook event is larger than {MAX_EVENT_BYTES} bytes")
    try:
        event = json.loads(raw)
    except ValueError:
        raise InvalidInput("stdin is not a JSON hook event") from None
    if not isinstance(event, dict) or not isinstance(event.get("hook_event_name"), str):
        raise InvalidInput("stdin is not a Claude Code hook event (no hook_event_name)")
    return event


def handle_event(event: dict[str, Any], db_target: str | None) -> str | None:
    """Record what ``event`` tells; return a line for stderr when nothing was recorded."""
    from ..db.paths import resolve_target
    from ..store import BazingaDB
    from ..util.transcripts import agent_type_name

    name = event["hook_event_name"]
    if name not in HOOK_EVENTS:
        return None
    target = resolve_target(db_target)
    if "://" not in target and not os.path.exists(target):
        return f"no database at {target}; nothing recorded"
    agent_type = agent_type_name(event.get("agent_type"))
    agent_id = _text(event.get("agent_id"))
    with BazingaDB(target) as db:
        session_id = _text(os.environ.get("BAZINGA_SESSION")) or _newest_active(db)
        if session_id is None:
            return "no active session to attribute this to; nothing recorded"
        if name == "SubagentStart":
            content = f"{agent_type} agent started" + (f" ({agent_id})" if agent_id else "")
            db.log_interaction(session_id, agent_type, content, agent_id=agent_id, log_type="agent_start")
            return None
        if name == "SubagentStop":
            path = _text(event.get("agent_transcript_path")) or _subagent_path(event, agent_id)
            if path is None or not os.path.isfile(path):
                return f"no transcript for agent {agent_id or agent_type} at {path}; nothing recorded"
            db.ingest_transcript(path, session_id, agent_type, agent_id)
            return None
        path = _text(event.get("transcript_path"))
        if path is None or not os.path.isfile(path):
            return f"no transcript at {path}; nothing recorded"
        db.ingest_transcript(path, session_id)
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _newest_active(db: Any) -> str | None:
    from ..records.tokens import newest_active_session

    with db.read() as tx:
        return newest_active_session(tx)


def _subagent_path(event: dict[str, Any], agent_id: str | None) -> str | None:
    """Older versions give no agent_transcript_path: it sits beside the parent's transcript."""
    parent = _text(event.get("transcript_path"))
    if parent is None or agent_id is None or not parent.endswith(".jsonl"):
        return None
    return os.path.join(parent[: -len(".jsonl")], "subagents", f"agent-{agent_id}.jsonl")
