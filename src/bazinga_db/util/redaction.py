"""Secret redaction: API keys, tokens, private keys and passwords never reach the database.

Agents paste command output, configuration files and stack traces into log content, state
and skill output; those often hold credentials. Before a row is stored, every match of the
patterns below is replaced by a marker such as ``[REDACTED:github_token]`` (what kind of
secret it was stays visible; the secret does not). JSON documents are walked: keys are
kept, string values are scanned, and a value stored under a key that names a secret
(``password``, ``api_key``, ``client_secret``, ``token`` …) is replaced whole.

On by default. Off for one database with ``bazinga-db set-config redact_secrets false``,
or for a process with ``BAZINGA_REDACT_SECRETS=0`` (the variable, when set, wins over the
configuration either way).

The regular expressions are compiled on first use, so commands that never write text do
not pay for them, and only the standard library is imported.
"""

from __future__ import annotations

import os

TYPE_CHECKING = False  # `typing`, `re` and `json` cost milliseconds: loaded only when needed
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

ENV_VARIABLE = "BAZINGA_REDACT_SECRETS"
CONFIG_KEY = "redact_secrets"
MARKER = "[REDACTED:{kind}]"

# Columns redacted before storage: free text, and JSON documents stored as text (a record
# write passes its table's JSON columns, as the schema types them; these are the default).
TEXT_COLUMNS = ("content", "original_requirements", "summary", "message", "solution", "insight")
JSON_COLUMNS = ("state_data", "output_data", "decision_data")

_OFF = {"0", "false", "no", "off"}
_ON = {"1", "true", "yes", "on"}

