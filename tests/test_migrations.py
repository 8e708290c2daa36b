"""Migrations: new, empty, old and foreign SQLite files, and many processes starting at once.

The two "upstream" fixtures are SQLite files shaped like the ones the public bazinga
project's scripts create: its seed-era schema and its later schema (``schema_version`` 19).
They are written here from the column facts of those schemas (names, types, defaults,
CHECK constraints, keys, unique indexes), filled with rows in every table.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bazinga_db import BazingaDB, SchemaTooNew, migrations, schema
from bazinga_db.backends.sqlite import APPLICATION_ID

pytestmark = pytest.mark.sqlite_only

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
OUR_TABLES = [table.name for table in schema.TABLES_V1]

# -- upstream-shaped files ----------------------------------------------------------------

SEED_ERA_SCHEMA = """
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    start_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    end_time TIMESTAMP,
    mode TEXT CHECK (mode IN ('simple', 'parallel')),
    original_requirements TEXT,
    status TEXT DEFAULT 'active' CHECK (status IN ('active', 'completed', 'failed')),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE orchestration_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    iteration INTEGER,
    agent_type TEXT CHECK (agent_type IN ('pm', 'developer', 'qa', 'tech_lead', 'orchestrator')),
    agent_id TEXT,
    content TEXT NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_logs_session ON orchestration_logs(session_id, timestamp DESC);
CREATE INDEX idx_logs_agent ON orchestration_logs(session_id, agent_type);
CREATE TABLE state_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    state_type TEXT CHECK (state_type IN ('pm', 'orchestrator', 'group_status')),
    state_data TEXT NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_state_session_type ON state_snapshots(session_id, state_type, timestamp DESC);
