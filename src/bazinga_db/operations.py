"""The one table of operations that the CLI, batch mode, the MCP server and the Python API
share, and the one binder that turns what a caller gave into a method's keyword arguments.

Each operation names its BazingaDB method (the operation name with ``_`` for ``-``), its
arguments in order, its help and the ✓ line a write prints (a template filled by
``frontends/render.py``). An argument marked ``positional`` may be given in the seed's
positional form or as ``--flag``; the others only as flags. Argument names are the
method's keyword names and the JSON field names; the CLI spells them with ``-``.
A ``tool`` operation is not a store method: ``frontends/commands.py`` runs it.
"""

from __future__ import annotations

from .errors import InvalidInput, UsageError

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from typing import Any

PROGRAM = "bazinga-db"

# kinds: "str" (text), "int", "json" (parsed JSON), "flag" (boolean switch)


class Param:
    __slots__ = ("aliases", "help", "kind", "metavar", "name", "positional", "required", "shared")

    def __init__(
        self,
        name: str,
        help: str,
        *,
        kind: str = "str",
        positional: bool = False,
        required: bool = False,
        aliases: tuple[str, ...] = (),
        metavar: str | None = None,
        shared: bool = False,
    ) -> None:
        self.name = name
        self.kind = kind
        self.positional = positional
        self.required = required
        self.help = help
        self.aliases = aliases
        self.metavar = metavar or name.upper()
        # One meaning in every operation (session_id, group_id, idempotency_key): the MCP
        # server explains it once instead of in every tool's schema.
        self.shared = shared

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


class Operation:
    """One command. ``tool`` marks a command such as ``dashboard`` that is not a store
    method: ``frontends.commands.<method>_command(arguments, invocation, stdout, stderr)``
    runs it and returns the exit code. ``confirm`` is the ✓ line of a write, a template
    over the result's fields, the arguments and the fields ``frontends/render.py`` derives;
    ``unchanged`` is the line when the write found everything already as asked.
    """

    __slots__ = ("audience", "confirm", "example", "exit_1_unless", "family", "mcp", "name", "params", "summary",
                 "tool", "unchanged", "write")

    def __init__(
        self,
        name: str,
        summary: str,
        params: list[Param],
        *,
        write: bool,
        example: str,
        tool: bool = False,
        audience: str = "agent",
        confirm: str | None = None,
        unchanged: str | None = None,
        family: str = "core",
        mcp: bool = True,
        exit_1_unless: str | None = None,
    ) -> None:
        self.name = name
        self.summary = summary
        self.params = params
        self.write = write
        self.example = example
        self.tool = tool
        self.confirm = confirm or f"✓ {name} done"
        self.unchanged = unchanged
        # "core": listed in full in SKILL.md; any other family is one line there and a
        # references/<family>.md file beside it, read by an agent only when it needs it.
        self.family = family
        # False for another spelling of an operation that MCP already serves (its clients
        # read every tool's schema on every turn: no tool twice).
        self.mcp = mcp
        # "agent": used during a run, documented in full in SKILL.md; "operator": for
        # people and scripts around a run (export, prune, dashboard …), listed briefly.
        self.audience = audience
        # A check's verdict: the result's boolean field that is false when the check found
        # a problem; the CLI then prints the result as usual and exits 1 (doctor's rule).
        self.exit_1_unless = exit_1_unless

    @property
    def method(self) -> str:
        return self.name.replace("-", "_")

    def param(self, name: str) -> Param | None:
        for param in self.params:
            if param.name == name or name in param.aliases:
                return param
        return None


def _p(name: str, help: str, **options: Any) -> Param:
    return Param(name, help, positional=True, **options)


SESSION = _p("session_id", "the orchestration session id", required=True, aliases=("session",), shared=True)
GATE = [
    Param("force", "complete it although required success criteria are unmet (needs --reason)", kind="flag"),
    Param("reason", "why (recorded as a decision)"),
]
GROUP_FLAG = Param("group_id", "task group the record belongs to", aliases=("group",), shared=True)
IDEMPOTENCY = Param(
    "idempotency_key",
    "a key unique per session: a retried call with the same key stores nothing new",
    aliases=("key",),
    shared=True,
)
SHARED_PARAMS = (SESSION, GROUP_FLAG, IDEMPOTENCY,
                 Param("agent_id", "which agent of that role, e.g. developer_1", shared=True))

