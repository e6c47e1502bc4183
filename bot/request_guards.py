"""Requests Harbor refuses before any view sees them, and the plain 400 they get.

Three kinds of hostile or broken input used to end in a 500 and a traceback:

- control characters where no Harbor URL or form has any: a NUL in a form field or a
  query argument (PostgreSQL cannot store or compare text with NUL in it), and CR, LF
  or any other C0 control in the path or a query argument (`/login?next=/%0d%0a`
  became a redirect header Werkzeug refused to write);
- a page number no table has (`?page=99999999999999999999` overflowed the SQL OFFSET);
- a request body that ends before it is complete (a client that drops a chunked
  upload halfway): gunicorn's reader raises its own errors, which Flask does not know.

Each is answered 400 with one plain sentence (JSON on the JSON APIs). A body that ends
early is the client's doing, so it is one warning line in the log, never a traceback.
"""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, abort, jsonify, request
from werkzeug.exceptions import BadRequest, ClientDisconnected

logger = logging.getLogger("harbor.requests")

# C0 controls and DEL: never part of a Harbor path or query argument.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
FORM_MIMETYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
JSON_PREFIXES = ("/chat/api/", "/console/api/")
# Twilio's webhook checks its signature before anything else (403 unsigned, TwiML for
# any signed body) and never puts a field into SQL in clear (numbers and ids are HMACs).
SIGNATURE_FIRST_PATHS = frozenset({"/sms"})
# Far beyond any table Harbor pages through, far below what an SQL OFFSET can hold.
MAX_PAGE = 100_000

CONTROL_IN_ADDRESS = "The address has control characters; Harbor does not accept them."
NUL_IN_FORM = "A form field has a NUL character; Harbor does not accept it."
BAD_PAGE = f"The page must be a whole number from 1 to {MAX_PAGE}."
BODY_ENDED_EARLY = "The request ended before its body was complete."


class CompleteBodyOnly:
    """WSGI middleware: a body that breaks off mid-read raises ClientDisconnected (400).

    gunicorn raises NoMoreData, ChunkMissingTerminator, InvalidChunkSize and socket
    errors from `wsgi.input` when a client stops sending; Werkzeug and Flask treat
    anything but ClientDisconnected as a bug in the app, hence the 500 and traceback.
    """

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app

    def __call__(self, environ, start_response):
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = _BodyStream(stream)
        return self.wsgi_app(environ, start_response)


class _BodyStream:
    """`wsgi.input` whose read errors become ClientDisconnected."""

    def __init__(self, stream):
        self._stream = stream

    def _guarded(self, method, *args):
        try:
            return method(*args)
        except ClientDisconnected:
            raise
        except Exception as error:  # noqa: BLE001 - any failure to read is a broken body
            raise ClientDisconnected(BODY_ENDED_EARLY) from error

    def read(self, *args):
        return self._guarded(self._stream.read, *args)

    def readline(self, *args):
        return self._guarded(self._stream.readline, *args)

    def readlines(self, *args):
        return self._guarded(self._stream.readlines, *args)

    def __iter__(self):
        return iter(self.readline, b"")

    def __getattr__(self, name):
        return getattr(self._stream, name)


def page_argument(args) -> int:
    """Return the `page` query argument (1 when absent); abort 400 when it is no page."""
    raw = args.get("page", "")
    if raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > len(str(MAX_PAGE)):
        abort(400, BAD_PAGE)
    page = int(raw)
    if not 1 <= page <= MAX_PAGE:
        abort(400, BAD_PAGE)
    return page


def _refuse_control_characters() -> None:
    if request.path in SIGNATURE_FIRST_PATHS:
        return
    if CONTROL_CHARACTERS.search(request.path):
        abort(400, CONTROL_IN_ADDRESS)
    for key, value in request.args.items(multi=True):
        if CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS.search(value):
            abort(400, CONTROL_IN_ADDRESS)
    if request.mimetype not in FORM_MIMETYPES:
        return
    # Newlines and tabs are fine in a form (a description); NUL never is.
    for key, value in request.form.items(multi=True):
        if "\x00" in key or "\x00" in value:
            abort(400, NUL_IN_FORM)
    for key, upload in request.files.items(multi=True):
        if "\x00" in key or "\x00" in (upload.filename or ""):
            abort(400, NUL_IN_FORM)


def _plain_bad_request(error: BadRequest):
    message = error.description or "Bad request."
    if isinstance(error, ClientDisconnected):
        # Escaped by the log formatter too; the path only, never the query or body.
        logger.warning("%s %s: the request body ended early (client went away)",
                       request.method, request.path)
        message = BODY_ENDED_EARLY
    if request.path.startswith(JSON_PREFIXES):
        response = jsonify(error=message)
        response.status_code = 400
        return response
    return Response(message + "\n", status=400, mimetype="text/plain")


def init_app(app: Flask) -> None:
    """Install the body guard, the input checks (before every other hook) and the 400 page."""
    app.wsgi_app = CompleteBodyOnly(app.wsgi_app)
    app.before_request_funcs.setdefault(None, []).insert(0, _refuse_control_characters)
    app.register_error_handler(BadRequest, _plain_bad_request)
