"""Model prices (USD per million tokens) and the cost of one call.

Prices are US dollars per million tokens. The defaults below are list prices of a few
model families as published by their vendors when this table was written; they go out of
date, so every deployment can override them with ``set-config prices '{…}'``:

    {"claude-sonnet-4-5": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75},
     "my-local-model": {"input": 0, "output": 0},
     "gpt-4o": null}

Each entry replaces the default of the same name; ``null`` removes a default (its model
then has no price). ``input`` and ``output`` are required; ``cache_read`` and
``cache_write`` (5-minute cache writes) default to the input price, ``cache_write_1h``
(1-hour cache writes) to the ``cache_write`` price.

A model is priced by its exact name first. A Claude id is then read as a family and a
version, whatever its spelling (``claude-opus-4-1-20250805``, ``claude-3-5-haiku-latest``,
``us.anthropic.claude-sonnet-4-5-20250929-v1:0``, ``claude-sonnet-4-5@20250929``), and gets
the entry of that family with the highest version not above its own: a point release
newer than the table (``claude-opus-4-9``) is priced like the newest one listed before it.
Other names use the longest entry they start with followed by ``-``, ``@``, ``:`` or
``.`` (``gpt-4o-mini-2024-07-18`` uses ``gpt-4o-mini``), then a family word they contain
(``opus``, ``sonnet``, ``haiku``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..errors import InvalidInput

PRICES_KEY = "prices"
PRICE_FIELDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h")
# The day the Anthropic rows below were checked against the vendors' price pages.
PRICES_CHECKED = "2026-12-04"

# Defaults: USD per million tokens. They go out of date; override them with `set-config prices`.
def _claude(input: float, output: float, cache_read: float) -> dict[str, float]:
    # Anthropic bills 5-minute cache writes at 1.25x input and 1-hour writes at 2x input.
    return {"input": input, "output": output, "cache_read": cache_read,
            "cache_write": round(input * 1.25, 6), "cache_write_1h": round(input * 2, 6)}


DEFAULT_PRICES: dict[str, dict[str, float]] = {
    # Anthropic list prices, checked on PRICES_CHECKED. claude-haiku-5-5: prompts up to 100k
    # tokens (longer prompts cost 5x); claude-sonnet-5-5 reads: 0.10 since 2026-10-07.
    "claude-fable-5-2": _claude(8.0, 40.0, 0.2),
    "claude-fable-5-1": _claude(10.0, 50.0, 0.25),
    "claude-opus-5-5": _claude(4.0, 20.0, 0.2),
    "claude-opus-5": _claude(5.0, 25.0, 0.5),
    "claude-sonnet-5-5": _claude(2.0, 10.0, 0.1),
    "claude-sonnet-5": _claude(2.0, 10.0, 0.2),
    "claude-haiku-5-5": _claude(0.1, 0.5, 0.01),
    "claude-opus-4-8": _claude(5.0, 25.0, 0.5),
    "claude-opus-4-7": _claude(5.0, 25.0, 0.5),
    "claude-opus-4-6": _claude(5.0, 25.0, 0.5),
    "claude-opus-4-5": _claude(5.0, 25.0, 0.5),
    "claude-opus-4-1": _claude(15.0, 75.0, 1.5),
    "claude-opus-4": _claude(15.0, 75.0, 1.5),
    "claude-sonnet-4-6": _claude(3.0, 15.0, 0.3),
    "claude-sonnet-4-5": _claude(3.0, 15.0, 0.3),
    "claude-sonnet-4": _claude(3.0, 15.0, 0.3),
    "claude-haiku-4-5": _claude(1.0, 5.0, 0.1),
    "claude-3-7-sonnet": _claude(3.0, 15.0, 0.3),
    "claude-3-5-haiku": _claude(0.8, 4.0, 0.08),
    # Family words, for names that carry no readable version ("my-opus-proxy").
    "opus": _claude(15.0, 75.0, 1.5),
    "sonnet": _claude(3.0, 15.0, 0.3),
    "haiku": _claude(0.8, 4.0, 0.08),
    # OpenAI (cache write is billed as ordinary input)
    "gpt-5": {"input": 1.25, "output": 10.0, "cache_read": 0.125, "cache_write": 1.25},
    "gpt-5-mini": {"input": 0.25, "output": 2.0, "cache_read": 0.025, "cache_write": 0.25},
    "gpt-4.1": {"input": 2.0, "output": 8.0, "cache_read": 0.5, "cache_write": 2.0},
    "gpt-4.1-mini": {"input": 0.4, "output": 1.6, "cache_read": 0.1, "cache_write": 0.4},
    "gpt-4o": {"input": 2.5, "output": 10.0, "cache_read": 1.25, "cache_write": 2.5},
    "gpt-4o-mini": {"input": 0.15, "output": 0.6, "cache_read": 0.075, "cache_write": 0.15},
    "o3": {"input": 2.0, "output": 8.0, "cache_read": 0.5, "cache_write": 2.0},
    "o4-mini": {"input": 1.1, "output": 4.4, "cache_read": 0.275, "cache_write": 1.1},
    # Google (prompts up to 200k tokens)
    "gemini-2.5-pro": {"input": 1.25, "output": 10.0, "cache_read": 0.31, "cache_write": 1.25},
    "gemini-2.5-flash": {"input": 0.3, "output": 2.5, "cache_read": 0.075, "cache_write": 0.3},
}

# Words that name a family inside longer model names ("claude-3-opus-20240229").
FAMILY_WORDS = ("opus", "sonnet", "haiku", "fable")
_PREFIX_BOUNDARY = ("-", "@", ":", ".")


def validate_prices(value: Any) -> dict[str, dict[str, float] | None]:
    """Check a ``prices`` configuration document; raise InvalidInput naming the problem."""
    shape = 'e.g. {"claude-sonnet-4-5": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75}}'
    if not isinstance(value, dict):
        raise InvalidInput(f"prices must be a JSON object of model name → prices per million tokens, {shape}")
    clean: dict[str, dict[str, float] | None] = {}
    for model, entry in value.items():
        if not model or model != model.strip():
            raise InvalidInput(f"prices: model name {model!r} must be non-empty without surrounding spaces")
        if entry is None:
            clean[model] = None
            continue
        if not isinstance(entry, dict):
            raise InvalidInput(f"prices[{model!r}] must be an object with input and output prices or null, {shape}")
        unknown = sorted(set(entry) - set(PRICE_FIELDS))
        if unknown:
            raise InvalidInput(
                f"prices[{model!r}] has unknown field {unknown[0]!r}; allowed fields: {', '.join(PRICE_FIELDS)}"
            )
        for required in ("input", "output"):
            if required not in entry:
                raise InvalidInput(f"prices[{model!r}] needs {required!r} (USD per million tokens)")
        prices = {}
        for field, number in entry.items():
            if isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number) or number < 0:
                raise InvalidInput(
                    f"prices[{model!r}].{field} must be a non-negative number of USD per million tokens, got {number!r}"
                )
            prices[field] = float(number)
        clean[model] = prices
    return clean


def effective_prices(configured: Any) -> dict[str, dict[str, float]]:
    """The defaults with the configured entries laid over them."""
    table = {model: dict(prices) for model, prices in DEFAULT_PRICES.items()}
    if isinstance(configured, str):
        try:
            configured = json.loads(configured)
        except ValueError:
            configured = None
    if isinstance(configured, dict):
        try:
            overrides = validate_prices(configured)
        except InvalidInput:
            overrides = {}  # written by another tool in another shape: keep the defaults
        for model, prices in overrides.items():
            if prices is None:
                table.pop(model, None)
            else:
                table[model] = prices
    return table


def claude_version(model: str) -> tuple[str, tuple[int, int]] | None:
    """A Claude id's family and (major, minor) version, or None when it names no Claude model.

    Both spellings are read: family first (``claude-opus-4-1-20250805``) and version first
    (``claude-3-5-haiku-latest``). Numbers of more than two digits are dates, not versions.
    """
    lowered = model.lower()
    at = lowered.find("claude")
    if at < 0:
        return None
    words = [word for word in re.split(r"[^a-z0-9]+", lowered[at + len("claude"):].split("[", 1)[0]) if word]
    numbers: list[int] = []
    family = None
    for word in words:
        if word in FAMILY_WORDS and family is None:
            family = word
            if numbers:  # version-first spelling: the version is already read
                break
        elif word.isdigit() and len(word) <= 2 and len(numbers) < 2:
            numbers.append(int(word))
        elif family is not None:
            break
        else:
            return None  # something else between "claude" and the family
    if family is None or not numbers:
        return None
    return family, (numbers[0], numbers[1] if len(numbers) > 1 else 0)


def match_price(model: str, table: dict[str, dict[str, float]]) -> tuple[str, dict[str, float]] | None:
    """The entry pricing ``model``: exact name, Claude family and version, longest prefix, family word."""
    if model in table:
        return model, table[model]
    lowered = model.lower()
    lowered_table = {key.lower(): key for key in table}
    if lowered in lowered_table:
        key = lowered_table[lowered]
        return key, table[key]
    wanted = claude_version(model)
    if wanted is not None:
        candidates = []
        for key in table:
            found = claude_version(key)
            if found is not None and found[0] == wanted[0] and found[1] <= wanted[1]:
                candidates.append((found[1], key))
        if candidates:
            key = max(candidates)[1]
            return key, table[key]
    prefixes = [
        key for low, key in lowered_table.items()
        if lowered.startswith(low) and lowered[len(low)] in _PREFIX_BOUNDARY
    ]
    if prefixes:
        key = max(prefixes, key=len)
        return key, table[key]
    words = set(re.split(r"[^a-z0-9]+", lowered))
    for family in FAMILY_WORDS:
        if family in words and family in lowered_table:
            key = lowered_table[family]
            return key, table[key]
    return None


def cost_usd(
    prices: dict[str, float],
    input_tokens: int | None,
    output_tokens: int | None,
    cache_read_tokens: int | None,
    cache_write_tokens: int | None,
    cache_write_1h_tokens: int | None = None,
) -> float:
    """Dollars for one call. ``input_tokens`` are the uncached input tokens;
    ``cache_write_tokens`` are all cache writes, ``cache_write_1h_tokens`` the part of them
    written with the 1-hour lifetime (the rest is priced as 5-minute writes)."""
    input_price = prices["input"]
    write_price = prices.get("cache_write", input_price)
    hour = min(cache_write_1h_tokens or 0, cache_write_tokens or 0)
    total = (
        (input_tokens or 0) * input_price
        + (output_tokens or 0) * prices["output"]
        + (cache_read_tokens or 0) * prices.get("cache_read", input_price)
        + ((cache_write_tokens or 0) - hour) * write_price
        + hour * prices.get("cache_write_1h", write_price)
    )
    return round(total / 1_000_000, 8)
