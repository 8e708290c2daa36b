"""Model prices (USD per million tokens) and the cost of one call.

Prices are US dollars per million tokens. The defaults below are list prices of a few
model families as published by their vendors when this table was written; they go out of
date, so every deployment can override them with ``set-config prices '{…}'``:

    {"claude-sonnet-4-5": {"input": 3, "output": 15, "cache_read": 0.3, "cache_write": 3.75},
     "my-local-model": {"input": 0, "output": 0},
     "gpt-4o": null}

Each entry replaces the default of the same name; ``null`` removes a default (its model
then has no price). ``input`` and ``output`` are required; ``cache_read`` and
``cache_write`` default to the input price. A model is priced by its exact name first,
then by the longest entry its name starts with followed by ``-``, ``@``, ``:`` or ``.``
(``claude-sonnet-4-5-20250929`` uses ``claude-sonnet-4-5``), then by a family word it
contains (``opus``, ``sonnet``, ``haiku``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from ..errors import InvalidInput

PRICES_KEY = "prices"
PRICE_FIELDS = ("input", "output", "cache_read", "cache_write")

# Defaults: USD per million tokens (input, output, cache read, cache write). They may be
# out of date; override them with `set-config prices`.
DEFAULT_PRICES: dict[str, dict[str, float]] = {
    # Anthropic (cache write = 5-minute cache writes)
    "claude-opus-4-5": {"input": 5.0, "output": 25.0, "cache_read": 0.5, "cache_write": 6.25},
    "claude-opus-4": {"input": 15.0, "output": 75.0, "cache_read": 1.5, "cache_write": 18.75},
    "claude-sonnet-4": {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75},
    "claude-3-7-sonnet": {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75},
    "claude-haiku-4-5": {"input": 1.0, "output": 5.0, "cache_read": 0.1, "cache_write": 1.25},
    "claude-3-5-haiku": {"input": 0.8, "output": 4.0, "cache_read": 0.08, "cache_write": 1.0},
    "opus": {"input": 15.0, "output": 75.0, "cache_read": 1.5, "cache_write": 18.75},
    "sonnet": {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75},
    "haiku": {"input": 0.8, "output": 4.0, "cache_read": 0.08, "cache_write": 1.0},
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
FAMILY_WORDS = ("opus", "sonnet", "haiku")
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


def match_price(model: str, table: dict[str, dict[str, float]]) -> tuple[str, dict[str, float]] | None:
    """The entry pricing ``model``: exact name, then longest prefix, then a family word."""
    if model in table:
        return model, table[model]
    lowered = model.lower()
    lowered_table = {key.lower(): key for key in table}
    if lowered in lowered_table:
        key = lowered_table[lowered]
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
) -> float:
    """Dollars for one call. ``input_tokens`` are the uncached input tokens."""
    input_price = prices["input"]
    total = (
        (input_tokens or 0) * input_price
        + (output_tokens or 0) * prices["output"]
        + (cache_read_tokens or 0) * prices.get("cache_read", input_price)
        + (cache_write_tokens or 0) * prices.get("cache_write", input_price)
    )
    return round(total / 1_000_000, 8)
