"""Context packages: what one agent hands to the next.

A package is a file in the project (research notes, a failure analysis, decisions, an
investigation's findings …) with a one-line summary and a priority, produced by one role
for named consumer roles, attached to a task group or to the whole session. Each consumer
marks it consumed when it has read it, per iteration, so a role's unread packages come
first. ``consumption_scope`` records which packages an agent was given in which iteration.

The file must be inside the project: a path that climbs out of it (``..``) or a symbolic
link that points out of it is refused, so a package never hands an agent a file elsewhere
on the machine.
"""

from __future__ import annotations

import os

from ..core import decode, decode_all, ensure_session, insert, require_session, retried
from ..errors import InvalidInput, NotFound, TaskGroupNotFound, UsageError
from ..util import validation as v
from ..util.clock import utc_now

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from typing import Any

    from ..core import Store, Transaction

PACKAGE_TYPES = ("research", "failures", "decisions", "handoff", "investigation")
PRIORITIES = ("critical", "high", "medium", "low")  # the order packages are read in
MAX_SUMMARY_CHARACTERS = 200
MAX_PACKAGES = 50
_PRIORITY_ORDER = "CASE priority WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END"


def project_path(file_path: Any, project_root: str | None = None) -> tuple[str, int | None]:
    """``file_path`` relative to the project root, and the file's size if it exists.

    Refuses a path outside the root, whether by ``..``, by an absolute path elsewhere or by
    a symbolic link (on the path or the file itself) that resolves outside it.
    """
    path = v.text(file_path, "file_path")
    if "\n" in path or "\r" in path:
        raise InvalidInput("file_path must be one line")
    if project_root is None:
        from ..db.paths import find_project_root

        project_root = os.environ.get("BAZINGA_PROJECT_ROOT") or find_project_root() or os.getcwd()
    root = os.path.realpath(v.text(project_root, "project_root"))
    if not os.path.isdir(root):
        raise InvalidInput(f"project_root {project_root} is not a folder")
    joined = os.path.normpath(os.path.join(root, os.path.expanduser(path)))
    inside = _within(joined, root)
    resolved = os.path.realpath(joined)
    if not inside:
        raise InvalidInput(
            f"file_path {path!r} is outside the project ({root}); a package names a file in the project",
            hint="give a path relative to the project root, e.g. bazinga/artifacts/<session>/research.md",
        )
    if not _within(resolved, root):
        raise InvalidInput(
            f"file_path {path!r} is a symbolic link (or goes through one) that leads outside the project, "
            f"to {resolved}; a package names a file in the project",
        )
    size = os.path.getsize(resolved) if os.path.isfile(resolved) else None
    return os.path.relpath(resolved, root).replace(os.sep, "/"), size


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@retried
def save_context_package(
    db: Store,
    session_id: str,
    group_id: str,
    package_type: str,
    file_path: str,
    producer_agent: str,
    consumers: Any,
    priority: str,
    summary: str,
    size_bytes: int | None = None,
    supersedes: int | None = None,
    project_root: str | None = None,
    idempotency_key: str | None = None,
) -> dict[str, Any]:
    """Hand a file to the consumer roles; the package is added to its task group's references."""
    session_id = v.identifier(session_id, "session_id")
    group = v.group_scope(group_id)
    package_type = v.choice(package_type, "package_type", PACKAGE_TYPES)
    priority = v.choice(priority, "priority", PRIORITIES)
    producer = v.name(producer_agent, "producer_agent", v.KNOWN_AGENT_TYPES)
    roles = _roles(consumers)
    summary = v.text(summary, "summary")
    if "\n" in summary.strip() or len(summary) > MAX_SUMMARY_CHARACTERS:
        raise InvalidInput(
            f"summary must be one line of at most {MAX_SUMMARY_CHARACTERS} characters "
            f"(got {len(summary)} characters{' on several lines' if chr(10) in summary.strip() else ''}); "
            "the details belong in the file"
        )
    relative, measured = project_path(file_path, project_root)
    size = v.optional_integer(size_bytes, "size_bytes")
    supersedes_id = v.optional_integer(supersedes, "supersedes", minimum=1)
    values = {
        "session_id": session_id, "group_id": group, "package_type": package_type, "file_path": relative,
        "producer_agent": producer, "priority": priority, "summary": summary.strip(),
        "size_bytes": measured if size is None else size, "supersedes_id": supersedes_id,
        "created_at": utc_now(), "idempotency_key": v.optional_identifier(idempotency_key, "idempotency_key"),
    }
    with db.write(session_id) as tx:
        ensure_session(db, tx, session_id)
        if supersedes_id is not None and tx.one(
            "SELECT id FROM context_packages WHERE id = ? AND session_id = ?", (supersedes_id, session_id)
        ) is None:
            raise NotFound(f"package {supersedes_id} (--supersedes) is not a package of session {session_id!r}")
        package = insert(db, tx, "context_packages", values)
        if any(kind == "idempotent_replay" for kind, _ in db.notices):
            return _with_consumers(tx, [package])[0]
        for role in roles:
            # DO NOTHING: a run again after a lost COMMIT finds the package (by its write
            # token) and its consumers already there.
            tx.execute(
                "INSERT INTO context_package_consumers (session_id, package_id, agent_type, iteration) "
                "VALUES (?, ?, ?, 1) ON CONFLICT (package_id, agent_type, iteration) DO NOTHING",
                (session_id, package["id"], role),
            )
        if group is not None:
            _add_reference(tx, session_id, group, package["id"])
        return _with_consumers(tx, [package])[0]