OPERATIONS: list[Operation] = [
    Operation(
        "list-sessions", "Recent sessions, newest first.",
        [_p("limit", "how many (default 10)", kind="int"),
         Param("status", "only this status: active, completed or failed")],
        write=False, example="list-sessions 5",
    ),
    Operation(
        "create-session", "Create an orchestration session.",
        [SESSION,
         _p("mode", "simple or parallel (default simple)"),
         _p("requirements", "the original requirements text", aliases=("original_requirements",)),
         Param("metadata", "extra facts about the session (a JSON object)", kind="json")],
        confirm="✓ Session created: {session}",
        unchanged="✓ Session already exists: {session} (unchanged)",
        write=True,
        example='create-session bazinga_20250113_143530 simple "Add user authentication with OAuth2 support"',
    ),
    Operation(
        "get-session", "One session.", [SESSION],
        write=False, example="get-session bazinga_20250113_143530",
    ),
    Operation(
        "update-session-status",
        "Set a session's status: active, completed (its criteria met) or failed.",
        [SESSION, _p("status", "active, completed or failed", required=True), *GATE],
        confirm="✓ Session {session} → {status}{forced_note}",
        write=True, example="update-session-status bazinga_20250113_143530 completed",
    ),
    Operation(
        "log-interaction", "Log what an agent said or did.",
        [SESSION,
         _p("agent_type", "the agent's role: orchestrator, pm, developer, qa, tech_lead, …",
            required=True, aliases=("agent",)),
         _p("content", "the text to log", required=True, aliases=("message",)),
         _p("iteration", "the orchestration iteration number", kind="int"),
         _p("agent_id", "which agent of that role, e.g. developer_1", shared=True),
         GROUP_FLAG,
         Param("log_type", "interaction (default) or another kind of entry"),
         IDEMPOTENCY],
        confirm="✓ Logged {agent} interaction for session {session}{iteration_note}",
        write=True, example='log-interaction sess_abc123 pm "Task breakdown created: 3 groups" 1 pm_main',
    ),
    Operation(
        "stream-logs", "The latest logs as Markdown, oldest first.",
        [SESSION, _p("limit", "how many entries (default 50)", kind="int"),
         _p("offset", "skip the newest N entries (default 0)", kind="int")],
        write=False, example="stream-logs sess_abc123 20",
    ),
    Operation(
        "get-logs", "Logs as JSON, oldest first; --limit keeps the newest N.",
        [SESSION,
         _p("limit", "keep only the newest N entries", kind="int"),
         Param("agent_type", "only this role", aliases=("agent",)),
         Param("since", "only entries after this UTC time (ISO-8601)"),
         GROUP_FLAG,
         Param("after_id", "only entries with a larger id (for polling)", kind="int"),
         Param("log_type", "only entries of this kind")],
        write=False, example="get-logs sess_abc123 --limit 20 --agent-type developer",
    ),
    Operation(
        "save-state", "Save a state snapshot (every version is kept).",
        [SESSION,
         _p("state_type", "pm, orchestrator, group_status, …", required=True, aliases=("type",)),
         _p("state_data", "the state, a JSON document", kind="json", required=True, aliases=("data", "json")),
         GROUP_FLAG, IDEMPOTENCY],
        confirm="✓ Saved {state} state for session {session}{group_note}",
        write=True, example="""save-state sess_abc123 pm '{"iteration": 1, "mode": "parallel"}'""",
    ),
    Operation(
        "get-state", "The newest state of a type (null if none).",
        [SESSION, _p("state_type", "pm, orchestrator, group_status, …", required=True, aliases=("type",)),
         GROUP_FLAG],
        write=False, example="get-state sess_abc123 pm",
    ),
    Operation(
        "create-task-group", "Create a task group in a session.",
        [_p("group_id", "the group id, unique within its session", required=True, aliases=("group", "id")),
         SESSION,
         _p("name", "what the group is about", required=True),
         _p("status", "pending (default), in_progress, completed or failed"),
         _p("assigned_to", "the agent working on it")],
        confirm="✓ Task group created: {id} ({name}) in session {session} → {status}",
        unchanged="✓ Task group already exists: {id} in session {session} (unchanged)",
        write=True, example='create-task-group group_a sess_abc123 "Authentication" pending developer_1',
    ),
    Operation(
        "update-task-group", "Change a task group (its timeline keeps each change).",
        [_p("group_id", "the group id", required=True, aliases=("group", "id")),
         Param("session_id", "its session (if several have that group id)",
               aliases=("session",)),
         Param("status", "pending, in_progress, completed or failed"),
         Param("assigned_to", "the agent working on it"),
         Param("revision_count", "set the revision count", kind="int", aliases=("revisions",)),
         Param("last_review_status", "APPROVED or CHANGES_REQUESTED", aliases=("review_status",)),
         Param("increment_revision", "add one to the revision count, atomically", kind="flag"),
         Param("name", "rename the group")],
        confirm="✓ Updated task group: {id} → {status}{changes_note}",
        write=True, example="update-task-group group_a --session sess_abc123 --status completed",
    ),
    Operation(
        "get-task-groups", "Task groups of a session (JSON).",
        [SESSION, _p("status", "only groups with this status")],
        write=False, example="get-task-groups sess_abc123",
    ),
    Operation(
        "get-task-group-events", "The timeline of task-group changes.",
        [SESSION, _p("group_id", "only this group", aliases=("group",))],
        write=False, example="get-task-group-events sess_abc123 group_a",
    ),
    Operation(
        "log-tokens", "Record token usage.",
        [SESSION,
         _p("agent_type", "the agent's role", required=True, aliases=("agent",)),
         _p("tokens", "tokens used (an estimate is fine)", kind="int"),
         _p("agent_id", "which agent of that role, e.g. developer_1", shared=True),
         GROUP_FLAG,
         Param("model", "the model that was called"),
         Param("input_tokens", "input tokens", kind="int", aliases=("input",)),
         Param("output_tokens", "output tokens", kind="int", aliases=("output",)),
         Param("cache_read_tokens", "read from the prompt cache", kind="int", aliases=("cache_read",)),
         Param("cache_write_tokens", "written to the prompt cache", kind="int", aliases=("cache_write",)),
         IDEMPOTENCY],
        confirm="✓ Logged {tokens_text} tokens for {agent} in session {session}{cost_note}",
        write=True, example="log-tokens sess_abc123 developer 12450 developer_1",
    ),
    Operation(
        "token-summary", "Tokens and cost of a session by agent_type (default), agent_id, model or group_id.",
        [SESSION, _p("by", "agent_type, agent_id, model or group_id")],
        write=False, example="token-summary sess_abc123 agent_id",
    ),
    Operation(
        "save-skill-output", "Save a skill's result (lint, coverage, …).",
        [SESSION,
         _p("skill_name", "the skill, e.g. lint, security_scan, coverage", required=True, aliases=("skill",)),
         _p("output_data", "its output, a JSON document", kind="json", required=True, aliases=("data", "json")),
         Param("agent_type", "the role that ran it", aliases=("agent",)),
         GROUP_FLAG,
         Param("iteration", "the iteration it ran in", kind="int"),
         IDEMPOTENCY],
        confirm="✓ Saved {skill_name} output for session {session}",
        write=True, example="""save-skill-output sess_abc123 lint '{"errors": 0, "warnings": 3}'""",
    ),
    Operation(
        "get-skill-output", "The newest output of a skill (null if none).",
        [SESSION, _p("skill_name", "the skill", required=True, aliases=("skill",)), GROUP_FLAG],
        write=False, example="get-skill-output sess_abc123 lint",
    ),
    Operation(
        "get-skill-output-all", "Every output of a session's skills (one skill, one role), newest first.",
        [SESSION, _p("skill_name", "only this skill", aliases=("skill",)),
         Param("agent_type", "only outputs of this role", aliases=("agent",))],
        write=False, example="get-skill-output-all sess_abc123 lint", audience="operator",
    ),
    Operation(
        "check-skill-evidence", "Did each mandatory skill report recently? (complete, missing, found)",
        [SESSION, _p("mandatory_skills", "skill names, comma-separated", required=True, aliases=("skills",)),
         Param("agent_type", "only outputs of this role", aliases=("agent",)),
         Param("since_minutes", "how recent, in minutes (default 30)", kind="int",
               aliases=("since", "within_minutes"))],
        write=False, example="check-skill-evidence sess_abc123 lint,coverage --since 60", audience="operator",
    ),
    Operation(
        "set-config", "Store a JSON value under a key.",
        [_p("key", "the configuration key", required=True),
         _p("value", "a JSON value", kind="json", required=True)],
        confirm="✓ Config saved: {key}",
        write=True, example="""set-config max_parallel_developers 4""",
    ),
    Operation(
        "get-config", "A configuration value (null if unset).",
        [_p("key", "the configuration key", required=True)],
        write=False, example="get-config max_parallel_developers",
    ),
    Operation(
        "log-decision", "Record an orchestration decision.",
        [SESSION,
         _p("decision_type", "e.g. spawn_developers, escalate, approve", required=True, aliases=("type",)),
         _p("decision_data", "the decision, a JSON document", kind="json", required=True, aliases=("data", "json")),
         _p("iteration", "the iteration number", kind="int"),
         IDEMPOTENCY],
        confirm="✓ Logged {decision_type} decision for session {session}",
        write=True, example="""log-decision sess_abc123 spawn_developers '{"count": 3}' 1""",
    ),
    Operation(
        "get-decisions", "Decisions of a session, oldest first.",
        [SESSION, _p("decision_type", "only this type", aliases=("type",)),
         Param("limit", "keep only the newest N", kind="int")],
        write=False, example="get-decisions sess_abc123",
    ),
    Operation(
        "dashboard-snapshot", "Everything about a session in one consistent read.",
        [SESSION], write=False, example="dashboard-snapshot sess_abc123",
    ),
    Operation(
        "query", "One read-only SQL query; rows as JSON.",
        [_p("sql", "a SELECT statement", required=True)],
        write=False, example='query "SELECT COUNT(*) AS n FROM orchestration_logs"',
    ),
    Operation(
        "dashboard", "Serve a live, read-only web dashboard of the database (Ctrl-C stops it).",
        [Param("host", "address to listen on (default 127.0.0.1; any other needs --token)"),
         Param("port", "port to listen on (default 8765; 0 picks a free one)", kind="int"),
         Param("token", "secret every request must carry (?token=, a Bearer header or the cookie it sets); "
               "also read from BAZINGA_DASHBOARD_TOKEN")],
        write=False, example="dashboard --port 8765", tool=True, audience="operator",
    ),
    Operation(
        "migrate", "Bring the database to the current schema now (it also happens on first use).",
        [], confirm="✓ Database schema at version {schema_version} (applied {applied_list})",
        unchanged="✓ Database schema up to date (version {schema_version})",
        write=True, example="migrate", audience="operator",
    ),
    Operation(
        "install-skill", "Install the agent skill into a project's .claude/skills/bazinga-db/.",
        [_p("dir", "the project folder (default: the project root, else the current folder)"),
         Param("force", "replace a copy that was modified by hand", kind="flag")],
        write=True, example="install-skill", tool=True, audience="operator",
    ),
    Operation(
        "mcp", "The MCP server on stdio, for an MCP client to start: one tool per operation (needs bazinga-db[mcp]).",
        [Param("tools", "which tools to list: agent (default), core, workflow, operator, all, or tool names; "
               "comma-separated")],
        write=False, example="mcp --tools agent", tool=True, audience="operator",
    ),
]

