"""The live dashboard: a real server process, real HTTP, and a real headless Chromium.

Browser tests need the Debian package ``chromium`` and Python ``playwright`` (the test
extra). Without them they skip with the reason; with CI=true a missing browser fails.
Set UPDATE_SCREENSHOT=1 to write the README's docs/dashboard.png from the demo run.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from bazinga_db import BazingaDB
from conftest import REPO, run_cli
from dashboard_helpers import SESSION, Server, seed, start_server, stop_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
TOKEN = "s3cret-token-for-tests"

# Each payload would set window.__xss (or add an element) if it ever reached the page as HTML.
XSS_SCRIPT = "<script>window.__xss = 'script'</script>"
XSS_IMG = '<img src=x onerror="window.__xss = \'img\'">'
XSS_ATTR = "\"'><svg onload=\"window.__xss = 'svg'\">"
XSS_SESSION = "xss_\"'><img src=x onerror=window.__xss=1>"


# -- a seeded database and a server process -----------------------------------------------


def seed_xss(path: str) -> None:
    with BazingaDB(path) as db:
        db.create_session(XSS_SESSION, "simple", XSS_SCRIPT + XSS_IMG)
        db.create_task_group(XSS_ATTR, XSS_SESSION, XSS_IMG, "in_progress", XSS_ATTR)
        db.log_interaction(XSS_SESSION, "developer", XSS_SCRIPT, 1, XSS_ATTR, group_id=XSS_ATTR)
        db.log_interaction(XSS_SESSION, "qa", XSS_IMG, 1, XSS_IMG)
        db.log_tokens(XSS_SESSION, "developer", 1234, XSS_ATTR, group_id=XSS_ATTR)
        db.save_state(XSS_SESSION, "pm", {XSS_ATTR: XSS_SCRIPT})
        db.save_state(XSS_SESSION, "pm", {XSS_ATTR: XSS_IMG, "x": XSS_SCRIPT})
        db.save_skill_output(XSS_SESSION, "lint", {"message": XSS_IMG}, group_id=XSS_ATTR)
        db.log_decision(XSS_SESSION, "escalate", {"why": XSS_ATTR})
        db.update_task_group(XSS_ATTR, session_id=XSS_SESSION, name=XSS_SCRIPT)
        db.save_success_criteria(XSS_SESSION, [{"criterion": XSS_SCRIPT, "status": "met", "actual": XSS_IMG,
                                                "evidence": XSS_ATTR}])
        db.save_development_plan(XSS_SESSION, XSS_IMG, XSS_SCRIPT, [{"phase": 1, "name": XSS_IMG}], current_phase=1)
        db.save_reasoning(XSS_SESSION, XSS_ATTR, "developer", "understanding", XSS_SCRIPT + XSS_IMG * 40,
                          agent_id=XSS_ATTR)
        db.save_event(XSS_SESSION, "tl_verdict", {"verdict": XSS_IMG, XSS_ATTR: XSS_SCRIPT}, group_id=XSS_ATTR)


@pytest.fixture
def seeded(db_target: str) -> str:
    """The seeded database on each backend: an SQLite path or a PostgreSQL URL."""
    seed(db_target)
    return db_target


def seed_workflow(path: str) -> None:
    """Success criteria, a plan, reasoning of two agents and events for the seeded session."""
    with BazingaDB(path) as db:
        db.save_success_criteria(SESSION, [
            {"criterion": "All tests pass", "status": "met", "actual": "412 passed", "evidence": "CI run 77"},
            {"criterion": "Coverage >= 80%", "actual": "74%"},
            {"criterion": "Docs updated", "required_for_completion": False, "status": "met"},
        ])
        db.save_development_plan(SESSION, "Build the board", "Three phases", [
            {"phase": 1, "name": "Schema", "status": "completed"},
            {"phase": 2, "name": "Board", "status": "in_progress", "progress_percent": 40},
            {"phase": 3, "name": "Charts"},
        ], current_phase=2)
        long_text = "I read the spec and the tests. " * 20 + "THE END"
        db.save_reasoning(SESSION, "g_i1", "developer", "understanding", long_text, agent_id="developer_2",
                          confidence="high")
        db.save_reasoning(SESSION, "g_i1", "developer", "approach", "Small steps", agent_id="developer_2")
        db.save_reasoning(SESSION, "global", "tech_lead", "risks", "Concurrency", confidence="low")
        db.save_event(SESSION, "scope_change", {"added": ["g_f1"]}, agent_type="pm")
        db.save_event(SESSION, "tl_verdicts", {"verdict": "APPROVED", "notes": "clean"}, group_id="g_c2",
                      agent_type="tech_lead")
        db.save_event(SESSION, "validator_verdict", ["no verdict key"], agent_type="validator")


@pytest.fixture
def workflow_server(seeded: str) -> Iterator[Server]:
    seed_workflow(seeded)
    running = start_server(seeded)
    yield running
    stop_server(running)


@pytest.fixture
def server(seeded: str) -> Iterator[Server]:
    running = start_server(seeded)
    yield running
    stop_server(running)


# -- the JSON API, without a browser ------------------------------------------------------------


def test_api_sessions_list_has_progress_tokens_and_filters(server: Server) -> None:
    sessions = {row["session_id"]: row for row in server.json("/api/sessions")["sessions"]}
    board = sessions[SESSION]
    assert (board["groups_done"], board["groups_total"]) == (3, 7)
    assert board["tokens"] == 4700
    assert board["log_count"] == 3
    assert board["status"] == "active" and board["mode"] == "parallel"
    assert board["cost_usd"] == 0.0255  # 1,000 in x $3/M + 1,500 out x $15/M; the other records are unpriced
    assert sessions["sess_other"]["cost_usd"] is None and sessions["sess_other"]["tokens"] == 0
    assert [row["session_id"] for row in server.json("/api/sessions?status=failed")["sessions"]] == ["sess_other"]
    assert [row["session_id"] for row in server.json("/api/sessions?q=board")["sessions"]] == [SESSION]
    assert server.json("/api/sessions?q=100%25")["sessions"] == []  # % is literal, not a wildcard
    status, headers, body = server.get("/api/sessions?status=sleeping")
    assert status == 400 and headers["Content-Type"].startswith("application/json")
    assert "active, completed, failed" in json.loads(body)["error"]["message"]


def test_api_session_detail_matches_the_seed(server: Server) -> None:
    detail = server.json(f"/api/sessions/{SESSION}")
    assert detail["task_group_counts"] == {"total": 7, "pending": 2, "in_progress": 1, "completed": 3, "failed": 1}
    groups = {group["id"]: group for group in detail["task_groups"]}
    assert groups["g_c2"]["revision_count"] == 2 and groups["g_c2"]["last_review_status"] == "APPROVED"
    assert {row["agent_type"]: row["tokens"] for row in detail["tokens"]["by_agent_type"]} == {
        "developer": 3000, "pm": 1000, "qa": 700}
    assert [point["tokens"] for point in detail["tokens"]["over_time"]] == [1000, 2500, 500, 700]
    assert detail["tokens"]["cost_usd"] == 0.0255 and detail["tokens"]["priced_calls"] == 1
    assert {row["agent"]: (row["agent_type"], row["tokens"], row["cost_usd"]) for row in detail["tokens"]["by_agent"]} == {
        "developer_1": ("developer", 3000, 0.0255), "pm_main": ("pm", 1000, None), "qa_main": ("qa", 700, None)}
    assert [entry["content"] for entry in detail["logs"]] == ["planned seven groups", "working on g_i1", "tested g_c1"]
    assert [state["state_type"] for state in detail["states"]] == ["pm", "pm"]
    # The same diff as `state-diff` (util.jsondiff): arrays index by index.
    assert detail["state_diff"]["changes"] == [
        {"path": "iteration", "op": "change", "old": 1, "new": 2},
        {"path": "pending[0]", "op": "change", "old": "g_p1", "new": "g_p2"},
        {"path": "pending[1]", "op": "remove", "old": "g_p2", "new": None},
    ]
    assert detail["skill_outputs"][0]["output_data"] == {"errors": 0, "warnings": 4}
    assert detail["decisions"][0]["decision_data"] == {"count": 4}
    assert any(event["group_id"] == "g_c2" and event["changes"].get("revision_count") == [0, 2]
               for event in detail["timeline"])


def test_api_session_detail_has_the_workflow_records(workflow_server: Server) -> None:
    detail = workflow_server.json(f"/api/sessions/{SESSION}")
    checklist = detail["success_criteria"]
    assert {key: checklist[key] for key in ("total", "met", "required", "required_met")} == {
        "total": 3, "met": 2, "required": 2, "required_met": 1}
    assert [(c["criterion"], c["status"], c["required_for_completion"], c["actual"]) for c in checklist["items"]] == [
        ("All tests pass", "met", True, "412 passed"), ("Coverage >= 80%", "pending", True, "74%"),
        ("Docs updated", "met", False, None)]
    plan = detail["plan"]
    assert plan["current_phase"] == 2 and plan["phases_completed"] == 1 and plan["total_phases"] == 3
    assert [(p["name"], p["status"], p["progress_percent"], p["current"]) for p in plan["phases"]] == [
        ("Schema", "completed", 100, False), ("Board", "in_progress", 40, True), ("Charts", "pending", 0, False)]
    reasoning = {agent["agent"]: [(e["reasoning_phase"], e["confidence_level"]) for e in agent["entries"]]
                 for agent in detail["reasoning"]}
    assert reasoning == {"developer_2": [("understanding", "high"), ("approach", None)],
                         "tech_lead": [("risks", "low")]}
    assert [(e["event_subtype"], e["group_id"], e["agent_type"]) for e in detail["events"]] == [
        ("validator_verdict", None, "validator"), ("tl_verdicts", "g_c2", "tech_lead"), ("scope_change", None, "pm")]
    assert detail["events"][1]["event_payload"] == {"verdict": "APPROVED", "notes": "clean"}
    # The page: every panel is live, verdicts show their value, long reasoning is shortened.
    status, _, body = workflow_server.get(f"/sessions/{SESSION}")
    page = body.decode()
    assert status == 200
    for panel in ("criteria", "plan", "reasoning", "events"):
        assert f'data-live id="{panel}"' in page
    assert "1 of 2 required met" in page and "1 of 3 phases completed" in page
    assert '<span class="badge verdict-value">APPROVED</span>' in page
    assert page.count('class="event verdict"') == 2 and page.count('class="event"') == 1
    assert "THE END" in page and "…</summary>" in page


def test_workflow_panels_say_when_there_is_nothing(server: Server) -> None:
    detail = server.json("/api/sessions/sess_other")
    assert detail["success_criteria"] == {"total": 0, "met": 0, "required": 0, "required_met": 0, "items": []}
    assert detail["plan"] is None and detail["reasoning"] == [] and detail["events"] == []
    _, _, body = server.get("/sessions/sess_other")
    page = body.decode()
    for line in ("No success criteria saved yet.", "No development plan saved yet.", "No reasoning recorded yet.",
                 "No events recorded yet."):
        assert f'<p class="empty">{line}</p>' in page


def test_api_logs_state_diff_and_errors(server: Server) -> None:
    logs = server.json(f"/api/sessions/{SESSION}/logs?after_id=1")["logs"]
    assert [entry["id"] for entry in logs] == [2, 3]
    assert [e["agent_type"] for e in server.json(f"/api/sessions/{SESSION}/logs?agent=qa")["logs"]] == ["qa"]
    assert [e["group_id"] for e in server.json(f"/api/sessions/{SESSION}/logs?group=g_i1")["logs"]] == ["g_i1"]
    states = server.json(f"/api/sessions/{SESSION}")["states"]
    newest, oldest = states[0]["id"], states[-1]["id"]
    diff = server.json(f"/api/sessions/{SESSION}/state-diff?a={newest}&b={oldest}")
    assert diff["old"]["state_data"]["iteration"] == 2 and diff["new"]["state_data"]["iteration"] == 1
    assert any(line.startswith("-") and '"iteration": 2' in line for line in diff["unified_diff"])
    status, _, body = server.get("/api/sessions/nope")
    assert status == 404 and json.loads(body)["error"]["code"] == "session_not_found"
    assert server.get(f"/api/sessions/{SESSION}/logs?after_id=x")[0] == 400
    assert server.get("/sessions/nope")[0] == 404
    assert server.get("/no/such/page")[0] == 404


def test_every_page_has_a_json_twin_and_security_headers(server: Server) -> None:
    for page in ("/", f"/sessions/{SESSION}", f"/sessions/{SESSION}/state-diff"):
        status, headers, _ = server.get(page)
        assert status == 200 and headers["Content-Type"].startswith("text/html"), page
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        api_status, api_headers, _ = server.get("/api" + (page if page != "/" else "/sessions"))
        assert api_status == 200 and api_headers["Content-Type"].startswith("application/json"), page


@pytest.mark.sqlite_only  # the file's bytes; PostgreSQL: test_dashboard_postgres.py's read-only role
def test_the_database_is_only_read(server: Server, seeded: str) -> None:
    def fingerprint() -> list[str]:
        # Opening read-only may leave an empty -wal file behind: no bytes is no write.
        files = [Path(seeded), Path(seeded + "-wal")]
        return [hashlib.sha256(f.read_bytes() if f.exists() else b"").hexdigest() for f in files]

    before = fingerprint()
    for page in ("/", f"/sessions/{SESSION}", "/api/sessions", f"/api/sessions/{SESSION}",
                 f"/api/sessions/{SESSION}/logs", f"/api/sessions/{SESSION}/state-diff", "/projects", "/api/projects"):
        assert server.get(page)[0] == 200
    request = urllib.request.Request(server.url + "api/sessions", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405
    assert fingerprint() == before


def test_event_stream_pushes_a_write_from_another_process(server: Server, seeded: str) -> None:
    request = urllib.request.Request(server.url + f"events?session={SESSION}&after=3")
    with urllib.request.urlopen(request, timeout=10) as stream:
        assert stream.headers["Content-Type"].startswith("text/event-stream")
        assert stream.readline().startswith(b"retry:")
        assert run_cli("log-interaction", SESSION, "tech_lead", "pushed, not polled", db=seeded).code == 0
        events: list[dict[str, Any]] = []
        for raw in stream:
            line = raw.decode("utf-8")
            if line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if any(entry["content"] == "pushed, not polled" for entry in events[-1].get("logs", [])):
                    break
        assert events[-1]["logs"][-1]["agent_type"] == "tech_lead"
        assert events[-1]["logs"][-1]["id"] == 4


def test_token_is_required_when_set(seeded: str) -> None:
    running = start_server(seeded, "--token", TOKEN)
    try:
        for path in ("/", "/api/sessions", f"/sessions/{SESSION}", "/events", "/static/app.js"):
            assert running.get(path)[0] == 401, path
        assert running.get("/api/sessions?token=wrong-token")[0] == 403
        assert running.get("/api/sessions", {"Authorization": "Bearer wrong-token"})[0] == 403
        assert running.get("/api/sessions", {"Authorization": f"Bearer {TOKEN}"})[0] == 200
        # A page opened with ?token= sets a cookie and redirects to the address without it.
        connection = http.client.HTTPConnection(urlsplit(running.url).netloc, timeout=10)
        connection.request("GET", f"/sessions/{SESSION}?token={TOKEN}&agent=qa")
        response = connection.getresponse()
        assert response.status == 303
        assert response.getheader("Location") == f"/sessions/{SESSION}?agent=qa"
        assert "HttpOnly" in response.getheader("Set-Cookie", "")
        cookie = response.getheader("Set-Cookie", "").split(";")[0]
        connection.close()
        assert running.get(f"/sessions/{SESSION}", {"Cookie": cookie})[0] == 200
        assert running.get("/events", {"Cookie": "bazinga_dashboard_token=nope-nope"})[0] == 403
    finally:
        stop_server(running)


def test_refuses_to_serve_beyond_loopback_without_a_token(seeded: str) -> None:
    for host in ("0.0.0.0", "192.0.2.10", "example.com"):
        result = run_cli("dashboard", "--host", host, "--port", "0", db=seeded)
        assert result.code == 2, result
        assert "--token" in result.err and "refusing" in result.err
    assert run_cli("dashboard", "--port", "70000", db=seeded).code == 2
    assert run_cli("dashboard", "--token", "short", db=seeded).code == 2
    public = start_server(seeded, "--host", "0.0.0.0", "--token", TOKEN)
    try:
        assert public.get("/api/sessions")[0] == 401
        assert public.get(f"/api/sessions?token={TOKEN}")[0] == 200
    finally:
        stop_server(public)


def test_foreign_host_names_are_refused_on_loopback(server: Server) -> None:
    # A page on another site that rebinds its name to 127.0.0.1 must not read our data.
    assert server.get("/api/sessions", {"Host": "attacker.example:8765"})[0] == 403
    assert server.get("/api/sessions", {"Host": "localhost:8765"})[0] == 200


def test_waits_for_a_database_that_does_not_exist_yet(tmp_path: Path) -> None:
    path = str(tmp_path / "later" / "bazinga.db")
    running = start_server(path)
    try:
        status, _, body = running.get("/")
        assert status == 200 and b"Waiting for the database" in body
        assert running.get("/api/sessions")[0] == 503
        assert not os.path.exists(path)  # the dashboard never creates it
        assert run_cli("create-session", "late_one", "simple", "arrives later", db=path).code == 0
        assert [row["session_id"] for row in running.json("/api/sessions")["sessions"]] == ["late_one"]
    finally:
        stop_server(running)


def test_json_mode_prints_the_address_as_json(seeded: str) -> None:
    process = subprocess.Popen([sys.executable, "-m", "bazinga_db", "--json", "--db", seeded, "dashboard", "--port", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        started = json.loads(process.stdout.readline())  # type: ignore[union-attr]
        assert started["database"] == (seeded if seeded.startswith("postgresql://") else os.path.abspath(seeded))
        with urllib.request.urlopen(started["url"] + "api/sessions", timeout=10) as response:
            assert response.status == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()  # type: ignore[union-attr]


@pytest.mark.sqlite_only  # about files; PostgreSQL's read-only role: test_postgres_team.py
def test_read_only_store_reads_and_refuses_writes(seeded: str, tmp_path: Path) -> None:
    with BazingaDB(seeded, read_only=True) as db:
        assert len(db.get_task_groups(SESSION)) == 7
        with pytest.raises(Exception, match="read-only"):
            db.log_interaction(SESSION, "pm", "must not be stored")
    missing = tmp_path / "missing.db"
    with pytest.raises(Exception, match="does not exist"):
        BazingaDB(str(missing), read_only=True).list_sessions()
    assert not missing.exists()


def test_pages_escape_everything_agents_wrote(db_target: str) -> None:
    seed_xss(db_target)
    running = start_server(db_target)
    try:
        _, _, listing = running.get("/")
        _, _, detail = running.get("/sessions/" + quote(XSS_SESSION, safe=""))
        states = running.json("/api/sessions/" + quote(XSS_SESSION, safe=""))["states"]
        _, _, diff = running.get("/sessions/" + quote(XSS_SESSION, safe="") +
                                 f"/state-diff?a={states[-1]['id']}&b={states[0]['id']}")
        for html in (listing.decode(), detail.decode(), diff.decode()):
            assert "<script>window" not in html and "<img src=x" not in html and "<svg onload" not in html
            assert "&lt;img src=x onerror=" in html
        api = running.json("/api/sessions/" + quote(XSS_SESSION, safe=""))
        assert api["session"]["session_id"] == XSS_SESSION  # JSON carries the exact text
        assert api["task_groups"][0]["name"] == XSS_SCRIPT
        assert api["success_criteria"]["items"][0]["criterion"] == XSS_SCRIPT
        assert api["events"][0]["event_payload"]["verdict"] == XSS_IMG
        assert api["reasoning"][0]["agent"] == XSS_ATTR
        assert api["plan"]["phases"][0]["name"] == XSS_IMG
    finally:
        stop_server(running)


def test_html_helper_escapes_every_value_unless_marked_safe() -> None:
    from bazinga_db.dashboard.html import Safe, html, join

    page = html('<a title="{}" data-n="{n:d}">{text}</a>{markup}', XSS_ATTR, n=3, text=XSS_SCRIPT,
                markup=html("<b>{}</b>", XSS_IMG))
    assert page == (
        '<a title="&quot;&#x27;&gt;&lt;svg onload=&quot;window.__xss = &#x27;svg&#x27;&quot;&gt;" data-n="3">'
        "&lt;script&gt;window.__xss = &#x27;script&#x27;&lt;/script&gt;</a>"
        "<b>&lt;img src=x onerror=&quot;window.__xss = &#x27;img&#x27;&quot;&gt;</b>"
    )
    assert isinstance(page, Safe)
    assert html("{}|{:.2f}|{}", None, 1.005, Safe("<br>")) == "|1.00|<br>"  # None is nothing; Safe stays markup
    assert join([html("<i>{}</i>", "&"), "<u>", None], ", ") == "<i>&amp;</i>, &lt;u&gt;, "
    assert html("{}", "<u>".upper()) == "&lt;U&gt;"  # a plain str made from markup is text again


def test_session_overview_aggregates_only_its_page(store: BazingaDB) -> None:
    """records.sessions.overview on both backends: counts, tokens, cost, filter, search, limit."""
    from bazinga_db.records import sessions

    store.create_session("ov_a", "simple", "alpha 100% done")
    store.create_task_group("g1", "ov_a", "one", "completed")
    store.create_task_group("g2", "ov_a", "two", "pending")
    store.log_tokens("ov_a", "developer", 400, "dev_1")
    store.log_tokens("ov_a", "developer", None, "dev_1", model="claude-sonnet-4-5", input_tokens=100,
                     output_tokens=100)
    store.log_interaction("ov_a", "pm", "first")
    last = store.log_interaction("ov_a", "pm", "second")
    store.create_session("ov_b", "parallel", "beta under_score")
    store.update_session_status("ov_b", "failed")
    store.create_session("ov_c", "simple", "gamma")
    with store.read() as tx:
        rows = {row["session_id"]: row for row in sessions.overview(tx)}
        assert set(rows) == {"ov_a", "ov_b", "ov_c"}
        a = rows["ov_a"]
        assert (a["groups_total"], a["groups_done"], a["tokens"], a["log_count"]) == (2, 1, 600, 2)
        assert a["cost_usd"] == 0.0018 and a["last_activity"] == last["timestamp"]
        b = rows["ov_b"]
        assert (b["groups_total"], b["groups_done"], b["tokens"], b["cost_usd"], b["log_count"], b["last_activity"]) \
            == (0, 0, 0, None, 0, None)
        assert [row["session_id"] for row in sessions.overview(tx, status="failed")] == ["ov_b"]
        assert [row["session_id"] for row in sessions.overview(tx, search="100%")] == ["ov_a"]
        assert [row["session_id"] for row in sessions.overview(tx, search="r_s")] == ["ov_b"]  # _ is literal
        assert sessions.overview(tx, search="100_") == []
        newest_first = [row["session_id"] for row in sessions.overview(tx)]
        assert [row["session_id"] for row in sessions.overview(tx, limit=2)] == newest_first[:2]


# -- in a real browser ---------------------------------------------------------------------------


def skip_unless_ci(reason: str) -> None:
    """Skip locally when a browser test cannot run; in CI (CI=true) that is a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    reason = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = "Python playwright is not installed (pip install '.[test]')"
    if reason is None and not os.path.exists(CHROMIUM):
        reason = f"{CHROMIUM} is missing (apt-get install chromium)"
    if reason is not None:
        skip_unless_ci(reason)
    with sync_playwright() as playwright:
        # launch() gives every run a fresh, temporary profile.
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    tab = context.new_page()
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: errors.append("dialog: " + dialog.message))
    yield tab
    context.close()
    assert errors == [], errors


