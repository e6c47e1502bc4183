"""PostgreSQL stops in the middle of a run: Harbor keeps answering safely, then recovers alone.

DESIGN.md rule 5: a reply never depends on the database for safety. With gunicorn
serving and conversations in progress, the database server is stopped for real
(`pg_ctl stop -m fast`, which drops every pooled connection). While it is down every
answer is still a 200 with valid TwiML or JSON, on both channels: EXIT answers its
neutral line, danger gets 911 and the hotline, self-harm gets 988, anything else gets
the hotline and "please try again soon"; /healthz says 503 and why. When the server
is back, normal service returns by itself, in every worker, with no gunicorn restart,
and the conversations in progress carry on where they were.

The server stopped here is a private cluster made for this module (initdb into a
temporary folder, its own port on 127.0.0.1), never the shared PostgreSQL other
tests and CI use. Without PostgreSQL's binaries the module skips locally and fails in CI.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from ci_policy import missing
from gunicorn_harbor import EXIT_REPLY, HASH_KEY, HOTLINE, HarborClient, serve_harbor
from sqlalchemy import func, select

from bot.benchmarks.gunicorn_server import free_port
from bot.conversations.store import conversation_key
from resources_db.database import make_engine, make_session_factory, scratch_database
from resources_db.demo import load_demo_listings
from resources_db.models import ConversationState

pytestmark = pytest.mark.slow

WORKERS = 2
PARALLEL = 8  # enough requests at once that every worker, and its pool, takes part
DEGRADED_DEADLINE_SECONDS = 5.0  # far inside Twilio's 15 s, with the database gone
RECOVERY_SECONDS = 20.0


def _postgres_bindir() -> Path | None:
    """Return the folder of initdb and pg_ctl: Debian's newest, else whatever is on PATH."""
    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))

    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=version)
    if debian:
        return debian[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class PrivatePostgres:
    """A throwaway PostgreSQL cluster that this module may stop and start at will."""

    bindir: Path
    folder: Path
    port: int
    run_as: str | None  # "postgres" when we are root: initdb and postgres refuse root

    @property
    def server_url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.bindir / program), *args]
        if self.run_as:
            command = ["runuser", "-u", self.run_as, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=60,  # noqa: S603
                              check=False)

    def initdb(self) -> subprocess.CompletedProcess:
        return self._run("initdb", "-D", str(self.folder / "data"), "--auth=trust",
                         "--username=postgres", "--encoding=UTF8", "--no-sync",
                         "--no-instructions")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        # Durability is not under test: fsync off keeps start, stop and migrations quick.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c full_page_writes=off -c synchronous_commit=off")
        result = self._run("pg_ctl", "-D", str(self.folder / "data"), "-l",
                           str(self.folder / "server.log"), "-w", "-t", "30", "-o", options,
                           "start")
        assert result.returncode == 0, result.stdout + result.stderr + self.server_log()

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: "fast" disconnects every client at once, as an outage does."""
        result = self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", mode, "-w",
                           "-t", "30", "stop")
        assert result.returncode == 0, result.stdout + result.stderr

    def ensure_running(self) -> None:
        """Start the server if a failed test left it stopped."""
        if self._run("pg_ctl", "-D", str(self.folder / "data"), "status").returncode != 0:
            self.start()

    def server_log(self) -> str:
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-2000:] if path.exists() else ""


@pytest.fixture(scope="module")
def private_postgres():
    """A private PostgreSQL cluster on a free port, removed after the module."""
    bindir = _postgres_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        missing("PostgreSQL's initdb and pg_ctl are not installed (apt-get install postgresql)")
    run_as = None
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            missing("running as root without runuser: cannot start PostgreSQL as postgres")
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            missing("running as root and there is no postgres user to run PostgreSQL as")
        run_as = "postgres"
    # Under /tmp rather than pytest's tmp_path: that one is private to root (0700), and
    # the server runs as postgres.
    folder = Path(tempfile.mkdtemp(prefix="harbor-private-pg-"))
    if run_as:
        os.chown(folder, account.pw_uid, account.pw_gid)
    cluster = PrivatePostgres(bindir=bindir, folder=folder, port=free_port(), run_as=run_as)
    try:
        made = cluster.initdb()
        if made.returncode != 0:
            missing(f"initdb failed: {(made.stdout + made.stderr)[-500:]}")
        cluster.start()
        yield cluster
    finally:
        cluster._run("pg_ctl", "-D", str(folder / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def database_url(private_postgres):
    """A migrated database with the demo listings on the private cluster."""
    private_postgres.ensure_running()
    with scratch_database(private_postgres.server_url, prefix="harbor_faults") as url:
        engine = make_engine(url)
        with make_session_factory(engine)() as session:
            load_demo_listings(session)
            session.commit()
        engine.dispose()
        try:
            yield url
        finally:
            private_postgres.ensure_running()  # the database is dropped on the way out


def first_lines(replies: list[str]) -> str:
    return replies[0].splitlines()[0] if replies else ""


_message_numbers = itertools.count()  # next() on it is atomic: safe from several threads


class Person:
    """Someone who texts from `sender` and chats under `token`; checks every answer's HTTP side.

    `sms` and `chat` also take another sender or no token, for the bursts of strangers
    sent alongside. Every SMS gets a MessageSid of its own (a reused one is a retry).
    """

    def __init__(self, client: HarborClient, sender: str):
        self.client = client
        self.sender = sender
        self.token: str | None = None

    def sms(self, text: str, sender: str | None = None, deadline: float = 15.0) -> list[str]:
        sid = f"SMfault{next(_message_numbers):08d}"
        answer = self.client.sms(sender or self.sender, text, sid)
        assert answer.valid, (answer.status, answer.raw)
        assert answer.content_type.startswith("application/xml")
        assert answer.seconds < deadline, f"{text!r} took {answer.seconds:.1f} s"
        return answer.messages

    def chat(self, text: str, token: str | None = None, deadline: float = 15.0) -> dict:
        answer = self.client.chat(token, text)
        assert answer.valid, (answer.status, answer.raw)
        assert answer.seconds < deadline, f"{text!r} took {answer.seconds:.1f} s"
        return answer.body


def booted_workers(log: str) -> int:
    return log.count("Booting worker")


def in_parallel(function, arguments: list) -> list:
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        return list(pool.map(function, arguments))


def test_postgres_outage_degrades_safely_then_recovers_without_a_restart(
        private_postgres, database_url, tmp_path):
    store_url = f"sqlite:///{tmp_path / 'conversations.sqlite3'}"
    # info: gunicorn logs "Booting worker" at that level, which is how a worker restart
    # (a crash, a timeout) would show.
    with serve_harbor(database_url, workers=WORKERS, log_level="info",
                      store_url=store_url) as server:
        client = HarborClient(server.port)
        survivor = Person(client, "+15557100001")
        chatter = Person(client, "+15557100002")

        # Conversations in progress on both channels: the need is stored, a place is due.
        assert first_lines(survivor.sms("I need a safe place to stay")).startswith(
            "To find a safe place to stay near you")
        body = chatter.chat("I need a lawyer for a protective order")
        chatter.token = body["token"]
        assert first_lines(body["replies"]).startswith("To find legal help near you")

        # Fill every worker's connection pool, so the outage leaves dead connections in it.
        warm = in_parallel(lambda n: survivor.sms("legal help in 40205", f"+1555720{n:04d}"),
                           list(range(2 * PARALLEL)))
        assert all(first_lines(r).startswith("Here is legal help near 40205") for r in warm), warm
        workers_before = booted_workers(server.log())
        assert workers_before == WORKERS

        private_postgres.stop("fast")

        status, health = client.healthz()
        assert status == 503
        assert health["status"] == "unavailable" and health["database"] == "unreachable"
        assert health["reason"]  # the error's class name, never its text

        # Each text on each channel, several at once so that every worker answers some.
        down = DEGRADED_DEADLINE_SECONDS
        for text, check in [
            ("EXIT", lambda reply: reply == EXIT_REPLY),
            ("he has a gun", lambda reply: "911" in reply.splitlines()[0]
                and HOTLINE in reply.splitlines()[0]),
            ("i want to die", lambda reply: "988" in reply.splitlines()[0]),
            ("52404", lambda reply: "Please try again soon" in reply and HOTLINE in reply),
            ("I need help with rent", lambda reply: "Please try again soon" in reply
                and HOTLINE in reply),
        ]:
            sms_replies = in_parallel(
                lambda n, text=text: survivor.sms(text, f"+1555730{n:04d}", deadline=down),
                list(range(PARALLEL)))
            chat_bodies = in_parallel(
                lambda _n, text=text: chatter.chat(text, deadline=down), list(range(PARALLEL)))
            for replies in sms_replies + [b["replies"] for b in chat_bodies]:
                assert len(replies) == 1 and check(replies[0]), (text, replies)
            if text == "EXIT":
                assert all(b["cleared"] and b["token"] == "" for b in chat_bodies)

        # The conversations in progress, mid-outage: the safe fallback, their token kept.
        assert "Please try again soon" in survivor.sms("52404", deadline=down)[0]
        body = chatter.chat("40205", chatter.token, deadline=down)
        assert "Please try again soon" in body["replies"][0]
        assert body["token"] == chatter.token

        private_postgres.start()

        deadline = time.monotonic() + RECOVERY_SECONDS
        while client.healthz()[0] != 200:
            assert time.monotonic() < deadline, "healthz did not recover"
            time.sleep(0.2)

        # Normal service in every worker at once: no answer falls back any more.
        after = in_parallel(lambda n: survivor.sms("counseling in 63110", f"+1555740{n:04d}"),
                            list(range(2 * PARALLEL)))
        assert all(first_lines(r).startswith("Here is counseling near 63110") for r in after), after

        # A restart nobody saw (no request while it was down) leaves a dead connection in
        # every pool; pre-ping must replace them before a survivor's turn uses one.
        private_postgres.stop("fast")
        private_postgres.start()
        after = in_parallel(lambda n: survivor.sms("counseling in 63110", f"+1555750{n:04d}"),
                            list(range(2 * PARALLEL)))
        assert all(first_lines(r).startswith("Here is counseling near 63110") for r in after), after

        # The conversations in progress resume from the state stored before the outage.
        assert first_lines(survivor.sms("52404")).startswith(
            "Here is a safe place to stay near 52404")
        body = chatter.chat("40205", chatter.token)
        assert first_lines(body["replies"]).startswith("Here is legal help near 40205")
        assert body["token"] == chatter.token

        # And EXIT erases again.
        assert survivor.sms("EXIT") == [EXIT_REPLY]
        assert chatter.chat("EXIT", chatter.token)["cleared"] is True
        engine = make_engine(store_url)  # conversations never reach PostgreSQL
        try:
            with engine.connect() as connection:
                keys = [conversation_key(HASH_KEY, "sms", survivor.sender),
                        conversation_key(HASH_KEY, "chat", chatter.token)]
                left = connection.execute(select(func.count()).select_from(ConversationState)
                                          .where(ConversationState.key.in_(keys))).scalar_one()
            assert left == 0
        finally:
            engine.dispose()

        # The same gunicorn throughout: the arbiter never exited, no worker was rebooted.
        assert server.process.poll() is None
        assert booted_workers(server.log()) == workers_before, server.log()[-3000:]
        assert "Traceback" not in server.log(), server.log()[-3000:]


def test_an_exit_sent_during_the_outage_is_honoured_once_the_database_is_back(
        private_postgres, database_url):
    with serve_harbor(database_url, workers=1) as server:
        person = Person(HarborClient(server.port), "+15557100003")
        person.sms("I need a safe place to stay")
        private_postgres.stop("fast")
        assert person.sms("EXIT") == [EXIT_REPLY]  # the survivor is told it is cleared
        private_postgres.start()
        # So the next text must start afresh, not pick up the need sent before the EXIT.
        assert not first_lines(person.sms("52404")).startswith("Here is a safe place to stay")
