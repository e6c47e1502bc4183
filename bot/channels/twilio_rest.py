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

Built on it, for the live-advocate hand-off (issue 19): `send_sms` (an advocate's words
to an SMS survivor) and `delete_messages` / `delete_messages_later` (Twilio's copies of
what the advocate's side sent, when a hand-off ends: privacy rule 6).

The library's own HTTP logger prints every request's URL and query at INFO, numbers
included; the client here gets a logger that says nothing below WARNING.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from functools import cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from twilio.rest import Client

REQUEST_TIMEOUT_SECONDS = 10.0
# Quiet by design: a request URL can hold a phone number (Messages list filters).
_http_logger = logging.getLogger("harbor.twilio_rest.http")
_http_logger.setLevel(logging.WARNING)
# urllib3 (under requests) logs each request line, query included, at DEBUG.
logging.getLogger("urllib3.connectionpool").setLevel(logging.WARNING)


# Twilio's library (and requests under it) loads on the first REST call, not with the
# app: the app imports this module through the inbox, and most `harbor` commands and
# many workers' first minutes never call Twilio (tests/test_startup.py).
@cache
def _rebased_client_class() -> type:
    from twilio.http.http_client import TwilioHttpClient

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

    return RebasedHttpClient


def load_library() -> None:
    """Import Twilio's REST library now (a worker's warm-up), not on the first call."""
    _rebased_client_class()
    import twilio.rest  # noqa: F401


def __getattr__(name: str):
    if name == "RebasedHttpClient":
        return _rebased_client_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def twilio_client(config: Mapping) -> Client | None:
    """Return a configured twilio Client, or None when no account or credential is set."""
    account = str(config.get("TWILIO_ACCOUNT_SID") or "")
    key_sid = str(config.get("TWILIO_API_KEY_SID") or "")
    key_secret = str(config.get("TWILIO_API_KEY_SECRET") or "")
    token = str(config.get("TWILIO_AUTH_TOKEN") or "")
    if not account or not ((key_sid and key_secret) or token):
        return None
    from twilio.http.http_client import TwilioHttpClient
    from twilio.rest import Client

    base_url = str(config.get("TWILIO_API_URL") or "")
    http_client = (_rebased_client_class()(base_url) if base_url
                   else TwilioHttpClient(logger=_http_logger, timeout=REQUEST_TIMEOUT_SECONDS))
    if key_sid and key_secret:
        return Client(key_sid, key_secret, account_sid=account, http_client=http_client)
    return Client(account, token, http_client=http_client)


class TwilioRestError(RuntimeError):
    """A Twilio REST call could not be made or was refused (never says the number)."""


def send_sms(config: Mapping, *, to: str, from_: str, body: str) -> str:
    """Send one SMS through the REST API; return its MessageSid."""
    from twilio.base.exceptions import TwilioException

    client = twilio_client(config)
    if client is None:
        raise TwilioRestError("TWILIO_ACCOUNT_SID and a credential must be set to send SMS")
    sender = from_ or str(config.get("TWILIO_FROM_NUMBER") or "")
    if not sender:
        raise TwilioRestError("no number to send from (TWILIO_FROM_NUMBER)")
    try:
        message = client.messages.create(to=to, from_=sender, body=body)
    except (TwilioException, OSError) as error:
        # The type only: Twilio's error text holds the request URL and the number.
        raise TwilioRestError(f"Twilio refused or could not be reached: "
                              f"{type(error).__name__}") from None
    return str(message.sid)


def delete_messages(config: Mapping, sids: Iterable[str]) -> int:
    """Delete these messages from Twilio's message log; return how many went.

    A message still on its way cannot be deleted yet (Twilio refuses); for an SMS EXIT
    the erasure job (bot.channels.twilio_erasure) retries those. Never raises.
    """
    from twilio.base.exceptions import TwilioException

    client = twilio_client(config)
    if client is None:
        return 0
    deleted = 0
    for sid in sids:
        try:
            if client.messages(sid).delete():
                deleted += 1
        except (TwilioException, OSError):
            continue
    return deleted


def delete_messages_later(config: Mapping, sids: Iterable[str]) -> threading.Thread | None:
    """Delete the messages in a thread of their own, so no answer waits for Twilio."""
    sids = [sid for sid in sids if sid]
    if not sids:
        return None
    thread = threading.Thread(target=delete_messages, args=(dict(config), sids),
                              name="twilio-delete", daemon=True)
    thread.start()
    return thread
