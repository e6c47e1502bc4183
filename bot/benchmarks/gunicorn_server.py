"""A WSGI app under a real gunicorn on loopback, for the benchmark and the end-to-end tests.

`serve_with_gunicorn` starts gunicorn on a free 127.0.0.1 port, waits until
`GET /healthz` answers 200 (so every caller starts on a server that can reach its
database), yields a `GunicornServer`, and stops it with SIGTERM afterwards. gunicorn's
own output goes to a log file, never a pipe nobody reads (a full pipe would block the
server mid-run); `GunicornServer.log()` reads it, e.g. for a failure message.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

# The settings file the Procfile starts gunicorn with (gevent workers, timeouts).
GUNICORN_CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def gunicorn_settings(workers: int = 2) -> tuple[str, ...]:
    """Return the Procfile's gunicorn settings, with `workers` worker processes.

    The Procfile's own settings file, so what is tested is what production runs; fewer
    workers than the Procfile by default: the benchmark and tests share a small machine.
    """
    if not GUNICORN_CONFIG.is_file():
        raise RuntimeError(f"gunicorn's settings file is missing: {GUNICORN_CONFIG}")
    return ("--config", str(GUNICORN_CONFIG), "--workers", str(workers))


GUNICORN_SETTINGS = gunicorn_settings()


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class GunicornServer:
    """A running gunicorn: its port, its arbiter process and its log file."""

    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def base_url(self) -> str:
        """Return the origin clients call, e.g. http://127.0.0.1:8123."""
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """Return what gunicorn and the app have written so far."""
        return self.log_path.read_text(errors="replace")


def _answers_ok(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


@contextmanager
def serve_with_gunicorn(app_spec: str, env: Mapping[str, str], *,
                        settings: Sequence[str] = GUNICORN_SETTINGS, port: int | None = None,
                        log_level: str = "warning", ready_path: str = "/healthz",
                        startup_seconds: float = 60.0) -> Iterator[GunicornServer]:
    """Run `app_spec` (e.g. "bot:create_app()") under gunicorn until the block ends."""
    port = port or free_port()
    descriptor, log_name = tempfile.mkstemp(prefix="harbor-gunicorn-", suffix=".log")
    log_path = Path(log_name)
    command = [sys.executable, "-m", "gunicorn", app_spec, "--bind", f"127.0.0.1:{port}",
               *settings, "--log-level", log_level]
    with os.fdopen(descriptor, "wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, env={**os.environ, **env}, stdout=log_file, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = GunicornServer(port=port, process=process, log_path=log_path)
    try:
        # Every worker warms up its matcher before it answers; wait for the app itself,
        # not just the socket, so the first measured or asserted request is a real one.
        deadline = time.monotonic() + startup_seconds
        while not _answers_ok(port, ready_path):
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {server.log()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer {ready_path} within "
                                   f"{startup_seconds:.0f} s: {server.log()[-2000:]}")
            time.sleep(0.1)
        yield server
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log_path.unlink(missing_ok=True)
