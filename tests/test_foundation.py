"""The foundation: configuration, the app factory, health, the CLI and the import rule."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot import create_app
from bot.config import ConfigurationError, load_config

ROOT = Path(__file__).resolve().parent.parent


def test_production_refuses_to_start_without_its_secrets():
    with pytest.raises(ConfigurationError) as error:
        load_config({"HARBOR_ENV": "production"}, environ={})
    for name in ("SECRET_KEY", "HASH_KEY", "TWILIO_AUTH_TOKEN"):
        assert name in str(error.value)


def test_production_names_only_the_missing_secret():
    with pytest.raises(ConfigurationError) as error:
        load_config(
            {"HARBOR_ENV": "production", "SECRET_KEY": "s", "HASH_KEY": "h"}, environ={}
        )
    assert "TWILIO_AUTH_TOKEN" in str(error.value)
    assert "SECRET_KEY" not in str(error.value)


def test_production_with_secrets_uses_secure_cookies(tmp_path):
    config = load_config(
        {"HARBOR_ENV": "production", "SECRET_KEY": "s", "HASH_KEY": "h",
         "TWILIO_AUTH_TOKEN": "t"},
        environ={}, instance_path=tmp_path,
    )
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_config_dict_overrides_environment(tmp_path):
    config = load_config(
        {"SESSION_TTL_MINUTES": "5"}, environ={"SESSION_TTL_MINUTES": "60"},
        instance_path=tmp_path,
    )
    assert config["SESSION_TTL_MINUTES"] == 5


def test_development_keys_are_generated_once_and_kept(tmp_path):
    first = load_config({}, environ={}, instance_path=tmp_path)
    second = load_config({}, environ={}, instance_path=tmp_path)
    assert first["HASH_KEY"] == second["HASH_KEY"]
    assert len(first["HASH_KEY"]) >= 32
    assert first["DATABASE_URL"].startswith("sqlite:///")


def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] == "ok"


def test_healthz_answers_503_with_a_reason_when_the_database_is_away(tmp_path):
    # A PostgreSQL port where nothing listens: connection refused, fast.
    app = create_app({"DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none",
                      "TESTING": True, "SECRET_KEY": "s", "HASH_KEY": "h"})
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["database"] == "unreachable"
    assert body["reason"]


def test_db_upgrade_command_migrates_a_new_sqlite_file(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "s", "HASH_KEY": "h"})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    # Twice is fine: the second run has nothing to do.
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert app.test_client().get("/healthz").status_code == 200


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", ["intents", "resources_db"])
def test_data_packages_never_import_flask_twilio_or_bot(package):
    offenders = {}
    for path in (ROOT / package).rglob("*.py"):
        bad = _imported_modules(path) & {"flask", "flask_login", "flask_wtf", "twilio", "bot"}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_every_module_has_a_docstring():
    missing = []
    for package in ("bot", "intents", "resources_db"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            if not ast.get_docstring(ast.parse(path.read_text())) and path.stat().st_size:
                missing.append(str(path.relative_to(ROOT)))
    assert missing == []


# The house reads from its folders: beside create_app() only the app's plumbing sits at
# bot/'s top; everything else lives in a room whose name says what it holds.
BOT_PLUMBING = {"__init__", "config", "database", "error_pages", "extensions", "logging_setup",
                "request_guards", "security_headers"}
BOT_ROOMS = {"channels", "conversations", "engine", "texts", "staff", "cli", "benchmarks",
             "static", "templates"}


def test_bot_top_level_is_plumbing_and_rooms():
    modules = {path.stem for path in (ROOT / "bot").glob("*.py")}
    rooms = {path.name for path in (ROOT / "bot").iterdir()
             if path.is_dir() and path.name != "__pycache__"}
    assert modules == BOT_PLUMBING
    assert rooms == BOT_ROOMS


def test_the_engine_imports_no_flask_twilio_database_or_channel():
    offenders = {}
    for path in (ROOT / "bot" / "engine").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module)
        bad = {name for name in imported
               if name.split(".")[0] in {"flask", "flask_login", "flask_wtf", "twilio",
                                         "sqlalchemy", "redis"}
               or name.startswith(("bot.channels", "bot.conversations", "bot.staff",
                                   "bot.cli", "bot.database", "bot.extensions",
                                   "resources_db.database", "resources_db.models"))}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_text_folding_imports_nothing_of_harbor_and_is_the_only_fold():
    assert _imported_modules(ROOT / "text_folding" / "__init__.py") & {
        "bot", "intents", "resources_db"} == set()
    # Accents are stripped in one place; sms_text transliterates for GSM-7 (keeps case).
    folding_elsewhere = [
        str(path.relative_to(ROOT))
        for package in ("bot", "intents", "resources_db")
        for path in (ROOT / package).rglob("*.py")
        if "unicodedata.combining" in path.read_text()
        and path != ROOT / "bot" / "texts" / "sms_text.py"]
    assert folding_elsewhere == []
