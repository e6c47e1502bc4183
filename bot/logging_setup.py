"""Logging that can never write a message body or a phone number.

The code never passes bodies or numbers to the logger in the first place; this
filter is the second line of defence, redacting anything that looks like a phone
number and dropping request form data, should a library ever log it.
"""

from __future__ import annotations

import logging
import re

# E.164 (+15551234567) and common US spellings (555-123-4567, (555) 123 4567).
PHONE_PATTERN = re.compile(
    r"(?:\+\d{8,15})|(?:\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b)"
)
REDACTED = "[redacted]"


def redact(text: str) -> str:
    """Return `text` with anything that looks like a phone number replaced."""
    return PHONE_PATTERN.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrite each record's final message with phone-like strings redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a malformed record is dropped, not raised
            return False
        record.msg = redact(message)
        record.args = None
        return True


def configure_logging(level: str = "INFO") -> None:
    """Install the redacting filter on every handler of the root and Harbor loggers."""
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
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