def wait_live(page: Any) -> None:
    page.wait_for_selector("#live.on", timeout=5000)


def test_browser_board_and_charts_show_the_seeded_numbers(server: Server, page: Any) -> None:
    page.goto(server.url)
    row = page.locator(f'tr[data-session="{SESSION}"]')
    assert row.locator("td.groups .num").inner_text() == "3/7"
    assert "4,700" in row.inner_text()
    page.goto(server.url + f"sessions/{SESSION}")
    counts = {status: page.locator(f'.column[data-status="{status}"] article.task').count()
              for status in ("pending", "in_progress", "completed", "failed")}
    assert counts == {"pending": 2, "in_progress": 1, "completed": 3, "failed": 1}
    assert page.locator('.column[data-status="completed"] .count').inner_text() == "3"
    card = page.locator('article.task[data-group="g_c2"]')
    assert card.locator(".revisions").inner_text() == "2"
    assert card.locator(".review").inner_text() == "APPROVED"
    assert card.locator(".assignee").inner_text() == "developer_3"
    assert page.locator('article.task[data-group="g_i1"] .review').inner_text() == "CHANGES_REQUESTED"
    bars = {bar.get_attribute("data-label"): bar.locator("text.value").text_content()
            for bar in page.locator("svg.bars g.bar").all()}
    assert bars == {"developer_1": "3,000", "pm_main": "1,000", "qa_main": "700"}
    assert page.locator("svg.lines polyline.total").get_attribute("data-total") == "4700"
    series = {line.get_attribute("data-agent-type"): line.get_attribute("data-total")
              for line in page.locator("svg.lines polyline.series").all()}
    assert series == {"pm": "1000", "developer": "3000", "qa": "700"}
    assert page.locator("#log li.log-entry").count() == 3
    assert page.locator(".diff .changes li").count() == 3
    assert page.locator(".diff .changes li[data-op=remove] code").inner_text() == "pending[1]"
    assert page.locator('.card[data-metric="Tokens"] .metric').inner_text() == "4,700"
    # Costs: an estimate in dollars, per session, in total and per agent; "—" where nothing was priced.
    assert page.locator('.card[data-metric="Cost"] .metric').inner_text() == "≈ $0.0255"
    assert "estimate from the price table" in page.locator('.card[data-metric="Cost"]').inner_text()
    assert page.locator("#tokens .total-cost").inner_text() == "Cost: ≈ $0.0255 (estimate from the price table)"
    costs = {row.get_attribute("data-agent"): row.locator(".cost-cell").inner_text()
             for row in page.locator("table.agent-costs tbody tr").all()}
    assert costs == {"developer_1": "≈ $0.0255", "pm_main": "—", "qa_main": "—"}
    page.goto(server.url)
    assert page.locator(f'tr[data-session="{SESSION}"] .cost-cell').inner_text() == "≈ $0.0255"
    assert page.locator('tr[data-session="sess_other"] .cost-cell').inner_text() == "—"
    assert "estimate from the price table" in page.locator("#sessions").inner_text()


