"""Turning results into text: ✓ confirmations, JSON documents and Markdown logs."""

from __future__ import annotations

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..operations import Operation

AGENT_LABELS = {"pm": "PM", "qa": "QA", "tech_lead": "tech lead"}


def dumps(value: Any) -> str:
    import json  # imported where used: a ✓ confirmation never needs it (start-up time)

    return json.dumps(value, indent=2, ensure_ascii=False)


def _label(agent_type: str) -> str:
    return AGENT_LABELS.get(agent_type, agent_type)


def notice_lines(notices: list[tuple[str, str]]) -> list[str]:
    lines = []
    for kind, subject in notices:
        if kind == "database_initialized":
            lines.append(f"✓ Database auto-initialized at {subject}")
        elif kind == "database_migrated":
            lines.append(f"✓ Database migrated to the current schema: {subject}")
        elif kind == "session_auto_created":
            lines.append(f"✓ Session {subject} did not exist: created it with defaults (mode simple, active)")
        elif kind == "idempotent_replay":
            lines.append(f"✓ Already recorded under idempotency key {subject}: nothing new stored")
    return lines


def confirmation(operation: Operation, arguments: dict[str, Any], result: Any, notices: list[tuple[str, str]]) -> str:
    """The one-line ✓ confirmation of a write: its operation's template, filled in."""
    fields = _Fields(arguments, result, notices)
    unchanged = any(kind.endswith("_exists") for kind, _ in notices) or fields.get("applied") == []
    template = operation.unchanged if unchanged and operation.unchanged else operation.confirm
    return template.format_map(fields)


class _Fields(dict):  # type: ignore[type-arg]
    """What a confirmation template may name: the result's fields, then the arguments, then
    the derived fields below (computed only when a template asks for them)."""

    def __init__(self, arguments: dict[str, Any], result: Any, notices: list[tuple[str, str]]) -> None:
        super().__init__(arguments)
        if isinstance(result, dict):
            self.update(result)
        self.arguments = arguments
        self.result = result
        self.notices = {kind for kind, _ in notices}

    def __missing__(self, key: str) -> Any:
        return _DERIVED[key](self)


def _changes_note(fields: _Fields) -> str:
    details = []
    for column in ("assigned_to", "revision_count", "last_review_status"):
        given = fields.arguments.get(column) is not None
        if given or (column == "revision_count" and fields.arguments.get("increment_revision")):
            details.append(f"{column} {fields[column]}")
    return f" ({', '.join(details)})" if details else ""


_DERIVED: dict[str, Any] = {
    "session": lambda f: f.get("session_id"),
    "agent": lambda f: _label(f["agent_type"]),
    "state": lambda f: _label(f["state_type"]),
    "iteration_note": lambda f: f" (iteration {f['iteration']})" if f.get("iteration") is not None else "",
    "group_note": lambda f: f" (group {f['group_id']})" if f.get("group_id") else "",
    "cost_note": lambda f: f" (${f['cost_usd']:.4f})" if f.get("cost_usd") is not None else "",
    "tokens_text": lambda f: f"{f['tokens_estimated']:,}",
    "changes_note": _changes_note,
    "applied_list": lambda f: ", ".join(f["applied"]),
    "prune_summary": lambda f: prune_summary(f),
    "group_ids_summary": lambda f: group_ids_summary(f.result),
    "size_before": lambda f: _size(f["bytes_before"]),
    "size_after": lambda f: _size(f["bytes_after"]),
    "size_freed": lambda f: _size(f["bytes_freed"]),
    "consumer_list": lambda f: ", ".join(c["agent_type"] for c in f["consumers"]) or "no one",
    "count": lambda f: len(f.result) if isinstance(f.result, list) else 1,
    "forced_note": lambda f: " (forced past unmet success criteria; override recorded)"
    if "completion_forced" in f.notices else "",
}


