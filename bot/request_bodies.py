"""Request bodies: read whole, within a size and a time limit, before any view runs.

A slow client (a chunked body trickling one byte every 2 s) or a huge one must not hold
what answers survivors. Under gunicorn's gevent workers (gunicorn.conf.py) a waiting
connection costs a greenlet, not a thread; this middleware also bounds how long that
greenlet may wait: the whole body must arrive within REQUEST_BODY_SECONDS (408
otherwise, and the app never sees the request), and no more is read than the path
allows. The views then parse a body that is already in memory.

Sizes: MAX_CONTENT_LENGTH (Flask's own setting) is small everywhere (/sms carries at
most 1,600 characters, a chat message as many); only the CSV upload of the admin gets
the upload's size and a longer time. A body larger than its path allows is not read
past the limit: the request reaches Flask with a Content-Length one byte over it, so
Flask and the views refuse it with their own 413 answers (JSON on the chat API).

The time limit needs cooperative sockets (gevent's, as under gunicorn): under Flask's
development server the size limits hold and the time limit does not.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, request

from bot.staff.admin.uploads import MAX_UPLOAD_BYTES

logger = logging.getLogger("harbor.requests")

MAX_CONTENT_LENGTH = 64 * 1024  # far above a Twilio webhook's form or a chat message
UPLOAD_PATH = "/admin/upload"
# The CSV file and the form around it (CSRF token, field names, multipart boundaries).
UPLOAD_MAX_BYTES = MAX_UPLOAD_BYTES + 64 * 1024
# 20 MB over a slow office uplink; an admin's upload is a rare, signed-in request.
UPLOAD_BODY_SECONDS = 120
_READ_SIZE = 64 * 1024


@dataclass(frozen=True)
class BodyLimit:
    """How large a request body may be on one path, and how long it may take to arrive."""

    max_bytes: int
    seconds: float


def body_limit(path: str, body_seconds: float) -> BodyLimit:
    """Return the limit for a request body sent to `path`."""
    if path == UPLOAD_PATH:
        return BodyLimit(UPLOAD_MAX_BYTES, max(body_seconds, UPLOAD_BODY_SECONDS))
    return BodyLimit(MAX_CONTENT_LENGTH, body_seconds)


class BodyTooSlow(Exception):
    """The client took longer than the path allows to send its body."""


def _deadline(seconds: float) -> contextlib.AbstractContextManager:
    """Return a context that raises BodyTooSlow after `seconds`, where sockets cooperate."""
    try:
        from gevent import Timeout
        from gevent.monkey import is_module_patched
    except ImportError:  # pragma: no cover - gevent is a dependency
        return contextlib.nullcontext()
    if not is_module_patched("socket"):
        return contextlib.nullcontext()  # a blocking read cannot be interrupted here
    return Timeout(seconds, BodyTooSlow)


def _has_body(environ: dict) -> bool:
    chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
    return chunked or environ.get("CONTENT_LENGTH", "") not in ("", "0")


def _read_at_most(stream, limit: int) -> bytes:
    parts, size = [], 0
    while size < limit:
        part = stream.read(min(_READ_SIZE, limit - size))
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _sized(environ: dict, body: bytes, content_length: str) -> dict:
    """Return `environ` with `body` in memory as a plain body of `content_length` bytes."""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = content_length
    environ.pop("HTTP_TRANSFER_ENCODING", None)
    # Not "terminated" (gunicorn's mark for streams read to their end): Werkzeug then
    # goes by Content-Length, and refuses one past MAX_CONTENT_LENGTH with a 413.
    environ["wsgi.input_terminated"] = False
    return environ


def _plain(start_response, status: str, text: str) -> Iterable[bytes]:
    body = text.encode()
    # No Connection header (hop-by-hop, the server's): gunicorn closes the connection
    # itself when the rest of the body does not arrive within its keep-alive time.
    start_response(status, [("Content-Type", "text/plain; charset=utf-8"),
                            ("Content-Length", str(len(body)))])
    return [body]


class BufferedBodies:
    """WSGI middleware: every request body is read whole, within its limits, first."""

    def __init__(self, app: Callable, body_seconds: float) -> None:
        self.app = app
        self.body_seconds = body_seconds

    def __call__(self, environ: dict, start_response):
        if not _has_body(environ):
            return self.app(environ, start_response)
        limit = body_limit(environ.get("PATH_INFO", ""), self.body_seconds)
        declared = environ.get("CONTENT_LENGTH", "")
        if declared.isdigit() and int(declared) > limit.max_bytes:
            # Refused unread, by the app's own 413 (Content-Length says enough).
            return self.app(_sized(environ, b"", declared), start_response)
        # Never past Content-Length (PEP 3333): a raw socket stream (Flask's development
        # server) would wait for bytes that never come. Without one (chunked), to the end
        # of the body, or one byte past the limit.
        wanted = int(declared) if declared.isdigit() else limit.max_bytes + 1
        try:
            with _deadline(limit.seconds):
                body = _read_at_most(environ["wsgi.input"], wanted)
        except BodyTooSlow:
            logger.warning("request body too slow: closed after %.0f s", limit.seconds)
            return _plain(start_response, "408 Request Timeout",
                          "The request body took too long to arrive.")
        except Exception as error:  # noqa: BLE001 - OSError, gunicorn's NoMoreData, a bad chunk
            # The client went away mid-body or sent a broken chunk: a warning, no traceback.
            # The path is Harbor's own route or a 404 (no query string, where a token may be).
            logger.warning("request body ended early on %s: %s",
                           environ.get("PATH_INFO", "")[:200].encode("unicode_escape").decode(),
                           type(error).__name__)
            return _plain(start_response, "400 Bad Request", "The request body was cut off.")
        return self.app(_sized(environ, body, str(len(body))), start_response)


def _allow_the_upload_size() -> None:
    # Before CSRF protection parses the form: the upload's form is larger than the rest.
    if request.path == UPLOAD_PATH:
        request.max_content_length = UPLOAD_MAX_BYTES


def init_app(app: Flask) -> None:
    """Wrap `app` so bodies are buffered within limits; call before the extensions."""
    if app.config.get("MAX_CONTENT_LENGTH") is None:  # Flask's default: no limit at all
        app.config["MAX_CONTENT_LENGTH"] = MAX_CONTENT_LENGTH
    # First in line: every other before-request function may read the form.
    app.before_request_funcs.setdefault(None, []).insert(0, _allow_the_upload_size)
    app.wsgi_app = BufferedBodies(app.wsgi_app, float(app.config["REQUEST_BODY_SECONDS"]))