# -- workflow records: success criteria, plans, events, reasoning --------------------------
GROUP_SCOPE = _p("group_id", "the task group, or global for the whole session", required=True, aliases=("group",))
OPERATIONS += [
    Operation(
        "save-success-criteria", "Replace a session's success criteria (its definition of done).",
        [SESSION,
         _p("criteria", 'a JSON list: text, or {"criterion", "status", "actual", "evidence", '
            '"required_for_completion"}', kind="json", required=True)],
        confirm="✓ Saved {count} success criteria for session {session}",
        family="criteria", write=True, example="""save-success-criteria sess_abc123 '["All tests pass", {"criterion": "Docs updated", "required_for_completion": false}]'""",
    ),
    Operation(
        "get-success-criteria", "A session's success criteria, in order.",
        [SESSION], family="criteria", write=False, example="get-success-criteria sess_abc123",
    ),
    Operation(
        "update-success-criterion", "Update one criterion (by its text): status met/blocked/failed/pending, evidence.",
        [SESSION,
         _p("criterion", "the criterion's text, as saved", required=True),
         _p("status", "pending, met, blocked or failed"),
         Param("actual", "the value reached, e.g. 87%"),
         _p("evidence", "what shows it (test output, a link …)", aliases=("notes",))],
        confirm="✓ Criterion {criterion!r} → {status}",
        family="criteria", write=True, example='update-success-criterion sess_abc123 "All tests pass" met --evidence "412 passed"',
    ),
    Operation(
        "complete-session", "Mark a session completed through the completion gate (--force --reason to override).",
        [SESSION, *GATE], confirm="✓ Session {session} → {status}{forced_note}",
        family="criteria", write=True, example="complete-session sess_abc123",
    ),
    Operation(
        "update-session", "Set a session's status (the public project's form: --status S).",
        [SESSION, Param("status", "active, completed or failed", required=True, aliases=("s",)), *GATE],
        confirm="✓ Session {session} → {status}{forced_note}",
        write=True, example="update-session sess_abc123 --status failed", audience="operator", mcp=False,
    ),
    Operation(
        "save-development-plan", "Save (or replace) the session's development plan with its phases.",
        [SESSION,
         _p("original_prompt", "what the user asked for", required=True, aliases=("prompt",)),
         _p("plan_text", "the plan in words", required=True, aliases=("plan",)),
         _p("phases", 'a JSON list of {"phase", "name", "status"}', kind="json",
            required=True),
         _p("current_phase", "the phase being worked on", kind="int"),
         _p("total_phases", "how many phases (default: the list's length)", kind="int"),
         _p("metadata", "extra facts (a JSON object)", kind="json")],
        confirm="✓ Saved the development plan of session {session} ({total_phases} phases)",
        family="plans", write=True,
        example="""save-development-plan sess_abc123 "Add OAuth2" "Auth first, then UI" '[{"phase": 1, "name": "Auth"}]' 1 2""",
    ),
    Operation(
        "get-development-plan", "The session's development plan (null if none).",
        [SESSION], family="plans", write=False, example="get-development-plan sess_abc123",
    ),
    Operation(
        "update-plan-progress", "Move a plan's phase on, by its number or its name.",
        [SESSION,
         _p("phase", "the phase number or name", required=True, aliases=("phase_id",)),
         _p("status", "pending, in_progress, completed or blocked", required=True),
         _p("progress_percent", "0-100", kind="int", aliases=("percent",))],
        confirm="✓ Plan of session {session}: phase {phase} → {status}",
        family="plans", write=True, example="update-plan-progress sess_abc123 1 completed",
    ),
    Operation(
        "save-event", "Record a typed event (tl_verdicts, validator_verdict, scope_change, pm_bazinga …).",
        [SESSION,
         _p("event_subtype", "the kind of event", required=True, aliases=("subtype", "type")),
         _p("event_payload", "its content, a JSON value", kind="json", aliases=("payload",)),
         IDEMPOTENCY,
         Param("group_id", "the task group (default: the whole session)", aliases=("group",)),
         Param("agent_type", "the role that sent it", aliases=("agent",)),
         Param("iteration", "the iteration number", kind="int"),
         Param("payload_file", "read the payload from this JSON file")],
        confirm="✓ Saved {event_subtype} event for session {session}",
        family="events", write=True, example="""save-event sess_abc123 validator_verdict '{"verdict": "ACCEPT"}'""",
    ),
    Operation(
        "get-events", "Events of a session, newest first (one subtype, one group, a limit).",
        [SESSION, _p("event_subtype", "only this kind", aliases=("subtype", "type")),
         _p("limit", "how many (default 50)", kind="int"),
         Param("group_id", "only this task group (global: session-wide events)", aliases=("group",))],
        family="events", write=False, example="get-events sess_abc123 validator_verdict 1",
    ),
    Operation(
        "save-investigation-iteration",
        "One investigation step in one transaction: the group's investigation state and its event.",
        [SESSION,
         _p("group_id", "the task group under investigation", required=True, aliases=("group",)),
         _p("iteration", "the step number, 1-20", kind="int", required=True),
         _p("status", "under_investigation, root_cause_found, hypothesis_eliminated, fix_proposed, "
            "fix_verified, escalated, blocked, completed", required=True),
         Param("state_data", "the investigation state (JSON)", kind="json", aliases=("state",)),
         Param("event_payload", "what this step found (JSON)", kind="json", aliases=("event",)),
         Param("state_file", "or a JSON file holding it"),
         Param("event_file", "or a JSON file holding it")],
        confirm="✓ Saved investigation iteration {iteration} of group {group_id} → {status}",
        family="events", write=True,
        example="""save-investigation-iteration sess_abc123 group_a 1 under_investigation --state '{"hypotheses": []}' --event '{"found": "nothing yet"}'""",
    ),
    Operation(
        "save-reasoning", "Record one phase of an agent's reasoning (understanding … completion).",
        [SESSION, GROUP_SCOPE,
         _p("agent_type", "the agent's role", required=True, aliases=("agent",)),
         _p("reasoning_phase", "understanding, approach, decisions, risks, blockers, pivot or completion",
            required=True, aliases=("phase",)),
         _p("content", "the reasoning text"),
         Param("content_file", "or a file holding it (- for stdin)"),
         Param("agent_id", "which agent of that role, e.g. developer_1", shared=True),
         Param("iteration", "the iteration number", kind="int"),
         Param("confidence", "high, medium or low"),
         Param("references", "files or links it rests on (a JSON list)", kind="json"),
         IDEMPOTENCY],
        confirm="✓ Saved {agent} {reasoning_phase} reasoning for session {session}",
        family="reasoning", write=True,
        example='save-reasoning sess_abc123 group_a developer understanding "JWT, not sessions" --confidence high',
    ),
    Operation(
        "get-reasoning", "Reasoning entries, newest first, by group, agent and phase.",
        [SESSION,
         _p("group_id", "only this task group (global: session-wide)", aliases=("group",)),
         _p("agent_type", "only this role", aliases=("agent",)),
         _p("phase", "only this phase"),
         Param("limit", "how many (default 50)", kind="int")],
        family="reasoning", write=False, example="get-reasoning sess_abc123 group_a developer",
    ),
    Operation(
        "reasoning-timeline", "Every reasoning entry oldest first, as JSON or Markdown.",
        [SESSION, Param("group_id", "only this task group", aliases=("group",)),
         Param("format", "json (default) or markdown")],
        family="reasoning", write=False, example="reasoning-timeline sess_abc123 --format markdown",
    ),
    Operation(
        "check-mandatory-phases", "Did an agent record its understanding and completion for a group?",
        [SESSION, GROUP_SCOPE, _p("agent_type", "the agent's role", required=True, aliases=("agent",))],
        exit_1_unless="complete",  # a gate: `… || respawn` works in a shell
        family="reasoning", write=False, example="check-mandatory-phases sess_abc123 group_a developer",
    ),
]