def logs_markdown(session_id: str, logs: list[dict[str, Any]]) -> str:
    if not logs:
        return f"# Orchestration log: {session_id}\n\n_No log entries yet._"
    lines = [f"# Orchestration log: {session_id}", "", f"_{len(logs)} entries, oldest first_", ""]
    for entry in logs:
        heading = [entry["timestamp"], _label(entry["agent_type"])]
        if entry.get("agent_id"):
            heading[-1] += f" ({entry['agent_id']})"
        if entry.get("iteration") is not None:
            heading.append(f"iteration {entry['iteration']}")
        if entry.get("group_id"):
            heading.append(f"group {entry['group_id']}")
        if entry.get("reasoning_phase"):
            heading.append(f"reasoning: {entry['reasoning_phase']}")
        lines.append(f"### {' · '.join(heading)}")
        lines.append("")
        lines.append(entry["content"])
        lines.append("")
    return "\n".join(lines).rstrip()


# -- data lifecycle -----------------------------------------------------------------------


def _size(count: int) -> str:
    if abs(count) < 1024:
        return f"{count} B"
    for unit in ("KiB", "MiB", "GiB"):
        count /= 1024  # type: ignore[assignment]
        if abs(count) < 1024:
            break
    return f"{count:.1f} {unit}"


def _value(value: Any, width: int = 100) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def state_diff_text(result: dict[str, Any]) -> str:
    """``~ iteration: 1 → 3`` / ``+ completed_groups[2]: "group_c"`` / ``- pending_groups[0]: "group_a"``."""
    kind = result["state_type"] + (f" (group {result['group_id']})" if result.get("group_id") else "")
    old, new = result["from"], result["to"]
    lines = [
        f"--- {kind} state #{old['id']} {old['timestamp']}" if old else f"--- {kind}: no earlier state",
        f"+++ {kind} state #{new['id']} {new['timestamp']}",
    ]
    for change in result["changes"]:
        path = change["path"] or "(whole state)"
        if change["op"] == "add":
            lines.append(f"+ {path}: {_value(change['new'])}")
        elif change["op"] == "remove":
            lines.append(f"- {path}: {_value(change['old'])}")
        else:
            lines.append(f"~ {path}: {_value(change['old'], 48)} → {_value(change['new'], 48)}")
    if not result["changes"]:
        lines.append("(no changes)")
    return "\n".join(lines)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    parts += [f"{hours}h"] if hours or days else []
    parts += [f"{minutes}m", f"{secs}s"] if not days else [f"{minutes}m"]
    return " ".join(parts)


def compare_sessions_text(result: dict[str, Any]) -> str:
    a, b = result["sessions"]

    def cost(s: dict[str, Any]) -> str:
        return "—" if s["cost_usd"] is None else f"${s['cost_usd']:.4f}"

    def reviews(s: dict[str, Any]) -> str:
        parts = [f"{n} {status.lower().replace('_', ' ')}" for status, n in s["review_outcomes"].items() if n]
        return ", ".join(parts) or "none"

    rows = [
        ("", a["session_id"], b["session_id"]),
        ("status", a["status"], b["status"]),
        ("mode", a["mode"] or "—", b["mode"] or "—"),
        ("duration", *(_duration(s["duration_s"]) + (" (running)" if s["running"] else "") for s in (a, b))),
        ("tokens", f"{a['total_tokens']:,}", f"{b['total_tokens']:,}"),
    ]
    for agent in sorted(set(a["tokens_by_agent_type"]) | set(b["tokens_by_agent_type"])):
        rows.append((f"  {_label(agent)}", *(f"{s['tokens_by_agent_type'].get(agent, 0):,}" for s in (a, b))))
    if any(s.get("token_source", "reported") != "reported" for s in (a, b)):
        # Measured usage (Claude Code transcripts): say where the figures come from, by kind.
        rows.append(("  source", a["token_source"], b["token_source"]))
        for kind, label in (("input_tokens", "input"), ("output_tokens", "output"),
                            ("cache_read_tokens", "cache read"), ("cache_write_tokens", "cache write")):
            rows.append((f"  {label}", *(f"{s['tokens_by_kind'][kind]:,}" for s in (a, b))))
    rows += [
        ("cost (USD)", cost(a), cost(b)),
        ("task groups done", *(f"{s['groups_completed']}/{s['groups_total']}" for s in (a, b))),
        ("revisions", str(a["revisions"]), str(b["revisions"])),
        ("reviews", reviews(a), reviews(b)),
        ("log entries", str(a["log_count"]), str(b["log_count"])),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]}".rstrip() for row in rows
    )


