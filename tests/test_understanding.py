"""The reading of unseen messages: the locked corpus, exit in every form, the signals.

`tests/data/corpus/` holds messages written by helpers who never read `intents/` or the
tests, in rounds; each round was split once by a hash of the text into a tuning part
(trained and tuned on) and a locked part (only ever measured, 6,437 rows in all). The
floors below are today's locked figures, so a change that reads unseen messages worse
fails here. They are below the targets of issue 12 (overall 0.95, emergency and
self_harm 0.98, exit 1.00): see the README and docs/UNDERSTANDING.md.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from intents import classify
from intents.evaluation import EvaluationReport, evaluate, read_evaluation_file
from intents.training import LOCKED_FILE, LOCKED_FILES, TUNING_FILES, training_rows

CORPUS = Path(__file__).parent / "data" / "corpus"


@pytest.fixture(scope="module")
def locked_report() -> EvaluationReport:
    return evaluate(read_evaluation_file(CORPUS / "locked.tsv"))


@pytest.fixture(scope="module")
def every_locked_report() -> EvaluationReport:
    return evaluate([row for path in LOCKED_FILES for row in read_evaluation_file(path)])


def test_the_locked_parts_are_large_and_never_trained_on():
    locked = [row for path in LOCKED_FILES for row in read_evaluation_file(path)]
    tuning = {row.text for path in TUNING_FILES for row in read_evaluation_file(path)}
    trained = {" ".join(row.text.lower().split()) for row in training_rows()}
    assert len(locked) >= 4000
    assert not tuning & {row.text for row in locked}
    assert not trained & {" ".join(row.text.lower().split()) for row in locked}
    spanish = sum(row.language == "es" for row in locked)
    assert spanish / len(locked) >= 0.30
    for path in LOCKED_FILES:
        with pytest.raises(ValueError, match="never trained on"):
            training_rows([path])
    with pytest.raises(ValueError, match="never trained on"):
        training_rows([LOCKED_FILE])


def assert_figures_at_least(report: EvaluationReport, *, overall: float, emergency: float,
                            self_harm: float, exit: float, false_alarms: int) -> None:
    figures = (f"overall {report.accuracy:.3f}, "
               f"emergency {report.accuracy_of('emergency'):.3f}, "
               f"self_harm {report.accuracy_of('self_harm'):.3f}, "
               f"exit {report.accuracy_of('exit'):.3f}, false alarms {len(report.false_alarms)}")
    assert report.accuracy >= overall, figures
    assert report.accuracy_of("emergency") >= emergency, figures
    assert report.accuracy_of("self_harm") >= self_harm, figures
    assert report.accuracy_of("exit") >= exit, figures
    assert len(report.false_alarms) <= false_alarms, figures


def test_round_one_locked_figures_do_not_fall(locked_report):
    # 2026-12-02: 0.792, 0.927, 0.724, 0.911 (42 false alarms). 2026-12-04, after rounds
    # 2-7 and the reading's new thresholds: 0.839, 0.932, 0.947, 0.982 (39).
    assert_figures_at_least(locked_report, overall=0.83, emergency=0.93, self_harm=0.94,
                            exit=0.96, false_alarms=45)


def test_every_locked_part_together_does_not_fall(every_locked_report):
    # 2026-12-04, 6,437 rows: 0.785, 0.925, 0.875, 0.923 (374 false alarms).
    assert_figures_at_least(every_locked_report, overall=0.78, emergency=0.92,
                            self_harm=0.87, exit=0.91, false_alarms=385)


def test_an_exit_keeps_the_danger_that_is_its_reason():
    reading = classify("EXIT hes here")
    assert (reading.intent, reading.safety) == ("exit", "danger")
    assert classify("borrar todo").safety == ""


def test_the_safety_signal_is_found_beside_other_intents(every_locked_report):
    # The signal counts where the label is another intent: a need beside danger, or an
    # exit with its reason ("EXIT hes here": exit, and danger). 2026-12-04: danger 0.920,
    # self_harm 0.874.
    found, labelled = every_locked_report.safety_found["danger"]
    assert found / labelled >= 0.91
    found, labelled = every_locked_report.safety_found["self_harm"]
    assert found / labelled >= 0.865


@pytest.mark.parametrize("text, language", [
    ("e x i t", "en"), ("E X I T", "en"), ("s a l i r", "es"), ("exiiiit", "en"),
    ("exit now please", "en"), ("borrar todo por favor", "es"), ("salir ya", "es"),
    ("EXIT 52402", "en"), ("delete my data", "en"), ("erase this chat", "en"),
    ("exit por favor", "es"), ("EXIT he is coming", "en"), ("SALIR", "es"),
])
def test_exit_in_every_form_people_use(text, language):
    reading = classify(text)
    assert (reading.intent, reading.language) == ("exit", language)


@pytest.mark.parametrize("text", [
    "I want to exit this relationship", "how do i exit my marriage safely",
    "quiero salir de la casa sin que se de cuenta", "i need to stop drinking",
])
def test_a_sentence_about_leaving_is_not_exit(text):
    assert classify(text).intent != "exit"


def test_danger_is_found_beside_the_need_the_person_named():
    reading = classify("hes outside with a gun and i need a lawyer for custody")
    assert reading.intent == "emergency"
    assert reading.safety == "danger"
    assert reading.urgency == "now"
    assert "legal" in reading.needs


def test_past_violence_does_not_take_the_need_away():
    reading = classify("he hit me last year, now he filed for custody of my kids")
    assert reading.intent == "legal"
    assert reading.safety == ""
    assert "children" in reading.who


@pytest.mark.parametrize("text", [
    "i need a shelter now", "help now please", "necesito un refugio ahora", "ayuda ya",
    "he is outside right now",
])
def test_now_said_as_now_is_urgent(text):
    assert classify(text).urgency == "now"


@pytest.mark.parametrize("text", [
    "we split up in 2022 and now he wants full custody, do i need a lawyer",
    "me pego hace un año y ahora me quiere quitar a los niños en la corte",
    "ya no vivo con el, necesito ayuda con la renta", "a lawyer for now, maybe later housing",
])
def test_now_that_only_joins_a_story_is_not_urgent(text):
    reading = classify(text)
    assert reading.safety == ""
    assert reading.urgency == ""


def test_someone_else_in_danger_is_other():
    reading = classify("my sister is being beaten by her husband right now")
    assert reading.safety == "danger"
    assert reading.subject == "other"


def test_the_populations_named_are_read():
    reading = classify("i need a shelter tonight for me and my dogs")
    assert reading.intent == "shelter"
    assert reading.who == ("pets",)
    assert reading.urgency == "tonight"


def test_the_reading_as_json_carries_every_signal():
    found = classify("tengo miedo").to_dict()
    assert {"safety", "safety_score", "needs", "who", "urgency", "subject"} <= set(found)


@pytest.mark.parametrize("text", [
    "Hes in my room and he wont stop hitting me, AYUDA", "tengo las pastillas aqui",
    "necesito un abogado para la custodia en Dallas TX 75201", "ok",
])
def test_the_second_opinion_reads_the_features_it_was_trained_on(text):
    # At run time the letter n-grams are looked up without building each feature's
    # name; they must be exactly the features `harbor intents train` fitted on.
    from collections import Counter

    from intents.normalization import fold, normalize_folded
    from intents.second_opinion import features, second_opinion

    model = second_opinion()
    named = Counter(model.index.get(feature) for feature in features(text))
    folded = fold(text)
    fast = Counter(model._feature_numbers(folded, normalize_folded(folded)))
    named.pop(None, None)
    fast.pop(None, None)
    assert fast == named and fast
    assert model.opinion(text).ranked == model.opinion(text, folded,
                                                       normalize_folded(folded)).ranked
