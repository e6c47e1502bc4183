"""`harbor bench ...`: measure Harbor's speed; figures go to docs/BENCHMARKS.md.

Each subcommand calls one benchmark function that returns a dict of figures
(milliseconds, requests per second, counts) and prints it as a table or as JSON.
"""

from __future__ import annotations

import json
import platform

import click
from flask import current_app
from flask.cli import with_appcontext


def machine_description() -> dict:
    """Return what a reader needs to compare figures: CPU count, Python, platform."""
    import os

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "processor": platform.processor() or platform.machine(),
    }


def _emit(name: str, figures: dict, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps({"benchmark": name, "machine": machine_description(), **figures},
                              indent=2, default=str))
        return
    click.echo(f"== {name}")
    for key, value in figures.items():
        if isinstance(value, float):
            value = f"{value:.3f}"
        click.echo(f"  {key:32} {value}")


@click.group("bench", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True,
              help="with no subcommand: run every benchmark and print the figures as JSON")
@click.option("--database-url", default=None,
              help="with no subcommand: the database for search, import and webhook "
                   "(default: scratch SQLite files)")
@click.pass_context
def bench_group(context: click.Context, as_json: bool, database_url: str | None) -> None:
    """Benchmarks: classify, search, import, webhook, startup, handoff (docs/BENCHMARKS.md).

    With no subcommand (or `all`), runs all four with their default sizes.
    """
    if context.invoked_subcommand is None:
        context.invoke(bench_all, as_json=as_json, database_url=database_url)


@bench_group.command("classify")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.option("--file", "dataset", default=None, help="TSV of messages (default: the dev set)")
@click.option("--rounds", default=20, show_default=True)
def bench_classify(as_json: bool, dataset: str | None, rounds: int) -> None:
    """Time classify() per message over a file of messages."""
    from intents.benchmark import run_classify_benchmark

    _emit("classify", run_classify_benchmark(dataset=dataset, rounds=rounds), as_json)


@bench_group.command("search")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.option("--listings", default=100_000, show_default=True)
@click.option("--queries", default=2_000, show_default=True)
@click.option("--database-url", default=None, help="default: a scratch SQLite file")
def bench_search(as_json: bool, listings: int, queries: int, database_url: str | None) -> None:
    """Time search() over synthetic listings on SQLite or PostgreSQL."""
    from resources_db.benchmark import run_search_benchmark

    figures = run_search_benchmark(database_url=database_url, listings=listings, queries=queries)
    _emit("search", figures, as_json)


@bench_group.command("import")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.option("--rows", default=100_000, show_default=True)
@click.option("--database-url", default=None, help="default: a scratch SQLite file")
def bench_import(as_json: bool, rows: int, database_url: str | None) -> None:
    """Time a CSV import of synthetic listings."""
    from resources_db.benchmark import run_import_benchmark

    _emit("import", run_import_benchmark(database_url=database_url, rows=rows), as_json)


@bench_group.command("webhook")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.option("--database-url", default=None, help="default: a scratch SQLite file")
@click.option("--connections", default=8, show_default=True)
@click.option("--seconds", default=10, show_default=True)
@click.option("--workers", default=2, show_default=True, help="gunicorn workers (both apps)")
@click.option("--store-url", default=None,
              help="CONVERSATION_STORE_URL, e.g. redis://127.0.0.1:6379/0 (its database is "
                   "flushed); default: a scratch SQLite file")
@with_appcontext
def bench_webhook(as_json: bool, database_url: str | None, connections: int,
                  seconds: int, workers: int, store_url: str | None) -> None:
    """The signed SMS webhook under gunicorn against a bare Flask app, side by side."""
    from bot.benchmarks.webhook import run_webhook_benchmark

    figures = run_webhook_benchmark(
        database_url=database_url or None,
        store_url=store_url or None,
        connections=connections,
        seconds=seconds,
        config=current_app.config,
        workers=workers,
    )
    _emit("webhook", figures, as_json)


@bench_group.command("handoff")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.option("--database-url", default=None, help="default: a scratch SQLite file")
@click.option("--rounds", default=10, show_default=True)
@with_appcontext
def bench_handoff(as_json: bool, database_url: str | None, rounds: int) -> None:
    """Time YES to the advocate's inbox, and the advocate's reply to the survivor's page."""
    from bot.benchmarks.handoff import run_handoff_benchmark

    figures = run_handoff_benchmark(database_url=database_url or None, rounds=rounds,
                                    config=current_app.config)
    _emit("handoff", figures, as_json)


@bench_group.command("startup")
@click.option("--json", "as_json", is_flag=True, help="print the figures as JSON")
@click.option("--rounds", default=5, show_default=True, help="fresh processes per figure")
def bench_startup(as_json: bool, rounds: int) -> None:
    """Start-up: `harbor --help`, commands, a worker's boot, the place index, gunicorn."""
    from bot.benchmarks.startup import run_startup_benchmark

    _emit("startup", run_startup_benchmark(rounds=rounds), as_json)


@bench_group.command("all")
@click.option("--json", "as_json", is_flag=True, help="print the figures as one JSON document")
@click.option("--database-url", default=None, help="default: scratch SQLite files")
@with_appcontext
def bench_all(as_json: bool, database_url: str | None) -> None:
    """Run classify, search, import and webhook one after the other."""
    from bot.benchmarks.webhook import run_webhook_benchmark
    from intents.benchmark import run_classify_benchmark
    from resources_db.benchmark import run_import_benchmark, run_search_benchmark

    runs = {
        "classify": lambda: run_classify_benchmark(dataset=None, rounds=20),
        "search": lambda: run_search_benchmark(database_url=database_url, listings=100_000,
                                               queries=2_000),
        "import": lambda: run_import_benchmark(database_url=database_url, rows=100_000),
        "webhook": lambda: run_webhook_benchmark(database_url=database_url, connections=8,
                                                 seconds=10, config=current_app.config),
    }
    figures = {}
    for name, run in runs.items():
        figures[name] = run()
        if not as_json:
            _emit(name, figures[name], as_json=False)
    if as_json:
        click.echo(json.dumps({"machine": machine_description(), **figures}, indent=2,
                              default=str))


COMMANDS = [bench_group]
