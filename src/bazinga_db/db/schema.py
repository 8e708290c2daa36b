"""The logical schema, written once and rendered for each SQL dialect.

Migrations (``migrations/``) create and change tables from these definitions, so SQLite
and PostgreSQL always get the same tables, columns and indexes. The eight tables of the
seed keep their names and seed columns; everything we added sits beside them.

There are deliberately no CHECK constraints on enum columns: databases adopted from other
tools hold values outside our enums (e.g. task status ``merging``), and a CHECK would make
their migration fail. The store validates every value it writes instead.
"""

from __future__ import annotations


class Column:
    __slots__ = ("default", "name", "not_null", "references", "type")

    def __init__(
        self,
        name: str,
        type: str = "TEXT",
        *,
        not_null: bool = False,
        default: str | None = None,
        references: str | None = None,
    ) -> None:
        self.name = name
        self.type = type  # logical: TEXT, JSON (JSON text), INTEGER, REAL, ID (auto-incrementing key)
        self.not_null = not_null
        self.default = default  # an SQL literal, identical in every dialect
        self.references = references  # "table(column)"; always ON DELETE CASCADE


class Index:
    __slots__ = ("columns", "name", "unique")

    def __init__(self, name: str, columns: tuple[str, ...], unique: bool = False) -> None:
        self.name = name
        self.columns = columns
        self.unique = unique


class Table:
    __slots__ = ("columns", "indexes", "name", "primary_key")

    def __init__(
        self,
        name: str,
        columns: list[Column],
        *,
        primary_key: tuple[str, ...] = (),
        indexes: tuple[Index, ...] = (),
    ) -> None:
        self.name = name
        self.columns = columns
        self.primary_key = primary_key  # empty when the ID column is the key
        self.indexes = indexes

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


def _session_ref() -> Column:
    return Column("session_id", not_null=True, references="sessions(session_id)")


# Schema version 1 -- the tables as migration m001 creates them. Later migrations change
# tables with their own statements; never edit these definitions once released.
TABLES_V1: tuple[Table, ...] = (
    Table(
        "sessions",
        [
            Column("session_id", not_null=True),
            Column("start_time"),
            Column("end_time"),
            Column("mode"),
            Column("original_requirements"),
            Column("status", not_null=True, default="'active'"),
            Column("created_at"),
            Column("updated_at"),
            Column("metadata", "JSON"),  # an object
        ],
        primary_key=("session_id",),
        indexes=(Index("idx_sessions_created", ("created_at",)),),
    ),
    Table(
        "orchestration_logs",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("timestamp", not_null=True),
            Column("iteration", "INTEGER"),
            Column("agent_type", not_null=True),
            Column("agent_id"),
            Column("content", not_null=True),
            Column("group_id"),
            Column("log_type", not_null=True, default="'interaction'"),
            Column("idempotency_key"),
        ],
        indexes=(
            Index("idx_logs_session", ("session_id", "id")),
            Index("idx_logs_session_agent", ("session_id", "agent_type")),
            Index("idx_logs_idempotency", ("session_id", "idempotency_key"), unique=True),
        ),
    ),
    Table(
        "state_snapshots",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("timestamp", not_null=True),
            Column("state_type", not_null=True),
            Column("state_data", "JSON", not_null=True),
            Column("group_id"),  # NULL: the state of the whole session
            Column("idempotency_key"),
        ],
        indexes=(
            Index("idx_state_lookup", ("session_id", "state_type", "group_id", "id")),
            Index("idx_state_idempotency", ("session_id", "idempotency_key"), unique=True),
        ),
    ),
    Table(
        "task_groups",
        [
            Column("id", not_null=True),
            _session_ref(),
            Column("name", not_null=True),
            Column("status", not_null=True, default="'pending'"),
            Column("assigned_to"),
            Column("revision_count", "INTEGER", not_null=True, default="0"),
            Column("last_review_status"),
            Column("created_at"),
            Column("updated_at"),
        ],
        primary_key=("session_id", "id"),
        indexes=(
            Index("idx_task_groups_status", ("session_id", "status")),
            Index("idx_task_groups_id", ("id",)),
        ),
    ),
    Table(
        "task_group_events",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("group_id", not_null=True),
            Column("timestamp", not_null=True),
            Column("changes", "JSON", not_null=True),  # {"field": [old, new], ...}
        ],
        indexes=(Index("idx_task_group_events", ("session_id", "group_id", "id")),),
    ),
    Table(
        "token_usage",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("timestamp", not_null=True),
            Column("agent_type", not_null=True),
            Column("agent_id"),
            Column("tokens_estimated", "INTEGER", not_null=True),
            Column("input_tokens", "INTEGER"),
            Column("output_tokens", "INTEGER"),
            Column("cache_read_tokens", "INTEGER"),
            Column("cache_write_tokens", "INTEGER"),
            Column("model"),
            Column("cost_usd", "REAL"),
            Column("group_id"),
            Column("idempotency_key"),
        ],
        indexes=(
            Index("idx_tokens_session_agent", ("session_id", "agent_type")),
            Index("idx_tokens_idempotency", ("session_id", "idempotency_key"), unique=True),
        ),
    ),
    Table(
        "skill_outputs",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("timestamp", not_null=True),
            Column("skill_name", not_null=True),
            Column("output_data", "JSON", not_null=True),
            Column("agent_type"),
            Column("group_id"),
            Column("iteration", "INTEGER"),
            Column("idempotency_key"),
        ],
        indexes=(
            Index("idx_skills_lookup", ("session_id", "skill_name", "id")),
            Index("idx_skills_idempotency", ("session_id", "idempotency_key"), unique=True),
        ),
    ),
    Table(
        "configuration",
        [
            Column("key", not_null=True),
            Column("value", "JSON", not_null=True),
            Column("updated_at"),
        ],
        primary_key=("key",),
    ),
    Table(
        "decisions",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("timestamp", not_null=True),
            Column("iteration", "INTEGER"),
            Column("decision_type", not_null=True),
            Column("decision_data", "JSON", not_null=True),
            Column("idempotency_key"),
        ],
        indexes=(
            Index("idx_decisions_session", ("session_id", "id")),
            Index("idx_decisions_idempotency", ("session_id", "idempotency_key"), unique=True),
        ),
    ),
)