# -- context packages handed between agents, and what each was given ----------------------
PROJECT = _p("project_id", "the project (patterns and strategies outlive sessions)", required=True,
             aliases=("project",))
OPERATIONS += [
    Operation(
        "save-context-package", "Hand a file in the project to consumer roles, with a priority and a summary.",
        [SESSION, GROUP_SCOPE,
         _p("package_type", "research, failures, decisions, handoff or investigation", required=True,
            aliases=("type",)),
         _p("file_path", "a file in the project, relative to its root", required=True,
            aliases=("file", "path")),
         _p("producer_agent", "the role that wrote it", required=True, aliases=("producer",)),
         _p("consumers", "the roles it is for (a JSON list)", kind="json", required=True),
         _p("priority", "critical, high, medium or low", required=True),
         _p("summary", "one line, ≤ 200 characters", required=True),
         Param("size_bytes", "default: measured", kind="int"),
         Param("supersedes", "the package this one replaces", kind="int"),
         Param("project_root", "the project folder (default: where .git or .claude is)"),
         IDEMPOTENCY],
        confirm="✓ Saved {package_type} package {id} for {consumer_list} in session {session}",
        family="context", write=True,
        example="save-context-package sess_abc123 group_a research docs/auth-notes.md investigator "
                '\'["developer"]\' high "OAuth providers compared"',
    ),
    Operation(
        "get-context-packages", "A role's unread packages for a group (and the session-wide ones), by priority.",
        [SESSION, _p("group_id", "the task group (global: session-wide packages only)", aliases=("group",)),
         _p("agent_type", "the consumer role", aliases=("agent",)),
         _p("limit", "how many (default 3, at most 50)", kind="int"),
         Param("include_consumed", "also the packages it has read", kind="flag")],
        family="context", write=False, example="get-context-packages sess_abc123 group_a developer 3",
    ),
    Operation(
        "mark-context-consumed", "A consumer has read a package (per iteration; again: no change).",
        [_p("package_id", "the package's id", kind="int", required=True, aliases=("package",)),
         _p("agent_type", "the consumer role", required=True, aliases=("agent",)),
         _p("iteration", "the iteration (default 1)", kind="int")],
        confirm="✓ Package {package_id} read by {agent_type} (iteration {iteration})",
        unchanged="✓ Package {package_id} was already read by {agent_type} (iteration {iteration})",
        family="context", write=True, example="mark-context-consumed 1 developer 1",
    ),
    Operation(
        "update-context-references", "Set the packages a task group refers to (group first, then session).",
        [_p("group_id", "the task group", required=True, aliases=("group",)),
         _p("session_id", "its session", required=True, aliases=("session",)),
         _p("package_ids", "a JSON list of package ids, e.g. [1, 2]", kind="json", required=True,
            aliases=("ids",))],
        confirm="✓ Task group {group_id} refers to packages {context_references}",
        family="context", write=True, example="update-context-references group_a sess_abc123 '[1]'",
    ),
    Operation(
        "save-consumption", "Record that an agent was given a package in an iteration (once).",
        [SESSION, _p("group_id", "the task group", required=True, aliases=("group",)),
         _p("agent_type", "the role", required=True, aliases=("agent",)),
         _p("iteration", "the iteration number", kind="int", required=True),
         _p("package_id", "the package's id", kind="int", required=True, aliases=("package",))],
        confirm="✓ Package {package_id} given to {agent_type} in iteration {iteration}",
        unchanged="✓ Package {package_id} was already recorded for {agent_type} in iteration {iteration}",
        family="context", write=True, example="save-consumption sess_abc123 group_a developer 1 1",
    ),
    Operation(
        "get-consumption", "Which packages agents were given, newest first.",
        [SESSION, Param("group_id", "only this task group", aliases=("group",)),
         Param("agent_type", "only this role", aliases=("agent",)),
         Param("limit", "how many (default 50)", kind="int")],
        family="context", write=False, example="get-consumption sess_abc123 --agent-type developer",
    ),
]

