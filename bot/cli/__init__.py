"""The `harbor` command line: a Flask CLI group built on `create_app()`.

Each module in `bot.cli.commands` contributes its commands through a `COMMANDS` list,
so a new command is one new module; `flask --app bot ...` reaches the same ones.
"""

from __future__ import annotations

import importlib
import pkgutil

import click
from flask import Flask
from flask.cli import FlaskGroup

from bot.cli import commands as commands_package


def _command_modules():
    for info in sorted(pkgutil.iter_modules(commands_package.__path__), key=lambda m: m.name):
        yield importlib.import_module(f"{commands_package.__name__}.{info.name}")


def register_commands(app: Flask) -> None:
    """Attach every command of `bot.cli.commands` to the app's CLI."""
    for module in _command_modules():
        for command in getattr(module, "COMMANDS", ()):
            app.cli.add_command(command)


def _create_app_for_cli() -> Flask:
    from bot import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app_for_cli, add_default_commands=False)
def harbor() -> None:
    """Harbor: safe, local help by text message and web chat."""


def main() -> None:
    """Entry point of the `harbor` console script."""
    harbor(prog_name="harbor")
