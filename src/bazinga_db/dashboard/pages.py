"""HTML pages. Everything agents wrote goes through ``esc`` (text and attribute safe).

Sections marked ``data-live`` are swapped in place by app.js when the server announces a
change; the log list is appended to entry by entry instead.
"""

from __future__ import annotations

import calendar
import time
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from ..util.validation import SESSION_STATUSES, TASK_STATUSES
from . import charts
from .queries import pretty

COLUMN_TITLES = {"pending": "Pending", "in_progress": "In progress", "completed": "Completed", "failed": "Failed"}


def esc(value: Any) -> str:
    """Text safe inside an element and inside a quoted attribute."""
    return escape("" if value is None else str(value), quote=True)


def role_class(agent_type: Any) -> str:
    # Only known roles become class names: agent text never reaches a class attribute raw.
    return f"role-{agent_type}" if agent_type in charts.ROLE_COLOURS else "role-other"


def session_url(session_id: str, suffix: str = "") -> str:
    return "/sessions/" + quote(str(session_id), safe="") + suffix


def _epoch(timestamp: Any) -> float | None:
    try:
        return float(calendar.timegm(time.strptime(str(timestamp)[:19], "%Y-%m-%dT%H:%M:%S")))
    except ValueError:
        return None


def age(timestamp: Any, now: float | None = None) -> str:
    moment = _epoch(timestamp)
    if moment is None:
        return "—"
    seconds = max(0, int((now or time.time()) - moment))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def clock(timestamp: Any) -> str:
    text = str(timestamp or "")
    return text[11:19] if len(text) >= 19 else text


def _time(timestamp: Any, text: str, css_class: str = "") -> str:
    cls = f' class="{css_class}"' if css_class else ""
    return f'<time{cls} datetime="{esc(timestamp)}" title="{esc(timestamp)}">{esc(text)}</time>'


def _age(timestamp: Any, now: float | None = None) -> str:
    # class "age": app.js keeps the "… ago" text current between updates.
    return _time(timestamp, age(timestamp, now), "age")


def badge(value: Any, kind: str = "status") -> str:
    known = value in (*SESSION_STATUSES, *TASK_STATUSES, "APPROVED", "CHANGES_REQUESTED")
    css = f"{kind}-{str(value).lower()}" if known else f"{kind}-other"
    return f'<span class="badge {css}">{esc(value if value is not None else "—")}</span>'


def layout(title: str, body: str, *, page: str, location: str, session_id: str | None = None,
           last_log_id: int = 0, version: int = 0) -> str:
    # data-version: the change count the page was read at, so that the event stream can
    # tell at once about a change that landed before the page subscribed.
    data = f' data-page="{esc(page)}" data-last-log-id="{int(last_log_id)}" data-version="{int(version)}"'
    if session_id is not None:
        data += f' data-session="{esc(session_id)}"'
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)} · bazinga-db</title>"
        '<link rel="stylesheet" href="/static/style.css">'
        '<script src="/static/app.js" defer></script>'
        f"</head><body{data}>"
        '<header class="top"><a class="brand" href="/">bazinga-db <span>dashboard</span></a>'
        f'<span class="db" title="database">{esc(location)}</span>'
        '<span id="live" class="live" title="live updates">connecting…</span></header>'
        f"<main>{body}</main></body></html>\n"
    )


def not_found(message: str, location: str) -> str:
    body = f'<section class="panel"><h1>Not found</h1><p>{esc(message)}</p><p><a href="/">All sessions</a></p></section>'
    return layout("Not found", body, page="error", location=location)


def waiting(location: str, version: int = 0) -> str:
    body = (
        '<section class="panel" data-live id="sessions"><h1>Waiting for the database</h1>'
        f"<p>{esc(location)} does not exist yet, or is not initialised. This page updates as soon as "
        "an agent writes to it.</p></section>"
    )
    return layout("Waiting", body, page="waiting", location=location, version=version)


# -- sessions list ------------------------------------------------------------------------


def sessions_page(rows: list[dict[str, Any]], *, status: str, search: str, location: str, version: int = 0) -> str:
    options = "".join(
        f'<option value="{esc(value)}"{" selected" if value == status else ""}>{esc(label)}</option>'
        for value, label in [("", "any status"), *[(s, s) for s in SESSION_STATUSES]]
    )
    form = (
        '<form class="filters" method="get" action="/">'
        f'<input type="search" name="q" value="{esc(search)}" placeholder="Search id or requirements">'
        f'<select name="status">{options}</select><button type="submit">Filter</button></form>'
    )
    body = f'<div class="title-row"><h1>Sessions</h1>{form}</div>' + sessions_table(rows)
    return layout("Sessions", body, page="sessions", location=location, version=version)


