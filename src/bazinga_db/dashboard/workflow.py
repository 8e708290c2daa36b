"""The session page's workflow panels: success criteria, the development plan, agents'
reasoning, typed events and context packages. Built with ``html()`` like every page: agent text stays text.
"""

from __future__ import annotations

from typing import Any

from ..records.context import PACKAGE_TYPES, PRIORITIES
from .html import Safe, html, join
from .queries import pretty

SHORT_CHARACTERS = 160
CRITERION_STATUSES = ("pending", "met", "blocked", "failed")
PHASE_STATUSES = ("pending", "in_progress", "completed", "blocked")
CONFIDENCE_LEVELS = ("high", "medium", "low")


def _known(prefix: str, value: Any, known: tuple[str, ...]) -> str:
    # Only known values become class names: agent text never reaches a class attribute raw.
    return f"{prefix}-{value}" if value in known else f"{prefix}-other"


def _time(timestamp: Any) -> Safe:
    text = str(timestamp or "")
    return html('<time datetime="{0}" title="{0}">{1}</time>', timestamp, text[11:19] if len(text) >= 19 else text)


def _panel(panel_id: str, title: Safe | str, empty: str, body: Safe | None) -> Safe:
    content = body if body is not None else html('<p class="empty">{}</p>', empty)
    return html('<section class="panel" data-live id="{}"><h2>{}</h2>{}</section>', panel_id, title, content)


def criteria_panel(checklist: dict[str, Any]) -> Safe:
    items = checklist["items"]
    title = html('Success criteria <span class="muted criteria-summary">{:d} of {:d} required met</span>',
                 checklist["required_met"], checklist["required"])
    if not items:
        return _panel("criteria", "Success criteria", "No success criteria saved yet.", None)
    rows = join(
        html('<li class="criterion {css}" data-status="{status}" data-required="{required}">'
             '<span class="check" aria-hidden="true">{mark}</span> <span class="criterion-text">{text}</span> '
             '<span class="badge {css}">{status}</span>{req}'
             '{actual}{evidence}</li>',
             css=_known("criterion", row["status"], CRITERION_STATUSES), status=row["status"],
             required="yes" if row["required_for_completion"] else "no",
             mark="✔" if row["status"] == "met" else "✘" if row["status"] in ("failed", "blocked") else "○",
             text=row["criterion"],
             req=html(' <span class="required">required</span>') if row["required_for_completion"]
             else html(' <span class="muted optional">optional</span>'),
             actual=html('<div class="actual"><span class="muted">actual</span> {}</div>', row["actual"])
             if row.get("actual") not in (None, "") else "",
             evidence=html('<div class="evidence"><span class="muted">evidence</span> {}</div>', row["evidence"])
             if row.get("evidence") not in (None, "") else "")
        for row in items
    )
    return _panel("criteria", title, "", html('<ul class="checklist">{}</ul>', rows))


def plan_panel(plan: dict[str, Any] | None) -> Safe:
    if plan is None or not plan["phases"]:
        return _panel("plan", "Development plan", "No development plan saved yet.", None)
    title = html('Development plan <span class="muted plan-summary">{:d} of {:d} phases completed</span>',
                 int(plan["phases_completed"]), len(plan["phases"]))
    rows = join(
        html('<li class="phase {css}{current}" data-phase="{number}" data-status="{status}"{aria}>'
             '<span class="phase-name">{number}. {name}</span>{marker} <span class="badge {css}">{status}</span> '
             '<progress value="{percent:d}" max="100"></progress> <span class="num percent">{percent:d}%</span></li>',
             css=_known("phase", p["status"], PHASE_STATUSES), current=" current" if p["current"] else "",
             aria=Safe(' aria-current="step"') if p["current"] else "", number=p["phase"], name=p["name"] or "",
             status=p["status"], percent=max(0, min(100, int(p["progress_percent"]))),
             marker=html(' <strong class="current-marker">◀ current</strong>') if p["current"] else "")
        for p in plan["phases"]
    )
    return _panel("plan", title, "", html('<ol class="phases">{}</ol>', rows))


