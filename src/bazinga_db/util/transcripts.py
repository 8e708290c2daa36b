"""Reading Claude Code transcripts: the API messages and their token usage.

A transcript is a JSON Lines file that Claude Code appends to while a session runs:
``<project>/<session-uuid>.jsonl`` for the main conversation and
``<project>/<session-uuid>/subagents/agent-<agentId>.jsonl`` (beside
``agent-<agentId>.meta.json`` naming its ``agentType``) for each subagent; workflow agents
sit deeper, under ``subagents/workflows/<runId>/``.

Only ``assistant`` lines carry usage. One streamed API response is written as several
lines sharing ``message.id`` (and ``requestId``), one per content block; the output count
grows and the last copy, the one with a ``stop_reason``, holds the final figures. So a
message is counted once, from its most final copy (see ``more_final``). Lines with model
``<synthetic>`` are placeholders Claude Code writes itself, not model calls.

Files grow while they are read: only bytes up to the last newline are complete lines, and
the next read starts there (``read_messages`` returns that offset). No database here.
"""

from __future__ import annotations

import json
import os

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

SYNTHETIC_MODEL = "<synthetic>"
MAIN_AGENT_TYPE = "orchestrator"
UNKNOWN_SUBAGENT_TYPE = "subagent"
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_-")


class Message:
    """One API message: its key, model and token counts, from its most final copy."""

    __slots__ = (
        "cache_read_tokens", "cache_write_1h_tokens", "cache_write_tokens", "input_tokens", "message_id",
        "model", "output_tokens", "request_id", "stop_reason", "timestamp",
    )

    def __init__(self, entry: dict[str, Any], message: dict[str, Any], usage: dict[str, Any]) -> None:
        self.message_id: str = message["id"]
        request_id = entry.get("requestId")
        self.request_id: str | None = request_id if isinstance(request_id, str) and request_id else None
        model = message.get("model")
        self.model: str | None = model if isinstance(model, str) and model else None
        stop_reason = message.get("stop_reason")
        self.stop_reason: str | None = stop_reason if isinstance(stop_reason, str) and stop_reason else None
        timestamp = entry.get("timestamp")
        self.timestamp: str | None = timestamp if isinstance(timestamp, str) and timestamp else None
        self.input_tokens = _count(usage.get("input_tokens"))
        self.output_tokens = _count(usage.get("output_tokens"))
        self.cache_read_tokens = _count(usage.get("cache_read_input_tokens"))
        split = usage.get("cache_creation")
        five = hour = 0
        if isinstance(split, dict):
            five = _count(split.get("ephemeral_5m_input_tokens"))
            hour = _count(split.get("ephemeral_1h_input_tokens"))
        # Older versions could write 0 here while the nested split held the writes.
        self.cache_write_tokens = max(_count(usage.get("cache_creation_input_tokens")), five + hour)
        self.cache_write_1h_tokens = min(hour, self.cache_write_tokens)

    @property
    def key(self) -> tuple[str, str]:
        """What makes two lines the same message: the message id and the request id ('' if none)."""
        return self.message_id, self.request_id or ""

    @property
    def rank(self) -> tuple[bool, int]:
        """How final a copy is: finished (a stop reason) first, then the larger output."""
        return self.stop_reason is not None, self.output_tokens

    @property
    def total_tokens(self) -> int:
        return self.input_tokens + self.output_tokens + self.cache_read_tokens + self.cache_write_tokens

    def tokens(self) -> dict[str, int]:
        return {
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cache_read_tokens": self.cache_read_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "cache_write_1h_tokens": self.cache_write_1h_tokens,
        }


