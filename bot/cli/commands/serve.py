"""`harbor run`: serve Harbor for development and say where its pages are."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple


@click.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run_command(host: str, port: int) -> None:
    """Serve Harbor with Flask's threaded development server (use gunicorn in production)."""
    app = current_app._get_current_object()
    # The CLI's app skips the warm-up; a server must not make a survivor's first text wait.
    from intents import warm_up

    warm_up()
    base = f"http://{host}:{port}"
    click.echo("")
    click.echo("Harbor is running:")
    click.echo(f"  web chat (survivors):  {base}/chat")
    click.echo(f"  console (advocates):   {base}/console")
    click.echo(f"  admin (listings):      {base}/admin")
    click.echo(f"  SMS webhook (Twilio):  {base}/sms")
    click.echo(f"  health:                {base}/healthz")
    click.echo("Press Ctrl+C to stop.")
    # Not app.run(): Flask ignores it inside its own CLI (FLASK_RUN_FROM_CLI), and
    # `harbor` is a Flask CLI group.
    run_simple(host, port, app, threaded=True, use_reloader=False)


COMMANDS = [run_command]
