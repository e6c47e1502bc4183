"""`harbor resources ...`: import and export the listings CSV, import an HSDS 3 package.

Imports are all or nothing: a file with one bad row writes nothing, prints every bad
line and column, and exits with status 1. `--dry-run` shows what would change.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click
from flask.cli import with_appcontext

from bot.database import get_database
from resources_db.hsds_import import (
    HsdsImportError,
    load_taxonomy_map,
    plan_hsds_import,
    read_hsds,
)
from resources_db.listing_rules import FieldError
from resources_db.listings_csv import (
    ImportPlan,
    apply_import,
    export_listings_csv,
    listings_query,
    plan_import,
    read_listings_csv,
)
from resources_db.listings_store import store_hsds_details
from resources_db.vocabulary import CATEGORIES

_MAX_ERRORS_SHOWN = 200


def _default_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):
        return "cli"


def _echo_errors(errors: tuple[FieldError, ...] | list[FieldError], what: str) -> None:
    lines = sorted({e.line for e in errors})
    click.echo(f"{what} refused: nothing was written. {len(errors)} problem(s) "
               f"on {len(lines)} line(s):", err=True)
    for error in list(errors)[:_MAX_ERRORS_SHOWN]:
        click.echo(f"  {error}", err=True)
    if len(errors) > _MAX_ERRORS_SHOWN:
        click.echo(f"  ... and {len(errors) - _MAX_ERRORS_SHOWN} more", err=True)


def _echo_plan(plan: ImportPlan, rows: int) -> None:
    counts = plan.counts()
    click.echo(f"{rows} listing(s) read: {counts['add']} to add, {counts['update']} to "
               f"update, {counts['deactivate']} to deactivate, {counts['unchanged']} unchanged")


@click.group("resources")
def resources_group() -> None:
    """Resource listings: CSV import and export, HSDS import."""


@resources_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="check and show what would change; write nothing")
@click.option("--deactivate-missing", is_flag=True,
              help="also deactivate active listings that are not in the file")
@click.option("--actor", default=None, help="name recorded in the audit log (default: cli:USER)")
@with_appcontext
def import_command(file: Path, dry_run: bool, deactivate_missing: bool,
                   actor: str | None) -> None:
    """Import a listings CSV (DESIGN.md columns); all or nothing, updates by id."""
    data = file.read_bytes()
    estimated_rows = max(data.count(b"\n") - 1, 1)
    with click.progressbar(length=estimated_rows, label="Checking", file=sys.stderr) as bar:
        parsed = read_listings_csv(data, progress=bar.update)
    if not parsed.ok:
        _echo_errors(parsed.errors, "Import")
        sys.exit(1)
    with get_database().sessions() as session:
        plan = plan_import(session, parsed.records, deactivate_missing=deactivate_missing)
        _echo_plan(plan, parsed.rows)
        if dry_run:
            click.echo("dry run: nothing written")
            return
        with click.progressbar(length=max(len(plan.changes), 1), label="Writing",
                               file=sys.stderr) as bar:
            written = apply_import(session, plan, actor=actor or _default_actor(),
                                   source="cli", progress=bar.update)
        session.commit()
    note = " (see the audit log)" if written else ""
    click.echo(f"imported: {written} listing(s) written{note}")


@resources_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--category", type=click.Choice(CATEGORIES), default=None)
@click.option("--state", default=None, help="two-letter state code of the listing's address")
@click.option("--active-only", is_flag=True, help="leave out inactive listings")
@with_appcontext
def export_command(file: str, category: str | None, state: str | None,
                   active_only: bool) -> None:
    """Export listings as CSV (FILE, or - for standard output)."""
    query = listings_query(category=category, state=state, active=True if active_only else None)
    with get_database().sessions() as session:
        if file == "-":
            count = export_listings_csv(session, sys.stdout, query)
        else:
            with open(file, "w", encoding="utf-8", newline="") as stream:
                count = export_listings_csv(session, stream, query)
    click.echo(f"exported {count} listing(s) to {file}", err=True)


@resources_group.command("import-hsds")
@click.argument("path", metavar="DIR_OR_JSON", type=click.Path(exists=True, path_type=Path))
@click.option("--skip-invalid", is_flag=True,
              help="import the usable records and list the skipped ones")
@click.option("--dry-run", is_flag=True, help="check and report; write nothing")
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=None, help="taxonomy mapping YAML (default: the one Harbor ships)")
@click.option("--actor", default=None, help="name recorded in the audit log (default: cli:USER)")
@with_appcontext
def import_hsds_command(path: Path, skip_invalid: bool, dry_run: bool,
                        mapping: Path | None, actor: str | None) -> None:
    """Import an HSDS 3 tabular package (CSV + datapackage.json) or HSDS JSON file(s)."""
    try:
        result = read_hsds(path, taxonomy_map=load_taxonomy_map(mapping))
    except HsdsImportError as exc:
        click.echo(f"Import refused: nothing was written. {exc}", err=True)
        sys.exit(1)
    for note in result.notes[:_MAX_ERRORS_SHOWN]:
        click.echo(f"note: {note}", err=True)
    if len(result.notes) > _MAX_ERRORS_SHOWN:
        click.echo(f"note: ... and {len(result.notes) - _MAX_ERRORS_SHOWN} more", err=True)
    click.echo(f"{len(result.records) + len(result.rejected)} HSDS service record(s) found: "
               f"{len(result.records)} usable, {len(result.rejected)} unusable")
    for rejected in result.rejected:
        click.echo(f"  unusable {rejected.kind} {rejected.record_id} ({rejected.source}):",
                   err=True)
        for reason in rejected.reasons:
            click.echo(f"    - {reason}", err=True)
    if result.rejected and not skip_invalid:
        click.echo("Import refused: nothing was written (fix the records above, or use "
                   "--skip-invalid to import the usable ones).", err=True)
        sys.exit(1)
    if not result.records:
        click.echo("nothing to import" + (" (all records skipped)" if result.rejected else ""))
        return
    with get_database().sessions() as session:
        hsds_plan = plan_hsds_import(session, result)
        for note in hsds_plan.notes:
            click.echo(f"note: {note}", err=True)
        plan = hsds_plan.plan
        _echo_plan(plan, len(result.records))
        if hsds_plan.retired:
            click.echo("listings of these services that the package no longer gives (a "
                       f"location added or dropped), to deactivate: {len(hsds_plan.retired)}")
            for listing_id in hsds_plan.retired[:_MAX_ERRORS_SHOWN]:
                click.echo(f"  {listing_id}")
            if len(hsds_plan.retired) > _MAX_ERRORS_SHOWN:
                click.echo(f"  ... and {len(hsds_plan.retired) - _MAX_ERRORS_SHOWN} more")
        if dry_run:
            click.echo("dry run: nothing written")
            return
        written = apply_import(session, plan, actor=actor or _default_actor(), source="hsds")
        store_hsds_details(session, result.records)
        session.commit()
    skipped = f", {len(result.rejected)} skipped" if result.rejected else ""
    click.echo(f"imported: {written} listing(s) written{skipped}")


COMMANDS = [resources_group]