# -- what a project learns across sessions: error patterns and strategies ----------------
OPERATIONS += [
    Operation(
        "save-error-pattern", "Remember an error and its solution (the same error again counts an occurrence).",
        [PROJECT, _p("error_type", "e.g. ImportError, TS2345", required=True, aliases=("type",)),
         _p("error_message", "the message as seen (paths and line numbers are normalised)", required=True,
            aliases=("message",)),
         _p("solution", "what fixed it", required=True),
         Param("lang", "the language, e.g. python"),
         Param("context_hints", "words that place it, a JSON list", kind="json"),
         Param("stack_pattern", "telling stack frames, a JSON list", kind="json"),
         Param("ttl_days", "forget it after this many days unseen (default 90)", kind="int")],
        confirm="✓ Error pattern {pattern_hash} {operation} ({occurrences} occurrences, confidence {confidence})",
        family="memory", write=True,
        example="""save-error-pattern shop ModuleNotFoundError "No module named 'jwt'" "pip install pyjwt" --lang python""",
    ),
    Operation(
        "get-error-patterns", "A project's known errors with solutions, most trusted first.",
        [PROJECT, Param("lang", "only this language"),
         Param("min_confidence", "0-1 (default 0.7)"),
         Param("limit", "how many (default 5)", kind="int"),
         Param("error_type", "only this error type")],
        family="memory", write=False, example="get-error-patterns shop --lang python --min-confidence 0.5",
    ),
    Operation(
        "update-error-confidence", "Did a pattern's solution work? success: +0.1, failure: -0.2 (within 0.1-1).",
        [_p("pattern_hash", "the pattern's hash", required=True, aliases=("hash",)), PROJECT,
         _p("outcome", "success or failure", required=True)],
        confirm="✓ Error pattern {pattern_hash}: confidence {previous_confidence} → {new_confidence}",
        family="memory", write=True, example="update-error-confidence d8f0d4407ffa0ad6 shop success",
    ),
    Operation(
        "cleanup-error-patterns", "Delete expired error patterns (and, if asked, old or untrusted ones).",
        [_p("project_id", "only this project", aliases=("project",)),
         Param("max_age_days", "also those unseen for this many days", kind="int"),
         Param("min_confidence", "also those below this confidence")],
        confirm="✓ Deleted {deleted_count} error patterns",
        family="memory", write=True, example="cleanup-error-patterns shop",
    ),
    Operation(
        "save-strategy", "Remember an insight about the project (again: one more helpful vote).",
        [PROJECT, _p("topic", "implementation, architecture, methodology or general", required=True),
         _p("insight", "one insight, at most 500 characters", required=True),
         Param("lang", "the language it applies to"), Param("framework", "the framework it applies to"),
         Param("strategy_id", "its id (default: derived from the project, topic and text)", aliases=("id",))],
        confirm="✓ Strategy {strategy_id} {operation} (helpfulness {helpfulness})",
        family="memory", write=True,
        example='save-strategy shop architecture "Keep payment calls behind one adapter" --lang python',
    ),
    Operation(
        "get-strategies", "A project's strategies, most helpful first.",
        [PROJECT, Param("lang", "this language (and general ones)"),
         Param("framework", "this framework (and general ones)"), Param("topic", "only this topic"),
         Param("limit", "how many (default 5)", kind="int")],
        family="memory", write=False, example="get-strategies shop --topic architecture",
    ),
    Operation(
        "update-strategy-helpfulness", "Count a strategy helpful again (by 1, or by N up to 100).",
        [_p("strategy_id", "the strategy's id", required=True, aliases=("id",)),
         _p("increment", "how much (default 1)", kind="int")],
        confirm="✓ Strategy {strategy_id}: helpfulness {previous_helpfulness} → {new_helpfulness}",
        family="memory", write=True, example="update-strategy-helpfulness shop_architecture_7543cdf94c7dfbc0",
    ),
    Operation(
        "extract-strategies", "Turn the reasoning of approved task groups (one, or all) into strategies.",
        [SESSION, _p("group_id", "the approved task group, or all", required=True, aliases=("group",)),
         PROJECT, Param("lang", "the language they apply to"), Param("framework", "the framework")],
        confirm="✓ Extracted {extracted} strategies for project {project_id}",
        family="memory", write=True, example="extract-strategies sess_abc123 group_a shop",
    ),
]

