"""Flask extensions, created unbound and attached to each app in `init_app`,
and the message rate limits that POST /sms and POST /chat/api/messages share.

Message limits: each inbound message counts once against its conversation
(RATELIMIT_PER_CONVERSATION) and once against its client address
(RATELIMIT_PER_ADDRESS), in flask-limiter's storage (RATELIMIT_STORAGE_URI: memory,
or Redis so that every worker shares the counters). The counters are keyed by HMACs
under HASH_KEY (not the database's conversation keys either), never by a phone
number, token or IP address in clear. The channel
views count a message only after its request is known to be genuine (the Twilio
signature), so a forged request cannot use up someone else's allowance or learn
whether they are writing. Messages that classify as exit, emergency or self_harm are
never counted and never refused, and a storage failure lets the message through.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import threading
from dataclasses import dataclass, field

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import STRATEGIES, RateLimiter

from bot.config import ConfigurationError

csrf = CSRFProtect()
# Staff sign-in; bot.staff.auth sets the user loader and the login view.
login_manager = LoginManager()


def hashed_client_address() -> str:
    """Return the client's address as the limit store keeps it: an HMAC, never the address."""
    return "address:" + _hmac("client-address:" + (get_remote_address() or ""))


# One Limiter for the app: flask-limiter reads its storage from the RATELIMIT_STORAGE_URI
# config key (Harbor's setting of the same name), and each area adds its own limits
# with @limiter.limit(...), counted per hashed client address (a shared Redis is readable
# by whoever operates it: it holds no address). Behind a proxy, ProxyFix makes
# remote_addr real.
limiter = Limiter(key_func=hashed_client_address)
logger = logging.getLogger("harbor.rate_limits")
# The message endpoints count in over_message_limits (after the signature check, by
# intent); flask-limiter's own per-request pass has nothing to do there, so skip it.
_MESSAGE_BLUEPRINTS = frozenset({"sms", "chat"})


@limiter.request_filter
def _message_endpoints_count_themselves() -> bool:
    return request.blueprint in _MESSAGE_BLUEPRINTS

# Always answered, however many messages came before.
NEVER_LIMITED_INTENTS = frozenset({"exit", "emergency", "self_harm"})
NEVER_LIMITED_SAFETY = frozenset({"danger", "self_harm"})
# A Redis that hangs must not hold a webhook past Twilio's 15 seconds.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}
_KEY_NAMESPACE = "harbor-messages"


@dataclass(frozen=True)
class MessageLimits:
    """One app's message limits and the flask-limiter strategy (and storage) they use."""

    strategy: RateLimiter
    per_conversation: RateLimitItem
    per_address: RateLimitItem
    # limits' MemoryStorage (re)starts its expiry Timer without a lock, so two threads
    # hitting it at once can start the same Timer twice (RuntimeError). Hits to the
    # in-process store are serialized; Redis needs no lock of ours.
    hit_lock: contextlib.AbstractContextManager = field(default_factory=contextlib.nullcontext)


def _parse_limit(config: dict, name: str) -> RateLimitItem:
    try:
        return parse(str(config[name]))
    except ValueError as error:
        raise ConfigurationError(
            f"{name} is not a rate limit like '30 per minute': {config[name]!r}"
        ) from error


def init_app(app: Flask) -> None:
    """Attach every extension to `app`."""
    csrf.init_app(app)
    login_manager.init_app(app)
    if str(app.config.get("RATELIMIT_STORAGE_URI") or "").startswith(("redis", "rediss")):
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", dict(REDIS_TIMEOUTS))
    # The @limiter.limit routes (staff sign-in) keep per-process counters while the
    # store is down, instead of answering 500.
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    limits = None
    if limiter.enabled:
        # Kept per app: the module-level Limiter holds the storage of the last app built
        # (and its `limiter` property may be the in-memory fallback of an earlier outage).
        limits = MessageLimits(
            strategy=STRATEGIES[app.config.get("RATELIMIT_STRATEGY", "fixed-window")](
                limiter.storage),
            per_conversation=_parse_limit(app.config, "RATELIMIT_PER_CONVERSATION"),
            per_address=_parse_limit(app.config, "RATELIMIT_PER_ADDRESS"),
            hit_lock=(threading.Lock() if isinstance(limiter.storage, MemoryStorage)
                      else contextlib.nullcontext()),
        )
    app.extensions["harbor_message_limits"] = limits


def _hmac(material: str) -> str:
    hash_key = current_app.config["HASH_KEY"]
    return hmac.new(hash_key.encode(), material.encode(), hashlib.sha256).hexdigest()


def over_message_limits(intent: str, conversation_key: str | None,
                        by_address: bool = True, *, safety: str = "") -> bool:
    """Count one inbound message; return True when it must be refused as one too many.

    `intent` is the message's classification (the view classifies once and hands the
    same Classification to the turn); `safety` is its safety signal, found even when
    a need is the intent: a message that says danger or self-harm is never refused,
    whatever its intent. `conversation_key` is the conversation's HMAC key
    (None when the message starts a new conversation and has none yet: then only the
    address limit applies). `by_address=False` skips the address limit: a Twilio-signed
    SMS always comes from Twilio's addresses, so there it would cap every survivor's
    texts together instead of one abuser's.
    """
    limits: MessageLimits | None = current_app.extensions.get("harbor_message_limits")
    if limits is None:
        return False
    if intent in NEVER_LIMITED_INTENTS or safety in NEVER_LIMITED_SAFETY:
        return False
    checks = []
    if by_address:
        checks.append((limits.per_address, hashed_client_address()))
    if conversation_key:
        # Derived again, so the limit store never holds the key the database uses.
        checks.append((limits.per_conversation,
                       "conversation:" + _hmac("rate-limit:" + conversation_key)))
    if not checks:
        return False
    try:
        # Every check is hit (no short cut): a refused message still counts everywhere.
        with limits.hit_lock:
            allowed = [limits.strategy.hit(item, _KEY_NAMESPACE, request.endpoint or "", key)
                       for item, key in checks]
    except Exception as error:  # noqa: BLE001 - a limit store outage must not cost an answer
        logger.error("rate limit storage failed, message let through: %s",
                     type(error).__name__)
        return False
    return not all(allowed)


# The endpoints whose counters are keyed by conversation (over_message_limits' callers).
_CONVERSATION_ENDPOINTS = ("sms.inbound_sms", "chat.messages")


def forget_conversation_limits(conversation_key: str) -> None:
    """EXIT: delete the conversation's rate-limit counters (they derive from its key)."""
    limits: MessageLimits | None = current_app.extensions.get("harbor_message_limits")
    if limits is None:
        return
    counter = "conversation:" + _hmac("rate-limit:" + conversation_key)
    try:
        with limits.hit_lock:
            for endpoint in _CONVERSATION_ENDPOINTS:
                limits.strategy.storage.clear(
                    limits.per_conversation.key_for(_KEY_NAMESPACE, endpoint, counter))
    except Exception as error:  # noqa: BLE001 - the counter expires by itself anyway
        logger.warning("rate limit counters of an erased conversation stayed: %s",
                       type(error).__name__)
