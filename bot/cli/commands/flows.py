"""`harbor test-flows`: run the conversation transcripts of tests/conversations.

By default they run on a scratch database (SQLite, or a database of its own on the
PostgreSQL server given with --database-url) loaded with the demo listings, so the
results do not depend on what the live listings hold. `--app-database` runs them on
the app's own database instead (under the console namespace: never counted, and each
conversation erased when it ends). Either way they run with the published version of the
rules and reply texts (`harbor rules`), as the workers do.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext


def _report(results, verbose: bool) -> int:
    failed = 0
    for result in results:
        mark = "PASS" if result.passed else "FAIL"
        click.echo(f"{mark} {result.name} ({result.channel})")
        if not result.passed:
            failed += 1
            click.echo(f"     {result.first_difference}")
        if verbose or not result.passed:
            for record in result.turns:
                sent = f"(retry) {record.send}" if record.retry else record.send
                click.echo(f"     > {sent}   [{record.intent} -> {record.step}]")
                for reply in record.replies:
                    for line in reply.split("\n"):
                        click.echo(f"       {line}")
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    return failed


@click.command("test-flows")
@click.option("--directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="folder of transcripts (default: tests/conversations)")
@click.option("--name", "names", multiple=True, help="run only transcripts with this name")
@click.option("--database-url", default=None,
              help="PostgreSQL server for the scratch database (default: a SQLite file)")
@click.option("--app-database", is_flag=True,
              help="run on the app's own database and listings instead of a scratch one")
@click.option("-v", "--verbose", is_flag=True, help="print every reply")
@with_appcontext
def test_flows(directory: Path | None, names: tuple[str, ...], database_url: str | None,
               app_database: bool, verbose: bool) -> None:
    """Run the conversation transcripts and report each; exit 1 if any fails."""
    from bot.cli.commands.intents import use_live_version
    from bot.conversations.transcripts import TRANSCRIPTS_DIRECTORY, load_transcripts, run_all
    from bot.database import get_database
    from resources_db.database import make_engine, make_session_factory, scratch_database
    from resources_db.demo import load_demo_listings

    use_live_version()  # the published rules and texts, as the workers have them
    transcripts = load_transcripts(directory or TRANSCRIPTS_DIRECTORY)
    if names:
        transcripts = [t for t in transcripts if t.name in names]
        if not transcripts:
            raise click.ClickException(f"no transcript named {', '.join(names)}")
    config = current_app.config
    if app_database:
        with get_database().sessions() as session:
            results = run_all(session, config, transcripts)
            session.commit()
    else:
        with scratch_database(database_url, prefix="harbor_flows") as url:
            engine = make_engine(url)
            try:
                with make_session_factory(engine)() as session:
                    load_demo_listings(session)
                    session.commit()
                    results = run_all(session, config, transcripts)
                    session.rollback()
            finally:
                engine.dispose()
    if _report(results, verbose):
        sys.exit(1)


COMMANDS = [test_flows]
