"""The `harbor` command line: a Flask CLI group built on `create_app()`.

Each module in `bot.cli.commands` contributes its commands through a `COMMANDS` list
and is named, with a one-line summary per command, in `COMMAND_MODULES` below (a test
checks that the table and the modules agree, so a new command is one new module and one
line here). `flask --app bot ...` reaches the same commands.

Start-up is kept short (`harbor bench startup` measures it): this is Click's lazy
subcommand loading, so `harbor --help` imports no command module and builds no app,
`harbor X` imports only X's module, and the app a command builds skips the warm-up
(the rules and the place index load on first use, for the commands that need them).
A command that needs only the database (DATABASE_ONLY_COMMANDS) gets an app without its
surfaces: no blueprints, so none of the modules behind the pages and the APIs.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import TYPE_CHECKING

import click
from flask.cli import FlaskGroup

from bot.cli import commands as commands_package

if TYPE_CHECKING:
    from flask import Flask

# Command name -> (module in bot.cli.commands, one-line summary for `harbor --help`).
COMMAND_MODULES: dict[str, tuple[str, str]] = {
    "bench": ("bench", "Benchmarks: classify, search, import, webhook, startup, handoff."),
    "classify": ("intents", "Classify TEXT and print the Classification as JSON."),
    "db": ("database", "Database schema commands."),
    "demo": ("demo", "Demo data for trying Harbor out."),
    "duty": ("duty", "Advocates on duty for people who ask to talk to a person."),
    "eval": ("intents", "Measure Harbor's matchers against labelled files."),
    "insights": ("insights", "Anonymous counts for community partners (/admin/insights)."),
    "intents": ("intents", "The intent engine's learned second opinion."),
    "organizations": ("users", "The organizations of the partner network."),
    "purge": ("purge", "Delete every expired row and every owed erasure; reseal the counts."),
    "resources": ("resources", "Resource listings: CSV import and export, HSDS import."),
    "rules": ("rules", "The intent rules and reply texts advocates publish (YAML round trip)."),
    "run": ("serve", "Serve Harbor with Flask's development server (gunicorn in production)."),
    "test-flows": ("flows", "Run the conversation transcripts and report each."),
    "users": ("users", "Staff accounts (network admins, partners and advocates)."),
}


# Commands that need the database and nothing of the web app: `harbor` builds their app
# without the surfaces (`create_app`'s SURFACES), whose blueprints import the engine, the
# console, the safety gate and the inbox (`harbor bench startup` measures `db upgrade`).
# Every other command (`run` serves the app) gets the whole app, as `flask --app bot`.
DATABASE_ONLY_COMMANDS = frozenset({
    "db", "demo", "duty", "organizations", "purge", "resources", "users"})


def _module(name: str):
    return importlib.import_module(f"{commands_package.__name__}.{name}")


def all_commands() -> list[click.Command]:
    """Return every command of every module in `bot.cli.commands` (imports them all)."""
    return [command
            for info in sorted(pkgutil.iter_modules(commands_package.__path__),
                               key=lambda module: module.name)
            for command in getattr(_module(info.name), "COMMANDS", ())]


def register_commands(app: Flask) -> None:
    """Attach every command of `bot.cli.commands` to the app's CLI (`flask --app bot`)."""
    for command in all_commands():
        app.cli.add_command(command)


def _create_app_for_cli() -> Flask:
    """Build the app a command runs in: no warm-up; no surfaces for a database-only one."""
    from bot import create_app

    context = click.get_current_context(silent=True)
    command = context.find_root().invoked_subcommand if context else None
    return create_app({"WARM_UP": False,
                       "SURFACES": command not in DATABASE_ONLY_COMMANDS})


class HarborGroup(FlaskGroup):
    """A FlaskGroup that loads each command's module only when that command runs."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        # FlaskGroup would build the app to list app.cli's commands: the same ones.
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMAND_MODULES:
            return None
        module = _module(COMMAND_MODULES[name][0])
        return next((command for command in module.COMMANDS if command.name == name), None)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The summaries come from the table: helping imports no command module.
        with formatter.section("Commands"):
            formatter.write_dl([(name, summary)
                                for name, (_module_name, summary) in sorted(
                                    COMMAND_MODULES.items())])


@click.group(cls=HarborGroup, create_app=_create_app_for_cli, add_default_commands=False)
def harbor() -> None:
    """Harbor: safe, local help by text message and web chat."""


def main() -> None:
    """Entry point of the `harbor` console script."""
    harbor(prog_name="harbor")