# Schema version 3 (migration m003): token usage measured from Claude Code transcripts.
# The columns m003 adds to token_usage; a record's ``source`` says where its figures came from.
TOKEN_USAGE_COLUMNS_V3: tuple[Column, ...] = (
    Column("source", not_null=True, default="'reported'"),  # reported (log-tokens) or measured (a transcript)
    Column("message_id"),  # the API message a measured record counts (de-duplication key, with request_id)
    Column("request_id"),
    Column("cache_write_1h_tokens", "INTEGER"),  # the part of cache_write_tokens written for one hour
    Column("stop_reason"),  # null while a streamed message is incomplete: a later copy replaces it
    Column("transcript_path"),  # the file the counted copy was read from
)
# The tables m003 creates. How far each transcript file was read, per session: the next
# read starts at ``read_to`` (a byte offset just after the last complete line).
TABLES_V3: tuple[Table, ...] = (
    Table(
        "_transcript_offsets",
        [
            _session_ref(),
            Column("path", not_null=True),
            Column("read_to", "INTEGER", not_null=True, default="0"),
            Column("size_bytes", "INTEGER"),
            Column("mtime", "REAL"),
            Column("updated_at"),
        ],
        primary_key=("session_id", "path"),
    ),
)
# Schema version 5 (m005_workflow_records) -- the workflow records of a run: success
# criteria, the development plan and typed events. Never edit once released.
TABLES_V5: tuple[Table, ...] = (
    Table(
        "success_criteria",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("criterion", not_null=True),
            Column("status", not_null=True, default="'pending'"),  # pending, met, blocked, failed
            Column("actual"),
            Column("evidence"),
            Column("required_for_completion", "INTEGER", not_null=True, default="1"),
            Column("created_at"),
            Column("updated_at"),
        ],
        indexes=(Index("idx_criteria_unique", ("session_id", "criterion"), unique=True),),
    ),
    Table(
        "development_plans",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("original_prompt", not_null=True),
            Column("plan_text", not_null=True),
            Column("phases", "JSON", not_null=True),  # [{"phase": 1, "name": …, "status": …}, …]
            Column("current_phase", "INTEGER"),
            Column("total_phases", "INTEGER", not_null=True),
            Column("created_at"),
            Column("updated_at"),
            Column("metadata", "JSON"),
        ],
        indexes=(Index("idx_plans_session", ("session_id",), unique=True),),
    ),
    Table(
        "events",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("timestamp", not_null=True),
            Column("event_subtype", not_null=True),
            Column("event_payload", "JSON", not_null=True),
            Column("group_id"),  # NULL: an event of the whole session
            Column("agent_type"),
            Column("iteration", "INTEGER"),
            Column("idempotency_key"),
        ],
        indexes=(
            Index("idx_events_subtype", ("session_id", "event_subtype", "id")),
            Index("idx_events_idempotency", ("session_id", "idempotency_key"), unique=True),
        ),
    ),
)

