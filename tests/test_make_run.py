"""What `make run` does, step by step, as a new user meets it: `harbor db upgrade`,
`harbor demo load` (twice: nothing fails, nothing doubles), then `harbor run` really
serving, with /healthz at 200 and the page URLs printed.

The commands run as the console script, in their own processes, on a SQLite file and an
instance folder of the test's own (Harbor reads DATABASE_URL and PENDING_ERASURES_DIR).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.benchmarks.gunicorn_server import free_port
from resources_db.database import make_engine
from resources_db.models import Listing

pytestmark = pytest.mark.slow

HARBOR = str(Path(sys.executable).with_name("harbor"))


@pytest.fixture
def environment(tmp_path) -> dict[str, str]:
    return {
        **os.environ,
        "HARBOR_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'harbor.sqlite3'}",
        "SECRET_KEY": "make-run-test-secret",
        "HASH_KEY": "make-run-test-hash",
        "PENDING_ERASURES_DIR": str(tmp_path / "pending-erasures"),
        "LOG_LEVEL": "WARNING",
    }


def harbor(environment, *arguments: str) -> str:
    result = subprocess.run([HARBOR, *arguments], env=environment, capture_output=True,  # noqa: S603
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def listing_count(environment) -> int:
    engine = make_engine(environment["DATABASE_URL"])
    try:
        with engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(Listing)).scalar_one()
    finally:
        engine.dispose()


def test_upgrade_and_demo_load_twice_change_nothing_the_second_time(environment):
    harbor(environment, "db", "upgrade")
    first = harbor(environment, "demo", "load")
    count = listing_count(environment)
    assert count >= 150 and f"{count} added" in first
    harbor(environment, "db", "upgrade")
    second = harbor(environment, "demo", "load")
    assert listing_count(environment) == count
    assert "0 added" in second and f"{count} already up to date" in second


def test_harbor_run_serves_and_says_where(environment):
    harbor(environment, "db", "upgrade")
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - fixed argv
        [HARBOR, "run", "--port", str(port)], env=environment, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        status = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz",  # noqa: S310
                                            timeout=2) as answer:
                    status = answer.status
                    break
            except OSError:
                time.sleep(0.2)
        assert status == 200, "harbor run did not serve /healthz"
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=20)
    for path in ("/chat", "/console", "/admin", "/healthz"):
        assert f"http://127.0.0.1:{port}{path}" in output
