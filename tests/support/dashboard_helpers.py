"""Driving the dashboard in tests: a seeded database and a real server process.

Shared by the dashboard tests of both backends (``seed`` writes through the API, so it
takes an SQLite path or a PostgreSQL URL alike).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from bazinga_db import BazingaDB

SESSION = "sess_board"


def seed(path: str) -> None:
    """A session with known numbers: 2 pending, 1 in progress, 3 completed, 1 failed."""
    with BazingaDB(path) as db:
        db.create_session(SESSION, "parallel", "Build the board")
        groups = [
            ("g_p1", "Pending one", "pending", "developer_1"),
            ("g_p2", "Pending two", "pending", None),
            ("g_i1", "Working", "in_progress", "developer_2"),
            ("g_c1", "Done one", "completed", "developer_1"),
            ("g_c2", "Done two", "completed", "developer_3"),
            ("g_c3", "Done three", "completed", "developer_2"),
            ("g_f1", "Broken", "failed", "developer_4"),
        ]
        for group_id, name, status, assignee in groups:
            db.create_task_group(group_id, SESSION, name, "pending", assignee)
            if status != "pending":
                db.update_task_group(group_id, session_id=SESSION, status=status)
        db.update_task_group("g_c2", session_id=SESSION, revision_count=2, last_review_status="APPROVED")
        db.update_task_group("g_i1", session_id=SESSION, last_review_status="CHANGES_REQUESTED")
        db.log_tokens(SESSION, "pm", 1000, "pm_main")
        # Priced: a model and a split (1,000 in + 1,500 out = 2,500 tokens); the others are estimates.
        db.log_tokens(SESSION, "developer", None, "developer_1", model="claude-sonnet-4-5",
                      input_tokens=1000, output_tokens=1500)
        db.log_tokens(SESSION, "developer", 500, "developer_1")
        db.log_tokens(SESSION, "qa", 700, "qa_main")
        db.log_interaction(SESSION, "pm", "planned seven groups", 1, "pm_main")
        db.log_interaction(SESSION, "developer", "working on g_i1", 1, "developer_2", group_id="g_i1")
        db.log_interaction(SESSION, "qa", "tested g_c1", 2, "qa_main", group_id="g_c1")
        db.save_state(SESSION, "pm", {"iteration": 1, "pending": ["g_p1", "g_p2"]})
        db.save_state(SESSION, "pm", {"iteration": 2, "pending": ["g_p2"]})
        db.save_skill_output(SESSION, "lint", {"errors": 0, "warnings": 4})
        db.log_decision(SESSION, "spawn_developers", {"count": 4}, 1)
        db.create_session("sess_other", "simple", "Something else entirely")
        db.update_session_status("sess_other", "failed")


class Server:
    def __init__(self, process: subprocess.Popen[str], url: str, banner: str = "") -> None:
        self.process = process
        self.url = url
        #: The line the command printed on start ("Dashboard of … at …").
        self.banner = banner

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.url + path.lstrip("/"), headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, path: str, headers: dict[str, str] | None = None) -> Any:
        status, _, body = self.get(path, headers)
        assert status == 200, (status, body)
        return json.loads(body)


def start_server(db: str, *args: str, cwd: Path | None = None) -> Server:
    process = subprocess.Popen(
        [sys.executable, "-m", "bazinga_db", "--db", db, "dashboard", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd,
    )
    line = process.stdout.readline() if process.stdout else ""
    match = re.search(r"(http://[^/\s]+/)", line)
    if not match:
        process.kill()
        raise AssertionError(f"the dashboard did not start: {line!r} {process.stderr.read() if process.stderr else ''}")
    url = match.group(1).replace("0.0.0.0", "127.0.0.1")
    return Server(process, url, line)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    for stream in (server.process.stdout, server.process.stderr):
        if stream:
            stream.close()
