"""The dashboard's context-package panel and its project pages (learned error patterns and
strategies): real server process, real HTTP, real Chromium, on SQLite and PostgreSQL.

Everything is seeded through the public API (``BazingaDB``), the later writes of the live
tests through the CLI from another process.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

# browser and page: test_dashboard's fixtures (one Chromium per module, a fresh context per
# test), imported so that pytest finds them here.
from test_dashboard import XSS_ATTR, XSS_IMG, XSS_SCRIPT, XSS_SESSION, browser, page, seed_xss, wait_live  # noqa: F401

from bazinga_db import BazingaDB
from conftest import run_cli
from dashboard_helpers import SESSION, Server, seed, start_server, stop_server

PROJECT = "proj_web"
XSS_PROJECT = "proj_\"'><img src=x onerror=window.__xss=2>"
XSS_LANG = "\"'><svg/onload=window.__xss='lang'>"  # one word: a language label has no spaces


def seed_context(path: str, root: Path) -> dict[str, int]:
    """Two packages of the seeded session: one for a group, read by one of its two consumers;
    one session-wide, read by its consumer in iteration 2 only."""
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "docs" / "research.md").write_text("# Findings\n" + "x" * 100)
    with BazingaDB(path) as db:
        research = db.save_context_package(SESSION, "g_i1", "research", "docs/research.md", "pm",
                                           ["developer", "qa"], "high", "OAuth flow options compared",
                                           project_root=str(root))
        handoff = db.save_context_package(SESSION, "global", "handoff", "docs/handoff.md", "tech_lead",
                                          ["developer"], "critical", "Keep the public API stable",
                                          project_root=str(root))
        db.mark_context_consumed(research["id"], "developer", 1)
        db.mark_context_consumed(handoff["id"], "developer", 2)
        db.save_consumption(SESSION, "g_i1", "developer", 2, handoff["id"])  # what the assembler gave it
    return {"research": research["id"], "handoff": handoff["id"]}


def seed_memory(path: str) -> None:
    """proj_web: two error patterns (one seen twice) and two strategies; proj_cli: one strategy."""
    with BazingaDB(path) as db:
        db.save_error_pattern(PROJECT, "ImportError", "No module named 'foo' in /src/app/main.py line 12",
                              "pip install foo", lang="python")
        db.save_error_pattern(PROJECT, "ImportError", "No module named 'bar' in /src/lib/util.py line 99",
                              "add it to requirements.txt, then pip install", lang="python")
        db.save_error_pattern(PROJECT, "TS2345", "Argument of type 'string' is not assignable", "parse the number",
                              lang="typescript")
        db.save_strategy(PROJECT, "implementation", "Write the failing test first", lang="python",
                         framework="pytest")
        db.save_strategy(PROJECT, "architecture", "Keep the store behind one façade")
        db.save_strategy(PROJECT, "architecture", "Keep the store behind one façade")  # helpful twice
        db.save_strategy("proj_cli", "general", "Print only the result on stdout")


@pytest.fixture
def context_server(db_target: str, tmp_path: Path) -> Iterator[tuple[Server, dict[str, int]]]:
    seed(db_target)
    ids = seed_context(db_target, tmp_path / "project")
    seed_memory(db_target)
    running = start_server(db_target)
    yield running, ids
    stop_server(running)


@pytest.fixture
def tab(request: pytest.FixtureRequest) -> Any:
    """test_dashboard's ``page`` fixture (a tab in headless Chromium that fails the test on a
    script error), under a name that does not shadow the import."""
    return request.getfixturevalue("page")


# -- HTTP and the JSON twins -----------------------------------------------------------------------


def test_api_session_detail_has_the_context_packages(context_server: tuple[Server, dict[str, int]]) -> None:
    server, ids = context_server
    packages = server.json(f"/api/sessions/{SESSION}")["context_packages"]
    assert [p["id"] for p in packages] == [ids["handoff"], ids["research"]]  # newest first
    handoff, research = packages
    assert (research["package_type"], research["priority"], research["producer_agent"], research["group_id"],
            research["file_path"], research["size_bytes"]) == ("research", "high", "pm", "g_i1", "docs/research.md", 111)
    assert [(c["agent_type"], c["iteration"], c["consumed_at"] is not None) for c in research["consumers"]] == [
        ("developer", 1, True), ("qa", 1, False)]
    assert handoff["group_id"] is None and handoff["size_bytes"] is None  # the file does not exist (yet)
    # handed over in iteration 1, read in iteration 2: one row, read in 2
    assert [(c["agent_type"], c["iteration"], c["consumed_at"] is not None) for c in handoff["consumers"]] == [
        ("developer", 2, True)]
    assert [(g["agent_type"], g["iteration"]) for g in handoff["given"]] == [("developer", 2)]
    assert research["given"] == []
    _, _, body = server.get(f"/sessions/{SESSION}")
    text = body.decode()
    assert 'data-live id="context"' in text
    assert "2 · 1 unread by a consumer" in text  # qa has not read the research; developer read the handoff later
    assert '<span class="muted session-wide">session-wide</span>' in text
    assert '<span class="given-to" data-agent="developer">developer (iteration 2)</span>' in text
    assert '<span class="group">g_i1</span>' in text and "<code>docs/research.md</code>" in text
    assert text.count('data-consumed="yes"') == 2 and text.count('data-consumed="no"') == 1
    assert "iteration 2 at" in text


def test_context_panel_says_when_there_is_nothing(context_server: tuple[Server, dict[str, int]]) -> None:
    server, _ = context_server
    assert server.json("/api/sessions/sess_other")["context_packages"] == []
    assert '<p class="empty">No context packages yet.</p>' in server.get("/sessions/sess_other")[2].decode()


def test_projects_list_and_project_page(context_server: tuple[Server, dict[str, int]]) -> None:
    server, _ = context_server
    projects = server.json("/api/projects")["projects"]
    assert [(p["project_id"], p["error_patterns"], p["active_error_patterns"], p["strategies"]) for p in projects] == [
        ("proj_cli", 0, 0, 1), (PROJECT, 2, 2, 2)]
    assert all(p["last_seen"] for p in projects)
    detail = server.json(f"/api/projects/{PROJECT}")
    assert detail["project_id"] == PROJECT and detail["counts"]["error_patterns"] == 2
    patterns = detail["error_patterns"]
    # The two ImportErrors differ only in the module name, path and line: one pattern, seen twice.
    assert [(p["error_type"], p["signature"]["message_pattern"], p["occurrences"], p["lang"], p["expired"])
            for p in patterns] == [
        ("ImportError", "No module named '...' in <path> line N", 2, "python", False),
        ("TS2345", "Argument of type '...' is not assignable", 1, "typescript", False)]
    assert patterns[0]["solution"] == "add it to requirements.txt, then pip install"  # the longer one is kept
    assert [(s["topic"], s["insight"], s["helpfulness"], s["lang"], s["framework"]) for s in detail["strategies"]] == [
        ("architecture", "Keep the store behind one façade", 2, None, None),
        ("implementation", "Write the failing test first", 1, "python", "pytest")]
    listing = server.get("/projects")[2].decode()
    assert f'<a href="/projects/{PROJECT}">{PROJECT}</a>' in listing and 'data-live id="projects"' in listing
    assert 'href="/projects" aria-current="page">Projects</a>' in listing
    page_text = server.get(f"/projects/{PROJECT}")[2].decode()
    for piece in ('data-live id="error-patterns"', 'data-live id="strategies"', "pip install",
                  "No module named &#x27;...&#x27; in &lt;path&gt; line N", '<td class="stack">python / pytest</td>',
                  '<td class="num occurrences">2</td>', '<span class="confidence confidence-medium">0.50</span>'):
        assert piece in page_text, piece
    home = server.get("/")[2].decode()
    assert '<a href="/projects">Projects</a>' in home  # linked from every page's header


def test_project_pages_have_json_twins_and_unknown_ones_are_404(context_server: tuple[Server, dict[str, int]]) -> None:
    server, _ = context_server
    for path in ("/projects", f"/projects/{PROJECT}", "/projects/proj_cli"):
        status, headers, _ = server.get(path)
        assert status == 200 and headers["Content-Type"].startswith("text/html"), path
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        api_status, api_headers, _ = server.get("/api" + path)
        assert api_status == 200 and api_headers["Content-Type"].startswith("application/json"), path
    assert server.json("/api/projects/proj_cli")["error_patterns"] == []
    status, headers, body = server.get("/api/projects/nope")
    assert status == 404 and headers["Content-Type"].startswith("application/json")
    assert b'"code": "not_found"' in body and b"no project 'nope'" in body
    status, _, body = server.get("/projects/" + quote(XSS_IMG, safe=""))
    assert status == 404 and b"<img src=x" not in body and b"&lt;img src=x onerror=" in body
    assert server.get("/projects/proj_web/extra")[0] == 404
    # Ids no store would accept are simply unknown: a NUL (which PostgreSQL text cannot hold), a
    # quote, a very long one.
    for odd in ("%00", "a%27%20OR%20%271%27=%271", "x" * 5000):
        status, _, body = server.get("/api/projects/" + odd)
        assert status == 404 and b'"code": "not_found"' in body, (odd[:20], status, body[:200])
    assert server.get("/api/sessions/%00")[0] == 404 and server.get("/projects/%00")[0] == 404


def test_project_pages_on_an_empty_database(db_target: str) -> None:
    seed(db_target)
    running = start_server(db_target)
    try:
        assert running.json("/api/projects") == {"database": running.json("/api/sessions")["database"],
                                                 "projects": []}
        assert "No project has learned anything yet" in running.get("/projects")[2].decode()
        assert running.get(f"/projects/{PROJECT}")[0] == 404
    finally:
        stop_server(running)


def seed_memory_xss(path: str, root: Path) -> None:
    """Payloads in everything an agent writes to a package, a pattern or a strategy."""
    root.mkdir(parents=True, exist_ok=True)
    with BazingaDB(path) as db:
        db.save_context_package(XSS_SESSION, XSS_ATTR, "investigation", XSS_SCRIPT, "investigator", ["developer"],
                                "low", XSS_IMG, project_root=str(root))
        db.save_error_pattern(XSS_PROJECT, XSS_SCRIPT, XSS_IMG, XSS_ATTR, lang=XSS_LANG, context_hints=[XSS_IMG])
        db.save_strategy(XSS_PROJECT, "general", XSS_SCRIPT + XSS_IMG, lang=XSS_LANG, framework=XSS_LANG)


def test_pages_escape_packages_patterns_and_strategies(db_target: str, tmp_path: Path) -> None:
    seed_xss(db_target)
    seed_memory_xss(db_target, tmp_path / "project")
    running = start_server(db_target)
    try:
        bodies = [running.get(path)[2].decode() for path in (
            "/sessions/" + quote(XSS_SESSION, safe=""), "/projects", "/projects/" + quote(XSS_PROJECT, safe=""))]
        for text in bodies:
            assert "<script>window" not in text and "<img src=x" not in text and "<svg onload" not in text
            assert "<svg/onload" not in text
            assert "&lt;img src=x onerror=" in text
        package = running.json("/api/sessions/" + quote(XSS_SESSION, safe=""))["context_packages"][0]
        assert (package["summary"], package["file_path"], package["group_id"]) == (XSS_IMG, XSS_SCRIPT, XSS_ATTR)
        detail = running.json("/api/projects/" + quote(XSS_PROJECT, safe=""))
        assert detail["project_id"] == XSS_PROJECT
        pattern = detail["error_patterns"][0]
        assert (pattern["error_type"], pattern["solution"], pattern["signature"]["context_hints"]) == (
            XSS_SCRIPT, XSS_ATTR, [XSS_IMG])
        assert detail["strategies"][0]["insight"] == XSS_SCRIPT + XSS_IMG
    finally:
        stop_server(running)


# -- in a real browser ---------------------------------------------------------------------------


def test_browser_context_panel_and_project_page_update_live(context_server: tuple[Server, dict[str, int]],
                                                            db_target: str, tab: Any) -> None:
    server, ids = context_server
    tab.goto(server.url + f"sessions/{SESSION}")
    wait_live(tab)
    research = tab.locator(f'#context li.package[data-package="{ids["research"]}"]')
    assert research.locator(".summary").inner_text() == "OAuth flow options compared"
    assert research.locator(".producer").inner_text() == "pm"
    assert research.locator(".consumer-list").inner_text() == "developer, qa"
    assert research.locator('li.consumer[data-agent="qa"]').get_attribute("data-consumed") == "no"
    handoff = tab.locator(f'#context li.package[data-package="{ids["handoff"]}"]')
    assert handoff.locator(".session-wide").inner_text() == "session-wide"
    assert "iteration 2 at" in handoff.locator('li.consumer[data-agent="developer"]').inner_text()
    assert run_cli("mark-context-consumed", str(ids["research"]), "qa", "3", db=db_target).code == 0
    tab.locator(f'#context li.package[data-package="{ids["research"]}"] '
                 'li.consumer[data-agent="qa"][data-consumed="yes"]').wait_for(timeout=2000)
    assert "0 unread" in tab.locator("#context .context-summary").inner_text()
    assert "iteration 3 at" in tab.locator(
        f'#context li.package[data-package="{ids["research"]}"] li.consumer[data-agent="qa"]').inner_text()

    tab.locator("header nav.sections a", has_text="Projects").click()
    tab.locator(f'tr[data-project="{PROJECT}"] a').click()
    tab.wait_for_url(f"**/projects/{PROJECT}")
    wait_live(tab)
    assert tab.locator("h1.project-id").inner_text() == PROJECT
    assert tab.locator("#error-patterns tr.pattern").count() == 2
    assert tab.locator("#strategies tr.strategy .insight").first.inner_text() == "Keep the store behind one façade"
    assert run_cli("save-strategy", PROJECT, "methodology", "Review the diff before the tests", db=db_target).code == 0
    tab.locator("#strategies tr.strategy .insight", has_text="Review the diff before the tests").wait_for(timeout=2000)
    assert tab.locator("#strategies tr.strategy").count() == 3


def test_browser_memory_payloads_stay_inert(db_target: str, tmp_path: Path, tab: Any) -> None:
    seed_xss(db_target)
    seed_memory_xss(db_target, tmp_path / "project")
    running = start_server(db_target)
    try:
        tab.goto(running.url + "sessions/" + quote(XSS_SESSION, safe=""))
        wait_live(tab)
        assert tab.locator("#context .summary").inner_text() == XSS_IMG
        assert tab.locator("#context .file code").inner_text() == XSS_SCRIPT
        assert tab.locator("#context .scope .group").inner_text() == XSS_ATTR
        tab.goto(running.url + "projects")
        assert tab.locator("table.projects td a").inner_text() == XSS_PROJECT
        tab.locator("table.projects td a").click()
        wait_live(tab)
        assert tab.locator("h1.project-id").inner_text() == XSS_PROJECT
        assert tab.locator("#error-patterns .error-type").inner_text() == XSS_SCRIPT
        assert tab.locator("#error-patterns .solution").inner_text() == XSS_ATTR
        assert tab.locator("#error-patterns .hints").inner_text() == XSS_IMG
        assert tab.locator("#error-patterns .lang").inner_text() == XSS_LANG
        assert tab.locator("#strategies .insight").inner_text() == XSS_SCRIPT + XSS_IMG
        assert tab.locator("#strategies .stack").inner_text() == f"{XSS_LANG} / {XSS_LANG}"
        # A live update swaps the sections in again: still text.
        assert run_cli("save-strategy", XSS_PROJECT, "general", XSS_IMG + " again", db=db_target).code == 0
        tab.locator("#strategies tr.strategy").nth(1).wait_for(timeout=2000)
        tab.goto(running.url + "projects/" + quote(XSS_IMG, safe=""))
        assert tab.locator("h1").inner_text() == "Not found"
        assert tab.evaluate("window.__xss") is None and tab.locator("img, svg:not(.chart)").count() == 0
    finally:
        stop_server(running)
