"""`harbor bench handoff`: how fast words cross a hand-off, through the real HTTP surfaces.

A Harbor app on a scratch database (SQLite, or PostgreSQL with --database-url) is served
on 127.0.0.1 by werkzeug, with one advocate on duty. Each round a new survivor asks for a
person on POST /chat/api/messages and says YES, while a poller stands in for the
advocate's inbox page (GET /console/inbox/state) and another for the survivor's chat page
(POST /chat/api/updates). Two figures per round:

- yes_to_advocate: from the YES answer to the first inbox state that lists the person;
- reply_to_survivor: from the advocate's reply being sent to the first update that
  carries it to the survivor's page.

Run twice: with the pages' own poll intervals (what people see: about half an interval
plus the server's path), and polling every 20 ms (the server's path alone).
"""

from __future__ import annotations

import random
import secrets
import statistics
import threading
import time
from collections.abc import Mapping

PAGE_POLL_SECONDS = 1.0  # bot/static/chat.js and inbox.js both ask once a second
TIGHT_POLL_SECONDS = 0.02
ADVOCATE_EMAIL = "bench-advocate@example.org"


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": statistics.median(ordered) * 1000,
        "p90_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))] * 1000,
        "max_ms": ordered[-1] * 1000,
    }


class _Poller(threading.Thread):
    """Calls `probe` every `interval` seconds and records when `wanted` first holds."""

    def __init__(self, probe, interval: float):
        super().__init__(daemon=True)
        self.probe = probe
        self.interval = interval
        self.wanted = None
        self.seen_at: float | None = None
        self.found = threading.Event()
        self.stopping = threading.Event()

    def expect(self, wanted) -> None:
        self.found.clear()
        self.seen_at = None
        self.wanted = wanted

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.monotonic()
            try:
                answer = self.probe()
            except Exception:  # noqa: BLE001 - a failed poll is retried, as the pages do
                answer = None
            wanted = self.wanted
            if wanted is not None and answer is not None and wanted(answer):
                self.seen_at = time.monotonic()
                self.wanted = None
                self.found.set()
            self.stopping.wait(max(0.0, self.interval - (time.monotonic() - started)))


def _rounds(base: str, rounds: int, interval: float, password: str) -> dict[str, list[float]]:
    import requests

    advocate = requests.Session()
    advocate.post(f"{base}/login", data={"email": ADVOCATE_EMAIL, "password": password},
                  timeout=10)
    survivor_http = requests.Session()
    current = {"token": None}
    inbox = _Poller(lambda: advocate.get(f"{base}/console/inbox/state", timeout=10).json(),
                    interval)
    page = _Poller(lambda: survivor_http.post(
        f"{base}/chat/api/updates", json={"token": current["token"], "after": 0},
        timeout=10).json() if current["token"] else None, interval)
    inbox.start()
    page.start()
    figures: dict[str, list[float]] = {"yes_to_advocate": [], "reply_to_survivor": []}
    try:
        def say(words: str, token=None) -> dict:
            return survivor_http.post(f"{base}/chat/api/messages",
                                      json={"token": token, "text": words}, timeout=10).json()

        for number in range(rounds):
            token = say("can I talk to a real person")["token"]
            known = {item["id"] for item in advocate.get(
                f"{base}/console/inbox/state", timeout=10).json()["queue"]}
            inbox.expect(lambda state, known=known: any(
                item["id"] not in known for item in state["queue"]))
            # A person answers at any moment of the page's poll cycle, not right after it.
            time.sleep(random.uniform(0, interval))  # noqa: S311 - a phase, not a secret
            say("yes", token)
            asked = time.monotonic()
            if not inbox.found.wait(30):
                raise RuntimeError("the advocate's inbox never showed the person")
            figures["yes_to_advocate"].append(inbox.seen_at - asked)
            state = advocate.get(f"{base}/console/inbox/state", timeout=10).json()
            handoff_id = next(item["id"] for item in state["queue"] if item["id"] not in known)
            advocate.post(f"{base}/console/inbox/claim", json={"id": handoff_id},
                          headers={"Accept": "application/json"}, timeout=10)
            current["token"] = token
            words = f"Hello, this is round {number}."
            page.expect(lambda answer, words=words: any(
                m["text"] == words for m in answer["messages"]))
            time.sleep(random.uniform(0, interval))  # noqa: S311 - a phase, not a secret
            sent = time.monotonic()
            advocate.post(f"{base}/console/inbox/reply", json={"id": handoff_id, "text": words},
                          headers={"Accept": "application/json"}, timeout=10)
            if not page.found.wait(30):
                raise RuntimeError("the survivor's page never got the advocate's reply")
            figures["reply_to_survivor"].append(page.seen_at - sent)
            current["token"] = None
            advocate.post(f"{base}/console/inbox/close", json={"id": handoff_id},
                          headers={"Accept": "application/json"}, timeout=10)
    finally:
        inbox.stopping.set()
        page.stopping.set()
        inbox.join(5)
        page.join(5)
    return figures


def run_handoff_benchmark(*, database_url: str | None, rounds: int, config: Mapping
                          ) -> dict:
    """Return the hand-off latencies (medians, p90, max) at page and tight polling."""
    from werkzeug.serving import make_server

    from bot import create_app
    from bot.staff import accounts, duty
    from resources_db.demo import scratch_demo_database

    password = secrets.token_urlsafe(16)
    with scratch_demo_database(database_url, prefix="harbor_bench_handoff") as url:
        app = create_app({
            "DATABASE_URL": url, "HARBOR_ENV": "test", "TESTING": True,
            "SECRET_KEY": "bench-secret", "HASH_KEY": "bench-hash",
            "TWILIO_AUTH_TOKEN": "bench-token", "WTF_CSRF_ENABLED": False,
            "LOG_LEVEL": "WARNING", "RATELIMIT_PER_CONVERSATION": "100000 per minute",
            "RATELIMIT_PER_ADDRESS": "100000 per minute", "LOGIN_RATELIMIT": "1000 per minute",
            "PENDING_ERASURES_DIR": config.get("PENDING_ERASURES_DIR"),
        })
        with app.extensions["harbor_database"].sessions() as session:
            user = accounts.create_user(session, ADVOCATE_EMAIL, password, "advocate")
            duty.set_roster(session, user, display_name="Bench", roster_hours="",
                            roster_timezone="UTC", max_open_chats=10)
            duty.set_on_duty(session, user, True)
            session.commit()
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            at_page = _rounds(base, rounds, PAGE_POLL_SECONDS, password)
            tight = _rounds(base, rounds, TIGHT_POLL_SECONDS, password)
        finally:
            server.shutdown()
            thread.join(10)
            app.extensions["harbor_database"].engine.dispose()
    figures: dict = {"rounds": rounds, "database": url.split(":", 1)[0],
                     "page_poll_ms": PAGE_POLL_SECONDS * 1000}
    for label, measured in (("page_poll", at_page), ("tight_poll", tight)):
        for name, values in measured.items():
            for stat, value in _percentiles(values).items():
                figures[f"{label}.{name}.{stat}"] = value
    return figures