# (kind, literals, pattern) — the documented list; README "Secret redaction" mirrors it.
# A pattern runs only when one of its literals occurs in the text (a fast substring test),
# so ordinary text costs a few `in` checks.
# Order matters: specific prefixes (sk-ant-) before general ones (sk-).
_TOKEN_PATTERNS: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("private_key", ("PRIVATE KEY",),
     r"-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY((?: BLOCK)?)-----.*?(?:-----END \1PRIVATE KEY\2-----|\Z)"),
    ("anthropic_key", ("sk-ant-",), r"\bsk-ant-[A-Za-z0-9_-]{20,}"),
    ("openai_key", ("sk-",), r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"),
    ("stripe_key", ("_live_", "_test_"), r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"),
    ("aws_access_key", ("AKIA", "ASIA"), r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    ("github_token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"), r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("slack_token", ("xox",), r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    ("google_api_key", ("AIza",), r"\bAIza[0-9A-Za-z_-]{35}"),
    ("jwt", ("eyJ",), r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
)

# Words that make a key name a secret's name; matched at the end of the key, so that
# ``max_tokens``, ``token_count`` or ``tokens_estimated`` are left alone.
_SECRET_KEY_WORDS = (
    r"password|passwd|passphrase|secret|secret_key|client_secret|api_key|apikey|"
    r"access_key|private_key|token|access_token|refresh_token|auth_token|id_token|"
    r"session_token|bearer|credentials?|connection_string|dsn"
)
# Every word of _SECRET_KEY_WORDS contains one of these.
_ASSIGNMENT_LITERALS = ("pass", "secret", "key", "token", "bearer", "credential", "connection_string", "dsn")
# A value that is a placeholder or a type, not a secret: ${TOKEN}, $PASSWORD, <password>,
# ***, null, and the `str` of `password: str` in code.
_PLACEHOLDER = (
    r"^(?:\$\{?\w+\}?|<.*|\*+|null|none|true|false|\[REDACTED:\w+\].*|"
    r"(?:str|int|bytes|bool|float|string|any|optional|list|dict)\b[\w\[\]]*[),:]*)$"
)
# Every pattern above needs one of these substrings to match; text holding none of them
# is stored without compiling a single regular expression.
_CASED_TRIGGERS = tuple(literal for _, literals, _ in _TOKEN_PATTERNS for literal in literals) + (
    "://", "Bearer", "Basic", "Token",
)

_compiled: dict[str, Any] | None = None


def might_hold_secret(text: str) -> bool:
    """False when ``text`` cannot match any pattern (plain substring tests, no regex)."""
    if any(trigger in text for trigger in _CASED_TRIGGERS):
        return True
    lowered = text.lower()
    return any(word in lowered for word in _ASSIGNMENT_LITERALS)


def _patterns() -> dict[str, Any]:
    global _compiled
    if _compiled is None:
        import re

        _compiled = {
            "placeholder": re.compile(_PLACEHOLDER, re.IGNORECASE),
            "tokens": [(kind, literals, re.compile(pattern, re.DOTALL)) for kind, literals, pattern in _TOKEN_PATTERNS],
            # user:password@ inside a URL (postgresql://, mysql://, redis://, https:// …)
            "url_password": re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@\[]+):([^\s@/]+)@"),
            "bearer": re.compile(r"\b(Bearer|Basic|Token)\s+([A-Za-z0-9._~+/=-]{16,})"),
            # password=…, "api_key": "…", secret: … (quotes around key and value optional).
            # Scanned from each ':' or '=' (a plain character search), then the key is
            # matched backwards in a short window and the value forwards: one pattern for
            # the whole assignment would try every word of the text as a key.
            "separator": re.compile(r"[:=]"),
            "key_word": re.compile(r"(?:" + _SECRET_KEY_WORDS + r")\Z", re.IGNORECASE),
            "value": re.compile(r"""[ \t]*(?:(?P<quote>["'])(?P<quoted>[^"'\n]+)(?P=quote)|(?P<value>[^\s"'`,;&]{3,}))"""),
            "secret_key": re.compile(r"(?:^|_)(?:" + _SECRET_KEY_WORDS + r")$"),
            "camel": re.compile(r"(?<=[a-z0-9])(?=[A-Z])"),
        }
    return _compiled


def _marker(kind: str) -> str:
    return MARKER.format(kind=kind)


def _redact_assignments(text: str) -> str:
    patterns = _patterns()
    pieces, done = [], 0
    for separator in patterns["separator"].finditer(text):
        start = separator.start()
        if start < done or text.startswith("=", start) and text.startswith(":", start - 1):
            continue  # inside a value already redacted, or the '=' of ':='
        key = _name_before(text, start)
        if not key or not patterns["key_word"].search(key):
            continue
        after = start + (2 if text.startswith(":=", start) else 1)
        value = patterns["value"].match(text, after)
        if value is None:
            continue
        quoted = value.group("quote") is not None
        name = "quoted" if quoted else "value"
        if patterns["placeholder"].match(value.group(name)):
            continue
        pieces += [text[done:value.start(name)], _marker(_key_kind(key))]
        done = value.end(name)
    return "".join(pieces) + text[done:] if pieces else text


def _name_before(text: str, end: int) -> str:
    """The identifier just before ``end``, skipping blanks and one closing quote."""
    index = end
    while index > 0 and text[index - 1] in " \t":
        index -= 1
    if index > 0 and text[index - 1] in "\"'":
        index -= 1
    start = index
    while start > 0 and index - start < 80 and (text[start - 1].isalnum() or text[start - 1] in "_.-"):
        start -= 1
    return text[start:index]


def _key_kind(key: str) -> str:
    return "password" if "pass" in key.lower() else "secret"


def redact_text(text: str) -> str:
    """``text`` with every recognised secret replaced by a marker."""
    patterns = _patterns()
    for kind, literals, pattern in patterns["tokens"]:
        if any(literal in text for literal in literals):
            text = pattern.sub(_marker(kind), text)
    if "://" in text:
        text = patterns["url_password"].sub(lambda m: f"{m.group(1)}:{_marker('password')}@", text)
    if "Bearer" in text or "Basic" in text or "Token" in text:
        text = patterns["bearer"].sub(lambda m: f"{m.group(1)} {_marker('bearer_token')}", text)
    lowered = text.lower()
    if ("=" in text or ":" in text) and any(word in lowered for word in _ASSIGNMENT_LITERALS):
        text = _redact_assignments(text)
    return text


def is_secret_key(key: str) -> bool:
    """Whether a JSON key names a secret (``password``, ``db_password``, ``apiKey`` …)."""
    patterns = _patterns()
    normalised = patterns["camel"].sub("_", key).replace("-", "_").replace(".", "_").lower()
    return bool(patterns["secret_key"].search(normalised))


def redact_json(value: Any) -> Any:
    """A copy of a JSON value with secrets redacted; keys are kept."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret_key(key) and _is_secret_value(item):
                result[key] = _marker(_key_kind(key))
            else:
                result[key] = redact_json(item)
        return result
    return value


def _is_secret_value(value: Any) -> bool:
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and value != "" and not _patterns()["placeholder"].match(value)


def redact_json_text(document: str) -> str:
    """Redact a stored JSON document (text in, text out, in the store's compact form)."""
    import json

    try:
        value = json.loads(document)
    except ValueError:
        return redact_text(document)
    redacted = redact_json(value)
    if redacted == value:
        return document
    return json.dumps(redacted, ensure_ascii=False, separators=(",", ":"))


def redact_values(values: dict[str, Any], json_columns: Iterable[str] = JSON_COLUMNS) -> dict[str, Any]:
    """A copy of a row's values with its free-text columns and ``json_columns`` redacted."""
    json_columns = tuple(json_columns)
    columns = [column for column in TEXT_COLUMNS + json_columns if isinstance(values.get(column), str)]
    if not any(might_hold_secret(values[column]) for column in columns):
        return values
    result = dict(values)
    for column in TEXT_COLUMNS:
        if isinstance(result.get(column), str):
            result[column] = redact_text(result[column])
    for column in json_columns:
        if isinstance(result.get(column), str):
            result[column] = redact_json_text(result[column])
    return result


def env_setting() -> bool | None:
    """True/False when BAZINGA_REDACT_SECRETS is set to a recognised value, else None."""
    raw = os.environ.get(ENV_VARIABLE)
    if raw is None or raw.strip() == "":
        return None
    word = raw.strip().lower()
    if word in _OFF:
        return False
    if word in _ON:
        return True
    return None


def config_allows(stored: Any) -> bool:
    """Whether a stored ``redact_secrets`` configuration value leaves redaction on."""
    if stored is None:
        return True
    if isinstance(stored, str):
        return stored.strip().lower() not in _OFF
    return bool(stored)
