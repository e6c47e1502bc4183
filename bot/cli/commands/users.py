"""`harbor users ...`: create, list, disable, enable and reset staff accounts;
`harbor organizations create NAME`: add an organization to the partner network.

Passwords come from standard input when it is not a terminal (one line, for scripts:
`printf '%s\n' "$PW" | harbor users create a@b.org --role admin`), and from a hidden,
confirmed prompt otherwise. A password is never taken as an argument: it would land in
the shell history and the process list.
"""

from __future__ import annotations

import sys

import click
from flask.cli import with_appcontext

from bot.database import get_database
from bot.staff import accounts
from resources_db.models import ROLES, User


def _stdin_is_terminal() -> bool:
    return sys.stdin.isatty()


def _read_password() -> str:
    """Return a password from piped stdin (first line) or from a confirmed hidden prompt."""
    if not _stdin_is_terminal():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _load_account(session, email: str) -> User:
    user = accounts.find_user(session, email)
    if user is None:
        raise click.ClickException(f"no account for {accounts.normalize_email(email)}")
    return user


@click.group("users")
def users_group() -> None:
    """Staff accounts (network admins, partners and advocates)."""


@users_group.command("create")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="admin (the network), partner (one organization) or advocate")
@click.option("--organization", default=None,
              help="the partner's organization, by name (harbor organizations create)")
@with_appcontext
def create_command(email: str, role: str, organization: str | None) -> None:
    """Create an account; the password is read from stdin, or prompted for on a terminal."""
    if role == "partner" and not organization:
        raise click.UsageError("--role partner needs --organization NAME")
    password = _read_password()
    with get_database().sessions() as session:
        try:
            user = accounts.create_user(session, email, password, role,
                                        organization=organization)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
        suffix = f" of {organization}" if role == "partner" else ""
        click.echo(f"created {user.role} account {user.email}{suffix}")


@users_group.command("reset-password")
@click.argument("email")
@with_appcontext
def reset_password_command(email: str) -> None:
    """Set a new password (stdin or prompt); the account's open sessions end."""
    password = _read_password()
    with get_database().sessions() as session:
        user = _load_account(session, email)
        try:
            accounts.set_password(session, user, password)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
        click.echo(f"password changed for {user.email}")


@users_group.command("disable")
@click.argument("email")
@with_appcontext
def disable_command(email: str) -> None:
    """Disable an account: it can no longer sign in, and its open sessions end."""
    with get_database().sessions() as session:
        user = _load_account(session, email)
        accounts.set_active(session, user, False)
        session.commit()
        click.echo(f"disabled {user.email}")


@users_group.command("enable")
@click.argument("email")
@with_appcontext
def enable_command(email: str) -> None:
    """Enable a disabled account again."""
    with get_database().sessions() as session:
        user = _load_account(session, email)
        accounts.set_active(session, user, True)
        session.commit()
        click.echo(f"enabled {user.email}")


@users_group.command("list")
@with_appcontext
def list_command() -> None:
    """List every account: email, role, enabled or disabled, and a partner's organization."""
    with get_database().sessions() as session:
        names = {organization.id: organization.name
                 for organization in accounts.member_organizations(session)}
        for user in session.query(User).order_by(User.role, User.email):
            state = "enabled" if user.active else "disabled"
            line = f"{user.email}\t{user.role}\t{state}"
            if user.organization_id:
                line += f"\t{names.get(user.organization_id, '')}"
            click.echo(line)


@click.group("organizations")
def organizations_group() -> None:
    """The organizations of the partner network."""


@organizations_group.command("create")
@click.argument("name")
@with_appcontext
def create_organization_command(name: str) -> None:
    """Add an organization to the network (listings naming it already belong to it)."""
    with get_database().sessions() as session:
        try:
            organization, created = accounts.create_organization(session, name)
        except accounts.AccountError as error:
            raise click.ClickException(str(error)) from error
        session.commit()
        state = "created" if created else "already a member:"
        click.echo(f"{state} organization {organization.name}")


@organizations_group.command("list")
@with_appcontext
def list_organizations_command() -> None:
    """List the organizations: name and whether it is a member."""
    with get_database().sessions() as session:
        for organization in accounts.member_organizations(session):
            click.echo(f"{organization.name}\t{'member' if organization.member else 'listed'}")


COMMANDS = [users_group, organizations_group]