def sessions_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return '<section class="panel" data-live id="sessions"><p class="empty">No sessions match.</p></section>'
    now = time.time()
    lines = []
    for row in rows:
        done, total = int(row["groups_done"]), int(row["groups_total"])
        requirements = str(row.get("original_requirements") or "")
        short = requirements if len(requirements) <= 110 else requirements[:107] + "…"
        lines.append(
            f'<tr data-session="{esc(row["session_id"])}">'
            f'<td><a href="{esc(session_url(row["session_id"]))}">{esc(row["session_id"])}</a>'
            f'<div class="muted">{esc(short)}</div></td>'
            f"<td>{badge(row['status'])}</td><td>{esc(row['mode'])}</td>"
            f"<td>{_age(row['start_time'], now)}</td>"
            f'<td class="groups"><progress value="{done}" max="{max(total, 1)}"></progress> '
            f'<span class="num">{done}/{total}</span></td>'
            f'<td class="num">{charts.number(row["tokens"])}</td><td class="num">{int(row["log_count"])}</td>'
            f"<td>{_age(row['last_activity'], now) if row['last_activity'] else '—'}</td>"
            "</tr>"
        )
    return (
        '<section class="panel" data-live id="sessions"><table class="sessions"><thead><tr>'
        "<th>Session</th><th>Status</th><th>Mode</th><th>Started</th><th>Groups done</th>"
        '<th class="num">Tokens</th><th class="num">Logs</th><th>Last activity</th></tr></thead>'
        f"<tbody>{''.join(lines)}</tbody></table></section>"
    )


# -- one session ---------------------------------------------------------------------------


def session_page(detail: dict[str, Any], diff: dict[str, Any] | None, *, location: str, version: int = 0) -> str:
    info = detail["session"]
    sid = info["session_id"]
    head = (
        '<nav class="crumbs"><a href="/">Sessions</a> / </nav>'
        f'<div class="title-row"><h1 class="session-id">{esc(sid)}</h1>'
        f'<div id="session-status" data-live>{badge(info["status"])} <span class="muted">{esc(info["mode"])} · '
        f'started {_age(info["start_time"])}</span></div></div>'
        f'<p class="requirements">{esc(info.get("original_requirements") or "")}</p>'
    )
    body = (
        head
        + summary(detail)
        + board(detail["task_groups"], detail["task_group_counts"])
        + '<div class="grid">'
        + log_panel(detail)
        + token_panel(detail["tokens"])
        + "</div>"
        + '<div class="grid">'
        + timeline_panel(detail["timeline"])
        + decisions_panel(detail["decisions"])
        + "</div>"
        + states_panel(sid, detail["states"], diff)
        + skills_panel(detail["skill_outputs"])
    )
    return layout(sid, body, page="session", location=location, session_id=sid, last_log_id=detail["last_log_id"],
                  version=version)


def summary(detail: dict[str, Any]) -> str:
    counts = detail["task_group_counts"]
    cards = [
        ("Groups done", f"{counts['completed']}/{counts['total']}"),
        ("Tokens", charts.number(detail["tokens"]["total_tokens"])),
        ("Log entries", str(detail["log_count"])),
        ("Decisions", str(len(detail["decisions"]))),
        ("State snapshots", str(len(detail["states"]))),
    ]
    items = "".join(
        f'<div class="card" data-metric="{esc(label)}"><div class="metric">{esc(value)}</div>'
        f'<div class="muted">{esc(label)}</div></div>'
        for label, value in cards
    )
    return f'<section class="cards" data-live id="summary">{items}</section>'


def board(groups: list[dict[str, Any]], counts: dict[str, int]) -> str:
    columns = []
    for status in TASK_STATUSES:
        cards = []
        for group in (g for g in groups if g["status"] == status):
            review = group.get("last_review_status")
            cards.append(
                f'<article class="task" data-group="{esc(group["id"])}">'
                f'<div class="task-name">{esc(group["name"])}</div>'
                f'<div class="muted">{esc(group["id"])}</div>'
                '<dl>'
                f'<dt>assignee</dt><dd class="assignee">{esc(group.get("assigned_to") or "—")}</dd>'
                f'<dt>revisions</dt><dd class="revisions">{int(group.get("revision_count") or 0)}</dd>'
                f'<dt>review</dt><dd class="review">{badge(review, "review") if review else "—"}</dd>'
                "</dl></article>"
            )
        columns.append(
            f'<div class="column col-{status}" data-status="{status}"><h3>{COLUMN_TITLES[status]} '
            f'<span class="count">{counts.get(status, 0)}</span></h3>'
            f'{"".join(cards) or "<p class=empty>none</p>"}</div>'
        )
    return f'<section class="panel board-panel" data-live id="board"><h2>Task groups</h2><div class="board">{"".join(columns)}</div></section>'


