"""Two app hosts that share nothing but the services: an EXIT answered by one while it
cannot reach the conversation store is carried out by the other (issue 15).

Host A and host B are two gunicorns with instance folders of their own (their own
PENDING_ERASURES_DIR), on one PostgreSQL database and one Redis. Host A reaches Redis
through a TCP relay the test can cut. A conversation lists shelters on B; the relay is
cut; the person's EXIT reaches A, which answers "cleared" and writes the erasure down
in the shared table (its store is away, the database is not). Then "more" on B must
not list the shelters again: B carries the erasure out before it loads any state.
"""

from __future__ import annotations

import json
import socket
import threading

import pytest
import redis
from gunicorn_harbor import EXIT_REPLY, HASH_KEY, HarborClient, serve_harbor
from sqlalchemy import func, select

from bot.conversations.store import conversation_key
from resources_db.database import make_engine, make_session_factory
from resources_db.demo import load_demo_listings
from resources_db.models import OwedErasure, UsageCount

pytestmark = pytest.mark.slow  # two gunicorn start-ups

SENDER = "+15557400001"
BYSTANDER = "+15557400002"


class CuttableRelay:
    """A loopback TCP relay to a Redis that the test can cut (every connection dropped)."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.cut = threading.Event()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()  # refused as a host cut off from Redis is
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                try:
                    end.close()
                except OSError:
                    pass

    def sever(self) -> None:
        """Drop every connection and refuse new ones."""
        self.cut.set()
        with self.lock:
            for connection in self.sockets:
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                connection.close()
            self.sockets.clear()

    def close(self) -> None:
        self.sever()
        self.listener.close()


def test_an_exit_answered_by_a_host_cut_off_from_the_store_is_carried_out_by_the_other(
        postgres_url, redis_url):
    store = redis.Redis.from_url(redis_url)
    store.flushdb()
    engine = make_engine(postgres_url)
    with make_session_factory(engine)() as session:
        load_demo_listings(session)
        session.commit()
    database_number = redis_url.rsplit("/", 1)[1]
    relay = CuttableRelay(store.connection_pool.connection_kwargs["port"])
    try:
        with serve_harbor(postgres_url, workers=1, threads=4,
                          store_url=f"redis://127.0.0.1:{relay.port}/{database_number}",
                          # Its limits in memory (production would refuse that: "test"), so
                          # cutting its store cuts only the conversations.
                          extra={"RATELIMIT_STORAGE_URI": "memory://",
                                 "HARBOR_ENV": "test"}) as host_a, \
                serve_harbor(postgres_url, workers=1, threads=4, store_url=redis_url) as host_b:
            a, b = HarborClient(host_a.port), HarborClient(host_b.port)
            (listed,) = b.sms(SENDER, "I need a safe place to stay near 52404",
                              "SM" + "d1" * 16).messages
            assert listed.startswith("Here is a safe place to stay near 52404")
            key = conversation_key(HASH_KEY, "sms", SENDER)
            assert store.exists("harbor:state:" + key)

            relay.sever()
            assert a.sms(SENDER, "EXIT", "SM" + "d2" * 16).messages == [EXIT_REPLY]
            # Owed where host B will look: the shared table (A's store is unreachable).
            with engine.connect() as connection:
                owed = list(connection.execute(select(OwedErasure.key)).scalars())
            assert owed == [key]
            assert store.exists("harbor:state:" + key)  # not yet erased: A could not

            # Host B: the next turn, anyone's, erases it before it reads any state.
            (more,) = b.sms(SENDER, "more", "SM" + "d3" * 16).messages
            assert not more.startswith("Here is"), more
            assert "Cedar Lanternhouse" not in more
            assert not store.exists("harbor:state:" + key) or json.loads(
                store.get("harbor:state:" + key)).get("need") != "shelter"
            with engine.connect() as connection:
                assert connection.execute(select(func.count()).select_from(OwedErasure)
                                          ).scalar_one() == 0
            # Someone else's conversation on B was never touched by it.
            assert b.sms(BYSTANDER, "hi", "SM" + "d4" * 16).valid
    finally:
        relay.close()
        store.flushdb()
        with engine.begin() as connection:
            connection.execute(UsageCount.__table__.delete())
            connection.execute(OwedErasure.__table__.delete())
        engine.dispose()
