"""`harbor demo load`: put the demo listings in the database, once (safe to repeat).

It also makes sure a demo admin exists and prints its login: admin@harbor.example, with
a password generated on the first run and kept in the instance folder, so a second run
prints the same login and creates nothing; and likewise a demo partner,
partner@harbor.example, who keeps the listings of one demo organization.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.database import get_database
from bot.staff.accounts import (
    DEMO_LOGIN_FILE,
    DEMO_PARTNER_LOGIN_FILE,
    DEMO_PARTNER_ORGANIZATION,
    ensure_demo_admin,
    ensure_demo_partner,
)
from resources_db.demo import load_demo_listings


@click.group("demo")
def demo_group() -> None:
    """Demo data for trying Harbor out."""


@demo_group.command("load")
@with_appcontext
def load_command() -> None:
    """Load the demo listings (fictional local services and the real national lines)."""
    with get_database().sessions() as session:
        plan = load_demo_listings(session)
        session.commit()
    counts = plan.counts()
    click.echo(f"demo listings: {counts['add']} added, {counts['update'] + counts['deactivate']} "
               f"updated, {counts['unchanged']} already up to date")
    _ensure_demo_admin()


def _ensure_demo_admin() -> None:
    """Create the demo admin unless it exists, and print how to sign in."""
    if current_app.config["HARBOR_ENV"] == "production":
        click.echo("demo admin: not created in production (use `harbor users create`)")
        return
    with get_database().sessions() as session:
        admin = ensure_demo_admin(session, current_app.instance_path)
        session.commit()
    verb = "created" if admin.created else "exists"
    if admin.password is None:
        click.echo(f"demo admin {admin.email} {verb}; its password was changed since "
                   f"(`harbor users reset-password {admin.email}` sets a new one)")
        return
    click.echo(f"demo admin {verb}: sign in at /login as {admin.email} "
               f"with password {admin.password}")
    click.echo(f"  (the password is kept in instance/{DEMO_LOGIN_FILE})")
    _ensure_demo_partner()


def _ensure_demo_partner() -> None:
    """Create the demo partner unless it exists, and print how to sign in."""
    with get_database().sessions() as session:
        partner = ensure_demo_partner(session, current_app.instance_path)
        session.commit()
    verb = "created" if partner.created else "exists"
    if partner.password is None:
        click.echo(f"demo partner {partner.email} {verb}; its password was changed since")
        return
    click.echo(f"demo partner {verb} ({DEMO_PARTNER_ORGANIZATION}): sign in as "
               f"{partner.email} with password {partner.password}")
    click.echo(f"  (the password is kept in instance/{DEMO_PARTNER_LOGIN_FILE})")


COMMANDS = [demo_group]
