"""`harbor rules export DIR`, `harbor rules import DIR [--publish]`, `versions`, `restore N`.

YAML stays the format for review in git: `export` writes the rules and reply texts in
force (the live version over the shipped files), one rule file per intent and
replies/<language>.yaml; after an edit, `import` runs the safety gate on the folder and
prints what the change does; with `--publish` it publishes the change as the next
version when the gate passes, and exits non-zero naming what broke when it does not.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.database import get_database
from bot.publishing import content as rule_content
from bot.publishing import gate, versions


def _author(author: str | None) -> str:
    if author:
        return author
    try:
        return f"{getpass.getuser()} (command line)"
    except (KeyError, OSError):
        return "command line"


def echo_report(report: gate.GateReport) -> None:
    """Print the gate's findings: the guarded recall, both sets, transcripts, refusal."""
    for comparison in (report.dev, report.locked):
        if comparison is None:
            continue
        click.echo(f"{comparison.name}: accuracy {comparison.live.accuracy:.1%} live, "
                   f"{comparison.candidate.accuracy:.1%} with the change; "
                   f"{len(comparison.gained)} messages gained, {len(comparison.lost)} lost; "
                   f"false alarms {len(comparison.live.false_alarms)} -> "
                   f"{len(comparison.candidate.false_alarms)}")
        changed = [item for item in comparison.per_intent if item.before != item.after]
        for item in changed:
            click.echo(f"  {item.intent}: recall {item.before:.1%} -> {item.after:.1%} "
                       f"({item.labelled} labelled)")
    for intent, before, after in report.guarded_recall():
        click.echo(f"locked-set recall of {intent}: {before:.1%} live, {after:.1%} changed")
    if report.transcripts:
        failed = len(report.failed_transcripts)
        click.echo(f"transcripts: {len(report.transcripts) - failed} passed, {failed} failed")


@click.group("rules")
def rules_group() -> None:
    """The intent rules and reply texts advocates publish (YAML round trip)."""


@rules_group.command("export")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@with_appcontext
def export_command(directory: Path) -> None:
    """Write the rules and reply texts in force into DIRECTORY as YAML."""
    with get_database().sessions() as session:
        live = versions.live_content(session)
        number = versions.published_versions.live_number(session)
    written = rule_content.export_folder(live, directory)
    click.echo(f"wrote {len(written)} files to {directory} (version {number}"
               f"{'' if number else ': the shipped files'})")


@rules_group.command("import")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--publish", is_flag=True, help="publish the change when the gate passes")
@click.option("--note", default="", help="why: kept with the version")
@click.option("--author", default=None, help="who (default: the system user)")
@with_appcontext
def import_command(directory: Path, publish: bool, note: str, author: str | None) -> None:
    """Check the rules and texts of DIRECTORY with the safety gate; publish with --publish."""
    config = current_app.config
    with get_database().sessions() as session:
        live = versions.live_content(session)
        try:
            candidate = rule_content.import_folder(directory, live)
        except rule_content.ContentError as error:
            raise click.ClickException(str(error)) from error
        if not publish:
            report = gate.check(candidate, live, config)
            echo_report(report)
            if report.passed:
                click.echo("the safety gate passes: run again with --publish to publish")
                return
            click.echo("the safety gate would refuse this change:", err=True)
            for line in report.refusal():
                click.echo(f"  {line}", err=True)
            sys.exit(1)
        outcome = versions.publish(session, candidate, author=_author(author), user_id=None,
                                   note=note, source="cli", config=config)
        if outcome.unchanged:
            click.echo("nothing changed: no version published")
            return
        echo_report(outcome.report)
        if outcome.version is None:
            session.rollback()
            click.echo("refused by the safety gate: nothing was published", err=True)
            for line in outcome.report.refusal():
                click.echo(f"  {line}", err=True)
            sys.exit(1)
        session.commit()
        click.echo(f"published version {outcome.version.number}")


@rules_group.command("versions")
@with_appcontext
def versions_command() -> None:
    """List the published versions, newest first."""
    with get_database().sessions() as session:
        rows = versions.published_versions.history(session)
        if not rows:
            click.echo("no version published: the shipped files are in force")
        for row in rows:
            restored = f" (restores {row.restored_from})" if row.restored_from is not None else ""
            click.echo(f"{row.number}  {row.created_at:%Y-%m-%d %H:%M}  {row.author}  "
                       f"{row.note}{restored}")


@rules_group.command("restore")
@click.argument("number", type=int)
@click.option("--note", default="", help="why: kept with the version")
@click.option("--author", default=None, help="who (default: the system user)")
@with_appcontext
def restore_command(number: int, note: str, author: str | None) -> None:
    """Publish version NUMBER's content again as a new version (0: the shipped files)."""
    with get_database().sessions() as session:
        try:
            outcome = versions.restore(session, number, author=_author(author), user_id=None,
                                       note=note, source="cli", config=current_app.config)
        except LookupError as error:
            raise click.ClickException(str(error)) from error
        if outcome.version is None:
            session.rollback()
            click.echo("refused by the safety gate:", err=True)
            for line in outcome.report.refusal():
                click.echo(f"  {line}", err=True)
            sys.exit(1)
        session.commit()
        click.echo(f"published version {outcome.version.number} (version {number} restored)")


COMMANDS = [rules_group]