def log_entry(entry: dict[str, Any]) -> str:
    meta = [f'<span class="agent {role_class(entry["agent_type"])}">{esc(entry["agent_type"])}</span>']
    if entry.get("agent_id"):
        meta.append(f'<span class="agent-id">{esc(entry["agent_id"])}</span>')
    if entry.get("group_id"):
        meta.append(f'<span class="group">{esc(entry["group_id"])}</span>')
    if entry.get("iteration") is not None:
        meta.append(f'<span class="iteration">iteration {esc(entry["iteration"])}</span>')
    return (
        f'<li class="log-entry" data-id="{int(entry["id"])}" data-agent="{esc(entry["agent_type"])}" '
        f'data-group="{esc(entry.get("group_id") or "")}">'
        f'<div class="meta">{_time(entry["timestamp"], clock(entry["timestamp"]))}{"".join(meta)}</div>'
        f'<div class="content">{esc(entry["content"])}</div></li>'
    )


def _select(name: str, label: str, values: list[str]) -> str:
    options = f'<option value="">{esc(label)}</option>' + "".join(
        f'<option value="{esc(value)}">{esc(value)}</option>' for value in values
    )
    return f'<select id="{name}" aria-label="{esc(label)}">{options}</select>'


def log_panel(detail: dict[str, Any]) -> str:
    filters = detail["log_filters"]
    entries = "".join(log_entry(entry) for entry in detail.get("logs", []))
    shown = len(detail.get("logs", []))
    note = f'<p class="muted">Showing the newest {shown} of {detail["log_count"]} entries.</p>' if shown < detail["log_count"] else ""
    return (
        '<section class="panel log-panel"><div class="panel-head"><h2>Live log</h2>'
        f'<div class="filters">{_select("filter-agent", "all agents", filters["agent_types"])}'
        f'{_select("filter-group", "all groups", filters["group_ids"])}</div></div>'
        f'{note}<ol id="log" class="log">{entries}</ol></section>'
    )


def token_panel(tokens: dict[str, Any]) -> str:
    return (
        '<section class="panel" data-live id="tokens"><h2>Tokens '
        f'<span class="muted">{charts.number(tokens["total_tokens"])} in total</span></h2>'
        '<h3>Per agent</h3>'
        + charts.bar_chart(tokens["by_agent"], label_key="agent", title="Tokens per agent")
        + "<h3>Over time (cumulative, per agent type)</h3>"
        + charts.cumulative_chart(tokens["over_time"], title="Cumulative tokens over time")
        + "</section>"
    )


def _change_text(changes: Any) -> str:
    if not isinstance(changes, dict):
        return esc(changes)
    parts = []
    for field, pair in changes.items():
        if isinstance(pair, list) and len(pair) == 2 and pair[0] is None:
            parts.append(f'<span class="field">{esc(field)}</span> <strong>{esc(pair[1])}</strong>')
        elif isinstance(pair, list) and len(pair) == 2:
            parts.append(f'<span class="field">{esc(field)}</span> {esc(pair[0] if pair[0] is not None else "—")} '
                         f'→ <strong>{esc(pair[1] if pair[1] is not None else "—")}</strong>')
        else:
            parts.append(f'<span class="field">{esc(field)}</span> {esc(pair)}')
    return "; ".join(parts)


def _list_panel(panel_id: str, title: str, empty: str, body: str | None) -> str:
    """A live panel: its items, or a line saying there are none yet."""
    content = body if body is not None else f'<p class="empty">{empty}</p>'
    return f'<section class="panel" data-live id="{panel_id}"><h2>{title}</h2>{content}</section>'


def timeline_panel(events: list[dict[str, Any]]) -> str:
    body = '<ol class="timeline">' + "".join(
        f'<li data-group="{esc(event["group_id"])}">{_time(event["timestamp"], clock(event["timestamp"]))} '
        f'<span class="group">{esc(event["group_id"])}</span> {_change_text(event["changes"])}</li>'
        for event in events
    ) + "</ol>"
    return _list_panel("timeline", "Task-group timeline", "No task-group changes yet.", body if events else None)


