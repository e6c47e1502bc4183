"""Flask extensions, created unbound and attached to each app in `init_app`."""

from __future__ import annotations

from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()
# Staff sign-in; bot.auth sets the user loader and the login view.
login_manager = LoginManager()
# One Limiter for the app: storage comes from RATELIMIT_STORAGE_URI, and each area adds
# its own limits with @limiter.limit(...). Behind a proxy, ProxyFix makes remote_addr real.
limiter = Limiter(key_func=get_remote_address)


def init_app(app: Flask) -> None:
    """Attach every extension to `app`."""
    csrf.init_app(app)
    login_manager.init_app(app)
    limiter.init_app(app)