def _count(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return 0
    return value


def more_final(new: tuple[bool, int], old: tuple[bool, int], same_file: bool) -> bool:
    """Whether a copy of rank ``new`` replaces one of rank ``old``.

    In one file a later copy wins unless it is less final (an unfinished copy after the
    finished one); a copy from another file must be strictly more final, so a repeat in
    a resumed session's file does not move a message that was already counted.
    """
    return new >= old if same_file else new > old


class ReadResult:
    """What one read of a file found, and where the next read starts."""

    __slots__ = ("end", "lines", "malformed", "messages", "no_usage", "pending_bytes", "start", "streamed", "synthetic")

    def __init__(self, start: int) -> None:
        self.start = start
        self.end = start
        self.lines = 0
        self.messages: dict[tuple[str, str], Message] = {}  # in order of first appearance
        self.streamed = 0  # earlier copies of a message superseded within this read
        self.synthetic = 0
        self.no_usage = 0  # assistant lines without usage or without a message id
        self.malformed = 0  # complete lines that are not JSON objects
        self.pending_bytes = 0  # a partly written last line, read next time


def read_messages(path: str, start: int = 0) -> ReadResult:
    """The API messages of the complete lines of ``path`` from byte ``start`` on."""
    result = ReadResult(start)
    with open(path, "rb") as handle:
        handle.seek(start)
        data = handle.read()
    last_newline = data.rfind(b"\n")
    result.pending_bytes = len(data) - (last_newline + 1)
    if last_newline < 0:
        return result
    result.end = start + last_newline + 1
    messages = result.messages
    for line in data[: last_newline + 1].split(b"\n"):
        if not line.strip():
            continue
        result.lines += 1
        # Only assistant lines carry usage: skip the rest (most of the bytes) unparsed.
        if b'"assistant"' not in line:
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            result.malformed += 1
            continue
        if not isinstance(entry, dict):
            result.malformed += 1
            continue
        if entry.get("type") != "assistant":
            continue
        message = entry.get("message")
        if not isinstance(message, dict):
            result.no_usage += 1
            continue
        usage = message.get("usage")
        if not isinstance(usage, dict) or not isinstance(message.get("id"), str) or not message["id"]:
            result.no_usage += 1
            continue
        if message.get("model") == SYNTHETIC_MODEL:
            result.synthetic += 1
            continue
        found = Message(entry, message, usage)
        earlier = messages.get(found.key)
        if earlier is None:
            messages[found.key] = found
            continue
        result.streamed += 1
        if more_final(found.rank, earlier.rank, same_file=True):
            messages[found.key] = found
    return result


# -- files -------------------------------------------------------------------------------


class TranscriptFile:
    """One file to read and whom its usage is attributed to."""

    __slots__ = ("agent_id", "agent_type", "path")

    def __init__(self, path: str, agent_type: str, agent_id: str | None) -> None:
        self.path = path
        self.agent_type = agent_type
        self.agent_id = agent_id


def agent_type_name(value: Any, default: str = UNKNOWN_SUBAGENT_TYPE) -> str:
    """A Claude Code agent type as our agent_type name (``general-purpose``, ``Explore`` →
    ``explore``, ``plugin:reviewer`` → ``plugin-reviewer``, ``tech-lead`` → ``tech_lead``)."""
    if not isinstance(value, str) or not value.strip():
        return default
    folded = "".join(ch if ch in _NAME_CHARS else "-" for ch in "_".join(value.strip().lower().split()))
    if not folded[:1].isalpha() or not folded[:1].isascii():
        folded = "agent-" + folded
    return folded[:64]


def subagent_id(path: str) -> str | None:
    """``agent-<id>.jsonl`` → ``<id>``."""
    name = os.path.basename(path)
    if name.startswith("agent-") and name.endswith(".jsonl") and len(name) > len("agent-.jsonl"):
        return name[len("agent-"):-len(".jsonl")]
    return None


def is_subagent_file(path: str) -> bool:
    return subagent_id(path) is not None and f"{os.sep}subagents{os.sep}" in os.path.abspath(path)


def subagent_type(path: str) -> str | None:
    """The agentType recorded beside a subagent file (``agent-<id>.meta.json``), if any."""
    meta = path[: -len(".jsonl")] + ".meta.json"
    try:
        with open(meta, encoding="utf-8") as handle:
            document = json.load(handle)
    except (OSError, ValueError):
        return None
    value = document.get("agentType") if isinstance(document, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def subagent_files(main_path: str) -> list[str]:
    """The subagent transcripts of a main transcript ``<dir>/<uuid>.jsonl``, sorted: every
    ``agent-*.jsonl`` under ``<dir>/<uuid>/subagents/``, workflow agents included."""
    if not main_path.endswith(".jsonl"):
        return []
    root = os.path.join(main_path[: -len(".jsonl")], "subagents")
    found: list[str] = []
    for folder, _, names in os.walk(root):
        found.extend(os.path.join(folder, name) for name in names if subagent_id(name) is not None)
    return sorted(found)


def files_to_read(path: str, agent_type: str | None = None, agent_id: str | None = None) -> list[TranscriptFile]:
    """The files one ingest reads, subagent files first, each with its attribution.

    A main transcript brings its subagent files (type from their meta file, id from their
    name); it is attributed to ``agent_type`` (default orchestrator) and ``agent_id``. A
    subagent file given directly is read alone, attributed to the given type and id or
    else to what its name and meta file say.
    """
    if is_subagent_file(path):
        kind = agent_type_name(agent_type) if agent_type else agent_type_name(subagent_type(path))
        return [TranscriptFile(path, kind, agent_id or subagent_id(path))]
    files = [
        TranscriptFile(sub, agent_type_name(subagent_type(sub)), subagent_id(sub)) for sub in subagent_files(path)
    ]
    files.append(TranscriptFile(path, agent_type_name(agent_type, MAIN_AGENT_TYPE), agent_id))
    return files