def test_browser_shows_a_cli_write_within_two_seconds(server: Server, seeded: str, page: Any) -> None:
    page.goto(server.url + f"sessions/{SESSION}")
    wait_live(page)
    assert run_cli("log-interaction", SESSION, "developer", "live from another process", "2", "developer_9",
                   "--group-id", "g_p1", db=seeded).code == 0
    entry = page.locator("#log li.log-entry", has_text="live from another process")
    entry.wait_for(timeout=2000)
    assert entry.locator(".agent-id").inner_text() == "developer_9"
    assert run_cli("update-task-group", "g_p1", "--session", SESSION, "--status", "completed", db=seeded).code == 0
    page.locator('.column[data-status="completed"] article.task[data-group="g_p1"]').wait_for(timeout=2000)
    assert page.locator('.column[data-status="pending"] article.task').count() == 1
    assert run_cli("log-tokens", SESSION, "tech_lead", "300", "tech_lead_main", db=seeded).code == 0
    page.locator('svg.lines polyline.total[data-total="5000"]').wait_for(timeout=2000)
    # The sessions page picks up a brand-new session without a reload.
    page.goto(server.url)
    wait_live(page)
    assert run_cli("create-session", "sess_new", "simple", "appears live", db=seeded).code == 0
    page.locator('tr[data-session="sess_new"]').wait_for(timeout=2000)


