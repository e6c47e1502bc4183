"""Logging that can never write a message body or a phone number, nor a forged line.

The code never passes bodies or numbers to the logger in the first place; this
filter is the second line of defence, redacting anything that looks like a phone
number and dropping request form data, should a library ever log it.

One record is one line. A URL path is attacker-chosen (`/%0d%0a2026-... INFO ...`
decodes to CR LF and a made-up entry), so every control character in a message is
written escaped (`\r`, `\n`, `\x1b`), in Harbor's own logs and in gunicorn's access and
error logs alike (the filter sits on those loggers too). A traceback keeps its lines,
each continuation marked with "| ", so no line of it can pass for an entry of its own.
"""

from __future__ import annotations

import logging
import re

# E.164 (+15551234567) and common US spellings (555-123-4567, (555) 123 4567).
PHONE_PATTERN = re.compile(
    r"(?:\+\d{8,15})|(?:\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b)"
)
REDACTED = "[redacted]"
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators: anything a
# terminal or log viewer may take as a new line or a command.
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SHORT_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
CONTINUATION = "| "


def redact(text: str) -> str:
    """Return `text` with anything that looks like a phone number replaced."""
    return PHONE_PATTERN.sub(REDACTED, text)


def _escaped(match: re.Match) -> str:
    character = match.group()
    if character in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[character]
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control_characters(text: str) -> str:
    """Return `text` on one line: CR as \\r, LF as \\n, other controls as \\xNN."""
    return CONTROL_CHARACTERS.sub(_escaped, text)


class OneLineFormatter(logging.Formatter):
    """Format a record whose traceback lines are all marked as its continuation."""

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return self._continuation(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802 - logging's name
        return self._continuation(super().formatStack(stack_info))

    @staticmethod
    def _continuation(text: str) -> str:
        lines = [escape_control_characters(line) for line in text.split("\n")]
        return "\n".join(CONTINUATION + line for line in lines)


class RedactingFilter(logging.Filter):
    """Rewrite each record's final message: phone-like strings redacted, controls escaped."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is dropped, not raised
            return False
        record.msg = escape_control_characters(redact(message))
        record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Install the redacting filter on every handler of the root and Harbor loggers."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(level)
    for handler in root.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
    # Werkzeug's access log carries only method, path and status: no form data.
    for name in ("werkzeug", "gunicorn.error", "gunicorn.access", "harbor"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())
