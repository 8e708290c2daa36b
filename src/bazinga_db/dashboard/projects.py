"""The project pages: what each project has learned across sessions (error patterns and
strategies). Built with ``html()`` like every page: what agents wrote stays text, and so
does a project id taken from the URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from ..records.memory import INJECTABLE_CONFIDENCE
from .html import Safe, html, join
from .pages import NOTHING, age, layout

CONFIDENCE_TRUSTED = 0.7  # get-error-patterns' default floor: what agents are offered


def project_url(project_id: str) -> str:
    return "/projects/" + quote(str(project_id), safe="")


def _moment(timestamp: Any) -> Safe:
    if not timestamp:
        return NOTHING
    return html('<time class="age" datetime="{0}" title="{0}">{1}</time>', timestamp, age(timestamp))


def _date(timestamp: Any) -> Safe:
    if not timestamp:
        return NOTHING
    return html('<time datetime="{0}" title="{0}">{1}</time>', timestamp, str(timestamp)[:10])


def projects_page(rows: list[dict[str, Any]], *, location: str, version: int = 0) -> Safe:
    body = html('<div class="title-row"><h1>Projects</h1></div>{}', projects_table(rows))
    return layout("Projects", body, page="projects", location=location, version=version)


def projects_table(rows: list[dict[str, Any]]) -> Safe:
    if not rows:
        return html('<section class="panel" data-live id="projects"><p class="empty">No project has learned '
                    "anything yet: error patterns and strategies appear here once agents save them.</p></section>")
    lines = join(
        html('<tr data-project="{id}"><td><a href="{url}">{id}</a></td>'
             '<td class="num patterns">{patterns:d}</td><td class="num active">{active:d}</td>'
             '<td class="num strategies">{strategies:d}</td><td>{last}</td></tr>',
             id=row["project_id"], url=project_url(row["project_id"]), patterns=int(row["error_patterns"]),
             active=int(row["active_error_patterns"]), strategies=int(row["strategies"]),
             last=_moment(row["last_seen"]))
        for row in rows
    )
    return html(
        '<section class="panel" data-live id="projects"><table class="projects"><thead><tr><th>Project</th>'
        '<th class="num">Error patterns</th><th class="num" title="not expired">unexpired</th>'
        '<th class="num">Strategies</th><th>Last seen</th></tr></thead><tbody>{}</tbody></table></section>',
        lines,
    )


def project_page(detail: dict[str, Any], *, location: str, version: int = 0) -> Safe:
    project_id = detail["project_id"]
    body = html(
        '<nav class="crumbs"><a href="/projects">Projects</a> / </nav>'
        '<div class="title-row"><h1 class="project-id">{id}</h1></div>{patterns}{strategies}',
        id=project_id, patterns=patterns_panel(detail["error_patterns"], detail["counts"]["error_patterns"]),
        strategies=strategies_panel(detail["strategies"], detail["counts"]["strategies"]),
    )
    return layout(project_id, body, page="project", location=location, version=version)


def _shown(shown: int, total: int) -> Safe | str:
    return html(' <span class="muted">(the first {:d} of {:d})</span>', shown, total) if shown < total else ""


def _confidence_class(value: float) -> str:
    return "confidence-high" if value >= CONFIDENCE_TRUSTED else "confidence-low" if value < INJECTABLE_CONFIDENCE \
        else "confidence-medium"


def patterns_panel(patterns: list[dict[str, Any]], total: int) -> Safe:
    if not patterns:
        return html('<section class="panel" data-live id="error-patterns"><h2>Error patterns</h2>'
                    '<p class="empty">No error patterns saved.</p></section>')
    rows = []
    for pattern in patterns:
        found = pattern.get("signature")
        signature: dict[str, Any] = found if isinstance(found, dict) else {}
        confidence = float(pattern["confidence"])
        hints = signature.get("context_hints") or []
        rows.append(html(
            '<tr class="pattern{expired}" data-pattern="{hash}"><td><strong class="error-type">{type}</strong>'
            '<div><code class="message-pattern">{message}</code></div>{hints}</td>'
            '<td class="solution">{solution}</td>'
            '<td class="num"><span class="confidence {css}">{confidence:.2f}</span></td>'
            '<td class="num occurrences">{occurrences:d}</td><td class="lang">{lang}</td>'
            "<td>{last}</td><td>{expires}{expired_note}</td></tr>",
            expired=" expired" if pattern.get("expired") else "", hash=pattern["pattern_hash"],
            type=pattern.get("error_type") or signature.get("error_type") or "—",
            message=signature.get("message_pattern") or "",
            hints=html('<div class="muted hints">{}</div>', join((str(h) for h in hints), ", "))
            if isinstance(hints, list) and hints else "",
            solution=pattern["solution"], css=_confidence_class(confidence), confidence=confidence,
            occurrences=int(pattern["occurrences"]), lang=pattern.get("lang") or NOTHING,
            last=_moment(pattern.get("last_seen")), expires=_date(pattern.get("expires_at")),
            expired_note=html(' <span class="badge expired-badge">expired</span>') if pattern.get("expired") else "",
        ))
    return html(
        '<section class="panel" data-live id="error-patterns"><h2>Error patterns{shown}</h2>'
        '<table class="compact patterns"><thead><tr><th>Error (normalised message)</th><th>Solution</th>'
        '<th class="num">Confidence</th><th class="num">Seen</th><th>Lang</th><th>Last seen</th><th>Expires</th>'
        "</tr></thead><tbody>{rows}</tbody></table></section>",
        shown=_shown(len(patterns), total), rows=join(rows),
    )


def strategies_panel(strategies: list[dict[str, Any]], total: int) -> Safe:
    if not strategies:
        return html('<section class="panel" data-live id="strategies"><h2>Strategies</h2>'
                    '<p class="empty">No strategies saved.</p></section>')
    rows = join(
        html('<tr class="strategy" data-strategy="{id}"><td class="topic">{topic}</td><td class="insight">{insight}</td>'
             '<td class="num helpfulness">{helpfulness:d}</td><td class="stack">{stack}</td><td>{last}</td></tr>',
             id=s["strategy_id"], topic=s["topic"], insight=s["insight"], helpfulness=int(s["helpfulness"]),
             stack=join((part for part in (s.get("lang"), s.get("framework")) if part), " / ") or NOTHING,
             last=_moment(s.get("last_seen")))
        for s in strategies
    )
    return html(
        '<section class="panel" data-live id="strategies"><h2>Strategies{shown}</h2>'
        '<table class="compact strategies"><thead><tr><th>Topic</th><th>Insight</th><th class="num">Helpful</th>'
        "<th>Lang / framework</th><th>Last seen</th></tr></thead><tbody>{rows}</tbody></table></section>",
        shown=_shown(len(strategies), total), rows=rows,
    )
