"""SQL that builds SQLite files shaped like the public bazinga project's databases.

Written from the column facts of its two schemas (names, types, defaults, CHECK
constraints, keys, unique indexes): the seed era, and the later schema with
``schema_version`` 19. Every table gets rows, including old "YYYY-MM-DD HH:MM:SS"
timestamps, state rows under group 'global', task statuses such as 'merging' and agent
types outside the seed's list.
"""

from __future__ import annotations

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
CREATE TABLE strategies (
    strategy_id TEXT PRIMARY KEY,
    project_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    insight TEXT NOT NULL,
    helpfulness INTEGER DEFAULT 0 CHECK (helpfulness >= 0),
    lang TEXT,
    framework TEXT,
    last_seen TEXT DEFAULT (datetime('now')),
    created_at TEXT DEFAULT (datetime('now'))
);
CREATE INDEX idx_strategies_project ON strategies(project_id, framework);
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
  (2, 'developer', '2026-01-10 10:02:40', 1), (2, 'qa_expert', NULL, 1);
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
INSERT INTO error_patterns (pattern_hash, project_id, signature_json, solution, confidence, occurrences, lang,
                            last_seen, created_at, ttl_days) VALUES
  ('def456', 'shop', '{"error_type": "ImportError", "message_pattern": "No module named ''...''"}',
   'pip install it', 0.8, 3, 'python', '2026-01-10 10:00:00', '2026-01-02 09:00:00', 30);
INSERT INTO strategies (strategy_id, project_id, topic, insight, helpfulness, lang, framework, last_seen,
                        created_at) VALUES
  ('shop_architecture_1', 'shop', 'architecture', 'One adapter per payment provider', 2, 'python', NULL,
   '2026-01-10 10:05:00', '2026-01-09 08:00:00');
INSERT INTO agent_markers (agent_type, required_markers, workflow_markers) VALUES
  ('developer', '["READY_FOR_QA"]', NULL), ('qa_expert', '["PASS", "FAIL"]', NULL);
INSERT INTO workflow_transitions (current_agent, response_status, next_agent, action) VALUES
  ('developer', 'READY_FOR_QA', 'qa_expert', 'spawn'), ('qa_expert', 'PASS', 'tech_lead', 'spawn');
"""

V19_EXTRA_TABLES = [
    "schema_version", "context_packages", "context_package_consumers", "consumption_scope", "development_plans",
    "success_criteria", "error_patterns", "strategies", "agent_markers", "workflow_transitions",
]