CREATE TABLE task_groups (
    id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed', 'failed')),
    assigned_to TEXT,
    revision_count INTEGER DEFAULT 0,
    last_review_status TEXT CHECK (last_review_status IN ('APPROVED', 'CHANGES_REQUESTED') OR last_review_status IS NULL),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_task_groups_status ON task_groups(session_id, status);
CREATE TABLE token_usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    agent_type TEXT NOT NULL,
    agent_id TEXT,
    tokens_estimated INTEGER NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_tokens_agent ON token_usage(session_id, agent_type);
CREATE TABLE skill_outputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    skill_name TEXT NOT NULL,
    output_data TEXT NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_skills_session ON skill_outputs(session_id, skill_name, timestamp DESC);
CREATE TABLE configuration (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    iteration INTEGER,
    decision_type TEXT NOT NULL,
    decision_data TEXT NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_decisions_session ON decisions(session_id, timestamp DESC);
"""

SEED_ERA_ROWS = """
INSERT INTO sessions VALUES
  ('old_1', '2025-11-12 14:30:00', '2025-11-12 16:00:00', 'parallel', 'Add OAuth2', 'completed', '2025-11-12 14:30:00'),
  ('old_2', '2025-11-13 09:00:00', NULL, 'simple', 'Fix the login bug', 'active', '2025-11-13 09:00:00');
INSERT INTO orchestration_logs (session_id, timestamp, iteration, agent_type, agent_id, content) VALUES
  ('old_1', '2025-11-12 14:30:05', 1, 'orchestrator', NULL, 'Session started'),
  ('old_1', '2025-11-12 14:31:00', 1, 'pm', 'pm_main', 'Task breakdown: 2 groups'),
  ('old_1', '2025-11-12 14:45:00', 2, 'developer', 'developer_1', 'Implemented OAuth2 callback'),
  ('old_1', '2025-11-12 15:10:00', 3, 'qa', 'qa_main', 'Tests pass'),
  ('old_2', '2025-11-13 09:00:01', 1, NULL, NULL, 'A log without an agent type');
INSERT INTO state_snapshots (session_id, timestamp, state_type, state_data) VALUES
  ('old_1', '2025-11-12 14:31:00', 'pm', '{"iteration": 1}'),
  ('old_1', '2025-11-12 15:00:00', 'pm', '{"iteration": 2}'),
  ('old_1', '2025-11-12 15:59:00', 'pm', '{"iteration": 3, "done": true}'),
  ('old_1', '2025-11-12 14:30:10', 'orchestrator', '{"phase": "planning"}'),
  ('old_2', '2025-11-13 09:00:02', 'group_status', '{"group_a": "pending"}');
INSERT INTO task_groups VALUES
  ('group_a', 'old_1', 'Authentication', 'completed', 'developer_1', 1, 'APPROVED', '2025-11-12 14:31:00', '2025-11-12 15:50:00'),
  ('group_b', 'old_1', 'API', 'failed', 'developer_2', 2, 'CHANGES_REQUESTED', '2025-11-12 14:31:00', '2025-11-12 15:55:00'),
  ('group_x', 'old_2', 'Login bug', 'pending', NULL, 0, NULL, '2025-11-13 09:00:03', '2025-11-13 09:00:03');
INSERT INTO token_usage (session_id, timestamp, agent_type, agent_id, tokens_estimated) VALUES
  ('old_1', '2025-11-12 14:31:00', 'pm', 'pm_main', 12450),
  ('old_1', '2025-11-12 14:45:00', 'developer', 'developer_1', 28340),
  ('old_2', '2025-11-13 09:00:04', 'pm', NULL, 100);
INSERT INTO skill_outputs (session_id, timestamp, skill_name, output_data) VALUES
  ('old_1', '2025-11-12 15:00:00', 'lint', '{"errors": 2}'),
  ('old_1', '2025-11-12 15:30:00', 'lint', '{"errors": 0}');
INSERT INTO configuration VALUES ('max_parallel', '4', '2025-11-12 14:00:00');
INSERT INTO decisions (session_id, timestamp, iteration, decision_type, decision_data) VALUES
  ('old_1', '2025-11-12 14:32:00', 1, 'spawn_developers', '{"count": 2}');
"""

V19_SCHEMA = """
CREATE TABLE schema_version (
    version INTEGER PRIMARY KEY,
    applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    description TEXT
);
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    start_time TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    end_time TIMESTAMP,
    mode TEXT CHECK (mode IN ('simple', 'parallel')),
    original_requirements TEXT,
    status TEXT DEFAULT 'active' CHECK (status IN ('active', 'completed', 'failed')),
    initial_branch TEXT DEFAULT 'main',
    metadata TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE TABLE orchestration_logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    iteration INTEGER,
    agent_type TEXT NOT NULL,
    agent_id TEXT,
    content TEXT NOT NULL,
    log_type TEXT DEFAULT 'interaction' CHECK (log_type IN ('interaction', 'reasoning', 'event')),
    reasoning_phase TEXT CHECK (reasoning_phase IN ('understanding', 'approach', 'decisions', 'risks',
                                                    'blockers', 'pivot', 'completion')),
    confidence_level TEXT CHECK (confidence_level IN ('high', 'medium', 'low')),
    references_json TEXT,
    redacted INTEGER DEFAULT 0 CHECK (redacted IN (0, 1)),
    group_id TEXT,
    event_subtype TEXT,
    event_payload TEXT,
    idempotency_key TEXT,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_logs_idempotency ON orchestration_logs(session_id, event_subtype, group_id, idempotency_key);
CREATE INDEX idx_logs_events ON orchestration_logs(session_id, log_type, event_subtype);
CREATE INDEX idx_logs_group ON orchestration_logs(session_id, group_id, log_type);
CREATE INDEX idx_logs_reasoning ON orchestration_logs(session_id, log_type, reasoning_phase);
CREATE INDEX idx_logs_agent ON orchestration_logs(session_id, agent_type);
CREATE INDEX idx_logs_session ON orchestration_logs(session_id, timestamp);
CREATE TABLE state_snapshots (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    group_id TEXT NOT NULL DEFAULT 'global',
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    state_type TEXT CHECK (state_type IN ('pm', 'orchestrator', 'group_status', 'investigation')),
    state_data TEXT NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_state_lookup ON state_snapshots(session_id, state_type, group_id, timestamp);
CREATE UNIQUE INDEX idx_state_unique ON state_snapshots(session_id, state_type, group_id);
CREATE TABLE task_groups (
    id TEXT NOT NULL,
    session_id TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed', 'failed',
                                                   'approved_pending_merge', 'merging')),
    assigned_to TEXT,
    revision_count INTEGER DEFAULT 0,
    last_review_status TEXT CHECK (last_review_status IN ('APPROVED', 'CHANGES_REQUESTED') OR last_review_status IS NULL),
    feature_branch TEXT,
    merge_status TEXT CHECK (merge_status IN ('pending', 'in_progress', 'merged', 'conflict', 'test_failure')
                             OR merge_status IS NULL),
    complexity INTEGER,
    initial_tier TEXT DEFAULT 'Developer' CHECK (initial_tier IN ('Developer', 'Senior Software Engineer')),
    context_references TEXT,
    specializations TEXT,
    item_count INTEGER DEFAULT 1,
    security_sensitive INTEGER DEFAULT 0,
    qa_attempts INTEGER DEFAULT 0,
    tl_review_attempts INTEGER DEFAULT 0,
    component_path TEXT,
    review_iteration INTEGER DEFAULT 1,
    no_progress_count INTEGER DEFAULT 0,
    blocking_issues_count INTEGER DEFAULT 0,
    speckit_task_ids TEXT,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    PRIMARY KEY (id, session_id),
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_task_groups_status ON task_groups(session_id, status);
CREATE TABLE token_usage (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    agent_type TEXT NOT NULL,
    agent_id TEXT,
    tokens_estimated INTEGER NOT NULL,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_tokens_agent ON token_usage(session_id, agent_type);
CREATE TABLE skill_outputs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    timestamp TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    skill_name TEXT NOT NULL,
    output_data TEXT NOT NULL,
    agent_type TEXT,
    group_id TEXT,
    iteration INTEGER DEFAULT 1,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_skills_unique ON skill_outputs(session_id, skill_name, agent_type, group_id, iteration);
CREATE INDEX idx_skills_session ON skill_outputs(session_id, skill_name, timestamp);
CREATE TABLE context_packages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    group_id TEXT,
    package_type TEXT NOT NULL CHECK (package_type IN ('research', 'failures', 'decisions', 'handoff',
                                                       'investigation')),
    file_path TEXT NOT NULL,
    producer_agent TEXT NOT NULL,
    priority TEXT NOT NULL DEFAULT 'medium' CHECK (priority IN ('low', 'medium', 'high', 'critical')),
    summary TEXT NOT NULL,
    size_bytes INTEGER,
    version INTEGER DEFAULT 1,
    supersedes_id INTEGER REFERENCES context_packages(id),
    scope TEXT DEFAULT 'group' CHECK (scope IN ('group', 'global')),
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE INDEX idx_packages_session ON context_packages(session_id);
CREATE INDEX idx_packages_priority ON context_packages(session_id, priority, created_at);
CREATE TABLE context_package_consumers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    package_id INTEGER NOT NULL,
    agent_type TEXT NOT NULL,
    consumed_at TIMESTAMP,
    iteration INTEGER DEFAULT 1,
    FOREIGN KEY (package_id) REFERENCES context_packages(id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_consumers_unique ON context_package_consumers(package_id, agent_type, iteration);
CREATE TABLE consumption_scope (
    scope_id TEXT PRIMARY KEY,
    session_id TEXT NOT NULL,
    group_id TEXT NOT NULL,
    agent_type TEXT NOT NULL CHECK (agent_type IN ('developer', 'qa_expert', 'tech_lead',
                                                   'senior_software_engineer', 'investigator')),
    iteration INTEGER NOT NULL,
    package_id INTEGER NOT NULL,
    consumed_at TEXT DEFAULT (datetime('now')),
    FOREIGN KEY (package_id) REFERENCES context_packages(id) ON DELETE CASCADE,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_scope_unique ON consumption_scope(session_id, group_id, agent_type, iteration, package_id);
CREATE TABLE development_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    original_prompt TEXT NOT NULL,
    plan_text TEXT NOT NULL,
    phases TEXT NOT NULL,
    current_phase INTEGER,
    total_phases INTEGER NOT NULL,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    metadata TEXT,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_plans_session ON development_plans(session_id);
CREATE TABLE success_criteria (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL,
    criterion TEXT NOT NULL,
    status TEXT DEFAULT 'pending' CHECK (status IN ('pending', 'met', 'blocked', 'failed')),
    actual TEXT,
    evidence TEXT,
    required_for_completion BOOLEAN DEFAULT 1,
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (session_id) REFERENCES sessions(session_id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX idx_criteria_unique ON success_criteria(session_id, criterion);
CREATE TABLE error_patterns (
    pattern_hash TEXT NOT NULL,
    project_id TEXT NOT NULL,
    signature_json TEXT NOT NULL,
    solution TEXT NOT NULL,
    confidence REAL DEFAULT 0.5,
    occurrences INTEGER DEFAULT 1,
    lang TEXT,
    last_seen TEXT DEFAULT (datetime('now')),
    created_at TEXT DEFAULT (datetime('now')),
    ttl_days INTEGER DEFAULT 90,
    PRIMARY KEY (pattern_hash, project_id)
);
CREATE TABLE agent_markers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agent_type TEXT NOT NULL UNIQUE,
    required_markers TEXT NOT NULL,
    workflow_markers TEXT
);
CREATE TABLE workflow_transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    current_agent TEXT NOT NULL,
    response_status TEXT NOT NULL,
    next_agent TEXT,
    action TEXT NOT NULL,
    include_context TEXT,
    escalation_check INTEGER DEFAULT 0,
    model_override TEXT,
    fallback_agent TEXT,
    bypass_qa INTEGER DEFAULT 0,
    max_parallel INTEGER,
    then_action TEXT
);
CREATE UNIQUE INDEX idx_transitions ON workflow_transitions(current_agent, response_status);
"""

V19_ROWS = """
INSERT INTO schema_version VALUES (19, '2026-01-10 10:00:00', 'reasoning and context packages');
INSERT INTO sessions VALUES
  ('bazinga_20260110_100000', '2026-01-10 10:00:00', NULL, 'parallel', 'Add billing', 'active', 'develop',
   '{"project": "shop"}', '2026-01-10 10:00:00'),
  ('bazinga_20260109_080000', '2026-01-09 08:00:00', '2026-01-09 12:00:00', 'simple', 'Fix typo', 'completed', 'main',
   NULL, '2026-01-09 08:00:00');
INSERT INTO orchestration_logs (session_id, timestamp, iteration, agent_type, agent_id, content, log_type,
                                reasoning_phase, confidence_level, references_json, redacted, group_id,
                                event_subtype, event_payload, idempotency_key) VALUES
  ('bazinga_20260110_100000', '2026-01-10 10:00:05', 1, 'orchestrator', NULL, 'Started', 'interaction',
   NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL),
  ('bazinga_20260110_100000', '2026-01-10 10:01:00', 1, 'requirements_engineer', 're_1', 'Clarified scope',
   'interaction', NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL),
  ('bazinga_20260110_100000', '2026-01-10 10:02:00', 1, 'senior_software_engineer', 'sse_1', 'Approach: webhooks',
   'reasoning', 'approach', 'high', '["docs/billing.md"]', 1, 'group_a', NULL, NULL, NULL),
  ('bazinga_20260110_100000', '2026-01-10 10:03:00', 1, 'developer', 'developer_1', 'merge started', 'event',
   NULL, NULL, NULL, 0, 'group_a', 'merge_start', '{"branch": "feature/a"}', 'evt-1'),
  ('bazinga_20260110_100000', '2026-01-10 10:04:00', 1, 'developer', 'developer_1', 'merge done', 'event',
   NULL, NULL, NULL, 0, 'group_a', 'merge_done', '{"branch": "feature/a"}', 'evt-1'),
  ('bazinga_20260109_080000', '2026-01-09T08:00:01.250431', 1, 'investigator', NULL, 'Root cause found', 'interaction',
   NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL);
INSERT INTO state_snapshots (session_id, group_id, timestamp, state_type, state_data) VALUES
  ('bazinga_20260110_100000', 'global', '2026-01-10 10:05:00', 'pm', '{"iteration": 4}'),
  ('bazinga_20260110_100000', 'global', '2026-01-10 10:00:10', 'orchestrator', '{"phase": "dev"}'),
  ('bazinga_20260110_100000', 'group_a', '2026-01-10 10:03:30', 'pm', '{"group": "a"}'),
  ('bazinga_20260109_080000', 'global', '2026-01-09 09:00:00', 'investigation', '{"hypotheses": 3}');
INSERT INTO task_groups (id, session_id, name, status, assigned_to, revision_count, last_review_status,
                         feature_branch, merge_status, complexity, initial_tier, item_count, qa_attempts,
                         created_at, updated_at) VALUES
  ('group_a', 'bazinga_20260110_100000', 'Billing API', 'merging', 'developer_1', 1, 'APPROVED',
   'feature/a', 'in_progress', 7, 'Senior Software Engineer', 3, 2, '2026-01-10 10:01:00', '2026-01-10 10:03:00'),
  ('group_b', 'bazinga_20260110_100000', 'Invoices UI', 'approved_pending_merge', 'developer_2', 0, 'APPROVED',
   'feature/b', 'pending', 3, 'Developer', 1, 1, '2026-01-10 10:01:00', '2026-01-10 10:02:00'),
  ('group_a', 'bazinga_20260109_080000', 'Typo', 'completed', 'developer_1', 0, 'APPROVED',
   NULL, 'merged', 1, 'Developer', 1, 1, '2026-01-09 08:00:02', '2026-01-09 11:00:00');
INSERT INTO token_usage (session_id, timestamp, agent_type, agent_id, tokens_estimated) VALUES
  ('bazinga_20260110_100000', '2026-01-10T12:01:00+02:00', 'requirements_engineer', 're_1', 3000),
  ('bazinga_20260110_100000', '2026-01-10 10:02:00', 'senior_software_engineer', 'sse_1', 9000);
INSERT INTO skill_outputs (session_id, timestamp, skill_name, output_data, agent_type, group_id, iteration) VALUES
  ('bazinga_20260110_100000', '2026-01-10 10:03:10', 'lint', '{"errors": 1}', 'developer', 'group_a', 1),
  ('bazinga_20260110_100000', '2026-01-10 10:03:20', 'lint', '{"errors": 0}', 'developer', 'group_a', 2);
INSERT INTO context_packages (session_id, group_id, package_type, file_path, producer_agent, priority, summary,
                              size_bytes, version, supersedes_id, scope, created_at) VALUES
  ('bazinga_20260110_100000', 'group_a', 'research', 'ctx/research.md', 'investigator', 'high', 'API notes',
   1200, 1, NULL, 'group', '2026-01-10 10:01:30'),
  ('bazinga_20260110_100000', 'group_a', 'research', 'ctx/research2.md', 'investigator', 'high', 'API notes v2',
   1500, 2, 1, 'group', '2026-01-10 10:02:30');
INSERT INTO context_package_consumers (package_id, agent_type, consumed_at, iteration) VALUES
  (2, 'developer', '2026-01-10 10:02:40', 1);
INSERT INTO consumption_scope VALUES
  ('scope-1', 'bazinga_20260110_100000', 'group_a', 'developer', 1, 2, '2026-01-10 10:02:40');
INSERT INTO development_plans (session_id, original_prompt, plan_text, phases, current_phase, total_phases,
                               created_at, updated_at, metadata) VALUES
  ('bazinga_20260110_100000', 'Add billing', 'Phase 1: API. Phase 2: UI.', '["api", "ui"]', 1, 2,
   '2026-01-10 10:00:30', '2026-01-10 10:00:30', NULL);
INSERT INTO success_criteria (session_id, criterion, status) VALUES
  ('bazinga_20260110_100000', 'Invoices render', 'pending'),
  ('bazinga_20260110_100000', 'Webhooks verified', 'met');
INSERT INTO error_patterns (pattern_hash, project_id, signature_json, solution, lang) VALUES
  ('abc123', 'shop', '{"error": "KeyError"}', 'check the key first', 'python');
INSERT INTO agent_markers (agent_type, required_markers, workflow_markers) VALUES
  ('developer', '["READY_FOR_QA"]', NULL), ('qa_expert', '["PASS", "FAIL"]', NULL);
INSERT INTO workflow_transitions (current_agent, response_status, next_agent, action) VALUES
  ('developer', 'READY_FOR_QA', 'qa_expert', 'spawn'), ('qa_expert', 'PASS', 'tech_lead', 'spawn');
"""

V19_EXTRA_TABLES = [
    "schema_version", "context_packages", "context_package_consumers", "consumption_scope", "development_plans",
    "success_criteria", "error_patterns", "agent_markers", "workflow_transitions",
]


def build(path: Path, schema_sql: str, rows_sql: str) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA synchronous=OFF")  # a test fixture: no need to wait for the disk
    connection.executescript(f"BEGIN;\n{schema_sql}\n{rows_sql}\nCOMMIT;")
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
    connection.close()
    return path


@pytest.fixture
def seed_era_file(tmp_path: Path) -> Path:
    return build(tmp_path / "seed.db", SEED_ERA_SCHEMA, SEED_ERA_ROWS)


@pytest.fixture
def v19_file(tmp_path: Path) -> Path:
    path = build(tmp_path / "v19.db", V19_SCHEMA, V19_ROWS)
    with sqlite3.connect(path) as connection:  # their scripts ran in WAL mode too
        connection.execute("PRAGMA journal_mode=WAL")
    return path


# -- inspection helpers -------------------------------------------------------------------


def connect(path: Path | str) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    connection.row_factory = sqlite3.Row
    return connection


def tables(path: Path | str) -> list[str]:
    with connect(path) as connection:
        return [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )]


def counts(path: Path | str) -> dict[str, int]:
    with connect(path) as connection:
        return {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in tables(path)}


def rows(path: Path | str, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with connect(path) as connection:
        return [dict(row) for row in connection.execute(sql, params)]


def shape(path: Path | str, table: str) -> dict[str, Any]:
    """What PRAGMAs say about a table: columns, indexes (with their columns), foreign keys."""
    with connect(path) as connection:
        columns = [tuple(row) for row in connection.execute(f"PRAGMA table_info({table})")]
        indexes = []
        for index in connection.execute(f"PRAGMA index_list({table})"):
            info = [tuple(row) for row in connection.execute(f"PRAGMA index_info({index['name']})")]
            indexes.append((index["name"], index["unique"], index["origin"], index["partial"], info))
        foreign = [tuple(row)[2:] for row in connection.execute(f"PRAGMA foreign_key_list({table})")]
    return {"columns": columns, "indexes": sorted(indexes), "foreign_keys": foreign}


def fresh_file(tmp_path: Path) -> Path:
    path = tmp_path / "fresh.db"
    with BazingaDB(path) as db:
        db.migrate()
    return path


def cli(path: Path | str, *args: str, cwd: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bazinga_db", "--db", str(path), *args],
        check=False, capture_output=True, text=True, timeout=120, cwd=cwd,
    )


def assert_our_schema(path: Path, reference: Path) -> None:
    """Our tables in ``path`` have exactly the columns (kept extras after ours), indexes and keys of a fresh file."""
    for table in OUR_TABLES:
        got, want = shape(path, table), shape(reference, table)
        ours = len(want["columns"])
        assert got["columns"][:ours] == want["columns"], table
        assert got["indexes"] == want["indexes"], table
        assert got["foreign_keys"] == want["foreign_keys"], table


def assert_timestamps_normalised(path: Path) -> None:
    for table in OUR_TABLES:
        names = [c for c in schema.TABLES_BY_NAME[table].column_names if c in migrations.TIMESTAMP_COLUMNS]
        for name in names:
            for row in rows(path, f"SELECT {name} AS t FROM {table} WHERE {name} IS NOT NULL"):
                assert ISO_MS.match(row["t"]), (table, name, row["t"])


# -- new and empty files ------------------------------------------------------------------


def test_fresh_file(tmp_path: Path) -> None:
    path = fresh_file(tmp_path)
    assert set(OUR_TABLES) | {"_migrations"} <= set(tables(path))
    recorded = rows(path, "SELECT id, name FROM _migrations ORDER BY id")
    assert recorded == [{"id": n, "name": name} for n, (name, _f) in enumerate(migrations.MIGRATIONS, start=1)]
    pragmas = rows(path, "SELECT * FROM pragma_user_version, pragma_application_id, pragma_journal_mode")[0]
    assert pragmas == {
        "user_version": migrations.LATEST_VERSION, "application_id": APPLICATION_ID, "journal_mode": "wal"
    }
    with BazingaDB(path) as db:
        assert db.migrate()["applied"] == []


def test_empty_existing_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    assert path.stat().st_size == 0
    result = cli(path, "create-session", "s1", "simple", "from an empty file")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"✓ Database auto-initialized at {path}\n✓ Session created: s1\n"
    assert_our_schema(path, fresh_file(tmp_path))


def test_missing_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "bazinga.db"
    result = cli(path, "log-interaction", "s1", "pm", "hello")
    assert result.returncode == 0, result.stderr
    assert path.is_file()


# -- the seed-era file --------------------------------------------------------------------


def test_seed_era_file_is_adopted_with_every_row(seed_era_file: Path, tmp_path: Path) -> None:
    before = counts(seed_era_file)
    with BazingaDB(seed_era_file) as db:
        applied = db.migrate()["applied"]
    assert applied == [name for name, _f in migrations.MIGRATIONS]
    after = counts(seed_era_file)
    for table, count in before.items():
        assert after[table] == count, table
    assert after["task_group_events"] == 0
    assert_our_schema(seed_era_file, fresh_file(tmp_path))
    assert_timestamps_normalised(seed_era_file)
    session = rows(seed_era_file, "SELECT * FROM sessions WHERE session_id = 'old_1'")[0]
    assert (session["start_time"], session["end_time"], session["mode"], session["status"]) == (
        "2025-11-12T14:30:00.000Z", "2025-11-12T16:00:00.000Z", "parallel", "completed"
    )
    untyped = rows(seed_era_file, "SELECT agent_type FROM orchestration_logs WHERE session_id = 'old_2'")
    assert untyped == [{"agent_type": "unknown"}]
    assert rows(seed_era_file, "PRAGMA foreign_key_check") == []
    assert rows(seed_era_file, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]


def test_seed_era_file_through_the_cli(seed_era_file: Path) -> None:
    first = cli(seed_era_file, "get-state", "old_1", "pm")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout) == {"iteration": 3, "done": True}
    assert "Database migrated" in first.stderr
    assert json.loads(cli(seed_era_file, "get-state", "old_1", "orchestrator").stdout) == {"phase": "planning"}
    logs = json.loads(cli(seed_era_file, "get-logs", "old_1").stdout)
    assert [entry["content"] for entry in logs] == [
        "Session started", "Task breakdown: 2 groups", "Implemented OAuth2 callback", "Tests pass"
    ]
    assert logs[0]["timestamp"] == "2025-11-12T14:30:05.000Z"
    # roles the seed's CHECK constraint refused are stored now
    for role in ("investigator", "senior_software_engineer", "requirements_engineer"):
        result = cli(seed_era_file, "log-interaction", "old_1", role, f"{role} joined", "4")
        assert result.returncode == 0, result.stderr
    new_log = json.loads(cli(seed_era_file, "--json", "log-interaction", "old_1", "pm", "after").stdout)
    assert new_log["id"] > max(entry["id"] for entry in logs)
    # state history: a new state is added beside the old ones, get-state returns it
    assert cli(seed_era_file, "save-state", "old_1", "pm", '{"iteration": 4}').returncode == 0
    assert json.loads(cli(seed_era_file, "get-state", "old_1", "pm").stdout) == {"iteration": 4}
    assert len(rows(seed_era_file, "SELECT id FROM state_snapshots WHERE session_id='old_1' AND state_type='pm'")) == 4
    # the seed's global task-group key is now per session
    assert cli(seed_era_file, "create-task-group", "group_a", "old_2", "Same id, other session").returncode == 0
    ambiguous = cli(seed_era_file, "update-task-group", "group_a", "--status", "in_progress")
    assert ambiguous.returncode == 2 and "old_1, old_2" in ambiguous.stderr
    assert cli(seed_era_file, "update-task-group", "group_b", "--increment-revision").returncode == 0
    groups = {g["id"]: g for g in json.loads(cli(seed_era_file, "get-task-groups", "old_1").stdout)}
    assert groups["group_b"]["revision_count"] == 3
    snapshot = json.loads(cli(seed_era_file, "dashboard-snapshot", "old_1").stdout)
    assert snapshot["token_usage"]["total_tokens"] == 12450 + 28340
    assert snapshot["skill_outputs"] == {"lint": {"errors": 0}}
    assert json.loads(cli(seed_era_file, "get-config", "max_parallel").stdout) == 4
    assert [s["session_id"] for s in json.loads(cli(seed_era_file, "list-sessions").stdout)] == ["old_2", "old_1"]


# -- the later (schema_version 19) file ---------------------------------------------------


def test_v19_file_is_adopted_with_every_row(v19_file: Path, tmp_path: Path) -> None:
    before = counts(v19_file)
    assert set(V19_EXTRA_TABLES) <= set(before)
    with BazingaDB(v19_file) as db:
        db.migrate()
    after = counts(v19_file)
    for table, count in before.items():
        assert after[table] == count, table
    assert after["configuration"] == after["decisions"] == 0  # tables v19 did not have
    assert_our_schema(v19_file, fresh_file(tmp_path))
    assert_timestamps_normalised(v19_file)
    assert rows(v19_file, "PRAGMA foreign_key_check") == []
    assert rows(v19_file, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    # their extra tables keep referencing sessions
    references = {row["table"] for row in rows(v19_file, "SELECT * FROM pragma_foreign_key_list('context_packages')")}
    assert references == {"sessions", "context_packages"}
    assert rows(v19_file, "SELECT version FROM schema_version") == [{"version": 19}]
    # extra columns are kept with their values
    group = rows(v19_file, "SELECT * FROM task_groups WHERE id = 'group_a' AND session_id = 'bazinga_20260110_100000'")[0]
    assert (group["status"], group["feature_branch"], group["merge_status"], group["initial_tier"], group["qa_attempts"]) == (
        "merging", "feature/a", "in_progress", "Senior Software Engineer", 2
    )
    session = rows(v19_file, "SELECT * FROM sessions WHERE session_id = 'bazinga_20260110_100000'")[0]
    assert (session["initial_branch"], session["metadata"]) == ("develop", '{"project": "shop"}')
    reasoning = rows(v19_file, "SELECT * FROM orchestration_logs WHERE log_type = 'reasoning'")[0]
    assert (reasoning["reasoning_phase"], reasoning["confidence_level"], reasoning["redacted"]) == ("approach", "high", 1)
    # timestamps another tool wrote in other ISO forms are brought to ours, in UTC
    assert rows(v19_file, "SELECT timestamp FROM orchestration_logs WHERE content = 'Root cause found'") == [
        {"timestamp": "2026-01-09T08:00:01.250Z"}
    ]
    assert rows(v19_file, "SELECT timestamp FROM token_usage WHERE agent_id = 're_1'") == [
        {"timestamp": "2026-01-10T10:01:00.000Z"}
    ]
    # session-wide state was stored under group 'global'; ours is group_id NULL
    assert rows(v19_file, "SELECT COUNT(*) AS n FROM state_snapshots WHERE group_id = 'global'") == [{"n": 0}]
    # idempotency keys were unique per (session, subtype, group); ours per session: both rows kept
    keys = [row["idempotency_key"] for row in rows(
        v19_file, "SELECT idempotency_key FROM orchestration_logs WHERE idempotency_key IS NOT NULL ORDER BY id")]
    assert keys[0] == "evt-1" and keys[1].startswith("evt-1:") and len(keys) == 2


def test_v19_file_through_the_cli(v19_file: Path) -> None:
    sid = "bazinga_20260110_100000"
    state = cli(v19_file, "get-state", sid, "pm")
    assert state.returncode == 0, state.stderr
    assert json.loads(state.stdout) == {"iteration": 4}
    assert json.loads(cli(v19_file, "get-state", sid, "pm", "--group-id", "group_a").stdout) == {"group": "a"}
    assert json.loads(cli(v19_file, "get-state", "bazinga_20260109_080000", "investigation").stdout) == {
        "hypotheses": 3
    }
    # one state row per (session, type) was their rule; ours keeps every version
    for iteration in (5, 6):
        assert cli(v19_file, "save-state", sid, "pm", json.dumps({"iteration": iteration})).returncode == 0
    assert json.loads(cli(v19_file, "get-state", sid, "pm").stdout) == {"iteration": 6}
    history = rows(v19_file, "SELECT state_data FROM state_snapshots WHERE session_id = ? AND state_type = 'pm' "
                             "AND group_id IS NULL ORDER BY id", (sid,))
    assert [json.loads(row["state_data"])["iteration"] for row in history] == [4, 5, 6]
    groups = json.loads(cli(v19_file, "get-task-groups", sid).stdout)
    assert {g["id"]: g["status"] for g in groups} == {"group_a": "merging", "group_b": "approved_pending_merge"}
    update = cli(v19_file, "update-task-group", "group_b", "--session", sid, "--status", "completed")
    assert update.returncode == 0, update.stderr
    assert cli(v19_file, "log-interaction", sid, "qa_expert", "verified invoices", "2").returncode == 0
    summary = json.loads(cli(v19_file, "token-summary", sid).stdout)
    assert summary["breakdown"] == {"senior_software_engineer": 9000, "requirements_engineer": 3000}
    snapshot = json.loads(cli(v19_file, "dashboard-snapshot", sid).stdout)
    assert snapshot["task_group_counts"]["total"] == 2
    assert snapshot["log_count"] == 6
    assert snapshot["states"]["pm"] == {"iteration": 6}
    assert snapshot["session"]["metadata"] == {"project": "shop"}
    # the extra tables are readable through query, unchanged
    criteria = json.loads(cli(v19_file, "query", "SELECT criterion, status FROM success_criteria ORDER BY id").stdout)
    assert criteria == [{"criterion": "Invoices render", "status": "pending"},
                        {"criterion": "Webhooks verified", "status": "met"}]
    assert rows(v19_file, "PRAGMA foreign_key_check") == []


def test_concurrent_first_start_on_an_upstream_file(v19_file: Path) -> None:
    before = counts(v19_file)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "bazinga_db", "--db", str(v19_file), "--quiet", "log-interaction",
             "bazinga_20260110_100000", "developer", f"worker {n}"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for n in range(8)
    ]
    results = [(process.wait(timeout=120), process.stderr.read()) for process in processes]  # type: ignore[union-attr]
    assert [code for code, _err in results] == [0] * 8, results
    after = counts(v19_file)
    assert after["orchestration_logs"] == before["orchestration_logs"] + 8
    assert after["state_snapshots"] == before["state_snapshots"]
    assert rows(v19_file, "SELECT COUNT(*) AS n FROM _migrations") == [{"n": migrations.LATEST_VERSION}]
    assert sum("Database migrated" in err for _code, err in results) == 1


# -- files we must not write --------------------------------------------------------------


def test_newer_schema_is_refused_for_writes_but_readable(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    with BazingaDB(path) as db:
        db.create_session("s1", "simple", "written by the future")
        db.log_interaction("s1", "pm", "hello")
    future = migrations.LATEST_VERSION + 1
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO _migrations (id, name, applied_at) VALUES (?, ?, ?)",
                           (future, f"m{future:03d}_from_the_future", "2030-01-01T00:00:00.000Z"))
        connection.execute(f"PRAGMA user_version = {future}")
    before = counts(path)
    for argv in (["log-interaction", "s1", "pm", "x"], ["create-session", "s2"], ["migrate"],
                 ["update-session-status", "s1", "failed"]):
        result = cli(path, "--json", *argv)
        assert result.returncode == 1, (argv, result)
        error = json.loads(result.stdout)["error"]
        assert error["code"] == "schema_too_new"
        assert f"schema version {future}" in error["message"]
        assert "Traceback" not in result.stderr
    assert counts(path) == before
    read = cli(path, "get-session", "s1")
    assert read.returncode == 0, read.stderr
    assert json.loads(read.stdout)["original_requirements"] == "written by the future"
    assert len(json.loads(cli(path, "get-logs", "s1").stdout)) == 1
    with pytest.raises(SchemaTooNew), BazingaDB(path) as db:
        db.save_state("s1", "pm", {})
    assert rows(path, "PRAGMA user_version") == [{"user_version": future}]


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    result = cli(path, "--json", "list-sessions")
    assert result.returncode == 1
    assert json.loads(result.stdout)["error"]["code"] == "database_error"
    assert "not an SQLite database" in result.stderr
    assert path.read_text().startswith("these are my notes")


# -- concurrent first start ---------------------------------------------------------------


def test_eight_processes_start_on_a_missing_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "new" / "bazinga.db"
    commands = [
        ["log-interaction", "s1", "developer", f"developer {n} started", "1", f"developer_{n}"] if n % 2 else
        ["save-state", f"s{n}", "pm", json.dumps({"worker": n})]
        for n in range(8)
    ]
    processes = [
        subprocess.Popen([sys.executable, "-m", "bazinga_db", "--db", str(path), *command],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ})
        for command in commands
    ]
    outputs = [(process.wait(timeout=120), process.stdout.read(), process.stderr.read())  # type: ignore[union-attr]
               for process in processes]
    assert [code for code, _out, _err in outputs] == [0] * 8, outputs
    assert all("Traceback" not in err for _code, _out, err in outputs)
    recorded = rows(path, "SELECT id, name FROM _migrations ORDER BY id")
    assert recorded == [{"id": n, "name": name} for n, (name, _f) in enumerate(migrations.MIGRATIONS, start=1)]
    assert sum("Database auto-initialized" in out for _code, out, _err in outputs) == 1
    assert rows(path, "SELECT COUNT(*) AS n FROM orchestration_logs") == [{"n": 4}]
    assert rows(path, "SELECT COUNT(*) AS n FROM state_snapshots") == [{"n": 4}]
    assert rows(path, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert_our_schema(path, fresh_file(tmp_path))
