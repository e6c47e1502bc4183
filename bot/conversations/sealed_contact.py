"""A survivor's phone number, sealed for as long as a hand-off lasts.

An advocate's reply by SMS must go to the number, and privacy rule 1 forbids keeping it in
clear. During a hand-off only, the number is kept sealed (Fernet: AES-128-CBC with an
HMAC-SHA256 tag) under a key derived from HASH_KEY, inside the hand-off row that EXIT,
closing and expiry delete. Nothing else ever holds it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from cryptography.fernet import Fernet, InvalidToken


def _fernet(config: Mapping) -> Fernet:
    # A key of its own, derived from HASH_KEY: the conversation-key HMAC never doubles as it.
    derived = hmac.new(str(config["HASH_KEY"]).encode(), b"harbor handoff contact",
                       hashlib.sha256).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal(config: Mapping, number: str) -> str:
    """Return `number` sealed for the hand-off row."""
    return _fernet(config).encrypt(number.encode()).decode("ascii")


def unseal(config: Mapping, sealed: str) -> str | None:
    """Return the number inside `sealed`, or None when it cannot be read (key changed)."""
    try:
        return _fernet(config).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, ValueError):
        return None