# Schema version 6 -- context packages handed from agent to agent, what each consumer read,
# and what a project learns across sessions (error patterns, strategies).
TABLES_V6: tuple[Table, ...] = (
    Table(
        "context_packages",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("group_id"),  # NULL: a package for the whole session
            Column("package_type", not_null=True),  # research, failures, decisions, handoff, investigation
            Column("file_path", not_null=True),  # relative to the project root
            Column("producer_agent", not_null=True),
            Column("priority", not_null=True, default="'medium'"),  # low, medium, high, critical
            Column("summary", not_null=True),
            Column("size_bytes", "INTEGER"),
            Column("supersedes_id", "INTEGER"),  # the package this one replaces (no cascade)
            Column("created_at"),
            Column("idempotency_key"),
        ],
        indexes=(
            Index("idx_packages_group", ("session_id", "group_id", "id")),
            Index("idx_packages_idempotency", ("session_id", "idempotency_key"), unique=True),
        ),
    ),
    Table(
        "context_package_consumers",
        [
            Column("id", "ID"),
            _session_ref(),
            Column("package_id", "INTEGER", not_null=True, references="context_packages(id)"),
            Column("agent_type", not_null=True),
            Column("iteration", "INTEGER", not_null=True, default="1"),
            Column("consumed_at"),  # NULL: not read yet
        ],
        indexes=(
            Index("idx_consumers_unique", ("package_id", "agent_type", "iteration"), unique=True),
            Index("idx_consumers_agent", ("session_id", "agent_type")),
        ),
    ),
    Table(
        "consumption_scope",
        [
            Column("id", "ID"),
            Column("scope_id", not_null=True),  # a digest of the five keys below
            _session_ref(),
            Column("group_id", not_null=True),
            Column("agent_type", not_null=True),
            Column("iteration", "INTEGER", not_null=True),
            Column("package_id", "INTEGER", not_null=True, references="context_packages(id)"),
            Column("consumed_at"),
        ],
        indexes=(
            Index("idx_consumption_scope_id", ("scope_id",), unique=True),
            Index("idx_consumption_session", ("session_id", "group_id", "agent_type")),
        ),
    ),
    Table(
        "error_patterns",
        [
            Column("pattern_hash", not_null=True),
            Column("project_id", not_null=True),
            Column("error_type"),
            Column("signature_json", "JSON", not_null=True),
            Column("solution", not_null=True),
            Column("confidence", "REAL", not_null=True, default="0.5"),
            Column("occurrences", "INTEGER", not_null=True, default="1"),
            Column("lang"),
            Column("last_seen"),
            Column("created_at"),
            Column("ttl_days", "INTEGER", not_null=True, default="90"),
            Column("expires_at"),  # last_seen + ttl_days, so expiry is a text comparison on both backends
        ],
        primary_key=("project_id", "pattern_hash"),
        indexes=(Index("idx_patterns_project", ("project_id", "confidence")),),
    ),
    Table(
        "strategies",
        [
            Column("strategy_id", not_null=True),
            Column("project_id", not_null=True),
            Column("topic", not_null=True),
            Column("insight", not_null=True),
            Column("helpfulness", "INTEGER", not_null=True, default="0"),
            Column("lang"),
            Column("framework"),
            Column("last_seen"),
            Column("created_at"),
        ],
        primary_key=("strategy_id",),
        indexes=(Index("idx_strategies_project", ("project_id", "topic")),),
    ),
)

