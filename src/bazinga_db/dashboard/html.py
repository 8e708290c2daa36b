"""HTML from templates in which every value is escaped unless it is marked safe.

    html('<a href="{}">{}</a>', url, name)        # both values escaped
    html("<li>{}</li>", html("<b>{}</b>", text))  # a piece built by html() is Safe: kept as it is
    join(html("<li>{}</li>", item) for item in items)

Templates use ``str.format`` syntax (``{}``, ``{name}``, ``{value:.1f}``). A value is
formatted first, then escaped for text and for quoted attributes (``& < > " '``), so agent
text can never become markup; ``None`` shows as nothing. Only ``Safe`` strings, which
``html`` and ``join`` return, are placed unescaped: markup is safe because it was built
here, never because someone remembered to escape it. Templates themselves must be
literals in our code.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from html import escape
from string import Formatter
from typing import Any


class Safe(str):
    """Text that is already HTML (built by ``html`` or ``join``): placed as it is."""

    __slots__ = ()


@lru_cache(maxsize=1024)
def _parsed(template: str) -> tuple[tuple[str, str | None, str, str | None], ...]:
    # Parsing a template once, not on every call: a page of 200 sessions makes ~1,000 calls.
    return tuple((literal, name, spec or "", conversion) for literal, name, spec, conversion in Formatter().parse(template))


def _field(value: Any, conversion: str | None, spec: str) -> str:
    if conversion == "r":
        value = repr(value)
    elif conversion == "a":
        value = ascii(value)
    elif conversion == "s":
        value = str(value)
    if isinstance(value, Safe):
        return format(str(value), spec) if spec else value
    if value is None:
        value = ""
    return escape(format(value, spec) if spec else str(value), quote=True)


def html(template: str, /, *args: Any, **kwargs: Any) -> Safe:
    """``template`` with each ``{}`` field replaced by its value, escaped unless Safe.

    Fields are ``{}`` (the next positional value), ``{0}`` or ``{name}``, with an optional
    ``!r``/``!s`` conversion and a format spec (``{x:.1f}``).
    """
    out: list[str] = []
    auto = 0
    for literal, name, spec, conversion in _parsed(template):
        out.append(literal)
        if name is None:
            continue
        if name == "":
            value = args[auto]
            auto += 1
        elif name.isdigit():
            value = args[int(name)]
        elif name.isidentifier():
            value = kwargs[name]
        else:
            raise ValueError(f"html() fields are {{}}, {{0}} or {{name}}, not {{{name}}}")
        out.append(_field(value, conversion, spec))
    return Safe("".join(out))


def join(pieces: Iterable[Any], separator: str = "") -> Safe:
    """The pieces one after another (separated by ``separator``, a literal of our own),
    each escaped unless Safe."""
    return Safe(separator.join(
        piece if isinstance(piece, Safe) else escape("" if piece is None else str(piece), quote=True)
        for piece in pieces
    ))

