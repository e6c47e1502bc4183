"""Start-up: `harbor --help` builds no app and loads no rules, index or model; the place
index is built once and then loaded from the index cache, which fails safe.

(How fast is a benchmark, `harbor bench startup`, never a timed test.)"""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

import pytest

from resources_db import index_cache

HEAVY = ("sqlalchemy.orm", "alembic", "rapidfuzz", "zipcodes", "numpy", "yaml",
         "intents.matcher", "resources_db.geography", "twilio", "wtforms")


def modules_after(code: str, stdin: str = "") -> set[str]:
    probe = (f"import sys, json\n{code}\n"
             "print('MODULES=' + json.dumps(sorted(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=False, env={**os.environ, "HARBOR_ENV": "development"},
                            input=stdin)
    line = [text for text in result.stdout.splitlines() if text.startswith("MODULES=")]
    assert line, result.stdout + result.stderr
    return set(json.loads(line[0].removeprefix("MODULES=")))


def test_harbor_help_builds_no_app_and_loads_nothing_heavy():
    loaded = modules_after(
        "from bot.cli import harbor\n"
        "import bot\n"
        "built = []\n"
        "real = bot.create_app\n"
        "bot.create_app = lambda *a, **k: built.append(1) or real(*a, **k)\n"
        "try:\n"
        "    harbor.main(['--help'], prog_name='harbor', standalone_mode=False)\n"
        "finally:\n"
        "    assert not built, 'harbor --help built the app'\n")
    assert sorted(set(HEAVY) & loaded) == []


def test_a_command_that_needs_no_rules_builds_its_app_without_warming_up(tmp_path):
    loaded = modules_after(
        "from bot.cli import harbor\n"
        f"import os; os.environ['DATABASE_URL'] = 'sqlite:///{tmp_path / 'db.sqlite3'}'\n"
        "harbor.main(['db', 'upgrade'], prog_name='harbor', standalone_mode=False)\n"
        "from intents import matcher\n"
        "assert matcher.compiled_rules.cache_info().currsize == 0, 'rules were compiled'\n")
    assert "alembic" in loaded  # it did migrate


# What only conversations need: the matcher (rapidfuzz), the reader's model (numpy) and
# Twilio's REST library (requests). A worker loads them when it warms up; a command that
# needs only the database must not pay for them, nor for the app's pages.
CONVERSATION_ONLY = ("intents.matcher", "intents.reading", "rapidfuzz", "numpy",
                     "twilio.rest", "requests")
SURFACES = ("bot.channels.sms", "bot.channels.console", "bot.channels.advocate_inbox",
            "bot.staff.admin", "bot.engine")


@pytest.mark.parametrize("args", [
    ["db", "upgrade"],
    ["organizations", "create", "Cedar Partners"],
    ["users", "create", "admin@example.org", "--role", "admin"],
    ["users", "list"],
    ["purge"],
], ids=" ".join)
def test_a_database_only_command_loads_nothing_conversations_or_pages_need(tmp_path, args):
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    loaded = modules_after(
        "from bot.cli import harbor\n"
        f"import os; os.environ['DATABASE_URL'] = {database!r}\n"
        "harbor.main(['db', 'upgrade'], prog_name='harbor', standalone_mode=False)\n"
        f"harbor.main({args!r}, prog_name='harbor', standalone_mode=False)\n",
        stdin="correct horse battery staple\n")
    assert "bot.conversations.store" in loaded  # its app was built, the store opened
    assert sorted(set(CONVERSATION_ONLY + SURFACES) & loaded) == []


def test_the_whole_app_unwarmed_registers_every_page_and_loads_nothing_conversations_need(
        tmp_path):
    loaded = modules_after(
        "from bot import create_app\n"
        f"app = create_app({{'DATABASE_URL': 'sqlite:///{tmp_path / 'db.sqlite3'}', "
        "'WARM_UP': False})\n"
        "assert {'sms', 'chat', 'console', 'admin'} <= set(app.blueprints), app.blueprints\n"
        "assert 'users' in app.cli.commands\n")
    assert set(SURFACES) <= loaded
    assert sorted(set(CONVERSATION_ONLY) & loaded) == []


def test_a_warmed_up_worker_still_loads_them_at_boot(tmp_path):
    loaded = modules_after(
        "from bot import create_app\n"
        f"create_app({{'DATABASE_URL': 'sqlite:///{tmp_path / 'db.sqlite3'}'}})\n")
    assert sorted(set(CONVERSATION_ONLY) & loaded) == sorted(CONVERSATION_ONLY)