# Columns later migrations add to tables of an earlier version, by table.
ADDED_COLUMNS: dict[str, tuple[Column, ...]] = {
    "token_usage": TOKEN_USAGE_COLUMNS_V3,
    # m005: an agent's reasoning is a log entry (log_type 'reasoning') with its phase.
    "orchestration_logs": (
        Column("reasoning_phase"),
        Column("confidence_level"),
        Column("references_json", "JSON"),
    ),
    # m006: the context packages a task group refers to (a JSON list of package ids).
    "task_groups": (Column("context_references", "JSON"),),
}

# Every table of the current schema, in creation order: what export, migrate-to, prune and
# doctor walk. A migration that creates tables adds its tuple here.
TABLES: tuple[Table, ...] = TABLES_V1 + TABLES_V3 + TABLES_V5 + TABLES_V6
TABLES_BY_NAME = {table.name: table for table in TABLES}


def columns_of(table: Table) -> list[Column]:
    """A table's columns in the current schema: its own and those later migrations added."""
    return [*table.columns, *ADDED_COLUMNS.get(table.name, ())]


# Columns holding JSON text, per table: decoded into objects when records are returned.
JSON_COLUMNS: dict[str, frozenset[str]] = {
    table.name: frozenset(column.name for column in columns_of(table) if column.type == "JSON") for table in TABLES
}
# The full-text index of log content on SQLite (an FTS5 table; migration m002).
LOG_SEARCH_TABLE = "_logs_fts"


def children_of(parent: str) -> tuple[str, ...]:
    """Tables whose rows belong to a row of ``parent`` (a foreign key to it), in schema order.

    Deleting the parent row deletes theirs (ON DELETE CASCADE): prune, doctor's orphan
    check and export read their table lists from here.
    """
    return tuple(
        table.name for table in TABLES
        if any((column.references or "").startswith(parent + "(") for column in table.columns)
    )


def references_of(table: Table) -> dict[str, str]:
    """Columns of ``table`` that hold another numbered table's id: {column: that table}.

    Import follows them when it renumbers that table's rows (a consumer row keeps pointing
    at its package).
    """
    return {
        column.name: column.references.partition("(")[0]
        for column in table.columns
        if column.references and column.references.endswith("(id)")
    }


SESSION_TABLES = children_of("sessions")
# Tables that belong to no session (configuration): global, exported with a whole database only.
GLOBAL_TABLES = tuple(
    table.name for table in TABLES if table.name != "sessions" and table.name not in SESSION_TABLES
)


_TYPES = {
    "sqlite": {"TEXT": "TEXT", "JSON": "TEXT", "INTEGER": "INTEGER", "REAL": "REAL"},
    # COLLATE "C" compares text byte by byte, as SQLite does, so ORDER BY gives the same
    # order on both whatever the server's locale.
    "postgres": {"TEXT": 'TEXT COLLATE "C"', "JSON": 'TEXT COLLATE "C"', "INTEGER": "BIGINT", "REAL": "DOUBLE PRECISION"},
}


def column_sql(column: Column, dialect: str) -> str:
    if column.type == "ID":
        # AUTOINCREMENT: ids are never reused after a prune, so "highest id seen" cursors
        # (dashboard, get-logs --after-id) stay correct.
        if dialect == "sqlite":
            return f"{column.name} INTEGER PRIMARY KEY AUTOINCREMENT"
        return f"{column.name} BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"
    parts = [column.name, _TYPES[dialect][column.type]]
    if column.not_null:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append(f"DEFAULT {column.default}")
    if column.references:
        parts.append(f"REFERENCES {column.references} ON DELETE CASCADE")
    return " ".join(parts)


def create_table_sql(
    table: Table, dialect: str, *, name: str | None = None, extra_columns: list[str] = ()  # type: ignore[assignment]
) -> str:
    """CREATE TABLE for ``table``; ``extra_columns`` are raw definitions kept from an adopted file."""
    lines = [column_sql(column, dialect) for column in table.columns]
    lines.extend(extra_columns)
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    body = ",\n    ".join(lines)
    return f"CREATE TABLE IF NOT EXISTS {name or table.name} (\n    {body}\n)"


def create_index_sql(table: Table, index: Index) -> str:
    unique = "UNIQUE " if index.unique else ""
    columns = ", ".join(index.columns)
    return f"CREATE {unique}INDEX IF NOT EXISTS {index.name} ON {table.name} ({columns})"
