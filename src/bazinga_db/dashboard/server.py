"""`bazinga-db dashboard`: a local web view of the database that updates live.

Standard library only (``http.server``), so the dashboard needs nothing beyond the
package. Every request reads in one short read-only transaction: on SQLite on a connection
opened (``mode=ro``) and closed for it, on PostgreSQL (REPEATABLE READ READ ONLY) on a
connection taken from a small pool of idle ones, never left inside a transaction. Live
updates are server-sent events driven by ``ChangeWatcher`` (SQLite) or ``ListenWatcher``
(PostgreSQL LISTEN/NOTIFY).
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from http.cookies import CookieError, SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import Any, TextIO
from urllib.parse import parse_qs, parse_qsl, quote, unquote, urlencode, urlsplit

from ..core import require_session
from ..db.backends import Transaction, is_postgres_url, open_backend
from ..db.paths import resolve_target
from ..errors import BazingaError, InvalidInput, NotFound, UsageError
from ..records import logs, memory, state
from ..util.validation import SESSION_STATUSES
from . import pages, projects, queries
from .watcher import ChangeWatcher, ListenWatcher

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
TOKEN_ENV = "BAZINGA_DASHBOARD_TOKEN"
COOKIE = "bazinga_dashboard_token"
KEEPALIVE_SECONDS = 15.0
MAX_INTEGER = 2**62
STATIC_TYPES = {"app.js": "text/javascript; charset=utf-8", "style.css": "text/css; charset=utf-8"}
# The pages load only our own script and stylesheet: even a payload that slipped past
# escaping could not run inline script or load anything from elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


class NotReady(Exception):
    """The database file does not exist yet or has no schema yet."""


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host part of a Host header: ``[::1]:8765`` -> ``::1``, ``localhost:8765`` -> ``localhost``."""
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


class Dashboard:
    """What every request handler shares: where the data is, the token, the watcher."""

    #: Idle PostgreSQL connections kept for the next requests (more are opened when busy).
    MAX_IDLE = 4

    def __init__(self, target: str, *, token: str | None, label: str | None = None) -> None:
        self.postgres = is_postgres_url(target)
        self.token = token
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self.watcher: ChangeWatcher | ListenWatcher
        if self.postgres:
            from ..db.backends.postgres import mask_password

            self.url = target
            #: Where the data is, for pages and JSON: a URL never shows its password.
            self.path = mask_password(target)
            self.label = mask_password(label) if label else self.path
            self.watcher = ListenWatcher(target)
        else:
            self.path = os.path.abspath(target)
            #: The database as the user named it, for page headers.
            self.label = label or target
            self.watcher = ChangeWatcher(self.path)

    @contextmanager
    def reading(self) -> Iterator[Transaction]:
        """One short read-only transaction (REPEATABLE READ READ ONLY on PostgreSQL) that
        ends as soon as the page is built. Never migrates, never writes: a database
        without the current schema is NotReady."""
        from ..db.migrations import LATEST_VERSION

        if self.postgres:
            backend = self._take()
            try:
                if backend.schema_version() < LATEST_VERSION:
                    raise NotReady()
                with backend.read() as tx:
                    yield tx
            finally:
                self._give(backend)  # read() has ended its transaction, whatever happened
            return
        from ..db.backends.sqlite import SQLiteBackend

        if not os.path.exists(self.path):
            raise NotReady()
        backend = SQLiteBackend(self.path, read_only=True)
        try:
            if backend.schema_version() < LATEST_VERSION:
                raise NotReady()
            with backend.read() as tx:
                yield tx
        finally:
            backend.close()

    def _take(self) -> Any:
        """A PostgreSQL backend for one request's thread: an idle one, else a new one.
        Each is used by one thread at a time; a broken connection reconnects by itself."""
        with self._lock:
            if self._idle:
                return self._idle.pop()
        return open_backend(self.url, read_only=True)

    def _give(self, backend: Any) -> None:
        with self._lock:
            if len(self._idle) < self.MAX_IDLE:
                self._idle.append(backend)
                return
        backend.close()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for backend in idle:
            backend.close()


