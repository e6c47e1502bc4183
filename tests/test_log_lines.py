"""One request, one log line: CR, LF and other controls in a URL cannot forge log entries.

The security review's attack: `GET /%0d%0a<a made-up log entry>` under gunicorn as the
Procfile starts it, access log on. The path decodes to CR LF, and the access log wrote
the made-up entry on a line of its own. Now every control character is escaped, in
gunicorn's access log and in Harbor's own logging, and a traceback's lines are marked as
the continuation of their entry.
"""

from __future__ import annotations

import http.client
import io
import logging
import shlex
from pathlib import Path

import pytest
from gunicorn_harbor import harbor_environment

from bot.benchmarks.gunicorn_server import free_port, gunicorn_settings, serve_with_gunicorn
from bot.logging_setup import (
    CONTINUATION,
    OneLineFormatter,
    RedactingFilter,
    escape_control_characters,
)
from resources_db.database import upgrade_database

PROCFILE = Path(__file__).parents[1] / "Procfile"
FORGED = "2026-01-01 00:00:00 INFO harbor: staff sign-in: account 1"
ATTACK_PATHS = [
    "/%0d%0a" + FORGED.replace(" ", "%20"),
    "/chat%0a" + FORGED.replace(" ", "%20"),
    "/%1b%5b2J%1b%5bHcleared",  # ANSI: clear the screen of whoever tails the log
    "/%e2%80%a8" + FORGED.replace(" ", "%20"),  # U+2028, a line separator to some viewers
]


def procfile_access_log_settings() -> list[str]:
    """Return the access-log options of the Procfile's web line, as gunicorn gets them."""
    web = next(line for line in PROCFILE.read_text().splitlines() if line.startswith("web:"))
    words = shlex.split(web.removeprefix("web:"))
    settings = []
    for option in ("--access-logfile", "--access-logformat"):
        assert option in words, f"the Procfile's gunicorn has no {option}"
        settings += [option, words[words.index(option) + 1]]
    return settings


def get(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


@pytest.mark.db
def test_a_path_with_crlf_is_one_escaped_line_in_gunicorns_access_log(tmp_path):
    url = f"sqlite:///{tmp_path / 'harbor.sqlite3'}"
    upgrade_database(url)
    port = free_port()
    settings = (*gunicorn_settings(1, 2), *procfile_access_log_settings())
    environment = {**harbor_environment(url, port),
                   "PENDING_ERASURES_DIR": str(tmp_path / "erasures")}
    with serve_with_gunicorn("bot:create_app()", environment, settings=settings,
                             port=port, log_level="info") as server:
        statuses = [get(port, path) for path in ATTACK_PATHS]
        get(port, "/healthz")
        log = server.log()
    assert all(status in (400, 404) for status in statuses), statuses
    lines = log.splitlines()
    # No made-up entry starts a line, and no escape sequence reached the log raw.
    assert not [line for line in lines if line.startswith(FORGED)], log
    assert "\x1b" not in log and "\u2028" not in log
    access = [line for line in lines if line.startswith("GET ")]
    assert len(access) == len(ATTACK_PATHS) + 1 + access_lines_of_startup(lines), log
    assert f"GET /\\r\\n{FORGED} 400" in log
    assert f"GET /chat\\n{FORGED} 400" in log
    assert "GET /\\x1b[2J\\x1b[Hcleared 400" in log
    # WSGI hands gunicorn the path's bytes as Latin-1: U+2028's middle byte is a C1 control.
    assert f"GET /\u00e2\\x80\u00a8{FORGED} 404" in log


def access_lines_of_startup(lines: list[str]) -> int:
    """The readiness checks serve_with_gunicorn made before the attack (GET /healthz)."""
    healthz = [line for line in lines if line.startswith("GET /healthz ")]
    return len(healthz) - 1


def harbor_log(logger_name: str) -> tuple[logging.Logger, io.StringIO]:
    """Return a logger writing through Harbor's filter and formatter into a buffer."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger(logger_name)
    logger.handlers = [handler]
    logger.propagate = False
    logger.setLevel(logging.INFO)
    return logger, stream


def test_harbors_own_log_writes_a_message_with_crlf_on_one_line():
    logger, stream = harbor_log("harbor.test_log_lines.message")
    logger.warning("refused %s", "/admin\r\n" + FORGED)
    [line] = stream.getvalue().splitlines()
    assert line.endswith(f"refused /admin\\r\\n{FORGED}")


def test_a_traceback_cannot_start_a_line_of_its_own():
    logger, stream = harbor_log("harbor.test_log_lines.traceback")
    try:
        raise ValueError("bad value\n" + FORGED)
    except ValueError:
        logger.exception("a request failed")
    first, *rest = stream.getvalue().splitlines()
    assert "a request failed" in first
    assert rest and all(line.startswith(CONTINUATION) for line in rest), rest
    assert not any(line.startswith(FORGED) for line in rest)


@pytest.mark.parametrize(("raw", "escaped"), [
    ("a\r\nb", "a\\r\\nb"), ("\x00", "\\x00"), ("tab\there", "tab\\there"),
    ("\x1b[31m", "\\x1b[31m"), ("\x85", "\\x85"), ("\u2029", "\\u2029"),
    ("plain ñ text", "plain ñ text"),
])
def test_control_characters_are_escaped_and_nothing_else(raw, escaped):
    assert escape_control_characters(raw) == escaped