def get_context_packages(
    db: Store,
    session_id: str,
    group_id: str | None = None,
    agent_type: str | None = None,
    limit: int = 3,
    include_consumed: bool = False,
) -> list[dict[str, Any]]:
    """A role's packages for a group (and the session-wide ones): unread first by priority,
    then newest. Without an agent: every package of the group; superseded ones left out."""
    session_id = v.identifier(session_id, "session_id")
    limit = v.integer(limit, "limit", minimum=1, maximum=MAX_PACKAGES)
    sql = ("SELECT * FROM context_packages p WHERE session_id = ? AND NOT EXISTS "
           "(SELECT 1 FROM context_packages n WHERE n.session_id = p.session_id AND n.supersedes_id = p.id)")
    params: list[Any] = [session_id]
    if group_id is not None:
        group = v.group_scope(group_id)
        sql += " AND group_id IS NULL" if group is None else " AND (group_id = ? OR group_id IS NULL)"
        params += [] if group is None else [group]
    if agent_type is not None:
        role = v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
        pending = "" if include_consumed else " AND c.consumed_at IS NULL"
        sql += (f" AND EXISTS (SELECT 1 FROM context_package_consumers c WHERE c.package_id = p.id "
                f"AND c.agent_type = ?{pending})")
        params.append(role)
    sql += f" ORDER BY {_PRIORITY_ORDER}, id DESC LIMIT ?"
    params.append(limit)
    with db.read() as tx:
        require_session(tx, session_id)
        return _with_consumers(tx, tx.all(sql, params))


