"""HTML pages, built with ``html()``: every value is escaped unless it is markup built here.

Sections marked ``data-live`` are swapped in place by app.js when the server announces a
change; the log list is appended to entry by entry instead.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote, urlencode

from ..util.clock import epoch
from ..util.validation import SESSION_STATUSES, TASK_STATUSES
from . import charts, workflow
from .html import Safe, html, join
from .queries import pretty

COLUMN_TITLES = {"pending": "Pending", "in_progress": "In progress", "completed": "Completed", "failed": "Failed"}
COST_NOTE = "estimate from the price table"
NOTHING = Safe("—")


def role_class(agent_type: Any) -> str:
    # Only known roles become class names: agent text never reaches a class attribute raw.
    return f"role-{agent_type}" if agent_type in charts.ROLE_COLOURS else "role-other"


def session_url(session_id: str, suffix: str = "") -> str:
    return "/sessions/" + quote(str(session_id), safe="") + suffix


def age(timestamp: Any, now: float | None = None) -> str:
    moment = epoch(timestamp)
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


def money(cost_usd: float | None) -> str:
    """Dollars of an estimated cost: "≈ $0.0123", "≈ <$0.0001", or "—" when nothing was priced."""
    if cost_usd is None:
        return "—"
    if 0 < cost_usd < 0.00005:
        return "≈ <$0.0001"
    return f"≈ ${cost_usd:,.4f}"


def cost(cost_usd: float | None, *, note: bool = False) -> Safe:
    """A cost as page text, marked as an estimate (spelt out when ``note``, else as a tooltip)."""
    if cost_usd is None:
        return html('<span class="cost none" title="no priced token usage">—</span>')
    if note:
        return html('<span class="cost">{} <span class="muted">({})</span></span>', money(cost_usd), COST_NOTE)
    return html('<span class="cost" title="{}">{}</span>', COST_NOTE, money(cost_usd))


def _time(timestamp: Any, text: str, css_class: str = "") -> Safe:
    if css_class:
        return html('<time class="{}" datetime="{}" title="{}">{}</time>', css_class, timestamp, timestamp, text)
    return html('<time datetime="{}" title="{}">{}</time>', timestamp, timestamp, text)


def _age(timestamp: Any, now: float | None = None) -> Safe:
    # class "age": app.js keeps the "… ago" text current between updates.
    return _time(timestamp, age(timestamp, now), "age")


def badge(value: Any, kind: str = "status") -> Safe:
    known = value in (*SESSION_STATUSES, *TASK_STATUSES, "APPROVED", "CHANGES_REQUESTED")
    css = f"{kind}-{str(value).lower()}" if known else f"{kind}-other"
    return html('<span class="badge {}">{}</span>', css, value if value is not None else "—")


def layout(title: str, body: Safe, *, page: str, location: str, session_id: str | None = None,
           last_log_id: int = 0, version: int = 0) -> Safe:
    # data-version: the change count the page was read at, so that the event stream can
    # tell at once about a change that landed before the page subscribed.
    session = html(' data-session="{}"', session_id) if session_id is not None else ""
    return html(
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>{title} · bazinga-db</title>"
        '<link rel="stylesheet" href="/static/style.css">'
        '<script src="/static/app.js" defer></script>'
        '</head><body data-page="{page}" data-last-log-id="{last:d}" data-version="{version:d}"{session}>'
        '<header class="top"><a class="brand" href="/">bazinga-db <span>dashboard</span></a>'
        '<nav class="sections"><a href="/"{on_sessions}>Sessions</a><a href="/projects"{on_projects}>Projects</a></nav>'
        '<span class="db" title="database">{location}</span>'
        '<span id="live" class="live" title="live updates">connecting…</span></header>'
        "<main>{body}</main></body></html>\n",
        title=title, page=page, last=int(last_log_id), version=int(version), session=session,
        on_sessions=Safe(' aria-current="page"') if page in ("sessions", "session", "diff") else "",
        on_projects=Safe(' aria-current="page"') if page in ("projects", "project") else "",
        location=location, body=body,
    )


def not_found(message: str, location: str) -> Safe:
    body = html('<section class="panel"><h1>Not found</h1><p>{}</p>'
                '<p><a href="/">All sessions</a> · <a href="/projects">All projects</a></p></section>', message)
    return layout("Not found", body, page="error", location=location)


def waiting(location: str, version: int = 0) -> Safe:
    body = html(
        '<section class="panel" data-live id="sessions"><h1>Waiting for the database</h1>'
        "<p>{} does not exist yet, or is not initialised. This page updates as soon as "
        "an agent writes to it.</p></section>",
        location,
    )
    return layout("Waiting", body, page="waiting", location=location, version=version)


# -- sessions list ------------------------------------------------------------------------


def sessions_page(rows: list[dict[str, Any]], *, status: str, search: str, location: str, version: int = 0) -> Safe:
    options = join(
        html('<option value="{}"{}>{}</option>', value, Safe(" selected") if value == status else "", label)
        for value, label in [("", "any status"), *[(s, s) for s in SESSION_STATUSES]]
    )
    body = html(
        '<div class="title-row"><h1>Sessions</h1>'
        '<form class="filters" method="get" action="/">'
        '<input type="search" name="q" value="{}" placeholder="Search id or requirements">'
        '<select name="status">{}</select><button type="submit">Filter</button></form></div>{}',
        search, options, sessions_table(rows),
    )
    return layout("Sessions", body, page="sessions", location=location, version=version)


def sessions_table(rows: list[dict[str, Any]]) -> Safe:
    if not rows:
        return html('<section class="panel" data-live id="sessions"><p class="empty">No sessions match.</p></section>')
    now = time.time()
    lines = []
    for row in rows:
        done, total = int(row["groups_done"]), int(row["groups_total"])
        requirements = str(row.get("original_requirements") or "")
        short = requirements if len(requirements) <= 110 else requirements[:107] + "…"
        lines.append(html(
            '<tr data-session="{id}"><td><a href="{url}">{id}</a><div class="muted">{short}</div></td>'
            "<td>{status}</td><td>{mode}</td><td>{started}</td>"
            '<td class="groups"><progress value="{done:d}" max="{most:d}"></progress> '
            '<span class="num">{done:d}/{total:d}</span></td>'
            '<td class="num">{tokens}</td><td class="num cost-cell">{cost}</td><td class="num">{logs:d}</td>'
            "<td>{last}</td></tr>",
            id=row["session_id"], url=session_url(row["session_id"]), short=short, status=badge(row["status"]),
            mode=row["mode"], started=_age(row["start_time"], now), done=done, most=max(total, 1), total=total,
            tokens=charts.number(row["tokens"]), cost=cost(row.get("cost_usd")), logs=int(row["log_count"]),
            last=_age(row["last_activity"], now) if row["last_activity"] else NOTHING,
        ))
    return html(
        '<section class="panel" data-live id="sessions"><table class="sessions"><thead><tr>'
        "<th>Session</th><th>Status</th><th>Mode</th><th>Started</th><th>Groups done</th>"
        '<th class="num">Tokens</th><th class="num" title="{}">Cost (est.)</th><th class="num">Logs</th>'
        "<th>Last activity</th></tr></thead><tbody>{}</tbody></table>"
        '<p class="muted note">Costs: {}; — where no usage was priced.</p></section>',
        COST_NOTE, join(lines), COST_NOTE,
    )


# -- one session ---------------------------------------------------------------------------


def session_page(detail: dict[str, Any], diff: dict[str, Any] | None, *, location: str, version: int = 0) -> Safe:
    info = detail["session"]
    sid = info["session_id"]
    body = html(
        '<nav class="crumbs"><a href="/">Sessions</a> / </nav>'
        '<div class="title-row"><h1 class="session-id">{sid}</h1>'
        '<div id="session-status" data-live>{status} <span class="muted">{mode} · started {started}</span></div></div>'
        '<p class="requirements">{requirements}</p>'
        "{summary}{board}"
        '<div class="grid">{logs}{tokens}</div>'
        '<div class="grid">{timeline}{decisions}</div>'
        '<div class="grid">{criteria}{plan}</div>'
        '<div class="grid">{reasoning}{events}</div>'
        "{context}{states}{skills}",
        sid=sid, status=badge(info["status"]), mode=info["mode"], started=_age(info["start_time"]),
        requirements=info.get("original_requirements") or "",
        summary=summary(detail), board=board(detail["task_groups"], detail["task_group_counts"]),
        logs=log_panel(detail), tokens=token_panel(detail["tokens"]),
        timeline=timeline_panel(detail["timeline"]), decisions=decisions_panel(detail["decisions"]),
        states=states_panel(sid, detail["states"], diff), skills=skills_panel(detail["skill_outputs"]),
        criteria=workflow.criteria_panel(detail["success_criteria"]), plan=workflow.plan_panel(detail["plan"]),
        reasoning=workflow.reasoning_panel(detail["reasoning"]), events=workflow.events_panel(detail["events"]),
        context=workflow.context_panel(detail["context_packages"]),
    )
    return layout(sid, body, page="session", location=location, session_id=sid, last_log_id=detail["last_log_id"],
                  version=version)


def summary(detail: dict[str, Any]) -> Safe:
    counts = detail["task_group_counts"]
    cards = [
        ("Groups done", f"{counts['completed']}/{counts['total']}", ""),
        ("Tokens", charts.number(detail["tokens"]["total_tokens"]), ""),
        ("Cost", money(detail["tokens"]["cost_usd"]),
         COST_NOTE if detail["tokens"]["cost_usd"] is not None else "no priced token usage"),
        ("Log entries", str(detail["log_count"]), ""),
        ("Decisions", str(len(detail["decisions"])), ""),
        ("State snapshots", str(len(detail["states"])), ""),
    ]
    items = join(
        html('<div class="card" data-metric="{label}"><div class="metric">{value}</div>'
             '<div class="muted">{label}{note}</div></div>',
             label=label, value=value, note=html(" ({})", note) if note else "")
        for label, value, note in cards
    )
    return html('<section class="cards" data-live id="summary">{}</section>', items)


def board(groups: list[dict[str, Any]], counts: dict[str, int]) -> Safe:
    columns = []
    for status in TASK_STATUSES:
        cards = [
            html(
                '<article class="task" data-group="{id}"><div class="task-name">{name}</div>'
                '<div class="muted">{id}</div><dl>'
                '<dt>assignee</dt><dd class="assignee">{assignee}</dd>'
                '<dt>revisions</dt><dd class="revisions">{revisions:d}</dd>'
                '<dt>review</dt><dd class="review">{review}</dd></dl></article>',
                id=group["id"], name=group["name"], assignee=group.get("assigned_to") or "—",
                revisions=int(group.get("revision_count") or 0),
                review=badge(group["last_review_status"], "review") if group.get("last_review_status") else NOTHING,
            )
            for group in groups if group["status"] == status
        ]
        columns.append(html(
            '<div class="column col-{status}" data-status="{status}"><h3>{title} <span class="count">{count:d}</span>'
            "</h3>{cards}</div>",
            status=status, title=COLUMN_TITLES[status], count=counts.get(status, 0),
            cards=join(cards) if cards else html('<p class="empty">none</p>'),
        ))
    return html('<section class="panel board-panel" data-live id="board"><h2>Task groups</h2>'
                '<div class="board">{}</div></section>', join(columns))


def log_entry(entry: dict[str, Any]) -> Safe:
    meta = [html('<span class="agent {}">{}</span>', role_class(entry["agent_type"]), entry["agent_type"])]
    if entry.get("agent_id"):
        meta.append(html('<span class="agent-id">{}</span>', entry["agent_id"]))
    if entry.get("group_id"):
        meta.append(html('<span class="group">{}</span>', entry["group_id"]))
    if entry.get("iteration") is not None:
        meta.append(html('<span class="iteration">iteration {}</span>', entry["iteration"]))
    return html(
        '<li class="log-entry" data-id="{id:d}" data-agent="{agent}" data-group="{group}">'
        '<div class="meta">{time}{meta}</div><div class="content">{content}</div></li>',
        id=int(entry["id"]), agent=entry["agent_type"], group=entry.get("group_id") or "",
        time=_time(entry["timestamp"], clock(entry["timestamp"])), meta=join(meta), content=entry["content"],
    )


def _select(name: str, label: str, values: list[str]) -> Safe:
    options = join(html('<option value="{0}">{0}</option>', value) for value in values)
    return html('<select id="{name}" aria-label="{label}"><option value="">{label}</option>{options}</select>',
                name=name, label=label, options=options)


def log_panel(detail: dict[str, Any]) -> Safe:
    filters = detail["log_filters"]
    shown = len(detail.get("logs", []))
    note = (html('<p class="muted">Showing the newest {} of {} entries.</p>', shown, detail["log_count"])
            if shown < detail["log_count"] else "")
    return html(
        '<section class="panel log-panel"><div class="panel-head"><h2>Live log</h2>'
        '<div class="filters">{agents}{groups}</div></div>{note}<ol id="log" class="log">{entries}</ol></section>',
        agents=_select("filter-agent", "all agents", filters["agent_types"]),
        groups=_select("filter-group", "all groups", filters["group_ids"]),
        note=note, entries=join(log_entry(entry) for entry in detail.get("logs", [])),
    )


def token_panel(tokens: dict[str, Any]) -> Safe:
    return html(
        '<section class="panel" data-live id="tokens"><h2>Tokens '
        '<span class="muted">{total} in total</span></h2>'
        '<p class="total-cost">Cost: {cost}</p>'
        "<h3>Per agent</h3>{bars}{table}"
        "<h3>Over time (cumulative, per agent type)</h3>{lines}</section>",
        total=charts.number(tokens["total_tokens"]), cost=cost(tokens["cost_usd"], note=True),
        bars=charts.bar_chart(tokens["by_agent"], label_key="agent", title="Tokens per agent"),
        table=agent_costs(tokens["by_agent"]),
        lines=charts.cumulative_chart(tokens["over_time"], title="Cumulative tokens over time"),
    )


def agent_costs(rows: list[dict[str, Any]]) -> Safe | str:
    """Per agent: type, tokens, calls and estimated cost."""
    if not rows:
        return ""
    lines = join(
        html('<tr data-agent="{agent}"><td>{agent}</td><td>{type}</td><td class="num">{tokens}</td>'
             '<td class="num">{calls:d}</td><td class="num cost-cell">{cost}</td></tr>',
             agent=row["agent"], type=row.get("agent_type") or "—", tokens=charts.number(row["tokens"]),
             calls=int(row["calls"]), cost=cost(row["cost_usd"]))
        for row in rows
    )
    return html(
        '<table class="compact agent-costs"><thead><tr><th>agent</th><th>type</th><th class="num">tokens</th>'
        '<th class="num">calls</th><th class="num" title="{}">cost (est.)</th></tr></thead><tbody>{}</tbody></table>',
        COST_NOTE, lines,
    )


def _change_text(changes: Any) -> Safe:
    if not isinstance(changes, dict):
        return html("{}", changes)
    parts = []
    for field, pair in changes.items():
        if isinstance(pair, list) and len(pair) == 2 and pair[0] is None:
            parts.append(html('<span class="field">{}</span> <strong>{}</strong>', field, pair[1]))
        elif isinstance(pair, list) and len(pair) == 2:
            parts.append(html('<span class="field">{}</span> {} → <strong>{}</strong>', field,
                              pair[0] if pair[0] is not None else "—", pair[1] if pair[1] is not None else "—"))
        else:
            parts.append(html('<span class="field">{}</span> {}', field, pair))
    return join(parts, "; ")


def _list_panel(panel_id: str, title: str, empty: str, body: Safe | None) -> Safe:
    """A live panel: its items, or a line saying there are none yet."""
    content = body if body is not None else html('<p class="empty">{}</p>', empty)
    return html('<section class="panel" data-live id="{}"><h2>{}</h2>{}</section>', panel_id, title, content)


def timeline_panel(events: list[dict[str, Any]]) -> Safe:
    body = html('<ol class="timeline">{}</ol>', join(
        html('<li data-group="{group}">{time} <span class="group">{group}</span> {changes}</li>',
             group=event["group_id"], time=_time(event["timestamp"], clock(event["timestamp"])),
             changes=_change_text(event["changes"]))
        for event in events
    ))
    return _list_panel("timeline", "Task-group timeline", "No task-group changes yet.", body if events else None)


def decisions_panel(decisions: list[dict[str, Any]]) -> Safe:
    body = html('<ol class="records">{}</ol>', join(
        html("<li>{time} <strong>{type}</strong>{iteration}<pre>{data}</pre></li>",
             time=_time(d["timestamp"], clock(d["timestamp"])), type=d["decision_type"],
             iteration=html(" · iteration {}", d["iteration"]) if d.get("iteration") is not None else "",
             data=pretty(d["decision_data"]))
        for d in decisions
    ))
    return _list_panel("decisions", "Decisions", "No decisions recorded yet.", body if decisions else None)


def skills_panel(outputs: list[dict[str, Any]]) -> Safe:
    body = html('<div class="skills">{}</div>', join(
        html('<article class="skill"><div><strong>{name}</strong> <span class="muted">{agent} {group}</span> '
             "{time}</div><pre>{data}</pre></article>",
             name=o["skill_name"], agent=o.get("agent_type") or "", group=o.get("group_id") or "",
             time=_time(o["timestamp"], clock(o["timestamp"])), data=pretty(o["output_data"]))
        for o in outputs
    ))
    return _list_panel("skills", "Skill outputs", "No skill outputs yet.", body if outputs else None)


def states_panel(session_id: str, history: list[dict[str, Any]], diff: dict[str, Any] | None) -> Safe:
    if not history:
        return _list_panel("states", "State history", "No state saved yet.", None)

    def options(selected: int | None) -> Safe:
        return join(
            html('<option value="{id:d}"{selected}>#{id:d} {type}{group} {clock}</option>',
                 id=int(s["id"]), selected=Safe(" selected") if s["id"] == selected else "", type=s["state_type"],
                 group=html(" ({})", s["group_id"]) if s.get("group_id") else "", clock=clock(s["timestamp"]))
            for s in history
        )

    old_id = diff["old"]["id"] if diff else history[-1]["id"]
    new_id = diff["new"]["id"] if diff else history[0]["id"]
    rows = join(
        html('<tr><td>#{id:d}</td><td>{type}</td><td>{group}</td><td>{time}</td><td class="num">{size:d} B</td></tr>',
             id=int(s["id"]), type=s["state_type"], group=s.get("group_id") or "—",
             time=_time(s["timestamp"], clock(s["timestamp"])), size=int(s["size"] or 0))
        for s in history
    )
    latest = diff_view(diff) if diff else html('<p class="muted">Save a state type twice to see what changed.</p>')
    return html(
        '<section class="panel" data-live id="states"><h2>State history</h2><div class="grid">'
        '<div><table class="compact"><thead><tr><th>#</th><th>type</th><th>group</th><th>saved</th>'
        '<th class="num">size</th></tr></thead><tbody>{rows}</tbody></table>'
        '<form class="filters" method="get" action="{action}">'
        '<label>from <select name="a">{old}</select></label>'
        '<label>to <select name="b">{new}</select></label><button type="submit">Compare</button></form></div>'
        "<div>{latest}</div></div></section>",
        rows=rows, action=session_url(session_id, "/state-diff"), old=options(old_id), new=options(new_id),
        latest=latest,
    )


def change_line(change: dict[str, Any]) -> Safe:
    """One change of ``util.jsondiff``: ``path op: old → new`` (only the side that exists)."""
    op = change["op"]
    shown = {"add": html(": {}", pretty(change["new"])), "remove": html(": {}", pretty(change["old"]))}.get(
        op, html(": {} → {}", pretty(change["old"]), pretty(change["new"])))
    return html('<li class="change-{op}" data-op="{op}"><code>{path}</code> {op}{shown}</li>',
                op=op if op in ("add", "remove", "change") else "other", path=change["path"] or "(root)",
                shown=shown)


def diff_view(diff: dict[str, Any]) -> Safe:
    old, new = diff["old"], diff["new"]
    changes = join(change_line(change) for change in diff["changes"]) or html("<li>no change</li>")
    lines = join(
        html('<span class="{}">{}</span>\n', "add" if line.startswith("+") else "del" if line.startswith("-") else "ctx",
             line)
        for line in diff["unified_diff"]
    )
    return html(
        '<div class="diff"><h3>{type}: #{old:d} → #{new:d}</h3>'
        '<ul class="changes">{changes}</ul><pre class="unified">{lines}</pre></div>',
        type=old["state_type"], old=int(old["id"]), new=int(new["id"]), changes=changes, lines=lines,
    )


def diff_page(session_id: str, diff: dict[str, Any], *, location: str) -> Safe:
    query = urlencode({"a": diff["new"]["id"], "b": diff["old"]["id"]})
    body = html(
        '<nav class="crumbs"><a href="/">Sessions</a> / <a href="{back}">{sid}</a> / </nav>'
        '<h1>State diff</h1><section class="panel">{view}<p><a href="{swap}">swap</a></p></section>',
        back=session_url(session_id), sid=session_id, view=diff_view(diff),
        swap=session_url(session_id, "/state-diff?" + query),
    )
    return layout("State diff", body, page="diff", location=location, session_id=session_id)