def test_browser_follows_a_demo_that_recreates_the_database(tmp_path: Path, page: Any) -> None:
    """`make dashboard` first, then `make demo`, which deletes and recreates the file."""
    path = str(tmp_path / "demo-run" / "bazinga.db")
    running = start_server(path)
    try:
        page.goto(running.url)
        assert "Waiting for the database" in page.inner_text("main")
        wait_live(page)
        assert run_cli("create-session", "first_run", "parallel", "one", db=path).code == 0
        page.locator('tr[data-session="first_run"]').wait_for(timeout=2000)
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        assert run_cli("create-session", "second_run", "parallel", "two", db=path).code == 0
        page.locator('tr[data-session="second_run"]').wait_for(timeout=2000)
        assert page.locator('tr[data-session="first_run"]').count() == 0
    finally:
        stop_server(running)


def test_browser_workflow_panels_render_and_update(workflow_server: Server, seeded: str, page: Any) -> None:
    page.goto(workflow_server.url + f"sessions/{SESSION}")
    wait_live(page)
    assert page.locator("#criteria .criteria-summary").inner_text() == "1 of 2 required met"
    items = page.locator("#criteria li.criterion")
    assert [item.get_attribute("data-status") for item in items.all()] == ["met", "pending", "met"]
    assert "412 passed" in items.first.inner_text() and "CI run 77" in items.first.inner_text()
    assert page.locator("#plan li.phase.current .phase-name").inner_text() == "2. Board"
    assert page.locator("#plan li.phase.current progress").get_attribute("value") == "40"
    assert [p.inner_text() for p in page.locator("#plan .percent").all()] == ["100%", "40%", "0%"]
    agents = [a.get_attribute("data-agent") for a in page.locator("#reasoning .reasoning-agent").all()]
    assert agents == ["developer_2", "tech_lead"]
    first = page.locator("#reasoning .reasoning-entry details").first
    assert not first.locator(".full").is_visible()
    first.locator("summary").click()
    assert first.locator(".full").is_visible() and "THE END" in first.locator(".full").inner_text()
    assert page.locator("#events li.verdict .verdict-value").inner_text() == "APPROVED"
    assert json.loads(page.locator("#events li").nth(1).locator("pre").inner_text()) == {
        "verdict": "APPROVED", "notes": "clean"}
    # Live: a verdict recorded by another process appears at the top without a reload.
    assert run_cli("save-event", SESSION, "validator_verdict", '{"verdict": "REJECT"}', "--agent-type", "validator",
                   db=seeded).code == 0
    page.locator("#events li.verdict .verdict-value", has_text="REJECT").wait_for(timeout=2000)
    assert page.locator("#events li").first.locator(".verdict-value").inner_text() == "REJECT"
    assert run_cli("update-success-criterion", SESSION, "Coverage >= 80%", "met", db=seeded).code == 0
    page.locator("#criteria .criteria-summary", has_text="2 of 2 required met").wait_for(timeout=2000)