# -- data lifecycle: history, search, costs, export/import, retention, comparison -------
STATE_TYPE = _p("state_type", "pm, orchestrator, group_status, …", required=True, aliases=("type",))
OPERATIONS += [
    Operation(
        "state-history", "Every saved state of a type, newest first.",
        [SESSION, STATE_TYPE,
         Param("group_id", "this task group's states (default: session-wide)", aliases=("group",)),
         Param("limit", "only the newest N", kind="int")],
        write=False, example="state-history sess_abc123 pm --limit 5",
    ),
    Operation(
        "state-diff", "What changed between two saved states (default: previous vs newest).",
        [SESSION, STATE_TYPE,
         _p("from_id", "the older state's id (default: the one before TO_ID)", kind="int", aliases=("from",)),
         _p("to_id", "the newer state's id (default: the newest)", kind="int", aliases=("to",)),
         Param("group_id", "this task group's states (default: session-wide)", aliases=("group",))],
        write=False, example="state-diff sess_abc123 pm",
    ),
    Operation(
        "search-logs", "Full-text search of logs, best matches first, with snippets.",
        [_p("query", 'words (all must occur), "a phrase" or a prefix*', required=True),
         Param("session_id", "only this session", aliases=("session",)),
         Param("agent_type", "only this role", aliases=("agent",)),
         Param("limit", "how many results (default 20)", kind="int")],
        write=False, example='search-logs "pagination validation" --session sess_abc123',
    ),
    Operation(
        "prices", "The model price table in effect (USD per million tokens): defaults plus `set-config prices`.",
        [], write=False, example="prices", audience="operator",
    ),
    Operation(
        "compare-sessions", "Two sessions side by side: status, duration, tokens, cost, groups, revisions, reviews.",
        [_p("session_a", "the first session", required=True), _p("session_b", "the second session", required=True)],
        write=False, example="compare-sessions bazinga_20250113_143530 sess_abc123", audience="operator",
    ),
    Operation(
        "export", "Write the database (or one session) as JSON Lines to stdout or --output FILE.",
        [Param("session_id", "only this session (configuration is then left out)", aliases=("session",)),
         Param("format", "jsonl (the only format)"),
         Param("output", "write to this file instead of stdout (replaced whole, never half-written)",
               aliases=("o",))],
        write=False, example="export --output backup.jsonl", tool=True, audience="operator",
    ),
    Operation(
        "import", "Merge an export into this database in one transaction; importing twice adds nothing.",
        [_p("file", "the export file, or - for stdin", required=True)],
        write=True, example="import backup.jsonl", tool=True, audience="operator",
    ),
    Operation(
        "prune", "Delete finished sessions older than a cutoff with all their rows (never active ones).",
        [Param("older_than", "a duration before now (30d, 12h, 45m, 2w) or an ISO-8601 date", required=True),
         Param("status", "only completed or only failed sessions (default: both)"),
         Param("dry_run", "report what would be deleted, delete nothing", kind="flag")],
        confirm="{prune_summary}",
        write=True, example="prune --older-than 30d --dry-run", audience="operator",
    ),
    Operation(
        "vacuum", "Give the space of deleted rows back to the file system (SQLite); reports bytes before/after.",
        [], confirm="✓ Vacuumed {database}: {size_before} → {size_after} ({size_freed} freed)",
        write=True, example="vacuum", audience="operator",
    ),
    Operation(
        "doctor", "Check the database: integrity, schema version, WAL size, orphan rows (exit 1 if unhealthy).",
        [], write=False, example="doctor --json", tool=True, audience="operator",
    ),
    Operation(
        "integrity-check", "The public project's name for doctor: the same checks, the same exit code.",
        [], write=False, example="integrity-check", tool=True, audience="operator",
    ),
    Operation(
        "diagnose-group-ids",
        "Find group ids the store would refuse or misread (reserved words, invalid ids, a literal 'global'); "
        "exit 1 if any, unless --fix repairs them.",
        [Param("fix", "repair them in one transaction: rename bad task-group ids to group_<id> everywhere, "
               "'global' record group ids to NULL", kind="flag")],
        confirm="{group_ids_summary}", exit_1_unless="ok",
        write=True, example="diagnose-group-ids --fix", audience="operator",
    ),
    Operation(
        "backup", "Copy the database to DEST while agents keep writing (a consistent, verified snapshot).",
        [_p("destination", "the file to write (refused if it exists, unless --force)", required=True,
            aliases=("dest",)),
         Param("force", "overwrite DEST if it exists", kind="flag")],
        write=False, example="backup bazinga/backup-2025-01-13.db", tool=True, audience="operator",
    ),
    Operation(
        "recover-db",
        "Salvage the readable rows of a damaged SQLite file into a NEW file (a healthy file is left untouched).",
        [Param("output", "the new file (default <db>.recovered-<UTC time>.db; refused if it exists)",
               aliases=("o",))],
        write=False, example="recover-db --output bazinga/recovered.db", tool=True, audience="operator",
    ),
    Operation(
        "batch",
        "Run many commands over one open database: a JSON command per line in, a JSON answer per line out.",
        [], write=True, tool=True, audience="operator",
        example="""batch <<< '{"op": "get-session", "args": {"session_id": "sess_abc123"}, "id": 1}'""",
    ),
    Operation(
        "migrate-to", "Copy every table of this database into another (SQLite ⇄ PostgreSQL), row counts verified.",
        [_p("target", "the database to copy into: a postgresql:// URL or an SQLite file path", required=True),
         Param("append", "copy into a target that already holds rows (fails, copying nothing, if a key "
               "exists there)", kind="flag")],
        write=True, example="migrate-to postgresql://bazinga@db.example.com/bazinga",
        tool=True, audience="operator",
    ),
]

