"""`harbor classify TEXT`, `harbor eval intents FILE` and the classify benchmark's figures."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bot.cli.commands.intents import classify_command, eval_group
from intents.benchmark import run_classify_benchmark


def test_classify_prints_the_classification_as_json():
    result = CliRunner().invoke(classify_command, ["he", "has", "a", "gun"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["intent"] == "emergency"
    assert data["language"] == "en"
    assert len(data["alternatives"]) == 3


def test_classify_explain_shows_what_matched():
    result = CliRunner().invoke(classify_command, ["--explain", "necesito un abogdo"])
    data = json.loads(result.output)
    assert data["intent"] == "legal"
    assert "abogdo -> abogado" in data["explanation"]["corrected"]
    assert any("abogado" in match for match in data["explanation"]["matches"]["legal"])


def _labelled_file(tmp_path):
    path = tmp_path / "sample.tsv"
    path.write_text(
        "text\tlabels\tlang\tzip\tcity\tstate\n"
        "I need a shelter\tshelter\ten\t\t\t\n"
        "necesito un abogado\tlegal\tes\t\t\t\n"
        "52401\tlocation\ten\t52401\t\t\n"
        "i need a lawyer\tshelter\ten\t\t\t\n",  # mislabelled on purpose: a confusion
        encoding="utf-8",
    )
    return path


def test_eval_intents_prints_accuracy_table_and_confusion_pairs(tmp_path):
    result = CliRunner().invoke(eval_group, ["intents", str(_labelled_file(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "top-1 accuracy: 3/4 = 75.0%" in result.output
    assert "precision" in result.output and "recall" in result.output
    assert "shelter -> legal: 1" in result.output
    assert "'i need a lawyer'" in result.output
    assert "zip found: 1/1" in result.output


def test_eval_intents_can_fail_below_a_minimum_accuracy(tmp_path):
    path = str(_labelled_file(tmp_path))
    assert CliRunner().invoke(eval_group, ["intents", path, "--min-accuracy", "0.9"]).exit_code
    assert not CliRunner().invoke(eval_group, ["intents", path, "--min-accuracy", "0.7"]).exit_code


def test_eval_intents_refuses_a_file_without_the_columns(tmp_path):
    path = tmp_path / "bad.tsv"
    path.write_text("message\tintent\nhello\tgreeting\n", encoding="utf-8")
    result = CliRunner().invoke(eval_group, ["intents", str(path)])
    assert result.exit_code != 0
    assert "text and labels" in result.output


def test_classify_benchmark_reports_figures_per_message(tmp_path):
    figures = run_classify_benchmark(str(_labelled_file(tmp_path)), rounds=2)
    assert figures["messages"] == 4
    assert figures["rounds"] == 2
    assert figures["rule_files"] >= 30
    assert 0 < figures["median_ms"] <= figures["p99_ms"] <= figures["max_ms"]
    assert figures["warm_median_ms"] > 0
