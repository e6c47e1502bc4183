"""`harbor classify TEXT` and `harbor eval intents FILE`: the intent engine from a terminal.

`classify` prints the Classification as JSON (what the conversation engine receives).
`eval intents` prints accuracy, precision and recall per intent and the confusion pairs
with their messages, so an advocate can see which rule file to change. Both read the
published version of the rules from the database (`harbor rules`), as the workers do,
and neither logs the message.
"""

from __future__ import annotations

import json
import sys

import click


def use_live_version() -> None:
    """Classify with the published version, as the workers do (the shipped files if none)."""
    from flask import current_app
    from flask.cli import NoAppException, ScriptInfo
    from sqlalchemy.exc import SQLAlchemyError

    from bot.publishing import live

    app = current_app._get_current_object() if current_app else None
    if app is None:
        try:
            app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        except NoAppException:
            return  # run on its own, with no app to ask: the shipped rules
    try:
        live.refresh(app, force=True)
    except SQLAlchemyError:
        click.echo("warning: the database did not answer; using the shipped rules", err=True)


@click.command("classify")
@click.argument("text", nargs=-1, required=True)
@click.option("--explain", is_flag=True, help="also print which rule words matched")
def classify_command(text: tuple[str, ...], explain: bool) -> None:
    """Classify TEXT and print the Classification as JSON."""
    from intents import classify
    from intents.matcher import compiled_rules

    use_live_version()
    message = " ".join(text)
    result = classify(message).to_dict()
    if explain:
        result["explanation"] = compiled_rules().explain(message)
    click.echo(json.dumps(result, ensure_ascii=False, indent=2))


@click.group("eval")
def eval_group() -> None:
    """Measure Harbor's matchers against labelled files."""


@eval_group.command("intents")
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False))
@click.option("--min-accuracy", type=float, default=None,
              help="exit with status 1 when top-1 accuracy is below this share (0-1)")
@click.option("--cross-validated", "folds", type=int, default=0,
              help="read each row with a second opinion trained without it (this many "
                   "folds): what the shipped model would make of messages it never saw")
@click.option("--rules-only", is_flag=True, help="leave the second opinion out")
@click.option("--figures-only", is_flag=True,
              help="print counts only, no message (how the locked test part is read)")
def eval_intents_command(file: str | None, min_accuracy: float | None, folds: int,
                         rules_only: bool, figures_only: bool) -> None:
    """Evaluate classify() on FILE (TSV: text, labels[, lang, zip, city, state])."""
    use_live_version()
    from intents.evaluation import DEV_SET, evaluate, format_report, read_evaluation_file

    path = file or str(DEV_SET)
    try:
        rows = read_evaluation_file(path)
    except (OSError, ValueError) as error:
        raise click.ClickException(str(error)) from error
    classifier = None
    if rules_only:
        from intents.reading import read

        def classifier(text):
            return read(text, None)
    elif folds > 1:
        from intents.training import reader_that_never_saw

        classifier = reader_that_never_saw(rows, folds)
    report = evaluate(rows, classifier)
    click.echo(format_report(report, source=path, figures_only=figures_only))
    if min_accuracy is not None and report.accuracy < min_accuracy:
        sys.exit(1)


@click.group("intents")
def intents_group() -> None:
    """The intent engine's learned second opinion."""


@intents_group.command("train")
@click.option("--folds", type=int, default=0,
              help="first print the cross-validated accuracy over this many folds")
def train_command(folds: int) -> None:
    """Retrain intents/data/second_opinion.npz from the tuning corpus (never the locked part)."""
    from intents.second_opinion import MODEL_PATH
    from intents.training import build, cross_validated, training_rows

    rows = training_rows()
    if folds > 1:
        found = cross_validated(rows, folds)
        right = sum(opinion.best()[0] in row.labels for row, opinion in found)
        click.echo(f"cross-validated (model alone): {right}/{len(found)}")
    model = build(rows)
    model.save(MODEL_PATH)
    click.echo(f"wrote {MODEL_PATH} ({len(model.vocabulary)} features, {len(rows)} rows)")


COMMANDS = [classify_command, eval_group, intents_group]
