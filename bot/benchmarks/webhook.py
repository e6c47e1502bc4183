"""`harbor bench webhook`: the real SMS webhook against a bare Flask app, side by side.

Both apps run under gunicorn with the same settings on loopback, and the same load
generator drives each for the same time with the same number of keep-alive
connections. Harbor's requests are real: signed with the Twilio auth token, each a turn
of a scripted conversation (greeting, a need with a ZIP, more, exit) on its own
number, so every request goes through signature check, engine, matcher, search and
the state store. The bare app answers constant TwiML: the ceiling of the stack.

Requests are signed before the clock starts, so the client's own work is only HTTP.
"""

from __future__ import annotations

import http.client
import statistics
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass

from twilio.request_validator import RequestValidator

from bot.benchmarks.gunicorn_server import free_port, gunicorn_settings, serve_with_gunicorn
from bot.config import PER_PROCESS_LIMIT_STORES
from resources_db.demo import scratch_demo_database

BENCH_TOKEN = "bench-twilio-token"  # noqa: S105 - a throwaway token for a local benchmark
# One script per simulated person: each turn is one webhook request.
CONVERSATION_SCRIPT = ("hi", "I need a safe place to stay", "52404", "more", "thanks", "exit")


def bare_app():
    """Return the baseline: a Flask app that answers constant TwiML to POST /sms."""
    from flask import Flask, Response

    app = Flask("bare")
    body = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>OK</Message></Response>'

    @app.post("/sms")
    def sms():
        return Response(body, mimetype="application/xml")

    @app.get("/healthz")
    def healthz():  # serve_with_gunicorn waits for this before the clock starts
        return Response("ok", mimetype="text/plain")

    return app


@dataclass(frozen=True)
class _Request:
    body: bytes
    headers: dict[str, str]


def _signed_requests(base_url: str, people: int) -> list[list[_Request]]:
    """Return, per simulated person, the signed requests of one whole conversation."""
    validator = RequestValidator(BENCH_TOKEN)
    url = base_url + "/sms"
    conversations = []
    for person in range(people):
        turns = []
        for turn, text in enumerate(CONVERSATION_SCRIPT):
            params = {
                "From": f"+1555{person:07d}",
                "To": "+15550100000",
                "Body": text,
                "MessageSid": f"SM{person:024x}{turn:08x}",
                "AccountSid": "AC" + "be7c" * 8,
                "NumMedia": "0",
            }
            signature = validator.compute_signature(url, params)
            turns.append(_Request(
                body=urllib.parse.urlencode(params).encode(),
                headers={"Content-Type": "application/x-www-form-urlencoded",
                         "X-Twilio-Signature": signature},
            ))
        conversations.append(turns)
    return conversations


def _drive(port: int, conversations: list[list[_Request]], connections: int,
           seconds: float) -> dict:
    """Send conversations over `connections` keep-alive connections for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop_at = time.monotonic() + seconds
    next_person = iter(range(len(conversations)))
    lock = threading.Lock()

    def worker(slot: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
        while time.monotonic() < stop_at:
            with lock:
                person = next(next_person, None)
            if person is None:
                break
            for request in conversations[person]:
                started = time.perf_counter()
                try:
                    connection.request("POST", "/sms", request.body, request.headers)
                    response = connection.getresponse()
                    response.read()
                    ok = response.status == 200
                except (OSError, http.client.HTTPException):
                    ok = False
                    connection.close()
                    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
                latencies[slot].append((time.perf_counter() - started) * 1000)
                if not ok:
                    errors[slot] += 1
        connection.close()

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    merged = sorted(value for slot in latencies for value in slot)
    if not merged:
        raise RuntimeError("no request completed")
    return {
        "requests": len(merged),
        "errors": sum(errors),
        "rps": len(merged) / elapsed,
        "p50_ms": statistics.median(merged),
        "p99_ms": merged[min(len(merged) - 1, int(len(merged) * 0.99))],
    }


def run_webhook_benchmark(database_url: str | None, connections: int, seconds: int,
                          config=None, workers: int = 2,
                          store_url: str | None = None) -> dict:
    """Measure Harbor's webhook and the bare app under the same gunicorn settings.

    `store_url` is the conversation store (a Redis database is flushed before and after);
    default: a scratch SQLite file of its own.
    """
    settings = gunicorn_settings(workers)
    # Production needs a shared limit store; with none configured (a laptop's memory://)
    # the benchmark runs as HARBOR_ENV=test: the same code paths, without that check.
    storage = str((config or {}).get("RATELIMIT_STORAGE_URI") or "memory://")
    environment = "test" if storage.startswith(PER_PROCESS_LIMIT_STORES) else "production"
    with scratch_demo_database(database_url, prefix="harbor_bench") as url, \
            tempfile.TemporaryDirectory(prefix="harbor-bench-store-") as folder:
        store = store_url or f"sqlite:///{folder}/conversations.sqlite3"
        if store.startswith("redis"):
            import redis

            redis.Redis.from_url(store).flushdb()
        harbor_port, bare_port = free_port(), free_port()
        env = {
            "DATABASE_URL": url,
            "HARBOR_ENV": environment,
            "RATELIMIT_STORAGE_URI": storage,
            "SECRET_KEY": "bench-secret",
            "HASH_KEY": "bench-hash-key",
            "TWILIO_AUTH_TOKEN": BENCH_TOKEN,
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{harbor_port}",
            # The benchmark measures throughput, not the abuse limits.
            "RATELIMIT_PER_CONVERSATION": "100000 per minute",
            "RATELIMIT_PER_ADDRESS": "1000000 per minute",
            "LOG_LEVEL": "WARNING",
            "CONVERSATION_STORE_URL": store,
            "PENDING_ERASURES_DIR": f"{folder}/pending-erasures",
        }
        people = max(2000, connections * seconds * 400)
        conversations = _signed_requests(env["PUBLIC_BASE_URL"], people)

        with serve_with_gunicorn("bot.benchmarks.webhook:bare_app()", {}, port=bare_port,
                                 settings=settings):
            _drive(bare_port, conversations, connections, 1)  # warm-up
            bare = _drive(bare_port, conversations, connections, seconds)
        with serve_with_gunicorn("bot:create_app()", env, port=harbor_port,
                                 settings=settings):
            _drive(harbor_port, conversations[-200:], connections, 2)  # warm-up
            harbor = _drive(harbor_port, conversations[:-200], connections, seconds)
        if store.startswith("redis"):
            redis.Redis.from_url(store).flushdb()

    return {
        "database": "postgresql" if url.startswith("postgres") else "sqlite",
        "conversation_store": "redis" if store.startswith("redis") else "sqlite",
        "connections": connections,
        "seconds": seconds,
        "gunicorn": " ".join(settings),
        "harbor_env": environment,
        "rate_limit_store": storage.split("://", 1)[0],
        "harbor_requests": harbor["requests"],
        "harbor_errors": harbor["errors"],
        "harbor_rps": harbor["rps"],
        "harbor_p50_ms": harbor["p50_ms"],
        "harbor_p99_ms": harbor["p99_ms"],
        "bare_requests": bare["requests"],
        "bare_rps": bare["rps"],
        "bare_p50_ms": bare["p50_ms"],
        "bare_p99_ms": bare["p99_ms"],
        "rps_ratio": harbor["rps"] / bare["rps"],
    }