def prune_summary(result: dict[str, Any]) -> str:
    removed = result["removed"]
    verb = "Would remove" if result["dry_run"] else "Removed"
    statuses = " or ".join(result["statuses"])
    head = f"✓ {verb} {removed['sessions']} {statuses} session(s) older than {result['cutoff']}"
    if not removed["sessions"]:
        return head + ": nothing to do"
    details = ", ".join(f"{table} {count}" for table, count in removed.items() if table != "sessions")
    lines = [f"{head}: {details}" + (" (dry run: nothing deleted)" if result["dry_run"] else "")]
    # One line per session, so that a dry run shows exactly what the real run would delete.
    sessions = result.get("session_details") or []
    width = max((len(session["session_id"]) for session in sessions), default=0)
    for session in sessions:
        when = (f"ended {session['end_time']}" if session.get("end_time")
                else f"no end time, created {session.get('created_at') or 'unknown'}")
        lines.append(f"  {session['session_id']:<{width}}  {session['status']:<9}  {when}")
    return "\n".join(lines)


def group_ids_summary(result: dict[str, Any]) -> str:
    """diagnose-group-ids for people: a verdict line, then one line per problem or repair."""
    if not result["issues_found"]:
        return "✓ No group id problems found"
    if result["fixes_applied"]:
        lines = [f"✓ Fixed {result['issues_found']} group id problem(s)"]
        for fix in result["fixes"]:
            to = "NULL" if fix["to"] is None else repr(fix["to"])
            lines.append(f"  {fix['table']}.{fix['column']} in {fix['session_id']}: {fix['from']!r} → {to} "
                         f"({fix['rows']} row(s))")
        return "\n".join(lines)
    lines = [f"✗ {result['issues_found']} group id problem(s) found"]
    for issue in result["issues"]:
        lines.append(f"  {issue['table']}.{issue['column']} in {issue['session_id']}: {issue['group_id']!r}: "
                     f"{issue['problem']} → {issue['fix']}")
    lines.append("repair them with `bazinga-db diagnose-group-ids --fix` (one transaction)")
    return "\n".join(lines)


def export_summary(summary: dict[str, Any]) -> str:
    counts = ", ".join(f"{table} {count}" for table, count in summary["counts"].items())
    where = f" to {summary['output']}" if summary.get("output") else ""
    return f"✓ Exported {summary['rows']:,} rows{where} ({counts})"


def import_summary(report: dict[str, Any]) -> str:
    lines = [f"✓ Imported {report['inserted']:,} rows from {report['source']}"]
    for table, counts in report["tables"].items():
        if any(counts.values()):
            details = [f"{counts['inserted']} new"]
            details += [f"{counts[key]} {key}" for key in ("identical", "renumbered", "conflicts") if counts[key]]
            lines.append(f"  {table}: {', '.join(details)}")
    for table, columns in report["dropped_columns"].items():
        lines.append(f"  {table}: columns unknown here, left out: {', '.join(columns)}")
    return "\n".join(lines)


# Reads printed as text rather than JSON (``--json`` still gives the JSON document).
TEXT_READS = {"state-diff": state_diff_text, "compare-sessions": compare_sessions_text}