@retried
def mark_context_consumed(
    db: Store, package_id: int, agent_type: str, iteration: int = 1
) -> dict[str, Any]:
    """The role has read the package (in this iteration). Marking it again changes nothing."""
    package_id = v.integer(package_id, "package_id", minimum=1)
    role = v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
    number = v.integer(iteration, "iteration", minimum=1)
    with db.read() as tx:
        package = tx.one("SELECT session_id FROM context_packages WHERE id = ?", (package_id,))
    if package is None:
        raise NotFound(f"context package {package_id} not found",
                       hint="list a group's packages with `bazinga-db get-context-packages SESSION GROUP`")
    session_id = package["session_id"]
    with db.write(session_id) as tx:
        rows = tx.all("SELECT * FROM context_package_consumers WHERE package_id = ? ORDER BY iteration",
                      (package_id,))
        mine = [row for row in rows if row["agent_type"] == role]
        if not mine:
            named = sorted({row["agent_type"] for row in rows})
            raise NotFound(
                f"{role} is not a consumer of package {package_id} "
                f"(its consumers: {', '.join(named) or 'none'})",
            )
        now = utc_now()
        same = next((row for row in mine if row["iteration"] == number), None)
        pending = next((row for row in mine if row["consumed_at"] is None), None)
        if same is not None and same["consumed_at"] is not None:
            db.notices.append(("consumption_exists", str(package_id)))
            newly = False
            consumed_at = same["consumed_at"]
        elif pending is not None:
            # The package waited for this role: read now, in this iteration (whichever
            # iteration it was handed over in).
            tx.execute("UPDATE context_package_consumers SET consumed_at = ?, iteration = ? WHERE id = ?",
                       (now, number, pending["id"]))
            newly, consumed_at = True, now
        else:  # read again in a later iteration: a row of its own
            tx.execute(
                "INSERT INTO context_package_consumers (session_id, package_id, agent_type, iteration, consumed_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (session_id, package_id, role, number, now),
            )
            newly, consumed_at = True, now
    return {"package_id": package_id, "session_id": session_id, "agent_type": role, "iteration": number,
            "consumed_at": consumed_at, "newly_consumed": newly}


@retried
def update_context_references(
    db: Store, group_id: str, session_id: str, package_ids: Any
) -> dict[str, Any]:
    """Set the packages a task group refers to (a list of package ids of its session)."""
    group = v.identifier(group_id, "group_id")
    session_id = v.identifier(session_id, "session_id")
    if not isinstance(package_ids, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i > 0 for i in package_ids
    ):
        raise InvalidInput(f"package_ids must be a JSON list of package ids, e.g. [1, 2]; got {package_ids!r}")
    ids = list(dict.fromkeys(package_ids))
    with db.write(session_id) as tx:
        if tx.one("SELECT id FROM task_groups WHERE session_id = ? AND id = ?", (session_id, group)) is None:
            if tx.one("SELECT id FROM task_groups WHERE session_id = ? AND id = ?", (group, session_id)):
                # The session-first order of the public project's skill document.
                raise UsageError(
                    f"update-context-references takes the task group first, then the session: "
                    f"{session_id!r} is a task group of session {group!r}, not the other way round",
                    hint=f"update-context-references {session_id} {group} IDS",
                )
            raise TaskGroupNotFound(f"task group {group!r} not found in session {session_id!r}")
        if ids:
            marks = ", ".join("?" * len(ids))
            found = {row["id"] for row in tx.all(
                f"SELECT id FROM context_packages WHERE session_id = ? AND id IN ({marks})", (session_id, *ids))}
            unknown = [i for i in ids if i not in found]
            if unknown:
                raise NotFound(f"no context package {', '.join(map(str, unknown))} in session {session_id!r}")
        _set_references(tx, session_id, group, ids)
    return {"session_id": session_id, "group_id": group, "context_references": ids}


@retried
def save_consumption(
    db: Store, session_id: str, group_id: str, agent_type: str, iteration: int, package_id: int
) -> dict[str, Any]:
    """Record that an agent was given a package in an iteration (once: a repeat stores nothing)."""
    import hashlib

    session_id = v.identifier(session_id, "session_id")
    group = v.group_scope(group_id)
    if group is None:
        raise InvalidInput("consumption belongs to a task group: give its group id, not 'global'")
    role = v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES)
    number = v.integer(iteration, "iteration")
    package_id = v.integer(package_id, "package_id", minimum=1)
    scope_id = hashlib.sha256(f"{session_id}:{group}:{role}:{number}:{package_id}".encode()).hexdigest()[:32]
    with db.write(session_id) as tx:
        require_session(tx, session_id)
        if tx.one("SELECT id FROM context_packages WHERE id = ? AND session_id = ?", (package_id, session_id)) is None:
            raise NotFound(f"context package {package_id} is not a package of session {session_id!r}")
        existing = tx.one("SELECT * FROM consumption_scope WHERE scope_id = ?", (scope_id,))
        if existing is None:
            existing = tx.one(
                "INSERT INTO consumption_scope (scope_id, session_id, group_id, agent_type, iteration, package_id, "
                "consumed_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (scope_id, session_id, group, role, number, package_id, utc_now()),
            )
            inserted = True
        else:
            db.notices.append(("consumption_exists", scope_id))
            inserted = False
    return {**existing, "inserted": inserted}  # type: ignore[dict-item]


