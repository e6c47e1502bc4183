"""Twilio's REST API, configured once: `twilio_client(config)` is the one way in.

Credentials: TWILIO_ACCOUNT_SID with TWILIO_API_KEY_SID + TWILIO_API_KEY_SECRET (an API
key, preferred: it can be revoked alone), else TWILIO_AUTH_TOKEN. No account SID or no
credential: None (the features that need the REST API are off).

TWILIO_API_URL: a base URL (scheme, host, optional port and path prefix) that every REST
call uses instead of Twilio's hosts (api.twilio.com, messaging.twilio.com, ...): a local
fake in the tests, an egress proxy in production. Twilio's library has no base-URL
setting (only edge and region, which still name twilio.com hosts), so this is done with
its documented extension point, a custom HTTP client (`RebasedHttpClient`) that rewrites
each request's origin and keeps its path and query.

The library's own HTTP logger prints every request's URL and query at INFO, numbers
included; the client here gets a logger that says nothing below WARNING.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

REQUEST_TIMEOUT_SECONDS = 10.0
# Quiet by design: a request URL can hold a phone number (Messages list filters).
_http_logger = logging.getLogger("harbor.twilio_rest.http")
_http_logger.setLevel(logging.WARNING)
# urllib3 (under requests) logs each request line, query included, at DEBUG.
logging.getLogger("urllib3.connectionpool").setLevel(logging.WARNING)


class RebasedHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with every request sent to `base_url` instead of Twilio."""

    def __init__(self, base_url: str, **kwargs) -> None:
        super().__init__(logger=_http_logger, timeout=REQUEST_TIMEOUT_SECONDS, **kwargs)
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("TWILIO_API_URL must be an http(s) URL")
        self.base = parts

    def rebase(self, url: str) -> str:
        """Return `url` with Twilio's origin replaced by the base URL (path kept)."""
        parts = urlsplit(url)
        return urlunsplit((self.base.scheme, self.base.netloc,
                           self.base.path + parts.path, parts.query, ""))

    def request(self, method, url, *args, **kwargs):  # noqa: D102 - TwilioHttpClient's
        return super().request(method, self.rebase(url), *args, **kwargs)


def twilio_client(config: Mapping) -> Client | None:
    """Return a configured twilio Client, or None when no account or credential is set."""
    account = str(config.get("TWILIO_ACCOUNT_SID") or "")
    key_sid = str(config.get("TWILIO_API_KEY_SID") or "")
    key_secret = str(config.get("TWILIO_API_KEY_SECRET") or "")
    token = str(config.get("TWILIO_AUTH_TOKEN") or "")
    if not account or not ((key_sid and key_secret) or token):
        return None
    base_url = str(config.get("TWILIO_API_URL") or "")
    http_client = (RebasedHttpClient(base_url) if base_url
                   else TwilioHttpClient(logger=_http_logger, timeout=REQUEST_TIMEOUT_SECONDS))
    if key_sid and key_secret:
        return Client(key_sid, key_secret, account_sid=account, http_client=http_client)
    return Client(account, token, http_client=http_client)
