"""The intent engine's contract: classify(), the matching order, exit, entities, dev accuracy."""

from __future__ import annotations

import json
from dataclasses import FrozenInstanceError

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

import intents
from intents import Classification, classify
from intents.evaluation import (
    DEV_SET,
    PACKAGED_DEV_SET,
    SHARED_DEV_SET,
    evaluate,
    read_evaluation_file,
)
from intents.matcher import EXIT_MIN_LETTERS, compiled_rules
from intents.normalization import normalize
from intents.rules import TAXONOMY_IDS
from resources_db import geography


def _dev_rows():
    return read_evaluation_file(DEV_SET)


def test_the_packaged_dev_set_is_the_shared_one():
    """The copy in intents/data/ is what a clean clone (CI) measures: never a drifted one."""
    assert PACKAGED_DEV_SET.exists()
    if SHARED_DEV_SET.exists():
        assert DEV_SET == SHARED_DEV_SET
        assert PACKAGED_DEV_SET.read_bytes() == SHARED_DEV_SET.read_bytes()
    else:
        assert DEV_SET == PACKAGED_DEV_SET


# -- the Classification contract ---------------------------------------------------------


def test_classification_is_a_frozen_json_ready_result():
    result = classify("necesito un refugio en Dallas TX")
    assert isinstance(result, Classification)
    assert result.intent == "shelter"
    assert result.language == "es"
    assert result.entities == {"city": "Dallas", "state": "TX"}
    assert 0 <= result.score <= 100
    with pytest.raises(FrozenInstanceError):
        result.intent = "unknown"
    data = json.loads(json.dumps(result.to_dict()))
    assert data["intent"] == "shelter"
    assert set(data) == {"intent", "score", "language", "entities", "alternatives", "safety",
                         "safety_score", "needs", "who", "urgency", "subject"}
    assert data["needs"][0] == "shelter" and data["safety"] == ""
    assert all(len(pair) == 2 for pair in data["alternatives"])


@pytest.mark.parametrize("text", [
    "EXIT", "STOP", "hola", "52401", "he has a gun", "I need a lawyer", "asdfgh", "",
    "shelter in St. Louis please", "   ", "🙂🙂", "necesito ayuda con la renta",
])
def test_every_classification_is_well_formed_and_has_three_ranked_alternatives(text):
    result = classify(text)
    assert result.intent in TAXONOMY_IDS
    assert isinstance(result.score, int) and 0 <= result.score <= 100
    assert result.language in ("en", "es")
    assert set(result.entities) <= {"zip", "city", "state"}
    assert len(result.alternatives) == 3
    assert result.intent not in [intent for intent, _ in result.alternatives]
    scores = [score for _, score in result.alternatives]
    assert scores == sorted(scores, reverse=True)
    assert all(intent in TAXONOMY_IDS and 0 <= score <= 100
               for intent, score in result.alternatives)


def test_alternatives_name_the_runner_up_for_the_console():
    result = classify("i need a lawyer and a place to stay")
    assert result.intent in ("legal", "shelter")
    runner_up = result.alternatives[0]
    assert runner_up[0] in ("legal", "shelter") and runner_up[0] != result.intent
    assert runner_up[1] >= 55


def test_rules_are_compiled_once_and_shared():
    first = compiled_rules()
    classify("hello")
    classify("I need a shelter")
    assert compiled_rules() is first


def test_a_message_without_a_place_does_not_rebuild_the_place_index():
    intents.warm_up()
    builds = geography._index.cache_info().misses
    for _ in range(3):
        classify("i need someone to talk to")
    assert geography._index.cache_info().misses == builds


# -- normalization -----------------------------------------------------------------------


@pytest.mark.parametrize(("text", "words"), [
    ("HELPPP!!!", ["helpp"]),
    ("Menú", ["menu"]),
    ("ESPAÑOL", ["espanol"]),
    ("he's outside", ["he", "is", "outside"]),
    ("i dont know", ["i", "do", "not", "know"]),
    ("u there? pls", ["you", "there", "please"]),
    ("idk what 2 do rn", ["i", "do", "not", "know", "what", "2", "do", "right", "now"]),
    ("my bf hit me", ["my", "boyfriend", "hit", "me"]),
    ("xq no me ayudas", ["porque", "no", "me", "ayudas"]),
    ("q hago x favor", ["que", "hago", "por", "favor"]),
    ("  Ayúdame   ", ["ayudame"]),
    ("plzzz", ["please"]),
])
def test_normalization(text, words):
    assert normalize(text) == words


