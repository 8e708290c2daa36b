"""Secret redaction: each documented pattern, text that must stay untouched, and the switches."""

from __future__ import annotations

import json
import os
import sqlite3

import pytest

from bazinga_db import BazingaDB
from bazinga_db.util.redaction import redact_json, redact_text

# Built by concatenation so that no scanner mistakes this file for a leak.
ANTHROPIC = "sk-ant-" + "api03-" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6"
OPENAI = "sk-" + "proj-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
OPENAI_LEGACY = "sk-" + "T3BlbkFJ" + "q" * 32
STRIPE = "sk_" + "live_" + "51HxYzAbCdEfGhIjKlMnOpQr"
AWS = "AKIA" + "IOSFODNN7EXAMPLE"
GITHUB = "ghp_" + "16C7e42F292c6912E7710c838347Ae178B4a"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
GOOGLE = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
       + "." + "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75\nq8Kx+ZzY\n-----END RSA PRIVATE KEY-----"

PATTERNS = [
    ("anthropic", f"export ANTHROPIC={ANTHROPIC}", "export ANTHROPIC=[REDACTED:anthropic_key]"),
    ("openai", f"key {OPENAI} used", "key [REDACTED:openai_key] used"),
    ("openai-legacy", f"({OPENAI_LEGACY})", "([REDACTED:openai_key])"),
    ("stripe", f"stripe: {STRIPE}", "stripe: [REDACTED:stripe_key]"),
    ("aws", f"aws id {AWS} in ~/.aws", "aws id [REDACTED:aws_access_key] in ~/.aws"),
    ("github", f"git remote https://{GITHUB}@github.com/o/r", "git remote https://[REDACTED:github_token]@github.com/o/r"),
    ("github-pat", f"GH={GITHUB_PAT}", "GH=[REDACTED:github_token]"),
    ("slack", f"slack {SLACK}", "slack [REDACTED:slack_token]"),
    ("google", f"maps key {GOOGLE}.", "maps key [REDACTED:google_api_key]."),
    ("jwt", f"cookie {JWT}", "cookie [REDACTED:jwt]"),
    ("bearer", "Authorization: Bearer abcdef0123456789ghijkl", "Authorization: Bearer [REDACTED:bearer_token]"),
    ("private-key", f"key:\n{PRIVATE_KEY}\nafter", "key:\n[REDACTED:private_key]\nafter"),
    ("private-key-truncated", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk", "[REDACTED:private_key]"),
    ("password-assignment", "login with password=hunter2 now", "login with password=[REDACTED:password] now"),
    ("env-assignment", "DB_PASSWORD='pa55 word' next", "DB_PASSWORD='[REDACTED:password]' next"),
    ("secret-colon", "client_secret: 8f3Kq9Zr", "client_secret: [REDACTED:secret]"),
    ("token-assignment", "GITLAB_TOKEN=glpat-abcdef123456", "GITLAB_TOKEN=[REDACTED:secret]"),
    ("json-in-text", '{"api_key": "abc123def456"}', '{"api_key": "[REDACTED:secret]"}'),
    ("connection-string", "postgresql://app:s3cr3t@db.internal:5432/prod",
     "postgresql://app:[REDACTED:password]@db.internal:5432/prod"),
    ("mongodb-srv", "mongodb+srv://admin:P%40ss@cluster0.mongodb.net", "mongodb+srv://admin:[REDACTED:password]@cluster0.mongodb.net"),
]


@pytest.mark.parametrize("text, expected", [case[1:] for case in PATTERNS], ids=[case[0] for case in PATTERNS])
def test_each_pattern_is_redacted(text: str, expected: str) -> None:
    assert redact_text(text) == expected


UNTOUCHED = [
    "token usage is 15,000 tokens this iteration",
    "max_tokens=4096, input_tokens: 1200, token_count = 12",
    "commit 3f2a9c1b7e8d4f6a0b2c3d4e5f6a7b8c9d0e1f2a merged",
    "session 123e4567-e89b-12d3-a456-426614174000",
    "sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "def login(password: str) -> bool:\n    return check(password)",
    "password: ${DB_PASSWORD}  # read from the environment",
    "set token=<your token here>",
    "tasks: task-force-alpha, sk-learn, ask-me-anything",
    "https://github.com/org/repo/pull/42 and postgresql://localhost:5432/db",
    "We rotate secrets monthly; the password policy needs 12 characters.",
    "[REDACTED:password] stays a marker",
]


@pytest.mark.parametrize("text", UNTOUCHED)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_json_documents_are_walked_and_keys_kept() -> None:
    document = {
        "password": "hunter2",
        "db": {"host": "db.internal", "dbPassword": "x1", "port": 5432},
        "services": [{"name": "billing", "apiKey": "abc"}, {"note": f"uses {AWS}"}],
        "max_tokens": 4096, "tokens": 1500, "token_count": 3, "auth_token": 123456,
        "secret": None, "token": "", "password_hint": "pet name",
    }
    assert redact_json(document) == {
        "password": "[REDACTED:password]",
        "db": {"host": "db.internal", "dbPassword": "[REDACTED:password]", "port": 5432},
        "services": [{"name": "billing", "apiKey": "[REDACTED:secret]"},
                     {"note": "uses [REDACTED:aws_access_key]"}],
        "max_tokens": 4096, "tokens": 1500, "token_count": 3, "auth_token": "[REDACTED:secret]",
        "secret": None, "token": "", "password_hint": "pet name",
    }


def raw(db_path: str, sql: str) -> list[tuple]:
    connection = sqlite3.connect(db_path)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def test_secrets_never_reach_the_file(cli, db_path):
    assert cli("create-session", "s1", "simple", f"deploy with {GITHUB}").code == 0
    assert cli("log-interaction", "s1", "developer", f"ran curl -H 'Authorization: Bearer {JWT}'").code == 0
    assert cli("save-state", "s1", "developer", json.dumps({"env": {"OPENAI_API_KEY": OPENAI}})).code == 0
    assert cli("save-skill-output", "s1", "security_scan", json.dumps({"found": [AWS]})).code == 0
    assert cli("log-decision", "s1", "deploy", json.dumps({"dsn": "postgresql://u:pw@h/db"})).code == 0
    stored = json.dumps(raw(db_path, "SELECT * FROM sessions") + raw(db_path, "SELECT * FROM orchestration_logs")
                        + raw(db_path, "SELECT * FROM state_snapshots") + raw(db_path, "SELECT * FROM skill_outputs")
                        + raw(db_path, "SELECT * FROM decisions"))
    for secret in (GITHUB, JWT, OPENAI, AWS, "u:pw@"):
        assert secret not in stored
    with open(db_path, "rb") as handle:  # not in the file's bytes either (WAL included)
        data = handle.read()
    if os.path.exists(db_path + "-wal"):
        with open(db_path + "-wal", "rb") as handle:
            data += handle.read()
    assert GITHUB.encode() not in data and OPENAI.encode() not in data
    assert cli("get-state", "s1", "developer").json() == {"env": {"OPENAI_API_KEY": "[REDACTED:secret]"}}
    assert cli("get-skill-output", "s1", "security_scan").json() == {"found": ["[REDACTED:aws_access_key]"]}
    log = cli("get-logs", "s1").json()[-1]
    assert log["content"] == "ran curl -H 'Authorization: Bearer [REDACTED:jwt]'"  # the more specific kind


def test_switched_off_by_configuration_and_by_environment(cli, db_path):
    text = f"key {ANTHROPIC}"
    assert cli("log-interaction", "s1", "developer", text).code == 0
    assert cli("set-config", "redact_secrets", "false").code == 0
    assert cli("log-interaction", "s1", "developer", text).code == 0
    # the environment variable wins over the configuration, both ways
    assert cli("log-interaction", "s1", "developer", text, env={"BAZINGA_REDACT_SECRETS": "1"}).code == 0
    assert cli("set-config", "redact_secrets", "true").code == 0
    assert cli("log-interaction", "s1", "developer", text, env={"BAZINGA_REDACT_SECRETS": "0"}).code == 0
    contents = [row[0] for row in raw(db_path, "SELECT content FROM orchestration_logs ORDER BY id")]
    assert contents == ["key [REDACTED:anthropic_key]", text, "key [REDACTED:anthropic_key]", text]


def test_api_writes_are_redacted_too(db_path):
    with BazingaDB(db_path) as db:
        record = db.log_interaction("s1", "developer", f"token={GITHUB}")
        assert record["content"] == "token=[REDACTED:github_token]"
        state = db.save_state("s1", "pm", {"credentials": {"password": "p", "user": "bob"}})
        assert state["state_data"] == {"credentials": {"password": "[REDACTED:password]", "user": "bob"}}