def test_browser_log_filters_by_agent_and_group(server: Server, page: Any) -> None:
    page.goto(server.url + f"sessions/{SESSION}")
    page.select_option("#filter-agent", "qa")
    assert [e.inner_text() for e in page.locator("#log li.log-entry:visible .content").all()] == ["tested g_c1"]
    page.select_option("#filter-agent", "")
    page.select_option("#filter-group", "g_i1")
    assert [e.inner_text() for e in page.locator("#log li.log-entry:visible .content").all()] == ["working on g_i1"]


def test_browser_xss_payloads_stay_inert(db_target: str, page: Any) -> None:
    seed_xss(db_target)
    running = start_server(db_target)
    try:
        session_url = running.url + "sessions/" + quote(XSS_SESSION, safe="")
        for url in (running.url, session_url):
            page.goto(url)
            wait_live(page)
        # A payload arriving live goes through the JavaScript path, not the server's HTML.
        assert run_cli("log-interaction", XSS_SESSION, "pm", XSS_ATTR + XSS_IMG, "3", XSS_IMG,
                       "--group-id", XSS_SCRIPT, db=db_target).code == 0
        page.locator("#log li.log-entry").nth(3).wait_for(timeout=2000)  # 2 interactions, 1 reasoning, the new one
        page.wait_for_timeout(300)  # let the refreshed sections settle too
        assert page.evaluate("window.__xss") is None
        assert page.locator("img").count() == 0
        assert page.locator("svg[onload], [onerror], [onload]").count() == 0
        assert page.locator("script").count() == 1  # our app.js only
        assert page.locator("#log li.log-entry .content").last.inner_text() == XSS_ATTR + XSS_IMG
        assert page.locator("#log li.log-entry .group").last.inner_text() == XSS_SCRIPT
        assert page.locator("h1.session-id").inner_text() == XSS_SESSION
        assert page.locator("article.task .task-name").inner_text() == XSS_SCRIPT
        assert page.locator("article.task").get_attribute("data-group") == XSS_ATTR
        assert page.locator("#criteria .criterion-text").inner_text() == XSS_SCRIPT
        assert page.locator("#criteria .evidence").inner_text() == "evidence " + XSS_ATTR
        assert page.locator("#plan .phase-name").inner_text() == "1. " + XSS_IMG
        assert page.locator("#reasoning .reasoning-agent").get_attribute("data-agent") == XSS_ATTR
        assert page.locator("#reasoning .full").text_content() == XSS_SCRIPT + XSS_IMG * 40
        assert page.locator("#events .verdict-value").inner_text() == XSS_IMG
        states = running.json("/api/sessions/" + quote(XSS_SESSION, safe=""))["states"]
        page.goto(session_url + f"/state-diff?a={states[-1]['id']}&b={states[0]['id']}")
        assert page.evaluate("window.__xss") is None and page.locator("img").count() == 0
        assert "<img src=x onerror=" in page.locator("pre.unified").inner_text()
    finally:
        stop_server(running)