class Handler(BaseHTTPRequestHandler):
    server_version = "bazinga-db-dashboard"
    protocol_version = "HTTP/1.1"
    dashboard: Dashboard  # set on the subclass made by make_server
    version = 0  # the watcher's change count when this request began

    # -- plumbing --------------------------------------------------------------------------

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown the terminal during a live run

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in {**SECURITY_HEADERS, **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _html(self, status: int, text: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, text.encode("utf-8"), "text/html; charset=utf-8", headers)

    def _json(self, status: int, data: Any) -> None:
        body = json.dumps(data, ensure_ascii=False, default=str).encode("utf-8")
        self._send(status, body, "application/json; charset=utf-8")

    def _error(self, api: bool, status: int, code: str, message: str) -> None:
        if api:
            self._json(status, {"ok": False, "error": {"code": code, "message": message}})
        else:
            self._html(status, pages.not_found(message, self.dashboard.label))

    # -- security --------------------------------------------------------------------------

    def _authorised(self, query: dict[str, str]) -> tuple[bool, dict[str, str]]:
        """Check the token (query, header or cookie); a token from the URL becomes a cookie."""
        dashboard = self.dashboard
        if dashboard.token is None:
            # Loopback without a token: refuse other Host names, so a web page cannot reach
            # us through DNS rebinding.
            host = host_name(self.headers.get("Host") or "")
            if host and not is_loopback(host):
                self._send(HTTPStatus.FORBIDDEN, b"forbidden host\n", "text/plain; charset=utf-8")
                return False, {}
            return True, {}
        offered = query.get("token")
        from_url = offered is not None
        if offered is None:
            authorization = self.headers.get("Authorization") or ""
            if authorization.lower().startswith("bearer "):
                offered = authorization[7:].strip()
        if offered is None:
            offered = self.headers.get("X-Bazinga-Token")
        if offered is None:
            cookie = SimpleCookie()
            try:
                cookie.load(self.headers.get("Cookie") or "")
            except CookieError:  # a malformed Cookie header counts as no token
                cookie = SimpleCookie()
            if COOKIE in cookie:
                offered = unquote(cookie[COOKIE].value)
        if offered is None:
            self._send(HTTPStatus.UNAUTHORIZED, b"token required: add ?token=... to the URL\n",
                       "text/plain; charset=utf-8", {"WWW-Authenticate": "Bearer"})
            return False, {}
        if not hmac.compare_digest(offered.encode("utf-8"), dashboard.token.encode("utf-8")):
            self._send(HTTPStatus.FORBIDDEN, b"wrong token\n", "text/plain; charset=utf-8")
            return False, {}
        if from_url:
            return True, {"Set-Cookie": f"{COOKIE}={quote(dashboard.token)}; Path=/; HttpOnly; SameSite=Strict"}
        return True, {}

    # -- routing -----------------------------------------------------------------------------

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_POST(self) -> None:
        self._send(HTTPStatus.METHOD_NOT_ALLOWED, b"the dashboard only reads\n", "text/plain; charset=utf-8",
                   {"Allow": "GET, HEAD"})

    do_PUT = do_DELETE = do_PATCH = do_POST

    def do_GET(self) -> None:
        # Taken before anything is read: a change after this moment is announced again.
        self.version = self.dashboard.watcher.version
        url = urlsplit(self.path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        segments = [unquote(part) for part in url.path.split("/") if part]
        api = bool(segments) and segments[0] == "api"
        allowed, cookie = self._authorised(query)
        if not allowed:
            return
        if cookie and not api and segments[:1] != ["events"]:
            # The token now lives in a cookie: send the browser to the same page without it,
            # so that it does not linger in the address bar, the history or a screenshot.
            rest = urlencode([(k, v) for k, v in parse_qsl(url.query, keep_blank_values=True) if k != "token"])
            self._send(HTTPStatus.SEE_OTHER, b"", "text/plain; charset=utf-8",
                       {**cookie, "Location": url.path + ("?" + rest if rest else "")})
            return
        try:
            self._route(segments[1:] if api else segments, query, api, cookie)
        except NotReady:
            if api:
                self._error(True, HTTPStatus.SERVICE_UNAVAILABLE, "database_not_ready",
                            f"database {self.dashboard.path} does not exist yet or needs `bazinga-db migrate`")
            else:
                self._html(HTTPStatus.OK, pages.waiting(self.dashboard.label, self.version), cookie)
        except NotFound as exc:  # an unknown session or project
            self._error(api, HTTPStatus.NOT_FOUND, exc.code, exc.message)
        except InvalidInput as exc:
            self._error(api, HTTPStatus.BAD_REQUEST, exc.code, exc.message)
        except (BrokenPipeError, ConnectionResetError):
            pass
        except BazingaError as exc:
            self._error(api, HTTPStatus.INTERNAL_SERVER_ERROR, exc.code, exc.message)

    def _route(self, segments: list[str], query: dict[str, str], api: bool, cookie: dict[str, str]) -> None:
        if any("\x00" in segment for segment in segments):
            # No id holds a NUL (PostgreSQL text cannot): unknown, without asking the database.
            self._error(api, HTTPStatus.NOT_FOUND, "not_found", "no page at an address with a NUL character")
            return
        if not api and len(segments) == 2 and segments[0] == "static" and segments[1] in STATIC_TYPES:
            body = resources.files(__package__).joinpath("static").joinpath(segments[1]).read_bytes()
            self._send(HTTPStatus.OK, body, STATIC_TYPES[segments[1]])
            return
        if not api and segments == ["favicon.ico"]:
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
            return
        if not api and segments == ["events"]:
            self._events(query)
            return
        if segments in ([], ["sessions"]):
            self._sessions(query, api, cookie)
        elif len(segments) == 2 and segments[0] == "sessions":
            self._session(segments[1], query, api, cookie)
        elif len(segments) == 3 and segments[0] == "sessions" and segments[2] == "state-diff":
            self._state_diff(segments[1], query, api, cookie)
        elif api and len(segments) == 3 and segments[0] == "sessions" and segments[2] == "logs":
            self._logs(segments[1], query)
        elif segments == ["projects"]:
            self._projects(api, cookie)
        elif len(segments) == 2 and segments[0] == "projects":
            self._project(segments[1], api, cookie)
        else:
            self._error(api, HTTPStatus.NOT_FOUND, "not_found", f"no page at {self.path.split('?')[0]}")

    # -- pages and their JSON twins --------------------------------------------------------------

    def _sessions(self, query: dict[str, str], api: bool, cookie: dict[str, str]) -> None:
        status = query.get("status", "").strip().lower()
        if status and status not in SESSION_STATUSES:
            raise InvalidInput(f"status must be one of {', '.join(SESSION_STATUSES)}, got {status!r}")
        search = query.get("q", "").strip()
        limit = _integer(query, "limit", queries.SESSION_LIMIT, minimum=1)
        with self.dashboard.reading() as tx:
            rows = queries.sessions_overview(tx, status=status or None, search=search or None, limit=limit)
        if api:
            self._json(HTTPStatus.OK, {"database": self.dashboard.path, "sessions": rows})
        else:
            self._html(HTTPStatus.OK, pages.sessions_page(rows, status=status, search=search,
                                                         location=self.dashboard.label, version=self.version), cookie)

    def _session(self, session_id: str, query: dict[str, str], api: bool, cookie: dict[str, str]) -> None:
        with_logs = api or query.get("partial") != "1"
        with self.dashboard.reading() as tx:
            detail = queries.session_detail(tx, session_id, with_logs=with_logs)
            pair = state.latest_pair(tx, session_id)
            diff = queries.state_diff(tx, session_id, *pair) if pair else None
        if api:
            self._json(HTTPStatus.OK, {**detail, "state_diff": diff})
        else:
            page = pages.session_page(detail, diff, location=self.dashboard.label, version=self.version)
            self._html(HTTPStatus.OK, page, cookie)

    def _projects(self, api: bool, cookie: dict[str, str]) -> None:
        with self.dashboard.reading() as tx:
            rows = memory.projects_overview(tx)
        if api:
            self._json(HTTPStatus.OK, {"database": self.dashboard.path, "projects": rows})
        else:
            self._html(HTTPStatus.OK, projects.projects_page(rows, location=self.dashboard.label, version=self.version),
                       cookie)

    def _project(self, project_id: str, api: bool, cookie: dict[str, str]) -> None:
        # The id comes from the URL: it is only ever a bound parameter and escaped text.
        with self.dashboard.reading() as tx:
            detail = queries.project_detail(tx, project_id)
        if api:
            self._json(HTTPStatus.OK, detail)
        else:
            self._html(HTTPStatus.OK, projects.project_page(detail, location=self.dashboard.label, version=self.version),
                       cookie)

    def _state_diff(self, session_id: str, query: dict[str, str], api: bool, cookie: dict[str, str]) -> None:
        with self.dashboard.reading() as tx:
            require_session(tx, session_id)
            if "a" in query or "b" in query:
                pair = (_integer(query, "a", 0), _integer(query, "b", 0))
            else:
                pair = state.latest_pair(tx, session_id, query.get("type") or None)  # type: ignore[assignment]
                if pair is None:
                    raise InvalidInput("this session has no state type saved twice; give ?a=ID&b=ID")
            diff = queries.state_diff(tx, session_id, *pair)
        if api:
            self._json(HTTPStatus.OK, diff)
        else:
            self._html(HTTPStatus.OK, pages.diff_page(session_id, diff, location=self.dashboard.label), cookie)

    def _logs(self, session_id: str, query: dict[str, str]) -> None:
        with self.dashboard.reading() as tx:
            require_session(tx, session_id)
            rows = logs.after(
                tx, session_id,
                after_id=_integer(query, "after_id", 0),
                agent_type=query.get("agent") or query.get("agent_type") or None,
                group_id=query.get("group") or query.get("group_id") or None,
                limit=_integer(query, "limit", queries.LOG_LIMIT, minimum=1),
            )
        self._json(HTTPStatus.OK, {"session_id": session_id, "logs": rows})

    # -- live updates ------------------------------------------------------------------------------

    def _events(self, query: dict[str, str]) -> None:
        """Server-sent events: an ``update`` whenever the database changed, carrying the new
        log entries of the session being watched (the event id is the last log id, so a
        reconnecting browser resumes where it stopped)."""
        session_id = query.get("session") or None
        last_id = _integer({"id": self.headers.get("Last-Event-ID") or query.get("after", "0")}, "id", 0)
        watcher = self.dashboard.watcher
        seen = watcher.version
        page_version = _integer(query, "version", seen)
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Accel-Buffering", "no")
        self.end_headers()
        self.close_connection = True
        self._push("retry: 1000\n\n")
        # A change between rendering the page and this subscription is announced at once.
        last_id = self._push_update(session_id, last_id, seen, announce=page_version != seen)
        while not watcher.stopping:
            version = watcher.wait_for_change(seen, KEEPALIVE_SECONDS)
            if version == seen:
                self._push(": keep-alive\n\n")  # also how we learn that the browser left
                continue
            seen = version
            last_id = self._push_update(session_id, last_id, seen, announce=True)

    def _push_update(self, session_id: str | None, last_id: int, version: int, *, announce: bool) -> int:
        new_logs: list[dict[str, Any]] = []
        if session_id is not None:
            try:
                with self.dashboard.reading() as tx:
                    new_logs = logs.after(tx, session_id, after_id=last_id, limit=queries.LOG_LIMIT)
            except (NotReady, BazingaError):
                # The file is being created or replaced, or the server restarts: the next
                # change retries.
                new_logs = []
        if new_logs:
            last_id = int(new_logs[-1]["id"])
        if not announce and not new_logs:
            self._push(f"event: ready\ndata: {json.dumps({'version': version})}\n\n")
            return last_id
        data = json.dumps({"version": version, "logs": new_logs}, ensure_ascii=False, default=str)
        self._push(f"id: {last_id}\nevent: update\ndata: {data}\n\n")
        return last_id

    def _push(self, text: str) -> None:
        self.wfile.write(text.encode("utf-8"))
        self.wfile.flush()


def _integer(query: dict[str, str], name: str, default: int, minimum: int = 0) -> int:
    text = query.get(name)
    if text is None or text == "":
        return default
    try:
        value = int(text)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {text!r}") from None
    if value < minimum:
        raise InvalidInput(f"{name} must be at least {minimum}, got {value}")
    if value > MAX_INTEGER:  # SQLite's integers stop at 2**63 - 1
        raise InvalidInput(f"{name} must be at most {MAX_INTEGER}, got {value}")
    return value


class IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def make_server(path: str, host: str, port: int, token: str | None,
                label: str | None = None) -> tuple[ThreadingHTTPServer, Dashboard]:
    dashboard = Dashboard(path, token=token, label=label)
    handler = type("DashboardHandler", (Handler,), {"dashboard": dashboard})
    server_class = IPv6Server if ":" in host else ThreadingHTTPServer  # e.g. --host ::1
    server = server_class((host.strip("[]"), port), handler)
    server.daemon_threads = True  # open event streams must not keep the process alive
    return server, dashboard


def run_command(arguments: dict[str, Any], invocation: Any, out: TextIO, err: TextIO) -> int:
    """The `dashboard` command: check the options, bind, serve until Ctrl-C."""
    host = str(arguments.get("host") or DEFAULT_HOST).strip()
    port = arguments.get("port", DEFAULT_PORT)
    if not 0 <= port <= 65535:
        raise UsageError(f"--port must be between 0 and 65535 (0 picks a free port), got {port}")
    token = arguments.get("token")
    if token is None:
        token = os.environ.get(TOKEN_ENV) or None
    if token is not None and len(token) < 8:
        raise UsageError("--token must be at least 8 characters long")
    if not is_loopback(host) and token is None:
        raise UsageError(
            f"refusing to serve on {host} without a token: anyone who can reach it would read every session",
            hint=f"add --token SECRET (or set {TOKEN_ENV}), or keep the default --host 127.0.0.1",
        )
    target = resolve_target(invocation.db)
    if is_postgres_url(target):
        open_backend(target, read_only=True).close()  # a malformed URL is refused here (exit 2)
    try:
        server, dashboard = make_server(target, host, port, token, label=invocation.db)
    except OSError as exc:
        raise BazingaError(f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                           hint="choose another --port (0 picks a free one)") from None
    bound_host, bound_port = server.server_address[:2]
    name = bound_host.decode() if isinstance(bound_host, bytes) else str(bound_host)
    shown = f"[{name}]" if ":" in name else name
    url = f"http://{shown}:{bound_port}/"
    link = url + (f"?token={quote(token)}" if token else "")
    if getattr(invocation, "json", False):
        print(json.dumps({"url": link, "database": dashboard.path}), file=out, flush=True)
    else:
        print(f"Dashboard of {dashboard.path} at {link}", file=out, flush=True)
    if not dashboard.postgres and not os.path.exists(dashboard.path):
        print(f"waiting for {dashboard.path} to be created", file=err, flush=True)
    print("Press Ctrl-C to stop.", file=err, flush=True)
    dashboard.watcher.start()
    try:
        server.serve_forever(poll_interval=0.25)
    except KeyboardInterrupt:
        pass
    finally:
        dashboard.watcher.stop()
        server.server_close()
        dashboard.close()
    return 0