def decisions_panel(decisions: list[dict[str, Any]]) -> str:
    body = '<ol class="records">' + "".join(
        f'<li>{_time(d["timestamp"], clock(d["timestamp"]))} <strong>{esc(d["decision_type"])}</strong>'
        f'{" · iteration " + esc(d["iteration"]) if d.get("iteration") is not None else ""}'
        f'<pre>{esc(pretty(d["decision_data"]))}</pre></li>'
        for d in decisions
    ) + "</ol>"
    return _list_panel("decisions", "Decisions", "No decisions recorded yet.", body if decisions else None)


def skills_panel(outputs: list[dict[str, Any]]) -> str:
    body = '<div class="skills">' + "".join(
        f'<article class="skill"><div><strong>{esc(o["skill_name"])}</strong> '
        f'<span class="muted">{esc(o.get("agent_type") or "")} {esc(o.get("group_id") or "")}</span> '
        f'{_time(o["timestamp"], clock(o["timestamp"]))}</div><pre>{esc(pretty(o["output_data"]))}</pre></article>'
        for o in outputs
    ) + "</div>"
    return _list_panel("skills", "Skill outputs", "No skill outputs yet.", body if outputs else None)


def states_panel(session_id: str, history: list[dict[str, Any]], diff: dict[str, Any] | None) -> str:
    if not history:
        return '<section class="panel" data-live id="states"><h2>State history</h2><p class="empty">No state saved yet.</p></section>'
    def options(selected: int | None) -> str:
        return "".join(
            f'<option value="{int(s["id"])}"{" selected" if s["id"] == selected else ""}>#{int(s["id"])} '
            f'{esc(s["state_type"])}{" (" + esc(s["group_id"]) + ")" if s.get("group_id") else ""} '
            f'{esc(clock(s["timestamp"]))}</option>'
            for s in history
        )

    old_id = diff["old"]["id"] if diff else history[-1]["id"]
    new_id = diff["new"]["id"] if diff else history[0]["id"]
    rows = "".join(
        f'<tr><td>#{int(s["id"])}</td><td>{esc(s["state_type"])}</td><td>{esc(s.get("group_id") or "—")}</td>'
        f'<td>{_time(s["timestamp"], clock(s["timestamp"]))}</td><td class="num">{int(s["size"] or 0)} B</td></tr>'
        for s in history
    )
    form = (
        f'<form class="filters" method="get" action="{esc(session_url(session_id, "/state-diff"))}">'
        f'<label>from <select name="a">{options(old_id)}</select></label>'
        f'<label>to <select name="b">{options(new_id)}</select></label><button type="submit">Compare</button></form>'
    )
    latest = diff_view(diff) if diff else '<p class="muted">Save a state type twice to see what changed.</p>'
    return (
        '<section class="panel" data-live id="states"><h2>State history</h2><div class="grid">'
        f'<div><table class="compact"><thead><tr><th>#</th><th>type</th><th>group</th><th>saved</th>'
        f'<th class="num">size</th></tr></thead><tbody>{rows}</tbody></table>{form}</div>'
        f"<div>{latest}</div></div></section>"
    )


def diff_view(diff: dict[str, Any]) -> str:
    old, new = diff["old"], diff["new"]
    changes = "".join(
        f'<li class="change-{esc(c["change"])}"><code>{esc(c["path"])}</code> {esc(c["change"])}'
        + (f': {esc(pretty(c["old"]))}' if "old" in c else "")
        + (f' → {esc(pretty(c["new"]))}' if "new" in c else "")
        + "</li>"
        for c in diff["changes"]
    ) or "<li>no change</li>"
    lines = "".join(
        f'<span class="{"add" if line.startswith("+") else "del" if line.startswith("-") else "ctx"}">{esc(line)}</span>\n'
        for line in diff["unified_diff"]
    )
    return (
        f'<div class="diff"><h3>{esc(old["state_type"])}: #{int(old["id"])} → #{int(new["id"])}</h3>'
        f'<ul class="changes">{changes}</ul><pre class="unified">{lines}</pre></div>'
    )


def diff_page(session_id: str, diff: dict[str, Any], *, location: str) -> str:
    back = session_url(session_id)
    query = urlencode({"a": diff["new"]["id"], "b": diff["old"]["id"]})
    body = (
        f'<nav class="crumbs"><a href="/">Sessions</a> / <a href="{esc(back)}">{esc(session_id)}</a> / </nav>'
        f'<h1>State diff</h1><section class="panel">{diff_view(diff)}'
        f'<p><a href="{esc(session_url(session_id, "/state-diff?" + query))}">swap</a></p></section>'
    )
    return layout("State diff", body, page="diff", location=location, session_id=session_id)
