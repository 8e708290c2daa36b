"""Server-rendered SVG charts: no front-end library, and every value escaped (``html()``)."""

from __future__ import annotations

from typing import Any

from ..util.clock import epoch
from .html import Safe, html, join

# The known roles get a colour of their own; any other agent type is drawn in grey.
ROLE_COLOURS = {
    "orchestrator": "#7c3aed",
    "pm": "#2563eb",
    "developer": "#059669",
    "qa": "#d97706",
    "tech_lead": "#db2777",
    "investigator": "#0891b2",
}
OTHER_COLOUR = "#64748b"


def role_colour(agent_type: str | None) -> str:
    return ROLE_COLOURS.get(agent_type or "", OTHER_COLOUR)


def number(value: float) -> str:
    return f"{int(value):,}"


def _text(x: float, y: float, content: str, css_class: str = "", anchor: str = "start") -> Safe:
    if css_class:
        return html('<text x="{:.1f}" y="{:.1f}" text-anchor="{}" class="{}">{}</text>', x, y, anchor, css_class, content)
    return html('<text x="{:.1f}" y="{:.1f}" text-anchor="{}">{}</text>', x, y, anchor, content)


NO_USAGE = Safe('<p class="empty">No token usage recorded yet.</p>')


def bar_chart(rows: list[dict[str, Any]], *, label_key: str, title: str) -> Safe:
    """Horizontal bars, one per row (``tokens`` each), labelled with the exact number."""
    if not rows:
        return NO_USAGE
    width, label_width, value_width, bar_height, gap = 520, 130, 80, 18, 8
    height = len(rows) * (bar_height + gap) + gap
    top = max(int(row["tokens"]) for row in rows) or 1
    scale = (width - label_width - value_width) / top
    bars = []
    for index, row in enumerate(rows):
        y = gap + index * (bar_height + gap)
        label = str(row[label_key] if row[label_key] is not None else "unknown")
        length = max(2.0, int(row["tokens"]) * scale)
        bars.append(html(
            '<g class="bar" data-label="{label}" data-value="{value:d}">{name}'
            '<rect x="{x}" y="{y}" width="{length:.1f}" height="{height}" rx="3" fill="{colour}"/>{number}</g>',
            label=label, value=int(row["tokens"]), name=_text(label_width - 8, y + 13, label, "label", "end"),
            x=label_width, y=y, length=length, height=bar_height, colour=role_colour(row.get("agent_type") or label),
            number=_text(label_width + length + 6, y + 13, number(row["tokens"]), "value"),
        ))
    return html('<svg class="chart bars" viewBox="0 0 {w} {h}" role="img" aria-label="{title}"><title>{title}</title>'
                "{bars}</svg>", w=width, h=height, title=title, bars=join(bars))


def _seconds(timestamp: Any) -> float:
    moment = epoch(timestamp)
    return 0.0 if moment is None else moment  # an unreadable time goes to the start of the axis


def cumulative_chart(points: list[dict[str, Any]], *, title: str) -> Safe:
    """Cumulative tokens over time: one line per agent type and a dashed total."""
    if not points:
        return NO_USAGE
    width, height, left, right, top, bottom = 520, 220, 64, 16, 14, 40
    times = [_seconds(point["timestamp"]) for point in points]
    start, span = min(times), max(times) - min(times)
    total = sum(int(point["tokens"]) for point in points) or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(index: int) -> float:
        # Evenly spaced when every record has the same second: time would stack them.
        fraction = (times[index] - start) / span if span > 0 else (index + 1) / len(points)
        return left + fraction * plot_w * 0.95  # room on the right to see the last step

    def y_of(value: int) -> float:
        return top + plot_h - value / total * plot_h

    series: dict[str, list[tuple[float, float]]] = {}
    running: dict[str, int] = {}
    total_line: list[tuple[float, float]] = [(left, y_of(0))]
    grand = 0
    for index, point in enumerate(points):
        kind = str(point["agent_type"])
        line = series.setdefault(kind, [(left, y_of(0))])
        x = x_of(index)
        line.append((x, line[-1][1]))  # a step: flat until the new record
        running[kind] = running.get(kind, 0) + int(point["tokens"])
        line.append((x, y_of(running[kind])))
        grand += int(point["tokens"])
        total_line += [(x, total_line[-1][1]), (x, y_of(grand))]
    end_x = left + plot_w
    parts = [
        html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', left, top + plot_h, end_x, top + plot_h),
        html('<line class="axis" x1="{}" y1="{}" x2="{}" y2="{}"/>', left, top, left, top + plot_h),
        _text(left - 6, top + 4, number(total), "tick", "end"),
        _text(left - 6, top + plot_h, "0", "tick", "end"),
        _text(left, height - bottom + 16, str(points[0]["timestamp"])[11:19], "tick"),
        _text(end_x, height - bottom + 16, str(points[-1]["timestamp"])[11:19], "tick", "end"),
    ]
    for kind, line in series.items():
        line.append((end_x, line[-1][1]))
        parts.append(html(
            '<polyline class="series" data-agent-type="{}" data-total="{:d}" points="{}" fill="none" '
            'stroke="{}" stroke-width="2"/>',
            kind, running[kind], _coordinates(line), role_colour(kind),
        ))
    total_line.append((end_x, total_line[-1][1]))
    parts.append(html('<polyline class="total" data-total="{:d}" points="{}" fill="none"/>',
                      grand, _coordinates(total_line)))
    parts += _legend([*series, "total"], running, grand, left=left, right=end_x, top=height - 14)
    # The legend may wrap onto more rows than the height planned for: grow the view box.
    rows = _legend_rows([*series, "total"], running, grand, left, end_x)
    return html('<svg class="chart lines" viewBox="0 0 {w} {h}" role="img" aria-label="{title}"><title>{title}</title>'
                "{parts}</svg>", w=width, h=height + 16 * (rows - 1), title=title, parts=join(parts))


def _coordinates(line: list[tuple[float, float]]) -> str:
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in line)


def _legend_label(kind: str, running: dict[str, int], grand: int) -> str:
    return f"{kind} {number(running.get(kind, grand) if kind != 'total' else grand)}"


def _legend_rows(kinds: list[str], running: dict[str, int], grand: int, left: float, right: float) -> int:
    rows, x = 1, left
    for kind in kinds:
        step = 24 + 6.5 * len(_legend_label(kind, running, grand))
        if x > left and x + step > right:
            rows, x = rows + 1, left
        x += step
    return rows


def _legend(kinds: list[str], running: dict[str, int], grand: int, *, left: float, right: float,
            top: float) -> list[Safe]:
    parts: list[Safe] = []
    x, y = left, top
    for kind in kinds:
        label = _legend_label(kind, running, grand)
        step = 24 + 6.5 * len(label)
        if x > left and x + step > right:
            x, y = left, y + 16
        colour = role_colour(kind) if kind != "total" else "#334155"
        parts.append(html('<rect x="{:.1f}" y="{:.1f}" width="10" height="10" rx="2" fill="{}"/>', x, y, colour))
        parts.append(_text(x + 14, y + 9, label, "legend"))
        x += step
    return parts
