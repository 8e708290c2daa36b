"""Prices, the cost of token usage, and token-summary's cost columns."""

from __future__ import annotations

import sqlite3

import pytest

from bazinga_db import BazingaDB
from bazinga_db.util.prices import DEFAULT_PRICES, effective_prices, match_price


def test_models_are_priced_by_exact_name_then_prefix_then_family() -> None:
    table = effective_prices(None)
    assert match_price("gpt-4o", table) == ("gpt-4o", DEFAULT_PRICES["gpt-4o"])
    assert match_price("gpt-4o-mini-2024-07-18", table)[0] == "gpt-4o-mini"  # type: ignore[index]
    assert match_price("claude-sonnet-4-5-20250929", table)[0] == "claude-sonnet-4-5"  # type: ignore[index]
    assert match_price("claude-sonnet-4-20250514", table)[0] == "claude-sonnet-4"  # type: ignore[index]
    assert match_price("claude-opus-4-5", table)[0] == "claude-opus-4-5"  # type: ignore[index]
    assert match_price("claude-3-opus-20240229", table)[0] == "opus"  # type: ignore[index]
    assert match_price("GPT-4O", table)[0] == "gpt-4o"  # type: ignore[index]
    assert match_price("o3x", table) is None  # a prefix must end at a separator
    assert match_price("llama-3", table) is None


def test_cost_is_computed_at_write_time(store: BazingaDB) -> None:
    row = store.log_tokens("s1", "developer", model="claude-sonnet-4-5", input_tokens=1000, output_tokens=2000,
                           cache_read_tokens=10_000, cache_write_tokens=4000)
    # 1000 × 3 + 2000 × 15 + 10000 × 0.30 + 4000 × 3.75 per million
    assert row["cost_usd"] == pytest.approx(0.051)
    assert row["tokens_estimated"] == 17_000
    estimate = store.log_tokens("s1", "pm", 12_450, "pm_main")
    assert estimate["cost_usd"] is None  # the seed's single number is an estimate: no cost
    assert store.log_tokens("s1", "qa", 500, model="gpt-4o")["cost_usd"] is None  # no split, no price
    assert store.log_tokens("s1", "qa", model="my-local", input_tokens=9)["cost_usd"] is None


def test_configured_prices_override_add_and_remove_defaults(store: BazingaDB) -> None:
    store.set_config("prices", {"my-local": {"input": 1, "output": 2}, "gpt-4o": None,
                                "claude-sonnet-4": {"input": 10, "output": 20, "cache_read": 1}})
    assert store.log_tokens("s1", "qa", model="my-local-7b", input_tokens=1_000_000, output_tokens=500_000)[
        "cost_usd"] == pytest.approx(2.0)
    assert store.log_tokens("s1", "qa", model="gpt-4o", input_tokens=100)["cost_usd"] is None
    # cache_write falls back to the input price when not given
    assert store.log_tokens("s1", "qa", model="claude-sonnet-4", cache_write_tokens=1_000_000)[
        "cost_usd"] == pytest.approx(10.0)
    prices = store.prices()
    assert prices["configured"] == ["claude-sonnet-4", "gpt-4o", "my-local"]
    assert "gpt-4o" not in prices["prices"] and prices["prices"]["my-local"] == {"input": 1.0, "output": 2.0}


def test_token_summary_adds_costs_beside_the_existing_keys(store: BazingaDB) -> None:
    store.log_tokens("s1", "developer", agent_id="developer_1", group_id="group_a", model="gpt-4o",
                     input_tokens=1000, output_tokens=100, cache_read_tokens=2000)
    store.log_tokens("s1", "developer", agent_id="developer_2", group_id="group_b", model="claude-haiku-4-5",
                     input_tokens=3000, output_tokens=300)
    store.log_tokens("s1", "pm", 5000, "pm_main")
    summary = store.token_summary("s1")
    assert summary["breakdown"] == {"developer": 6400, "pm": 5000}
    assert summary["total_tokens"] == 11_400 and summary["calls"] == 3
    gpt = (1000 * 2.5 + 100 * 10 + 2000 * 1.25) / 1e6
    haiku = (3000 * 1 + 300 * 5) / 1e6
    assert summary["cost_usd"] == pytest.approx(gpt + haiku)
    assert summary["cost_breakdown"] == {"developer": pytest.approx(gpt + haiku), "pm": None}
    assert summary["input_tokens"] == 4000 and summary["output_tokens"] == 400
    assert summary["cache_read_tokens"] == 2000 and summary["cache_write_tokens"] == 0
    assert summary["priced_calls"] == 2
    assert summary["details"]["pm"] == {"tokens": 5000, "calls": 1, "input_tokens": 0, "output_tokens": 0,
                                        "cache_read_tokens": 0, "cache_write_tokens": 0, "cost_usd": None,
                                        "priced_calls": 0, "cache_write_1h_tokens": 0, "source": "reported"}
    by_group = store.token_summary("s1", by="group")
    assert by_group["by"] == "group_id"
    assert by_group["cost_breakdown"] == {"group_b": pytest.approx(haiku), "unknown": None, "group_a": pytest.approx(gpt)}
    assert set(store.token_summary("s1", by="model")["breakdown"]) == {"claude-haiku-4-5", "gpt-4o", "unknown"}
    assert store.dashboard_snapshot("s1")["token_usage"]["cost_usd"] == pytest.approx(gpt + haiku)


def test_cli_costs_and_bad_prices_change_nothing(cli, db_path: str) -> None:  # type: ignore[no-untyped-def]
    logged = cli("log-tokens", "s1", "developer", "--model", "gpt-4o", "--input", "1000000", "--output", "0")
    assert logged.code == 0 and logged.out.strip().endswith("($2.5000)"), logged
    assert cli("log-tokens", "s1", "developer", "12450", "developer_1").out.strip() == (
        "✓ Logged 12,450 tokens for developer in session s1")
    assert cli("token-summary", "s1", "--by", "agent_id").json()["cost_breakdown"] == {
        "developer_1": None, "unknown": 2.5}
    for bad, message in [
        ('[1, 2]', "prices must be a JSON object"),
        ('{"m": {"input": 1}}', "prices['m'] needs 'output'"),
        ('{"m": {"input": -1, "output": 1}}', "must be a non-negative number"),
        ('{"m": {"input": 1, "output": 1, "cached": 1}}', "unknown field 'cached'"),
        ('{"m": 3}', "must be an object"),
    ]:
        result = cli("set-config", "prices", bad)
        assert result.code == 2 and message in result.err, (bad, result)
    assert cli("token-summary", "s1", "--by", "colour").code == 2
    connection = sqlite3.connect(db_path)
    assert connection.execute("SELECT COUNT(*) FROM configuration").fetchone() == (0,)
    connection.close()
    shown = cli("prices").json()
    assert shown["unit"] == "USD per million tokens" and shown["configured"] == []
    assert shown["prices"]["claude-opus-4"]["output"] == 75.0
