"""A redis-server of a test session's own, for tests that must CONFIG SET, DEBUG RELOAD or
DUMP without touching the shared Redis (tests/conftest.py's `private_redis` fixture)."""

from __future__ import annotations

from pathlib import Path


class PrivateRedis:
    """A redis-server of this test session's own (persistence off, its own folder)."""

    def __init__(self, folder: Path, extra: tuple[str, ...] = ()) -> None:
        import subprocess

        from bot.benchmarks.gunicorn_server import free_port

        self.folder = folder
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(folder),
             "--dbfilename", "dump.rdb", "--enable-debug-command", "local", *extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        import time

        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis.from_url(self.url).ping()
                break
            except redis.RedisError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
