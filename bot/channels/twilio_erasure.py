"""EXIT reaches the SMS provider: the conversation's messages are deleted at Twilio.

Twilio keeps every message, body and both numbers, in both directions, for as long as
the account exists. When an SMS conversation exits, `erase_at_twilio` starts a
background job that lists, through the REST API (`bot.channels.twilio_rest`), the
Messages from the survivor's number to the number they texted and back, deletes each
message's media and then the message, and repeats:

- the first pass waits FIRST_DELAY seconds: Twilio sends the EXIT reply itself only after
  the webhook has answered;
- a message still in flight (queued, sending, ...) cannot be deleted yet: the job tries
  again, backing off, until a pass at least SETTLE seconds after the EXIT finds nothing
  left, or until TWILIO_ERASURE_DEADLINE_SECONDS have passed (then it logs how many
  messages stayed, never which).

The two numbers exist only in this job's memory, for its lifetime: never stored, never
logged (Twilio's errors are logged by type and code only, as their text holds the
request URL). If the process dies mid-job the rest of that job is lost (README,
"Privacy"); the numbers were never written down, so nothing can resume it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping

from bot.channels.twilio_rest import twilio_client

logger = logging.getLogger("harbor.twilio_erasure")

FIRST_DELAY_SECONDS = 3.0
SETTLE_SECONDS = 60.0
LONGEST_PAUSE_SECONDS = 60.0
# Statuses in which Twilio refuses to delete a message: try again later.
IN_FLIGHT = frozenset({"accepted", "scheduled", "queued", "sending", "receiving"})

_jobs: list[threading.Thread] = []
_jobs_lock = threading.Lock()


def erase_at_twilio(config: Mapping, survivor: str, harbor_number: str) -> bool:
    """Start deleting the messages between `survivor` and `harbor_number` at Twilio.

    Returns False when there is nothing to do (no REST credentials, or no numbers).
    """
    if not survivor or not harbor_number:
        return False
    try:
        client = twilio_client(config)
    except ValueError as error:
        logger.error("the Twilio REST client is misconfigured: %s", error)
        return False
    if client is None:
        return False
    deadline = time.monotonic() + float(config.get("TWILIO_ERASURE_DEADLINE_SECONDS") or 900)
    first_delay = float(config.get("TWILIO_ERASURE_FIRST_DELAY_SECONDS", FIRST_DELAY_SECONDS))
    settle = float(config.get("TWILIO_ERASURE_SETTLE_SECONDS", SETTLE_SECONDS))
    job = threading.Thread(target=_run, name="harbor-twilio-erasure", daemon=True,
                           args=(client, survivor, harbor_number, deadline, first_delay,
                                 settle))
    with _jobs_lock:
        _jobs[:] = [alive for alive in _jobs if alive.is_alive()]
        _jobs.append(job)
    job.start()
    return True


def wait_for_jobs(timeout: float) -> bool:
    """Wait until every erasure job of this process has ended; False on timeout."""
    end = time.monotonic() + timeout
    with _jobs_lock:
        jobs = list(_jobs)
    for job in jobs:
        job.join(max(0.0, end - time.monotonic()))
    return not any(job.is_alive() for job in jobs)


def _run(client, survivor: str, harbor_number: str, deadline: float, first_delay: float,
         settle: float) -> None:
    started = time.monotonic()
    pause = max(first_delay, 0.5)
    time.sleep(first_delay)
    deleted = 0
    while True:
        try:
            removed, left = _one_pass(client, survivor, harbor_number)
            deleted += removed
        except Exception as error:  # noqa: BLE001 - a network or API failure: try again
            logger.warning("deleting messages at Twilio failed, will retry: %s %s",
                           type(error).__name__, getattr(error, "code", "") or "")
            left = -1
        if left == 0 and time.monotonic() - started >= settle:
            logger.info("EXIT: %d message(s) deleted at Twilio", deleted)
            return
        if time.monotonic() + pause > deadline:
            logger.error("EXIT: deleting messages at Twilio stopped at its deadline with "
                         "%s message(s) left", "unknown" if left < 0 else left)
            return
        time.sleep(pause)
        pause = min(pause * 2, LONGEST_PAUSE_SECONDS)


def _one_pass(client, survivor: str, harbor_number: str) -> tuple[int, int]:
    """Delete what can be deleted now; return (deleted, still there)."""
    from twilio.base.exceptions import TwilioRestException

    deleted = left = 0
    for sender, recipient in ((survivor, harbor_number), (harbor_number, survivor)):
        for message in list(client.messages.stream(from_=sender, to=recipient, page_size=100)):
            if message.status in IN_FLIGHT:
                left += 1
                continue
            try:
                for media in list(client.messages(message.sid).media.stream()):
                    client.messages(message.sid).media(media.sid).delete()
                client.messages(message.sid).delete()
                deleted += 1
            except TwilioRestException as error:
                if error.status != 404:  # 404: gone already
                    left += 1
    return deleted, left
