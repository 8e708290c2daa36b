"""A path-by-path difference of two JSON documents, used by ``state-diff``.

Objects are compared key by key (keys of the old document first, then the new ones);
arrays index by index, so an item inserted at the front shows as changes to every later
index. A value whose type changes (object → array, number → text) is one change.
"""

from __future__ import annotations

import re
from typing import Any

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
ROOT = ""


def child_path(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if _IDENTIFIER.match(key):
        return f"{path}.{key}" if path else key
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'


def _same(old: Any, new: Any) -> bool:
    # 1 and 1.0 are equal in JSON; True and 1 are not.
    return type(old) is type(new) and old == new or (
        isinstance(old, (int, float)) and isinstance(new, (int, float))
        and not isinstance(old, bool) and not isinstance(new, bool) and old == new
    )


def diff(old: Any, new: Any, path: str = ROOT) -> list[dict[str, Any]]:
    """Changes from ``old`` to ``new``: a list of {path, op, old, new} with op add/remove/change."""
    if isinstance(old, dict) and isinstance(new, dict):
        changes: list[dict[str, Any]] = []
        for key in old:
            if key not in new:
                changes.append({"path": child_path(path, key), "op": "remove", "old": old[key], "new": None})
            else:
                changes.extend(diff(old[key], new[key], child_path(path, key)))
        for key in new:
            if key not in old:
                changes.append({"path": child_path(path, key), "op": "add", "old": None, "new": new[key]})
        return changes
    if isinstance(old, list) and isinstance(new, list):
        changes = []
        for index in range(max(len(old), len(new))):
            here = child_path(path, index)
            if index >= len(new):
                changes.append({"path": here, "op": "remove", "old": old[index], "new": None})
            elif index >= len(old):
                changes.append({"path": here, "op": "add", "old": None, "new": new[index]})
            else:
                changes.extend(diff(old[index], new[index], here))
        return changes
    if _same(old, new):
        return []
    return [{"path": path, "op": "change", "old": old, "new": new}]