# -- Claude Code: measured usage from transcripts, and the hooks that feed them -------------
OPERATIONS += [
    Operation(
        "ingest-transcript",
        "Record the exact token usage of a Claude Code transcript and its subagents' files (new lines only).",
        [_p("path", "the transcript: <project>/<session-uuid>.jsonl, or a subagent's agent-<id>.jsonl",
            required=True),
         Param("session_id", "the session to record it in (default: $BAZINGA_SESSION, else the newest active one)",
               aliases=("session",)),
         Param("agent_type", "whom the main file's usage belongs to (default orchestrator)", aliases=("agent",)),
         Param("agent_id", "which agent of that role, e.g. developer_1", shared=True)],
        confirm="✓ Recorded {messages} messages ({updated} updated, {duplicates} duplicates skipped) from "
                "{file_count} transcript file(s) in session {session}: {total_tokens:,} tokens measured",
        write=True, example="ingest-transcript examples/transcript.jsonl --session sess_abc123",
        audience="operator",
    ),
    Operation(
        "hook",
        "Handle one Claude Code hook event from stdin (SubagentStart, SubagentStop, Stop); prints {}.",
        [], write=True, example="hook < event.json", tool=True, audience="operator",
    ),
    Operation(
        "install-hooks",
        "Add the SubagentStart, SubagentStop and Stop hooks running `bazinga-db hook` to .claude/settings.json.",
        [Param("settings", "the settings file (default: .claude/settings.json under the project root)")],
        write=True, example="install-hooks", tool=True, audience="operator",
    ),
]