def test_browser_with_token_goes_live(seeded: str, page: Any) -> None:
    running = start_server(seeded, "--token", TOKEN)
    try:
        response = page.goto(running.url + f"sessions/{SESSION}")
        assert response.status == 401
        page.goto(running.url + f"sessions/{SESSION}?token={TOKEN}")
        assert "token" not in page.url
        wait_live(page)  # the event stream got in with the cookie the first page set
        assert run_cli("log-interaction", SESSION, "qa", "seen with a token", db=seeded).code == 0
        page.locator("#log li.log-entry", has_text="seen with a token").wait_for(timeout=2000)
    finally:
        stop_server(running)


def test_browser_screenshot_of_the_demo_session(tmp_path: Path, page: Any) -> None:
    """Plays examples/demo.sh and photographs the session page (the README's picture)."""
    bin_dir = str(Path(sys.executable).parent)
    if not shutil.which("bazinga-db", path=bin_dir):
        skip_unless_ci("the bazinga-db console script is not installed next to this Python (run make test)")
    path = "demo-run/bazinga.db"  # relative, as a person would type it: the page header shows it
    env = {**os.environ, "DEMO_DB": path, "DEMO_DELAY": "0", "PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    (tmp_path / "demo-run").mkdir()
    demo = subprocess.run(["bash", str(REPO / "examples" / "demo.sh")], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, check=False)
    assert demo.returncode == 0, demo.stderr
    session_id = re.search(r"\(session (\S+)\)", demo.stdout).group(1)  # type: ignore[union-attr]
    running = start_server(path, cwd=tmp_path)
    try:
        page.goto(running.url + "sessions/" + quote(session_id, safe=""))
        wait_live(page)
        assert page.locator('.column[data-status="completed"] article.task').count() == 3
        bottom = page.locator(".grid").first.bounding_box()
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True, clip={"x": 0, "y": 0, "width": 1400,
                                              "height": bottom["y"] + bottom["height"] - 4})
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 50_000
        if os.environ.get("UPDATE_SCREENSHOT") == "1":
            target = REPO / "docs" / "dashboard.png"
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(shot, target)
    finally:
        stop_server(running)
