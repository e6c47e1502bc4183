"""Headers that keep survivor and staff pages out of caches, frames, other origins and http."""

from __future__ import annotations

from flask import Flask, request

PROTECTED_PREFIXES = ("/chat", "/console", "/admin", "/login", "/logout", "/safety", "/account")

# No inline script, nothing from another origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# Production is served over https only: browsers must never try plain http again (a
# network that strips TLS would see the chat). Two years, the preload list's minimum.
STRICT_TRANSPORT_SECURITY = "max-age=63072000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the headers to every response (no-store on the survivor and staff pages).

    HSTS only in production: on a laptop's http://127.0.0.1 it would mean nothing, and
    on a development host name it would pin https where there is none.
    """
    production = app.config.get("HARBOR_ENV") == "production"

    @app.after_request
    def add_security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if production:
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        if request.path.startswith(PROTECTED_PREFIXES):
            response.headers["Cache-Control"] = "no-store"
            response.headers["Pragma"] = "no-cache"
        return response