def _shortened(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= SHORT_CHARACTERS else text[:SHORT_CHARACTERS - 1] + "…"


def reasoning_panel(agents: list[dict[str, Any]]) -> Safe:
    if not agents:
        return _panel("reasoning", "Reasoning", "No reasoning recorded yet.", None)
    groups = join(
        html('<article class="reasoning-agent" data-agent="{agent}"><h3>{agent} <span class="muted">{type} · '
             '{count:d} entries</span></h3><ol class="reasoning">{entries}</ol></article>',
             agent=agent["agent"], type=agent["agent_type"], count=len(agent["entries"]),
             entries=join(
                 html('<li class="reasoning-entry" data-phase="{phase}">{time} <strong class="phase">{phase}</strong>'
                      '{confidence}{group}<details><summary>{short}</summary><div class="full">{content}</div>'
                      "</details></li>",
                      time=_time(row["timestamp"]), phase=row.get("reasoning_phase") or "",
                      confidence=html(' <span class="confidence {}">confidence {}</span>',
                                      _known("confidence", row.get("confidence_level"), CONFIDENCE_LEVELS),
                                      row["confidence_level"]) if row.get("confidence_level") else "",
                      group=html(' <span class="group">{}</span>', row["group_id"]) if row.get("group_id") else "",
                      short=_shortened(row["content"]), content=row["content"])
                 for row in agent["entries"]))
        for agent in agents
    )
    return _panel("reasoning", "Reasoning", "", groups)


def verdict_of(event: dict[str, Any]) -> Any:
    """The verdict a verdict event announces (its payload's ``verdict``), else None."""
    if "verdict" not in str(event.get("event_subtype") or ""):
        return None
    payload = event.get("event_payload")
    return payload.get("verdict") if isinstance(payload, dict) else None


def events_panel(events: list[dict[str, Any]]) -> Safe:
    if not events:
        return _panel("events", "Events", "No events recorded yet.", None)
    rows = []
    for event in events:
        is_verdict = "verdict" in str(event["event_subtype"])
        verdict = verdict_of(event)
        rows.append(html(
            '<li class="event{css}" data-subtype="{subtype}">{time} <strong class="subtype">{subtype}</strong>'
            "{verdict}{group}{agent}<pre>{payload}</pre></li>",
            css=" verdict" if is_verdict else "", subtype=event["event_subtype"], time=_time(event["timestamp"]),
            verdict=html(' <span class="badge verdict-value">{}</span>', verdict) if verdict is not None else "",
            group=html(' <span class="group">{}</span>', event["group_id"]) if event.get("group_id") else "",
            agent=html(' <span class="agent-type">{}</span>', event["agent_type"]) if event.get("agent_type") else "",
            payload=pretty(event["event_payload"]),
        ))
    return _panel("events", html('Events <span class="muted">newest first</span>'), "",
                  html('<ol class="events">{}</ol>', join(rows)))


def _consumers(consumers: list[dict[str, Any]]) -> Safe:
    """Per consumer role: read or not yet, and in which iterations and when."""
    roles: dict[str, list[dict[str, Any]]] = {}
    for row in consumers:
        roles.setdefault(str(row["agent_type"]), []).append(row)
    items = []
    for role, rows in roles.items():
        read = [row for row in rows if row.get("consumed_at")]
        when = join((html('<span class="read-at">iteration {} at {}</span>', row["iteration"],
                          _time(row["consumed_at"])) for row in read), ", ")
        items.append(html(
            '<li class="consumer {css}" data-agent="{role}" data-consumed="{flag}"><span class="check" '
            'aria-hidden="true">{mark}</span> <span class="consumer-role">{role}</span> {state}</li>',
            css="consumed" if read else "unread", role=role, flag="yes" if read else "no",
            mark="✔" if read else "○",
            state=html('<span class="muted">read</span> {}', when) if read else html('<span class="muted">not yet</span>'),
        ))
    return html('<ul class="consumers">{}</ul>', join(items)) if items else html('<p class="muted">no consumers</p>')


def _given(rows: list[dict[str, Any]]) -> Safe | str:
    """Whom the context assembler gave the package to, per iteration (consumption scope)."""
    if not rows:
        return ""
    return html('<div class="given muted">given to {}</div>', join(
        (html('<span class="given-to" data-agent="{}">{} (iteration {})</span>', row["agent_type"],
              row["agent_type"], row["iteration"]) for row in rows), ", "))


def context_panel(packages: list[dict[str, Any]]) -> Safe:
    """Context packages, newest first: who handed what to whom, and who has read it."""
    if not packages:
        return _panel("context", "Context packages", "No context packages yet.", None)
    replaced = {p["supersedes_id"]: p["id"] for p in packages if p.get("supersedes_id") is not None}
    rows = join(
        html('<li class="package{old}" data-package="{id:d}" data-type="{type}" data-priority="{priority}">'
             '<div class="package-head"><span class="badge {type_css}">{type}</span> '
             '<span class="badge {priority_css}">{priority}</span> '
             '<span class="producer">{producer}</span> → <span class="consumer-list">{roles}</span> '
             '<span class="scope">{scope}</span> {time}{supersedes}{superseded}</div>'
             '<div class="summary">{summary}</div><div class="file"><code>{path}</code>{size}</div>{consumers}'
             '{given}</li>',
             old=" superseded" if p["id"] in replaced else "", id=int(p["id"]), type=p["package_type"],
             priority=p["priority"], type_css=_known("package", p["package_type"], PACKAGE_TYPES),
             priority_css=_known("priority", p["priority"], PRIORITIES), producer=p["producer_agent"],
             roles=join(dict.fromkeys(str(c["agent_type"]) for c in p["consumers"]), ", ") or "—",
             scope=html('<span class="group">{}</span>', p["group_id"]) if p.get("group_id")
             else html('<span class="muted session-wide">session-wide</span>'),
             time=_time(p["created_at"]),
             supersedes=html(' <span class="muted">replaces #{}</span>', p["supersedes_id"])
             if p.get("supersedes_id") is not None else "",
             superseded=html(' <span class="muted">replaced by #{}</span>', replaced[p["id"]])
             if p["id"] in replaced else "",
             summary=p["summary"], path=p["file_path"],
             size=html(' <span class="muted">{:,d} B</span>', int(p["size_bytes"]))
             if p.get("size_bytes") is not None else "",
             consumers=_consumers(p["consumers"]), given=_given(p.get("given") or []))
        for p in packages
    )
    # Unread: a consumer role that has read the package in no iteration yet.
    unread = sum(len({c["agent_type"] for c in p["consumers"]} - {c["agent_type"] for c in p["consumers"]
                                                                   if c.get("consumed_at")}) for p in packages)
    title = html('Context packages <span class="muted context-summary">{:d} · {:d} unread by a consumer · '
                 'newest first</span>', len(packages), unread)
    return _panel("context", title, "", html('<ol class="packages">{}</ol>', rows))
