"""`harbor duty on|off EMAIL` and `harbor duty list`: who answers people who ask for a person.

For scripts and checks; the console has the same switch. `on` refuses an account that is
not an active advocate or admin.
"""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from bot.database import get_database
from bot.staff import accounts, duty
from resources_db.models import AdvocateDuty, User, utcnow


def _switch(email: str, on_duty: bool) -> None:
    with get_database().sessions() as session:
        user = accounts.find_user(session, email)
        if user is None:
            raise click.ClickException(f"no account for {accounts.normalize_email(email)}")
        try:
            duty.set_on_duty(session, user, on_duty)
        except duty.DutyError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
        click.echo(f"{user.email} is {'on' if on_duty else 'off'} duty")


@click.group("duty")
def duty_group() -> None:
    """Advocates on duty for people who ask to talk to a person."""


@duty_group.command("on")
@click.argument("email")
@with_appcontext
def on_command(email: str) -> None:
    """Put an advocate on duty (roster hours, when set, still bound it)."""
    _switch(email, True)


@duty_group.command("off")
@click.argument("email")
@with_appcontext
def off_command(email: str) -> None:
    """Take an advocate off duty."""
    _switch(email, False)


@duty_group.command("list")
@with_appcontext
def list_command() -> None:
    """List advocates with a duty row: email, switch, answering now, roster, limit."""
    now = utcnow()
    with get_database().sessions() as session:
        rows = session.query(AdvocateDuty, User).join(User, User.id == AdvocateDuty.user_id)
        for row, user in rows.order_by(User.email):
            answering = "answering" if duty.answering(row, now) else "not answering"
            switch = "on" if row.on_duty else "off"
            hours = row.roster_hours or "any time"
            click.echo(f"{user.email}\t{switch}\t{answering}\t{hours} ({row.roster_timezone})"
                       f"\tmax {row.max_open_chats}")


COMMANDS = [duty_group]
