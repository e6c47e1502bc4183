"""A configured Twilio REST client: the one way Harbor calls Twilio's REST API.

`twilio_client(config)` returns twilio's own `Client` for TWILIO_ACCOUNT_SID and
TWILIO_AUTH_TOKEN. With TWILIO_API_URL set, every request goes to that base URL instead
of https://*.twilio.com (tests run a local fake of the API; production may use an egress
proxy): the path stays Twilio's. The library's request log is silenced, because it
would print the message body and the number. `delete_messages_later` removes sent
messages from Twilio's log after a hand-off ends (privacy rule 6), in a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

REQUEST_TIMEOUT_SECONDS = 10

# Twilio's HTTP client logs each request's parameters (Body, To) at INFO: never let it.
_silent = logging.getLogger("harbor.twilio_rest.library")
_silent.addHandler(logging.NullHandler())
_silent.propagate = False
_silent.setLevel(logging.CRITICAL + 1)


class TwilioRestError(RuntimeError):
    """A Twilio REST call could not be made or was refused (never says the number)."""


class _BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's HTTP client with every *.twilio.com origin replaced by one base URL."""

    def __init__(self, base_url: str):
        super().__init__(timeout=REQUEST_TIMEOUT_SECONDS, logger=_silent)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method, url, *args, **kwargs):
        parts = urlsplit(url)
        if parts.hostname and parts.hostname.endswith("twilio.com"):
            path = self.base.path + parts.path
            url = urlunsplit((self.base.scheme, self.base.netloc, path, parts.query, ""))
        return super().request(method, url, *args, **kwargs)


def twilio_client(config: Mapping) -> Client:
    """Return a Twilio REST client for the app's account (TWILIO_API_URL honoured)."""
    account = config.get("TWILIO_ACCOUNT_SID") or ""
    token = config.get("TWILIO_AUTH_TOKEN") or ""
    if not account or not token:
        raise TwilioRestError("TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN must be set to send SMS")
    base = config.get("TWILIO_API_URL") or ""
    http_client = (_BaseUrlHttpClient(base) if base
                   else TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS, logger=_silent))
    return Client(account, token, http_client=http_client)


def send_sms(config: Mapping, *, to: str, from_: str, body: str) -> str:
    """Send one SMS through the REST API; return its MessageSid."""
    from twilio.base.exceptions import TwilioException

    sender = from_ or config.get("TWILIO_FROM_NUMBER") or ""
    if not sender:
        raise TwilioRestError("no number to send from (TWILIO_FROM_NUMBER)")
    try:
        message = twilio_client(config).messages.create(to=to, from_=sender, body=body)
    except (TwilioException, OSError) as error:
        raise TwilioRestError(f"Twilio refused or could not be reached: "
                              f"{type(error).__name__}") from None
    return str(message.sid)


def delete_messages(config: Mapping, sids: Iterable[str]) -> int:
    """Delete these messages from Twilio's message log; return how many went.

    A message still on its way cannot be deleted yet (Twilio refuses); those stay until
    the erasure of issue 15 catches them. Never raises: erasing is best effort here.
    """
    from twilio.base.exceptions import TwilioException

    deleted = 0
    try:
        client = twilio_client(config)
    except TwilioRestError:
        return 0
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
    settings = dict(config)
    thread = threading.Thread(target=delete_messages, args=(settings, sids),
                              name="twilio-delete", daemon=True)
    thread.start()
    return thread
