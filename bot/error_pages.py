"""Styled 403 and 404 pages: the survivor's layout, with the quick exit on top, for
every page a survivor may reach (texts from the catalogs, in the page's language); the
staff layout for staff pages (English, like every staff page). JSON and TwiML
endpoints (/chat/api, /sms, /healthz) keep their own plain answers.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import HTTPException

# Machine endpoints: a browser never shows what they answer.
_PLAIN_PREFIXES = ("/chat/api", "/sms", "/healthz", "/test-only")
_STAFF_PREFIXES = ("/admin", "/console", "/account", "/login", "/logout")

STAFF_TEXT = {
    403: ("Not for this account",
          "This page is not open to your account. Partner staff reach their own "
          "organization's listings and queues; network admins reach everything."),
    404: ("Not found", "There is nothing here, or nothing your account may see."),
}


def _render_error(error: HTTPException):
    from flask import render_template

    from bot.channels.chat_page import _render

    code = error.code or 500
    path = request.path
    if path.startswith(_PLAIN_PREFIXES):
        return error
    if path.startswith(_STAFF_PREFIXES):
        title, message = STAFF_TEXT[code]
        return render_template("staff/error.html", code=code, title=title,
                               message=message), code
    # The texts are the survivor page's, from the catalogs (page: error_403_title, ...).
    return _render("chat/error.html", code=code), code


def init_app(app: Flask) -> None:
    """Register the styled 403 and 404 pages."""
    app.register_error_handler(403, _render_error)
    app.register_error_handler(404, _render_error)
