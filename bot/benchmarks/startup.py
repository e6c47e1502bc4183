"""`harbor bench startup`: how long Harbor takes to start, each run a fresh process.

Measured as wall-clock seconds (median and worst of `rounds` runs, each run a new Python
process, as a shell or gunicorn starts one) and as the CPU seconds each used (median),
which a busy machine distorts far less than the clock:
- `harbor --help`, and `harbor db upgrade` (a command that builds the database-only app:
  no blueprints, no rules, no place index);
- `harbor classify TEXT`, which needs both (compiled from the rule files, the place
  index loaded from the index cache);
- a worker boot: what one gunicorn worker does before it answers (import the app,
  `create_app()`, warm up the rules and the place index);
- the place index built from `zipcodes` with an empty cache (what the first process
  after an install pays once), against loading it from the cache;
- a real gunicorn with one worker: from starting the command to GET /healthz answering.
"""

from __future__ import annotations

import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.benchmarks.gunicorn_server import gunicorn_settings, serve_with_gunicorn

WORKER_BOOT = ("from bot import create_app; "
               "create_app({'DATABASE_URL': %r, 'WARM_UP': True})")
INDEX_ONLY = "from resources_db import geography; geography._index()"


def _harbor() -> str:
    return str(Path(sys.executable).with_name("harbor"))


@dataclass(frozen=True)
class _Run:
    wall: float  # seconds on the clock
    cpu: float  # seconds of CPU the process used (user + system): steadier on a busy machine


def _timed(argv: list[str], env: dict[str, str]) -> _Run:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL,  # noqa: S603
                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return _Run(wall, cpu)


def _figures(name: str, runs: list[_Run]) -> dict[str, float]:
    walls = [run.wall for run in runs]
    return {f"{name}_median_s": statistics.median(walls), f"{name}_max_s": max(walls),
            f"{name}_cpu_median_s": statistics.median(run.cpu for run in runs)}


def run_startup_benchmark(rounds: int = 5) -> dict:
    """Return start-up figures in seconds (see the module docstring)."""
    scratch = Path(tempfile.mkdtemp(prefix="harbor-bench-startup-"))
    database_url = f"sqlite:///{scratch / 'bench.sqlite3'}"
    cache = scratch / "cache"
    env = {**os.environ, "DATABASE_URL": database_url, "HARBOR_CACHE_DIR": str(cache),
           "HARBOR_ENV": "development"}
    harbor = _harbor()
    figures: dict[str, float | int] = {"rounds": rounds}
    try:
        subprocess.run([harbor, "db", "upgrade"], env=env, check=True,  # noqa: S603
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cold = []
        for _ in range(max(1, rounds // 2)):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(_timed([sys.executable, "-c", INDEX_ONLY], env))
        figures.update(_figures("place_index_built", cold))
        figures.update(_figures("place_index_loaded",
                                [_timed([sys.executable, "-c", INDEX_ONLY], env)
                                 for _ in range(rounds)]))
        runs = {
            "harbor_help": [harbor, "--help"],
            "harbor_db_upgrade": [harbor, "db", "upgrade"],
            "harbor_classify": [harbor, "classify", "shelter near 50309 tonight"],
            "worker_boot": [sys.executable, "-c", WORKER_BOOT % database_url],
        }
        for name, argv in runs.items():
            figures.update(_figures(name, [_timed(argv, env) for _ in range(rounds)]))
        served = []
        for _ in range(max(1, rounds // 2)):
            started = time.perf_counter()
            with serve_with_gunicorn("bot:create_app()", env,
                                     settings=gunicorn_settings(workers=1)):
                served.append(time.perf_counter() - started)
        figures["gunicorn_first_answer_median_s"] = statistics.median(served)
        figures["gunicorn_first_answer_max_s"] = max(served)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return figures
