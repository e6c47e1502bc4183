"""Harbor's configuration: every setting, its environment variable and its default.

Settings are read from the environment once, in `load_config`; `create_app(config)`
overrides them with the dict it is given, so tests never touch os.environ.
Development defaults are safe to run on a laptop. In production (HARBOR_ENV=production)
the secrets, the public URL and a shared rate-limit store must be set explicitly: a
missing one stops start-up with its name. HARBOR_ENV itself must be one of ENVIRONMENTS:
a misspelt "prod" must not quietly run with development defaults.
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

# Name -> (default, description). The README's configuration table mirrors this.
SETTINGS: dict[str, tuple[object, str]] = {
    "HARBOR_ENV": ("development", "development, test or production"),
    "DATABASE_URL": (None, "SQLAlchemy URL; default: SQLite file instance/harbor.sqlite3"),
    "SECRET_KEY": (None, "signs sessions and CSRF tokens (random per process in development)"),
    "HASH_KEY": (None, "HMAC key for conversation keys (random per process in development)"),
    "TWILIO_AUTH_TOKEN": ("", "verifies X-Twilio-Signature on POST /sms"),
    "PUBLIC_BASE_URL": ("", "public https origin Twilio calls, used for signature checks"),
    "TWILIO_ACCOUNT_SID": ("", "the Twilio account (AC...): /sms refuses others, REST uses it"),
    "SESSION_TTL_MINUTES": (30, "idle minutes after which conversation state expires"),
    "EXIT_REPLY": ("OK. This chat is cleared.", "the neutral reply to EXIT"),
    "EXIT_REPLY_ES": ("Listo. Se ha borrado este chat.",
                      "the neutral reply to a Spanish exit word (SALIR, BORRAR)"),
    "QUICK_EXIT_URL": ("https://www.google.com/search?q=weather", "where quick exit goes"),
    "RATELIMIT_STORAGE_URI": ("memory://", "flask-limiter storage, e.g. redis://127.0.0.1:6379/0"),
    "RATELIMIT_PER_CONVERSATION": ("30 per minute", "messages per conversation (SMS, chat)"),
    "RATELIMIT_PER_ADDRESS": ("120 per minute", "messages per address (chat, not signed SMS)"),
    "LOGIN_RATELIMIT": ("10 per minute", "login attempts per client address"),
    "PENDING_ERASURES_DIR": (None, "where EXITs answered during a database outage wait to be "
                             "erased; default: instance/pending-erasures"),
    "CONVERSATION_STORE_URL": (None, "where conversation state lives: redis://... (persistence "
                               "off) in production; default: the SQLite database, else "
                               "instance/conversations.sqlite3"),
    "CONVERSATION_STORE_ALLOW_PERSISTENT": (False, "accept a Redis that writes to disk (save/"
                                            "appendonly): erased conversations then stay in "
                                            "its files"),
    "TWILIO_API_KEY_SID": ("", "a Twilio API key (SK...) for the REST API, instead of the "
                           "auth token"),
    "TWILIO_API_KEY_SECRET": ("", "the API key's secret"),
    "TWILIO_API_URL": ("", "base URL every Twilio REST call uses instead of https://api.twilio.com "
                       "(tests, egress proxies)"),
    "TWILIO_ERASURE_DEADLINE_SECONDS": (900, "how long EXIT keeps retrying the deletion of "
                                        "the conversation's messages at Twilio"),
    "TWILIO_FROM_NUMBER": ("", "number advocates' SMS replies come from, when the one the "
                           "person wrote to is not known"),
    "HANDOFF_PROGRAM_NAME": ("Harbor", "whose advocates answer people who ask for a person"),
    "HANDOFF_LONG_WAIT_MINUTES": (15, "a longer wait for an advocate is said so, with the "
                                  "hotline"),
    "LOG_LEVEL": ("INFO", "Python logging level"),
    "LANGUAGES": ("en,es", "languages Harbor answers in, e.g. en,es,vi (a catalog marked "
                  "'needs review' should be switched on only after a native speaker checked it)"),
    "PROXY_FIX_HOPS": (0, "trusted proxies in front of the app (X-Forwarded-*)"),
    "ADMIN_TWO_FACTOR_REQUIRED": (None, "network admins must turn on two-factor sign-in "
                                  "before anything else; default: on in production only"),
    "LOCKED_SET_PATH": (None, "the locked test set the safety gate checks recall on; "
                        "default: tests/data/corpus/locked.tsv"),
    "PUBLISHED_CHECK_SECONDS": (2, "how often each worker looks for a newly published "
                                "version of the rules and reply texts"),
    "DATABASE_STATEMENT_TIMEOUT_MS": (2000, "longest one SQL statement may run (PostgreSQL "
                                      "statement_timeout)"),
    "DATABASE_LOCK_TIMEOUT_MS": (1000, "longest a statement waits for a lock or a pooled "
                                 "connection (PostgreSQL lock_timeout, SQLite busy_timeout)"),
    "REQUEST_BODY_SECONDS": (10, "longest a client may take to send a request body"),
}

ENVIRONMENTS = ("development", "test", "production")
# PUBLIC_BASE_URL: without it the signature is checked against the Host header the
# client chose, so a request signed for another host's URL would pass.
REQUIRED_IN_PRODUCTION = ("SECRET_KEY", "HASH_KEY", "TWILIO_AUTH_TOKEN", "PUBLIC_BASE_URL")
# memory:// counts per worker process: with 4 workers a limit of 10 lets 40 through.
PER_PROCESS_LIMIT_STORES = ("memory://",)
_INT_SETTINGS = {"SESSION_TTL_MINUTES", "PROXY_FIX_HOPS", "HANDOFF_LONG_WAIT_MINUTES",
                 "PUBLISHED_CHECK_SECONDS", "DATABASE_STATEMENT_TIMEOUT_MS",
                 "DATABASE_LOCK_TIMEOUT_MS", "REQUEST_BODY_SECONDS",
                 "TWILIO_ERASURE_DEADLINE_SECONDS"}
_BOOL_SETTINGS = {"CONVERSATION_STORE_ALLOW_PERSISTENT"}


class ConfigurationError(RuntimeError):
    """Raised when the app cannot start safely with the configuration it was given."""


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    """Return the embedded SQLite database URL inside the instance folder."""
    path = Path(instance_path) / "harbor.sqlite3"
    return f"sqlite:///{path}"


def _development_secrets(instance_path: Path) -> dict[str, str]:
    """Return development keys from instance/dev-secrets.json, creating them once."""
    path = instance_path / "dev-secrets.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        pass
    values = {"SECRET_KEY": secrets.token_hex(32), "HASH_KEY": secrets.token_hex(32)}
    try:
        instance_path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(json.dumps(values))
        path.chmod(0o600)
    except OSError:
        pass  # a read-only checkout still runs, with keys that last one process
    return values


def _check_public_base_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigurationError(
            f"PUBLIC_BASE_URL must be the origin Twilio calls, like https://harbor.example.org:"
            f" {url!r}")


def owner_only_instance_folder(instance_path: str | os.PathLike[str]) -> None:
    """Create the instance folder readable by the owner only (0700), or tighten it.

    It holds the SQLite database, the development keys, the demo login and the owed
    erasures: nobody else on the machine may list or read it.
    """
    folder = Path(instance_path)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        if folder.stat().st_mode & 0o077:
            folder.chmod(0o700)
    except OSError:
        pass  # a read-only checkout still runs; the database then lives elsewhere


def load_config(
    overrides: dict | None = None,
    environ: dict[str, str] | None = None,
    instance_path: str | os.PathLike[str] = "instance",
) -> dict:
    """Return the effective settings: defaults, then environment, then overrides."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    config: dict = {}
    for name, (default, _description) in SETTINGS.items():
        value = overrides.get(name, environ.get(name, default))
        if name in _INT_SETTINGS and value is not None:
            value = int(value)
        if name in _BOOL_SETTINGS and isinstance(value, str):
            value = value.strip().lower() in ("1", "true", "yes", "on")
        config[name] = value
    # Extra keys (TESTING, WTF_CSRF_ENABLED, ...) pass straight through to Flask.
    for name, value in overrides.items():
        config.setdefault(name, value)

    if config["HARBOR_ENV"] not in ENVIRONMENTS:
        raise ConfigurationError(
            f"HARBOR_ENV must be one of {', '.join(ENVIRONMENTS)}, not {config['HARBOR_ENV']!r}")
    production = config["HARBOR_ENV"] == "production"
    if production:
        missing = [name for name in REQUIRED_IN_PRODUCTION if not config.get(name)]
        storage = str(config.get("RATELIMIT_STORAGE_URI") or "")
        if not storage or storage.startswith(PER_PROCESS_LIMIT_STORES):
            missing.append("RATELIMIT_STORAGE_URI (a shared store such as redis://...; "
                           "memory:// counts per worker)")
        if missing:
            raise ConfigurationError(
                "HARBOR_ENV=production needs these settings: " + ", ".join(missing)
            )
        _check_public_base_url(config["PUBLIC_BASE_URL"])
    # Development only: keys generated once and kept in the instance folder, so that
    # restarts and several workers agree on conversation keys without a secret in git.
    missing_keys = [name for name in ("SECRET_KEY", "HASH_KEY") if not config.get(name)]
    if missing_keys:
        stored = _development_secrets(Path(instance_path))
        for name in missing_keys:
            config[name] = stored[name]
    if not config.get("PENDING_ERASURES_DIR"):
        config["PENDING_ERASURES_DIR"] = str(Path(instance_path).resolve() / "pending-erasures")
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = default_database_url(Path(instance_path).resolve())
    # One Redis for conversations and limits: the limit counters then live where the
    # state does (no disk, shared by every host) unless a limit store is named.
    store_url = str(config.get("CONVERSATION_STORE_URL") or "")
    limits_named = "RATELIMIT_STORAGE_URI" in overrides or "RATELIMIT_STORAGE_URI" in environ
    if store_url.startswith(("redis", "valkey")) and not limits_named:
        config["RATELIMIT_STORAGE_URI"] = (
            "redis" + store_url[len("valkey"):] if store_url.startswith("valkey") else store_url)
    required = config.get("ADMIN_TWO_FACTOR_REQUIRED")
    config["ADMIN_TWO_FACTOR_REQUIRED"] = (
        production if required is None
        else str(required).strip().lower() in ("1", "true", "yes", "on"))
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = production
    config.setdefault("PERMANENT_SESSION_LIFETIME", 8 * 3600)
    return config