BY_NAME: dict[str, Operation] = {operation.name: operation for operation in OPERATIONS}


def find(name: str) -> Operation | None:
    """Look an operation up by its name, forgiving case and ``_`` for ``-``."""
    return BY_NAME.get(name.strip().lower().replace("_", "-"))


# -- binding ----------------------------------------------------------------------------


def bind(
    operation: Operation,
    named: Mapping[str, Any],
    positionals: Sequence[str] = (),
    *,
    cli: bool = False,
    convert: Callable[[Param, Any], Any] | None = None,
    called: str | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``operation``'s method from what a caller gave.

    ``named`` maps argument names (any alias, ``-`` or ``_``) to values; ``positionals``
    fill the positional arguments not given by name, in order. A value of None counts as
    not given (JSON null, like an omitted flag). ``convert`` turns each given value into
    the argument's type: the CLI passes its own (text into numbers and JSON, ``@file``);
    every other caller gets ``json_value``, the one rule for values that arrive as JSON
    (batch lines, MCP tool calls). ``cli`` words the errors for the command line
    (``--flags`` and METAVARs) instead of argument names; ``called`` is the name the
    caller knows the operation by (an MCP tool name), for the messages.
    """
    name = called or operation.name
    bound: dict[str, Any] = {}
    for key, value in named.items():
        param = operation.param(str(key).strip().lower().replace("-", "_"))
        if param is None:
            known = [p.name for p in operation.params]
            raise UsageError(
                f"unknown argument {key} for {name}; its arguments are: {', '.join(known) or 'none'}",
                hint=_did_you_mean(str(key), known),
            )
        if param.name in bound:
            raise UsageError(f"argument {param.name} is given twice (as {key!r})")
        bound[param.name] = value
    open_slots = [p for p in operation.params if p.positional and bound.get(p.name) is None]
    if len(positionals) > len(open_slots):
        extra = positionals[len(open_slots)]
        raise UsageError(f"unexpected extra argument {extra!r} for {name}", hint=f"usage: {usage(operation)}")
    for param, value in zip(open_slots, positionals):
        bound[param.name] = value
    missing = [p for p in operation.params if p.required and bound.get(p.name) is None]
    if missing:
        if cli:
            described = ", ".join(f"{p.metavar} ({p.help})" for p in missing)
            raise UsageError(f"{name} is missing {described}", hint=f"usage: {usage(operation)}")
        described = ", ".join(f"{p.name} ({p.help})" for p in missing)
        raise UsageError(f"{name} is missing {described}")
    conversion = json_value if convert is None else convert
    return {
        param.name: conversion(param, bound[param.name])
        for param in operation.params
        if bound.get(param.name) is not None
    }


def json_value(param: Param, value: Any) -> Any:
    """An argument that arrived as a JSON value (batch, MCP), checked against its kind.

    A ``json`` argument given as a string is JSON text: agents often encode a document
    twice (``"state_data": "{\\"a\\": 1}"``), so it is decoded, and text that is not JSON
    is refused exactly as the command line refuses it. To store a JSON string, encode
    it (``"\\"done\\""``). An ``int`` may come as a numeric string; a ``flag`` must be a
    boolean. Other kinds are left to the store, which checks every value.
    """
    kind = param.kind
    if kind == "json" and isinstance(value, str):
        from .util.validation import parse_json

        return parse_json(value, param.name)
    if kind == "int" and not (isinstance(value, int) and not isinstance(value, bool)):
        from .util.validation import is_whole_number

        if isinstance(value, str) and is_whole_number(value.strip()):
            return int(value.strip())
        raise InvalidInput(f"{param.name} must be a whole number, got {value!r}")
    if kind == "flag" and not isinstance(value, bool):
        raise InvalidInput(f"{param.name} must be true or false, got {value!r}")
    return value


def _did_you_mean(word: str, options: list[str]) -> str | None:
    from difflib import get_close_matches  # only on this error path: difflib is slow to import

    close = get_close_matches(word.strip().lower().replace("-", "_"), options, n=1, cutoff=0.6)
    return f"did you mean {close[0]}?" if close else None


def usage(operation: Operation) -> str:
    """``bazinga-db NAME POSITIONAL [OPTIONAL] [--flag VALUE]``."""
    parts = [PROGRAM, operation.name]
    for param in operation.params:
        if param.positional:
            parts.append(param.metavar if param.required else f"[{param.metavar}]")
    for param in operation.params:
        if not param.positional:
            parts.append(f"[{param.flag}]" if param.kind == "flag" else f"[{param.flag} {param.metavar}]")
    return " ".join(parts)
