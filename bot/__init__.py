"""Harbor's Flask application: `create_app()` and the blueprints of each surface.

Surfaces: health (/healthz), sms (/sms), chat (/chat), console (/console) and the
advocate's inbox (/console/inbox),
admin (/admin, /login). The conversation engine they share lives in
`bot.engine` and knows nothing of Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the Harbor app; `config` overrides environment variables of the same name.

    `WARM_UP` (default true) compiles the intent rules, loads the place index and
    Twilio's REST library now, so no survivor's first text waits for them; the `harbor`
    CLI turns it off, because most commands need none of them (those that do load them
    on first use).

    `SURFACES` (default true) registers the surfaces (the blueprints), what only a
    request uses (body limits, input guards, security headers, error pages) and the
    CLI's commands (`flask --app bot`). False builds an app for the database alone:
    config, logging, database, live version, conversation store and the extensions
    (rate-limit counters included, which an erasure clears); the `harbor` CLI does so
    for the commands that need nothing more (`bot.cli.DATABASE_ONLY_COMMANDS`), so they
    do not import the engine, the console or the inbox.
    """
    # Imported here, not at the top: `import bot` (every `harbor` command) stays cheap.
    from flask import Flask

    from bot.config import load_config, owner_only_instance_folder
    from bot.database import init_database
    from bot.logging_setup import configure_logging

    app = Flask(__name__, instance_relative_config=True)
    owner_only_instance_folder(app.instance_path)
    settings = load_config(config, instance_path=app.instance_path)
    app.config.update(settings)
    configure_logging(app.config["LOG_LEVEL"])

    if app.config["PROXY_FIX_HOPS"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["PROXY_FIX_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    init_database(app)

    from bot.publishing import live

    live.init_app(app)

    from bot.conversations import store as conversation_store

    conversation_store.init_app(app)

    from bot import extensions

    surfaces = app.config.get("SURFACES", True)
    if surfaces:
        from bot import request_bodies, request_guards

        request_guards.init_app(app)
        request_bodies.init_app(app)  # first of all: before the guards or CSRF read a form
    extensions.init_app(app)
    if surfaces:
        _register_surfaces(app)
    if app.config.get("WARM_UP", True):
        from bot.channels import twilio_rest
        from intents import warm_up

        warm_up()
        twilio_rest.load_library()  # else loaded by the first REST call (an EXIT's erasure)
    return app


def _register_surfaces(app: Flask) -> None:
    """Register the blueprints, the response hooks and the CLI's commands on `app`."""
    from bot import security_headers
    from bot.channels import advocate_inbox, chat, chat_page, console, console_changes, health, sms
    from bot.staff import admin, auth

    app.register_blueprint(health.blueprint)
    app.register_blueprint(auth.blueprint)
    app.register_blueprint(sms.blueprint)
    app.register_blueprint(chat.blueprint)
    app.register_blueprint(chat_page.blueprint)
    app.register_blueprint(console.blueprint)
    app.register_blueprint(advocate_inbox.blueprint)
    app.register_blueprint(console_changes.blueprint)
    app.register_blueprint(admin.blueprint)
    from bot.staff import insights

    app.register_blueprint(insights.blueprint)
    security_headers.init_app(app)
    from bot import error_pages

    error_pages.init_app(app)

    from bot.cli import register_commands

    register_commands(app)
