"""`harbor bench search|import` on small sizes: the figures docs/BENCHMARKS.md quotes are
real measurements of real work (every query answered, every row written), not numbers
a broken benchmark could print. Speed itself is never asserted here: the machine is shared.
"""

from __future__ import annotations

import json
import os

import pytest

from bot.cli.commands.bench import bench_group

pytestmark = pytest.mark.slow


def _server_url() -> str | None:
    """The PostgreSQL server of the database run (.ci/run), else None: scratch SQLite."""
    return os.environ.get("HARBOR_TEST_DATABASE_URL")


def _figures(runner, *arguments: str) -> dict:
    result = runner.invoke(bench_group, [*arguments, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output[result.output.index("{"):])


@pytest.mark.db
def test_search_benchmark_times_real_searches_over_the_listings_it_loaded(runner):
    arguments = ["search", "--listings", "400", "--queries", "40"]
    if _server_url():
        arguments += ["--database-url", _server_url()]
    figures = _figures(runner, *arguments)
    assert figures["benchmark"] == "search"
    assert figures["listings"] == 400 and figures["queries"] == 40
    assert 0 < figures["median_ms"] <= figures["p95_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    # Searches found listings (400 spread over the country leave many places bare).
    assert 0 < figures["mean_hits_per_page"] <= 3
    assert 0 < figures["queries_with_local_results"] <= 40
    assert figures["machine"]["cpus"] >= 1


@pytest.mark.db
def test_import_benchmark_writes_every_row_it_reads(runner):
    arguments = ["import", "--rows", "300"]
    if _server_url():
        arguments += ["--database-url", _server_url()]
    figures = _figures(runner, *arguments)
    assert figures["rows"] == 300
    assert figures["listings_written"] == 300
    assert figures["seconds"] > 0 and figures["rows_per_second"] > 0


@pytest.mark.db
def test_handoff_benchmark_carries_every_round_across_both_sides(runner):
    arguments = ["handoff", "--rounds", "2"]
    if _server_url():
        arguments += ["--database-url", _server_url()]
    figures = _figures(runner, *arguments)
    assert figures["benchmark"] == "handoff" and figures["rounds"] == 2
    # A round that never reached the other side raises: these figures are of real trips.
    for poll in ("page_poll", "tight_poll"):
        for trip in ("yes_to_advocate", "reply_to_survivor"):
            median = figures[f"{poll}.{trip}.median_ms"]
            assert 0 < median <= figures[f"{poll}.{trip}.max_ms"]


def test_startup_benchmark_starts_every_process_it_times():
    from bot.benchmarks.startup import run_startup_benchmark

    figures = run_startup_benchmark(rounds=1)
    for name in ("place_index_built", "place_index_loaded", "harbor_help",
                 "harbor_db_upgrade", "harbor_classify", "worker_boot"):
        assert 0 < figures[f"{name}_median_s"] <= figures[f"{name}_max_s"], name
        assert figures[f"{name}_cpu_median_s"] > 0, name
    assert figures["gunicorn_first_answer_median_s"] > 0  # it answered /healthz
