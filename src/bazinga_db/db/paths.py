"""Where the database is: --db, else $BAZINGA_DB, else bazinga/bazinga.db in the project."""

from __future__ import annotations

import os

DEFAULT_RELATIVE = os.path.join("bazinga", "bazinga.db")
PROJECT_MARKERS = (".git", ".claude")


def find_project_root(start: str | None = None) -> str | None:
    """The nearest folder at or above ``start`` holding .git or .claude."""
    folder = os.path.abspath(start or os.getcwd())
    while True:
        if any(os.path.exists(os.path.join(folder, marker)) for marker in PROJECT_MARKERS):
            return folder
        parent = os.path.dirname(folder)
        if parent == folder:
            return None
        folder = parent


def resolve_target(db: str | None = None) -> str:
    """A PostgreSQL URL as given, or an absolute SQLite path (relative to the current folder)."""
    target = db if db else os.environ.get("BAZINGA_DB") or None
    if target is None:
        root = find_project_root() or os.getcwd()
        return os.path.join(root, DEFAULT_RELATIVE)
    if target.startswith(("postgresql://", "postgres://")):
        return target
    return os.path.abspath(os.path.expanduser(target))
