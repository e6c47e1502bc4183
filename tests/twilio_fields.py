"""Twilio's fields as Twilio shapes them, for tests that build inbound webhooks by hand.

POST /sms refuses a MessageSid that is not SM/MM and 32 hex digits, and an AccountSid
that is not AC and 32 hex digits (bot.channels.sms.twilio_field_problem). Tests name their
messages with readable labels; `message_sid(label)` turns a label into a real-shaped
MessageSid, always the same one for the same label, so a resent label is Twilio's retry.
"""

from __future__ import annotations

import hashlib

from bot.channels.sms import MESSAGE_SID

ACCOUNT_SID = "AC" + "7e57" * 8  # a made-up account, shaped as Twilio's are


def message_sid(label: str) -> str:
    """Return `label` when it is a real-shaped MessageSid, else one derived from it."""
    if MESSAGE_SID.fullmatch(label):
        return label
    return "SM" + hashlib.sha256(label.encode()).hexdigest()[:32]


def inbound_fields(sender: str, body: str, label: str, **extra: str) -> dict[str, str]:
    """Return the form fields of one inbound SMS, as Twilio posts them."""
    return {"From": sender, "To": "+15550100000", "Body": body,
            "MessageSid": message_sid(label), "AccountSid": ACCOUNT_SID, "NumMedia": "0",
            **extra}
