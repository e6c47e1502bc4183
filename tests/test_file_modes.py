"""The SQLite database and the instance folder are readable by their owner only.

The database holds conversation state and the instance folder the development keys, the
demo login and owed erasures: another account on the same machine must not read them,
whatever the umask. Run as the attack was: look at the modes after Harbor made them, and
after a real gunicorn has served a conversation (SQLite then has its -wal and -shm files).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import pytest
from gunicorn_harbor import HarborClient, serve_harbor

from bot import create_app
from resources_db.database import make_engine, upgrade_database

pytestmark = pytest.mark.db
HARBOR = str(Path(sys.executable).with_name("harbor"))


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def permissive_umask():
    """Run the block with umask 022, the usual default that makes files 0644."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_db_upgrade_creates_an_owner_only_folder_and_database(tmp_path):
    database = tmp_path / "new-instance" / "harbor.sqlite3"
    environment = {**os.environ, "DATABASE_URL": f"sqlite:///{database}",
                   "HARBOR_ENV": "development"}
    with permissive_umask():
        subprocess.run([HARBOR, "db", "upgrade"], env=environment, check=True,  # noqa: S603
                       capture_output=True)
    assert mode_of(database.parent) == 0o700
    assert mode_of(database) == 0o600


def test_an_existing_world_readable_database_and_its_wal_are_tightened(tmp_path):
    database = tmp_path / "harbor.sqlite3"
    wal = tmp_path / "harbor.sqlite3-wal"
    for path in (database, wal):
        path.write_bytes(b"")
        path.chmod(0o644)
    make_engine(f"sqlite:///{database}").dispose()
    assert mode_of(database) == 0o600
    assert mode_of(wal) == 0o600


def test_the_instance_folder_is_owner_only_after_the_app_starts(tmp_path):
    with permissive_umask():
        app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
                          "SECRET_KEY": "k", "HASH_KEY": "h"})
    assert mode_of(Path(app.instance_path)) == 0o700


def test_after_gunicorn_serves_a_conversation_no_database_file_is_readable_by_others(tmp_path):
    folder = tmp_path / "instance"
    database = folder / "harbor.sqlite3"
    url = f"sqlite:///{database}"
    with permissive_umask():
        upgrade_database(url)
        with serve_harbor(url, workers=1, threads=2) as server:
            client = HarborClient(server.port)
            answer = client.chat(None, "I need a safe place to stay near 52402")
            assert answer.valid, answer.raw
            files = sorted(folder.iterdir())
            modes = {path.name: mode_of(path) for path in files}
    assert "harbor.sqlite3-wal" in modes, modes  # the served turn wrote through the WAL
    assert mode_of(folder) == 0o700
    assert all(mode == 0o600 for mode in modes.values()), modes