@pytest.mark.parametrize(("text", "intent"), [
    ("helppp", "help"),
    ("HEEELP", "help"),
    ("hellooo", "greeting"),
    ("graciass", "thanks"),
    ("i need a shelterrr", "shelter"),
    ("i ned a sheltr", "shelter"),
    ("my landlrod is evcting me", "housing"),
    ("necesito un abogdo", "legal"),
    ("he is bangin on the dor", "emergency"),
])
def test_repeated_letters_and_typos_still_match(text, intent):
    assert classify(text).intent == intent


# -- exit: never missed, never guessed ---------------------------------------------------


def _exit_keywords() -> list[str]:
    return sorted(compiled_rules().exit_words)


def _one_edit_variants(word: str) -> set[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    variants = set()
    for position in range(len(word) + 1):
        for letter in letters:
            variants.add(word[:position] + letter + word[position:])
    for position in range(len(word)):
        variants.add(word[:position] + word[position + 1:])
        for letter in letters:
            variants.add(word[:position] + letter + word[position + 1:])
    for position in range(len(word) - 1):
        variants.add(word[:position] + word[position + 1] + word[position] + word[position + 2:])
    return {variant for variant in variants if variant and OSA.distance(variant, word) <= 1}


def test_exit_keywords_cover_english_and_spanish():
    assert {"exit", "clear", "salir", "borrar"} <= set(_exit_keywords())
    assert all(len(word) >= EXIT_MIN_LETTERS for word in _exit_keywords())


@pytest.mark.parametrize("keyword", ["exit", "clear", "salir", "borrar", "erase", "delete"])
def test_every_one_word_message_within_one_edit_of_an_exit_keyword_is_exit(keyword):
    missed = [variant for variant in sorted(_one_edit_variants(keyword))
              if classify(variant).intent != "exit"]
    assert missed == []


@pytest.mark.parametrize("text", [
    "EXIT", "exit", "Exit.", "  exit  ", "exit!!", "Exitt", "exti", "clera", "CLEAR", "Salir",
    "SALIR!", "borrar", "¡Borrar!", "EXIT EXIT", "exit now", "borrar todo", "clear all",
    "delete", "salri", "eixt",
])
def test_exit(text):
    assert classify(text).intent == "exit"
    assert classify(text).score >= 90


@pytest.mark.parametrize(("text", "intent"), [
    ("stop he is hurting me", "emergency"),
    ("I want to exit this relationship", "safety_planning"),
    ("I need to stop drinking", "substance_use"),
    ("how do i exit safely", "safety_planning"),
    ("salir de la casa sin que se de cuenta", "safety_planning"),
    ("how do i delete my search history", "safety_planning"),
])
def test_a_sentence_about_something_else_is_not_exit(text, intent):
    result = classify(text)
    assert result.intent != "exit"
    if intent:
        assert result.intent == intent


@pytest.mark.parametrize("text", ["please clear everything now", "exit exit exit",
                                  "borrar todo por favor ya"])
def test_exit_words_with_filler_words_are_exit(text):
    # The taxonomy's updated rule: filler words around an exit word do not make a sentence.
    assert classify(text).intent == "exit"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["exit", "clear", "salir", "borrar", "now", "please", "todo",
                                 "he", "is", "here", "x", "stop"]),
                min_size=2, max_size=5),
       st.sampled_from(["relationship", "marriage", "de la casa", "from him", "this house"]))
def test_property_exit_words_about_leaving_something_are_never_exit(words, leaving):
    assert classify(" ".join([*words, leaving])).intent != "exit"


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["exit", "clear", "salir", "borrar", "erase", "delete"]),
       st.integers(min_value=0, max_value=7), st.sampled_from("abcdefghijklmnopqrstuvwxyz"),
       st.sampled_from(["insert", "delete", "replace", "swap"]),
       st.sampled_from(["", "!", ".", "  ", "!!!"]), st.booleans())
def test_property_one_typo_in_an_exit_keyword_is_exit(word, position, letter, edit,
                                                        punctuation, upper):
    position = position % len(word)
    if edit == "insert":
        typed = word[:position] + letter + word[position:]
    elif edit == "delete":
        typed = word[:position] + word[position + 1:]
    elif edit == "replace":
        typed = word[:position] + letter + word[position + 1:]
    else:
        position = min(position, len(word) - 2)
        typed = word[:position] + word[position + 1] + word[position] + word[position + 2:]
    typed = (typed.upper() if upper else typed) + punctuation
    assert classify(typed).intent == "exit"


# -- control words: whole message only -----------------------------------------------------


