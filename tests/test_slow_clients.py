"""Slow and huge requests against gunicorn as the Procfile starts it: survivors still get answers.

The attack, as a security review ran it: 80 connections POST /chat/api/messages with a
chunked body, one byte every 2 s, and never finish. Under gthread workers every thread
was held and a signed EXIT to /sms timed out. With gunicorn.conf.py's gevent workers and
bot.request_bodies, the EXIT (and a danger message) answer in under 2 s while the slow
connections are held, and each slow connection is answered 408 and closed once
REQUEST_BODY_SECONDS have passed. Bodies larger than a path allows are refused with 413.
"""

from __future__ import annotations

import socket
import threading
import time

import pytest
from gunicorn_harbor import EXIT_REPLY, HOTLINE, HarborClient, serve_harbor

from bot.config import SETTINGS
from resources_db.database import scratch_database

pytestmark = pytest.mark.slow

SLOW_CLIENTS = 80
SECONDS_BETWEEN_BYTES = 2.0
ANSWER_WITHIN_SECONDS = 2.0
BODY_SECONDS = SETTINGS["REQUEST_BODY_SECONDS"][0]  # the production default, not a test value


@pytest.fixture(scope="module")
def harbor(postgres_url, redis_url):
    """Harbor under gunicorn (the Procfile's settings) on a PostgreSQL database of its own."""
    with scratch_database(postgres_url, prefix="harbor_slow") as url:
        with serve_harbor(url, workers=2, redis_url=redis_url, log_level="info") as server:
            yield server


class SlowClients:
    """Connections that send a chunked body one byte at a time and never finish it."""

    def __init__(self, port: int, count: int, path: str = "/chat/api/messages") -> None:
        self.sockets: list[socket.socket] = []
        self.closed_at: dict[int, float] = {}
        self.answers: dict[int, bytes] = {}
        self._stop = threading.Event()
        head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(head.encode())
            sock.setblocking(False)
            self.sockets.append(sock)
        self.started = time.monotonic()
        self._thread = threading.Thread(target=self._trickle, daemon=True)
        self._thread.start()

    def _trickle(self) -> None:
        while not self._stop.wait(SECONDS_BETWEEN_BYTES):
            for index, sock in enumerate(self.sockets):
                if index in self.closed_at:
                    continue
                self._collect(index, sock)
                if index in self.closed_at:
                    continue
                try:
                    sock.send(b"1\r\n{\r\n")  # one byte of JSON, as one chunk
                except OSError:
                    self.closed_at[index] = time.monotonic()

    def _collect(self, index: int, sock: socket.socket) -> None:
        try:
            data = sock.recv(4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self.answers[index] = self.answers.get(index, b"") + data
        else:
            self.closed_at[index] = time.monotonic()

    def still_open(self) -> int:
        return len(self.sockets) - len(self.closed_at)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        for sock in self.sockets:
            sock.close()


def test_a_signed_exit_answers_fast_while_80_slow_clients_hold_connections(harbor):
    client = HarborClient(harbor.port, timeout=20)
    assert client.sms("+15551110001", "I need a safe place to stay", "slow-need").valid
    slow = SlowClients(harbor.port, SLOW_CLIENTS)
    try:
        time.sleep(2 * SECONDS_BETWEEN_BYTES)  # every slow body is under way
        assert slow.still_open() == SLOW_CLIENTS, "the slow clients were dropped early"
        exits = [client.sms(f"+1555111{n:04d}", "EXIT", f"slow-exit-{n}") for n in range(5)]
        danger = client.sms("+15551119999", "he has a gun and is outside", "slow-danger")
        chat = client.chat(None, "hello")
        held = slow.still_open()

        for answer in exits:
            assert answer.valid and answer.messages == [EXIT_REPLY], answer.raw
            assert answer.seconds < ANSWER_WITHIN_SECONDS, [a.seconds for a in exits]
        assert danger.valid and any("911" in m or HOTLINE in m for m in danger.messages)
        assert danger.seconds < ANSWER_WITHIN_SECONDS
        assert chat.valid and chat.seconds < ANSWER_WITHIN_SECONDS
        assert held == SLOW_CLIENTS, "the answers came while the slow clients were held"

        # Then every slow connection is answered 408 and closed, none left holding on.
        deadline = slow.started + BODY_SECONDS + 3 * SECONDS_BETWEEN_BYTES + 5
        while slow.still_open() and time.monotonic() < deadline:
            time.sleep(0.5)
        assert slow.still_open() == 0, f"{slow.still_open()} slow connections still open"
        answered_408 = [a for a in slow.answers.values() if a.startswith(b"HTTP/1.1 408")]
        assert len(answered_408) == SLOW_CLIENTS, list(slow.answers.values())[:3]
    finally:
        slow.stop()
    assert "Traceback" not in harbor.log(), harbor.log()[-3000:]


def raw_request(port: int, head: str, body: bytes = b"") -> bytes:
    """Send one raw HTTP request and return what came back before the server closed."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head.encode() + body)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        return answer


def test_a_body_larger_than_the_webhook_allows_is_refused_unread(harbor):
    started = time.monotonic()
    # Signed as far as the header goes: the form is what the signature check would read.
    answer = raw_request(harbor.port, "POST /sms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         "X-Twilio-Signature: c2lnbmF0dXJl\r\n"
                         "Content-Length: 50000000\r\n\r\n", b"From=%2B1555")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert time.monotonic() - started < ANSWER_WITHIN_SECONDS


def test_a_chunked_chat_body_past_the_limit_is_refused(harbor):
    body = b"".join(b"4000\r\n" + b" " * 0x4000 + b"\r\n" for _ in range(8)) + b"0\r\n\r\n"
    # Kept alive: the server reads the rest away instead of resetting the connection.
    answer = raw_request(harbor.port, "POST /chat/api/messages HTTP/1.1\r\nHost: x\r\n"
                         "Content-Type: application/json\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n", body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"error"' in answer
