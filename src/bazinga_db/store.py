"""BazingaDB: every operation of the product as a method, one line each.

Each method hands its arguments to the function of the same name in the record family's
module (``records/``) or the whole-database module (``admin/``), imported on first use: a
log write loads the core and ``records/logs.py``, nothing else. The methods keep the
names and argument names of the operation table (``operations.py``), which a test checks,
so the CLI, batch mode, the MCP tools and Python callers all reach the same code.
Methods return plain dicts and lists (JSON columns decoded) and raise the exceptions of
``errors.py``; nothing here prints.
"""

from __future__ import annotations

from .core import Store

TYPE_CHECKING = False  # `typing` costs milliseconds at start-up; annotations are strings anyway
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO


class BazingaDB(Store):
    """The bazinga-db store.

    ``BazingaDB()`` opens the default database (``BAZINGA_DB``, else ``bazinga/bazinga.db``
    under the project root); ``BazingaDB("path.db")`` or ``BazingaDB("postgresql://…")``
    open another. The database and its folder are created on first use. Every operation
    of the CLI is a method here with the same name and argument names.
    """

    # -- sessions --------------------------------------------------------------

    def create_session(
        self,
        session_id: str,
        mode: str = "simple",
        requirements: str = "",
        metadata: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        from .records import sessions

        return sessions.create_session(self, session_id, mode, requirements, metadata)

    def get_session(self, session_id: str) -> dict[str, Any]:
        from .records import sessions

        return sessions.get_session(self, session_id)

    def list_sessions(self, limit: int = 10, status: str | None = None) -> list[dict[str, Any]]:
        from .records import sessions

        return sessions.list_sessions(self, limit, status)

    def update_session_status(
        self, session_id: str, status: str, force: bool = False, reason: str | None = None
    ) -> dict[str, Any]:
        """Set a session's status; ``completed`` only when the required success criteria are met."""
        from .records import sessions

        return sessions.update_session_status(self, session_id, status, force, reason)

    def complete_session(self, session_id: str, force: bool = False, reason: str | None = None) -> dict[str, Any]:
        """Mark a session completed, through the completion gate."""
        from .records import sessions

        return sessions.complete_session(self, session_id, force, reason)

    def update_session(self, session_id: str, status: str, force: bool = False, reason: str | None = None) -> dict[str, Any]:
        """The public project's name for update-session-status (``--status S``)."""
        from .records import sessions

        return sessions.update_session(self, session_id, status, force, reason)

    # -- logs ------------------------------------------------------------------

    def log_interaction(
        self,
        session_id: str,
        agent_type: str,
        content: str,
        iteration: int | None = None,
        agent_id: str | None = None,
        group_id: str | None = None,
        log_type: str = "interaction",
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        from .records import logs

        return logs.log_interaction(
            self, session_id, agent_type, content, iteration, agent_id, group_id, log_type, idempotency_key
        )

    def stream_logs(self, session_id: str, limit: int = 50, offset: int = 0) -> list[dict[str, Any]]:
        """The newest ``limit`` logs after skipping the newest ``offset``, oldest first."""
        from .records import logs

        return logs.stream_logs(self, session_id, limit, offset)

    def get_logs(
        self,
        session_id: str,
        limit: int | None = None,
        agent_type: str | None = None,
        since: str | None = None,
        group_id: str | None = None,
        after_id: int | None = None,
        log_type: str | None = None,
    ) -> list[dict[str, Any]]:
        """Logs in the order they were written; ``limit`` keeps the newest N."""
        from .records import logs

        return logs.get_logs(self, session_id, limit, agent_type, since, group_id, after_id, log_type)

    def search_logs(
        self,
        query: str,
        session_id: str | None = None,
        agent_type: str | None = None,
        limit: int = 20,
    ) -> list[dict[str, Any]]:
        """Log entries matching the words of ``query``, best first, with a highlighted snippet."""
        from .records import logs

        return logs.search_logs(self, query, session_id, agent_type, limit)

    # -- state -----------------------------------------------------------------

    def save_state(
        self,
        session_id: str,
        state_type: str,
        state_data: Any,
        group_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        from .records import state

        return state.save_state(self, session_id, state_type, state_data, group_id, idempotency_key)

    def get_state(self, session_id: str, state_type: str, group_id: str | None = None) -> Any:
        """The newest state of that type, or None."""
        from .records import state

        return state.get_state(self, session_id, state_type, group_id)

    def state_history(
        self, session_id: str, state_type: str, group_id: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every saved state of that type, newest first: id, timestamp, group_id, state_data."""
        from .records import state

        return state.state_history(self, session_id, state_type, group_id, limit)

    def state_diff(
        self,
        session_id: str,
        state_type: str,
        from_id: int | None = None,
        to_id: int | None = None,
        group_id: str | None = None,
    ) -> dict[str, Any]:
        """What changed between two saved states (default: the one before the newest, and the newest)."""
        from .records import state

        return state.state_diff(self, session_id, state_type, from_id, to_id, group_id)

    # -- task groups -----------------------------------------------------------

    def create_task_group(
        self,
        group_id: str,
        session_id: str,
        name: str,
        status: str = "pending",
        assigned_to: str | None = None,
    ) -> dict[str, Any]:
        from .records import task_groups

        return task_groups.create_task_group(self, group_id, session_id, name, status, assigned_to)

    def update_task_group(
        self,
        group_id: str,
        session_id: str | None = None,
        status: str | None = None,
        assigned_to: str | None = None,
        revision_count: int | None = None,
        last_review_status: str | None = None,
        increment_revision: bool = False,
        name: str | None = None,
    ) -> dict[str, Any]:
        from .records import task_groups

        return task_groups.update_task_group(
            self, group_id, session_id, status, assigned_to, revision_count, last_review_status, increment_revision,
            name
        )

    def get_task_groups(self, session_id: str, status: str | None = None) -> list[dict[str, Any]]:
        from .records import task_groups

        return task_groups.get_task_groups(self, session_id, status)

    def get_task_group_events(self, session_id: str, group_id: str | None = None) -> list[dict[str, Any]]:
        """The timeline of task-group changes, oldest first."""
        from .records import task_groups

        return task_groups.get_task_group_events(self, session_id, group_id)

    # -- tokens ----------------------------------------------------------------

    def log_tokens(
        self,
        session_id: str,
        agent_type: str,
        tokens: int | None = None,
        agent_id: str | None = None,
        group_id: str | None = None,
        model: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        cache_read_tokens: int | None = None,
        cache_write_tokens: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        from .records import tokens as token_usage

        return token_usage.log_tokens(
            self, session_id, agent_type, tokens, agent_id, group_id, model, input_tokens, output_tokens,
            cache_read_tokens, cache_write_tokens, idempotency_key
        )

    def token_summary(self, session_id: str, by: str = "agent_type") -> dict[str, Any]:
        """Total tokens of a session and their breakdown by agent type, agent id, model or group."""
        from .records import tokens as token_usage

        return token_usage.token_summary(self, session_id, by)

    def prices(self) -> dict[str, Any]:
        """The price table in effect: the defaults with `set-config prices` laid over them."""
        from .records import tokens as token_usage

        return token_usage.prices(self)

    def ingest_transcript(
        self,
        path: str,
        session_id: str | None = None,
        agent_type: str | None = None,
        agent_id: str | None = None,
    ) -> dict[str, Any]:
        """Record the measured usage of a Claude Code transcript (and its subagents' files)."""
        from .records import tokens as token_usage

        return token_usage.ingest_transcript(self, path, session_id, agent_type, agent_id)

    # -- skill outputs ---------------------------------------------------------

    def save_skill_output(
        self,
        session_id: str,
        skill_name: str,
        output_data: Any,
        agent_type: str | None = None,
        group_id: str | None = None,
        iteration: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        from .records import skill_outputs

        return skill_outputs.save_skill_output(
            self, session_id, skill_name, output_data, agent_type, group_id, iteration, idempotency_key
        )

    def get_skill_output(self, session_id: str, skill_name: str, group_id: str | None = None) -> Any:
        """The newest output of that skill (for that group, if given), or None."""
        from .records import skill_outputs

        return skill_outputs.get_skill_output(self, session_id, skill_name, group_id)

    def get_skill_output_all(
        self, session_id: str, skill_name: str | None = None, agent_type: str | None = None
    ) -> list[dict[str, Any]]:
        """Every saved output (of one skill, and one agent type, when given), newest first."""
        from .records import skill_outputs

        return skill_outputs.get_skill_output_all(self, session_id, skill_name, agent_type)

    def check_skill_evidence(
        self, session_id: str, mandatory_skills: str, agent_type: str | None = None, since_minutes: int = 30
    ) -> dict[str, Any]:
        """Did each mandatory skill (comma-separated names) report within the last ``since_minutes``?"""
        from .records import skill_outputs

        return skill_outputs.check_skill_evidence(self, session_id, mandatory_skills, agent_type, since_minutes)

    # -- config ----------------------------------------------------------------

    def set_config(self, key: str, value: Any) -> dict[str, Any]:
        from .records import config

        return config.set_config(self, key, value)

    def get_config(self, key: str) -> Any:
        """The value stored under ``key``, or None."""
        from .records import config

        return config.get_config(self, key)

    # -- decisions -------------------------------------------------------------

    def log_decision(
        self,
        session_id: str,
        decision_type: str,
        decision_data: Any,
        iteration: int | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        from .records import decisions

        return decisions.log_decision(self, session_id, decision_type, decision_data, iteration, idempotency_key)

    def get_decisions(
        self, session_id: str, decision_type: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Decisions oldest first; ``limit`` keeps the newest N."""
        from .records import decisions

        return decisions.get_decisions(self, session_id, decision_type, limit)

    # -- criteria --------------------------------------------------------------

    def save_success_criteria(self, session_id: str, criteria: Any) -> list[dict[str, Any]]:
        """Replace the session's criteria; each is text or {criterion, status, actual, evidence,"""
        from .records import criteria as success_criteria

        return success_criteria.save_success_criteria(self, session_id, criteria)

    def get_success_criteria(self, session_id: str) -> list[dict[str, Any]]:
        """The session's criteria in the order they were saved ([] when none)."""
        from .records import criteria as success_criteria

        return success_criteria.get_success_criteria(self, session_id)

    def update_success_criterion(
        self,
        session_id: str,
        criterion: str,
        status: str | None = None,
        actual: str | None = None,
        evidence: str | None = None,
    ) -> dict[str, Any]:
        """Change one criterion (found by its text): status, evidence, actual value."""
        from .records import criteria as success_criteria

        return success_criteria.update_success_criterion(self, session_id, criterion, status, actual, evidence)

    # -- plans -----------------------------------------------------------------

    def save_development_plan(
        self,
        session_id: str,
        original_prompt: str,
        plan_text: str,
        phases: Any,
        current_phase: int | None = None,
        total_phases: int | None = None,
        metadata: Any = None,
    ) -> dict[str, Any]:
        """Save (or replace) the session's plan; phases are a list of {phase, name, status, …}."""
        from .records import plans

        return plans.save_development_plan(
            self, session_id, original_prompt, plan_text, phases, current_phase, total_phases, metadata,
        )

    def get_development_plan(self, session_id: str) -> dict[str, Any] | None:
        """The session's plan with its phases, or None."""
        from .records import plans

        return plans.get_development_plan(self, session_id)

    def update_plan_progress(
        self, session_id: str, phase: str, status: str, progress_percent: int | None = None
    ) -> dict[str, Any]:
        """Set one phase's status (and percent), found by its number or its name."""
        from .records import plans

        return plans.update_plan_progress(self, session_id, phase, status, progress_percent)

    # -- events ----------------------------------------------------------------

    def save_event(
        self,
        session_id: str,
        event_subtype: str,
        event_payload: Any = None,
        idempotency_key: str | None = None,
        group_id: str | None = None,
        agent_type: str | None = None,
        iteration: int | None = None,
        payload_file: str | None = None,
    ) -> dict[str, Any]:
        """Record one event; the payload is any JSON value (inline, or read from ``payload_file``)."""
        from .records import events

        return events.save_event(
            self, session_id, event_subtype, event_payload, idempotency_key, group_id, agent_type, iteration, payload_file,
        )

    def get_events(
        self, session_id: str, event_subtype: str | None = None, limit: int = 50, group_id: str | None = None
    ) -> list[dict[str, Any]]:
        """Events of a session, newest first; only one subtype and one group when given."""
        from .records import events

        return events.get_events(self, session_id, event_subtype, limit, group_id)

    def save_investigation_iteration(
        self,
        session_id: str,
        group_id: str,
        iteration: int,
        status: str,
        state_data: Any = None,
        event_payload: Any = None,
        state_file: str | None = None,
        event_file: str | None = None,
    ) -> dict[str, Any]:
        """One step of the investigation loop, in one transaction: the group's ``investigation``"""
        from .records import events

        return events.save_investigation_iteration(
            self, session_id, group_id, iteration, status, state_data, event_payload, state_file, event_file,
        )

    # -- reasoning -------------------------------------------------------------

    def save_reasoning(
        self,
        session_id: str,
        group_id: str,
        agent_type: str,
        reasoning_phase: str,
        content: str | None = None,
        content_file: str | None = None,
        agent_id: str | None = None,
        iteration: int | None = None,
        confidence: str | None = None,
        references: Any = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Record one phase of an agent's reasoning (text inline, from ``content_file``, or ``-`` for stdin)."""
        from .records import reasoning

        return reasoning.save_reasoning(
            self, session_id, group_id, agent_type, reasoning_phase, content, content_file, agent_id, iteration, confidence, references, idempotency_key,
        )

    def get_reasoning(
        self,
        session_id: str,
        group_id: str | None = None,
        agent_type: str | None = None,
        phase: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """Reasoning entries, newest first, by group, agent type and phase when given."""
        from .records import reasoning

        return reasoning.get_reasoning(self, session_id, group_id, agent_type, phase, limit)

    def reasoning_timeline(
        self, session_id: str, group_id: str | None = None, format: str = "json"
    ) -> list[dict[str, Any]] | str:
        """Every reasoning entry oldest first: JSON, or Markdown grouped by task group."""
        from .records import reasoning

        return reasoning.reasoning_timeline(self, session_id, group_id, format)

    def check_mandatory_phases(self, session_id: str, group_id: str, agent_type: str) -> dict[str, Any]:
        """Whether an agent recorded the mandatory phases (understanding, completion) for a group."""
        from .records import reasoning

        return reasoning.check_mandatory_phases(self, session_id, group_id, agent_type)

    # -- context packages --------------------------------------------------------

    def save_context_package(
        self,
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
        from .records import context

        return context.save_context_package(
            self, session_id, group_id, package_type, file_path, producer_agent, consumers, priority, summary,
            size_bytes, supersedes, project_root, idempotency_key,
        )

    def get_context_packages(
        self,
        session_id: str,
        group_id: str | None = None,
        agent_type: str | None = None,
        limit: int = 3,
        include_consumed: bool = False,
    ) -> list[dict[str, Any]]:
        """A role's unread packages for a group (and the session-wide ones), by priority, then newest."""
        from .records import context

        return context.get_context_packages(self, session_id, group_id, agent_type, limit, include_consumed)

    def mark_context_consumed(self, package_id: int, agent_type: str, iteration: int = 1) -> dict[str, Any]:
        """The role has read the package (in this iteration). Marking it again changes nothing."""
        from .records import context

        return context.mark_context_consumed(self, package_id, agent_type, iteration)

    def update_context_references(self, group_id: str, session_id: str, package_ids: Any) -> dict[str, Any]:
        """Set the packages a task group refers to (a list of package ids of its session)."""
        from .records import context

        return context.update_context_references(self, group_id, session_id, package_ids)

    def save_consumption(
        self,
        session_id: str,
        group_id: str,
        agent_type: str,
        iteration: int,
        package_id: int,
    ) -> dict[str, Any]:
        """Record that an agent was given a package in an iteration (once: a repeat stores nothing)."""
        from .records import context

        return context.save_consumption(self, session_id, group_id, agent_type, iteration, package_id)

    def get_consumption(
        self,
        session_id: str,
        group_id: str | None = None,
        agent_type: str | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """What agents were given, newest first; one group or one role when asked."""
        from .records import context

        return context.get_consumption(self, session_id, group_id, agent_type, limit)

    # -- learned memory (per project) --------------------------------------------

    def save_error_pattern(
        self,
        project_id: str,
        error_type: str,
        error_message: str,
        solution: str,
        lang: str | None = None,
        context_hints: Any = None,
        stack_pattern: Any = None,
        ttl_days: int | None = None,
    ) -> dict[str, Any]:
        """Remember an error and its solution; the same error again counts one more occurrence."""
        from .records import memory

        return memory.save_error_pattern(
            self, project_id, error_type, error_message, solution, lang, context_hints, stack_pattern, ttl_days,
        )

    def get_error_patterns(
        self,
        project_id: str,
        lang: str | None = None,
        min_confidence: float | str = 0.7,
        limit: int = 5,
        error_type: str | None = None,
    ) -> list[dict[str, Any]]:
        """A project's unexpired patterns at or above a confidence, most trusted first."""
        from .records import memory

        return memory.get_error_patterns(self, project_id, lang, min_confidence, limit, error_type)

    def update_error_confidence(self, pattern_hash: str, project_id: str, outcome: str | bool) -> dict[str, Any]:
        """The pattern's solution worked (``success``: +0.1) or did not (``failure``: -0.2)."""
        from .records import memory

        return memory.update_error_confidence(self, pattern_hash, project_id, outcome)

    def update_error_pattern_confidence(self, pattern_hash: str, project_id: str, success: Any) -> dict[str, Any]:
        """The public project's name and argument for ``update_error_confidence``."""
        from .records import memory

        return memory.update_error_pattern_confidence(self, pattern_hash, project_id, success)

    def cleanup_error_patterns(
        self,
        project_id: str | None = None,
        max_age_days: int | None = None,
        min_confidence: float | str | None = None,
    ) -> dict[str, Any]:
        """Delete expired patterns; also those unseen for ``max_age_days`` or below ``min_confidence``."""
        from .records import memory

        return memory.cleanup_error_patterns(self, project_id, max_age_days, min_confidence)

    def cleanup_expired_patterns(self, project_id: str | None = None) -> dict[str, Any]:
        """The public project's name for ``cleanup_error_patterns`` (expired patterns only)."""
        from .records import memory

        return memory.cleanup_expired_patterns(self, project_id)

    def save_strategy(
        self,
        project_id: str,
        topic: str,
        insight: str,
        lang: str | None = None,
        framework: str | None = None,
        strategy_id: str | None = None,
    ) -> dict[str, Any]:
        """Remember an insight; saving the same one again counts it helpful once more."""
        from .records import memory

        return memory.save_strategy(self, project_id, topic, insight, lang, framework, strategy_id)

    def get_strategies(
        self,
        project_id: str,
        lang: str | None = None,
        framework: str | None = None,
        topic: str | None = None,
        limit: int = 5,
    ) -> list[dict[str, Any]]:
        """A project's strategies, most helpful first; a language or framework keeps the general ones too."""
        from .records import memory

        return memory.get_strategies(self, project_id, lang, framework, topic, limit)

    def update_strategy_helpfulness(self, strategy_id: str, increment: int = 1) -> dict[str, Any]:
        """Count a strategy helpful ``increment`` more times (0-100)."""
        from .records import memory

        return memory.update_strategy_helpfulness(self, strategy_id, increment)

    def extract_strategies(
        self,
        session_id: str,
        group_id: str,
        project_id: str,
        lang: str | None = None,
        framework: str | None = None,
    ) -> dict[str, Any]:
        """Strategies from the reasoning of approved task groups (one group, or ``all``)."""
        from .records import memory

        return memory.extract_strategies(self, session_id, group_id, project_id, lang, framework)

    # -- reports ---------------------------------------------------------------

    def dashboard_snapshot(self, session_id: str) -> dict[str, Any]:
        """Everything a dashboard shows about a session, read in one consistent transaction."""
        from .admin import reports

        return reports.dashboard_snapshot(self, session_id)

    def query(self, sql: str) -> list[dict[str, Any]]:
        """Run one read-only SQL statement; anything that would write is rejected."""
        from .admin import reports

        return reports.query(self, sql)

    def compare_sessions(self, session_a: str, session_b: str) -> dict[str, Any]:
        """Two sessions side by side: status, duration, tokens, cost, task groups, revisions, reviews."""
        from .admin import reports

        return reports.compare_sessions(self, session_a, session_b)

    # The public project's names for the same operations (its agents and scripts call these).
    get_dashboard_snapshot = dashboard_snapshot

    # -- retention -------------------------------------------------------------

    def prune(self, older_than: str, status: str | None = None, dry_run: bool = False) -> dict[str, Any]:
        """Delete finished sessions older than the cutoff, with all their rows; report counts per table."""
        from .admin import retention

        return retention.prune(self, older_than, status, dry_run)

    def vacuum(self) -> dict[str, Any]:
        """Give the space of deleted rows back to the file system; report the size before and after."""
        from .admin import retention

        return retention.vacuum(self)

    # -- transfer --------------------------------------------------------------

    def export(
        self, session_id: str | None = None, format: str = "jsonl", output: str | TextIO | None = None
    ) -> dict[str, Any]:
        """Write the database (or one session) as JSON Lines to ``output`` (a path or a text stream)."""
        from .admin import transfer

        return transfer.export(self, session_id, format, output)

    def import_(self, file: str | Iterable[str]) -> dict[str, Any]:
        """Import an export (a path, ``-`` for stdin, or lines) in one transaction; report per table."""
        from .admin import transfer

        return transfer.import_(self, file)

    # -- maintenance -----------------------------------------------------------

    def check_integrity(self) -> dict[str, Any]:
        """``doctor``'s checks of this database (the public project's name): ``{"ok": …, "checks": […]}``."""
        from .admin import health

        return health.check_integrity(self)

    def diagnose_group_ids(self, fix: bool = False) -> dict[str, Any]:
        """Group ids the store would refuse or misread (reserved, invalid, a literal 'global'); ``fix`` repairs them."""
        from .admin import group_ids

        return group_ids.diagnose_group_ids(self, fix)