@pytest.mark.parametrize(("text", "intent"), [
    ("STOP", "opt_out"), ("stop.", "opt_out"), ("Unsubscribe", "opt_out"), ("QUIT", "opt_out"),
    ("cancel", "opt_out"), ("END", "opt_out"), ("STOPALL", "opt_out"),
    ("START", "opt_in"), ("unstop", "opt_in"),
    ("HELP", "help"), ("info", "help"), ("ayuda", "help"),
    ("menu", "menu"), ("0", "menu"), ("menú por favor", "menu"), ("start over", "menu"),
    ("more", "more"), ("más", "more"), ("next", "more"),
    ("español", "language"), ("english please", "language"),
    ("hola", "greeting"), ("hi there", "greeting"),
    ("thanks!", "thanks"), ("gracias", "thanks"), ("bye", "thanks"),
])
def test_control_keywords_as_the_whole_message(text, intent):
    assert classify(text).intent == intent


@pytest.mark.parametrize(("text", "not_intent"), [
    ("stpo", "opt_out"),  # carriers act on the exact word only
    ("please stop texting me so much", "opt_out"),
    ("i need to end this relationship", "opt_out"),
    ("how do i start over after leaving", "opt_in"),
    ("is there a head start near me", "opt_in"),
    ("help he is hitting me", "help"),
    ("i need more money for food", "more"),
    ("he will be back next week", "more"),
    ("whats on the menu at the shelter", "menu"),
    ("hi i need a shelter tonight", "greeting"),
    ("hola necesito ayuda con la renta", "greeting"),
    ("thanks but i still need a lawyer", "thanks"),
    ("my english is not good i need a doctor", "language"),
    ("quit drinking", "opt_out"),
    ("cancel my lease", "opt_out"),
])
def test_a_sentence_containing_a_control_word_is_not_that_control(text, not_intent):
    assert classify(text).intent != not_intent


# -- safety wins ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "intent"), [
    ("I need a shelter but he's here now with a gun", "emergency"),
    ("he is outside, i need a lawyer and a place to stay", "emergency"),
    ("necesito un abogado pero me quiere matar", "emergency"),
    ("i lost my job and i want to kill myself", "self_harm"),
    ("no tengo dinero y ya no quiero vivir", "self_harm"),
    ("me quiere matar", "emergency"),
    ("me quiero matar", "self_harm"),
    ("he says he will kill himself if i leave", "safety_planning|is_this_abuse"),
])
def test_safety_wins_over_needs(text, intent):
    assert classify(text).intent in intent.split("|")


# -- entities ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "entities"), [
    ("52401", {"zip": "52401", "city": None, "state": None}),
    ("shelter near 50309 please", {"zip": "50309"}),
    ("Kansas City MO", {"city": "Kansas City", "state": "MO"}),
    ("i live in El Paso TX", {"city": "El Paso", "state": "TX"}),
    ("refugio en Dallas", {"city": "Dallas", "state": None}),  # Dallas TX, GA, OR...: ask
    ("I'm in Louisville", {"city": "Louisville"}),
    ("Springfield, Missouri", {"city": "Springfield", "state": "MO"}),
    ("i want to hurt myself", {"city": None, "state": None}),
    ("help with a deposit for a new place", {"city": None, "state": None}),
    ("english", {"city": None, "state": None}),
    ("Hurt, VA", {"city": "Hurt", "state": "VA"}),
    ("i need a lawyer in Texas", {"city": None, "state": "TX"}),
])
def test_place_entities(text, entities):
    found = classify(text).entities
    for key, value in entities.items():
        assert found.get(key) == value, key


@pytest.mark.parametrize(("text", "language"), [
    ("necesito ayuda", "es"), ("I need help", "en"), ("ESPAÑOL", "es"), ("spanish", "en"),
    ("necesito un shelter", "es"), ("i need un abogado please", "en"), ("salir", "es"),
    ("EXIT", "en"), ("jajaja", "es"), ("52401", "en"), ("menú", "es"),
])
def test_language_of_the_message(text, language):
    assert classify(text).language == language


# -- quality on the shared dev set -------------------------------------------------------


def test_dev_set_top1_accuracy_is_at_least_95_percent():
    report = evaluate(_dev_rows())
    assert report.accuracy >= 0.95, list(report.misses)


@pytest.mark.parametrize("intent", ["exit", "emergency", "self_harm"])
def test_dev_set_safety_rows_are_all_right(intent):
    rows = [row for row in _dev_rows() if intent in row.labels]
    assert rows
    wrong = [(row.text, classify(row.text).intent) for row in rows
             if classify(row.text).intent not in row.labels]
    assert wrong == []


def test_dev_set_every_zip_and_nine_in_ten_places_found():
    report = evaluate(_dev_rows())
    found, labelled = report.places["zip"]
    assert found == labelled > 0
    for key in ("city", "state"):
        found, labelled = report.places[key]
        assert found >= 0.9 * labelled


def test_dev_set_language():
    report = evaluate(_dev_rows())
    assert report.language_correct >= 0.95 * report.language_checked