def get_consumption(
    db: Store, session_id: str, group_id: str | None = None, agent_type: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """What agents were given, newest first; one group or one role when asked."""
    session_id = v.identifier(session_id, "session_id")
    sql, params = "SELECT * FROM consumption_scope WHERE session_id = ?", [session_id]  # type: str, list[Any]
    if group_id is not None:
        sql += " AND group_id = ?"
        params.append(v.identifier(group_id, "group_id"))
    if agent_type is not None:
        sql += " AND agent_type = ?"
        params.append(v.name(agent_type, "agent_type", v.KNOWN_AGENT_TYPES))
    params.append(v.integer(limit, "limit", minimum=1, maximum=1000))
    with db.read() as tx:
        require_session(tx, session_id)
        return tx.all(sql + " ORDER BY id DESC LIMIT ?", params)


def session_packages(tx: Transaction, session_id: str) -> list[dict[str, Any]]:
    """Every package of a session with its consumers and to whom it was given (consumption
    scope), newest first (the dashboard's panel)."""
    packages = _with_consumers(tx, tx.all("SELECT * FROM context_packages WHERE session_id = ? ORDER BY id DESC",
                                          (session_id,)))
    given: dict[int, list[dict[str, Any]]] = {}
    for row in tx.all("SELECT package_id, agent_type, iteration, consumed_at FROM consumption_scope "
                      "WHERE session_id = ? ORDER BY id", (session_id,)):
        given.setdefault(row.pop("package_id"), []).append(row)
    for package in packages:
        package["given"] = given.get(package["id"], [])
    return packages


def _roles(consumers: Any) -> list[str]:
    if isinstance(consumers, str):
        consumers = [consumers]  # one role given as plain text
    if not isinstance(consumers, list) or not consumers or not all(isinstance(c, str) for c in consumers):
        raise InvalidInput(f'consumers must be a JSON list of roles, e.g. \'["developer", "qa_expert"]\'; '
                           f"got {consumers!r}")
    return list(dict.fromkeys(v.name(role, "consumers", v.KNOWN_AGENT_TYPES) for role in consumers))


def _with_consumers(tx: Transaction, packages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if not packages:
        return []
    ids = [package["id"] for package in packages]
    marks = ", ".join("?" * len(ids))
    by_package: dict[int, list[dict[str, Any]]] = {}
    for row in tx.all(
        f"SELECT package_id, agent_type, iteration, consumed_at FROM context_package_consumers "
        f"WHERE package_id IN ({marks}) ORDER BY agent_type, iteration", ids
    ):
        by_package.setdefault(row.pop("package_id"), []).append(row)
    for package in packages:
        package.pop("idempotency_key", None)
        package["consumers"] = by_package.get(package["id"], [])
    return decode_all(packages, "context_packages")


def _add_reference(tx: Transaction, session_id: str, group: str, package_id: int) -> None:
    row = decode(tx.one("SELECT context_references FROM task_groups WHERE session_id = ? AND id = ?",
                        (session_id, group)), "task_groups")
    if row is None:
        return  # a group the orchestrator has not created (yet): the package still names it
    current = row["context_references"]  # a list, or text another tool wrote that is not JSON
    ids = [i for i in current if isinstance(i, int)] if isinstance(current, list) else []
    if package_id not in ids:
        _set_references(tx, session_id, group, [*ids, package_id])


def _set_references(tx: Transaction, session_id: str, group: str, ids: list[int]) -> None:
    tx.execute(
        "UPDATE task_groups SET context_references = ?, updated_at = ? WHERE session_id = ? AND id = ?",
        (v.json_document(ids, "package_ids"), utc_now(), session_id, group),
    )