@pytest.mark.parametrize(("command", "surfaces"), [("db", False), ("users", False),
                                                   ("run", True), ("rules", True)])
def test_only_a_database_only_command_gets_an_app_without_surfaces(
        tmp_path, monkeypatch, command, surfaces):
    import click

    from bot.cli import _create_app_for_cli, harbor

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with click.Context(harbor) as context:
        context.invoked_subcommand = command
        app = _create_app_for_cli()
    assert ("sms" in app.blueprints) is surfaces
    assert "harbor_database" in app.extensions and "harbor_conversations" in app.extensions


def test_the_database_only_commands_are_commands():
    from bot.cli import COMMAND_MODULES, DATABASE_ONLY_COMMANDS

    assert DATABASE_ONLY_COMMANDS <= set(COMMAND_MODULES)
    assert "run" not in DATABASE_ONLY_COMMANDS  # it serves the pages


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("HARBOR_CACHE_DIR", str(folder))
    return folder


def build_counted(calls):
    def build():
        calls.append(1)
        return {"built": len(calls)}
    return build


def test_an_index_is_built_once_then_loaded(cache_dir):
    calls = []
    first = index_cache.load_or_build("sample", build_counted(calls), ("v1",))
    second = index_cache.load_or_build("sample", build_counted(calls), ("v1",))
    assert first == second == {"built": 1}
    assert calls == [1]
    assert oct(cache_dir.stat().st_mode & 0o777) == "0o700"
    [written] = cache_dir.glob("sample-*.pickle")
    assert oct(written.stat().st_mode & 0o777) == "0o600"


def test_a_new_version_of_the_data_or_the_builder_builds_afresh(cache_dir):
    calls = []
    index_cache.load_or_build("sample", build_counted(calls), ("v1",))
    assert index_cache.load_or_build("sample", build_counted(calls), ("v2",)) == {"built": 2}
    assert len(list(cache_dir.glob("sample-*.pickle"))) == 1  # the stale one is gone


def test_a_file_others_could_write_is_never_loaded(cache_dir):
    calls = []
    index_cache.load_or_build("sample", build_counted(calls), ("v1",))
    [written] = cache_dir.glob("sample-*.pickle")
    written.write_bytes(pickle.dumps({"planted": True}))
    written.chmod(0o666)
    assert index_cache.load_or_build("sample", build_counted(calls), ("v1",)) == {"built": 2}


def test_a_damaged_file_or_an_unwritable_folder_only_means_building(cache_dir, caplog):
    calls = []
    index_cache.load_or_build("sample", build_counted(calls), ("v1",))
    [written] = cache_dir.glob("sample-*.pickle")
    written.write_bytes(b"\x80\x05 not a pickle")
    assert index_cache.load_or_build("sample", build_counted(calls), ("v1",)) == {"built": 2}
    assert "unreadable" in caplog.text
    blocked = cache_dir / "not-a-folder"
    blocked.write_text("")
    os.environ["HARBOR_CACHE_DIR"] = str(blocked / "below")
    assert index_cache.load_or_build("sample", build_counted(calls), ("v1",)) == {"built": 3}


def test_the_place_index_from_the_cache_answers_like_the_built_one(cache_dir):
    from resources_db import geography

    built = geography._build_index()
    geography._index.cache_clear()
    try:
        geography._index()  # builds and writes
        geography._index.cache_clear()
        loaded = geography._index()  # reads the file
        assert list(cache_dir.glob("places-*.pickle"))
        assert loaded.zips == built.zips and loaded.cities == built.cities
        assert loaded.city_zips == built.city_zips
    finally:
        geography._index.cache_clear()


def test_the_command_table_names_every_command_of_every_module():
    import pkgutil

    from bot.cli import COMMAND_MODULES, _module, commands

    found = {}
    for info in pkgutil.iter_modules(commands.__path__):
        for command in getattr(_module(info.name), "COMMANDS", ()):
            found[command.name] = info.name
    assert found == {name: module for name, (module, _summary) in COMMAND_MODULES.items()}
    for name, (module, summary) in COMMAND_MODULES.items():
        command = next(c for c in _module(module).COMMANDS if c.name == name)
        first_line = (command.help or "").strip().splitlines()[0].rstrip(".")
        # The table's summary is the command's own first sentence (or its start).
        assert summary.rstrip(".")[:25] == first_line[:25], name
