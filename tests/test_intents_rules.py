"""The rule files: every one passes the schema check, a malformed one is refused with a
message naming the file and the field, and every example classifies as its own intent."""

from __future__ import annotations

import shutil

import pytest

from intents import classify
from intents.rules import (
    FAMILIES_FILE,
    GROUPS,
    RULES_DIRECTORY,
    TAXONOMY_IDS,
    RuleFileError,
    load_families,
    load_rule_file,
    load_rules,
)

RULE_FILES = sorted(RULES_DIRECTORY.glob("*.yaml"))


def test_there_is_one_rule_file_per_taxonomy_intent():
    assert {path.stem for path in RULE_FILES} >= set(TAXONOMY_IDS)
    assert len(load_rules()) == len(RULE_FILES)


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_every_rule_file_passes_the_schema_check(path):
    rule = load_rule_file(path)
    assert rule.id == path.stem
    assert rule.group in GROUPS
    assert rule.description


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda path: path.name)
def test_every_rule_file_speaks_both_languages(path):
    rule = load_rule_file(path)
    if rule.group == "fallback":
        return
    for language in ("en", "es"):
        assert rule.languages[language].examples, f"{path.name}: no {language} example"


def _examples():
    for path in RULE_FILES:
        rule = load_rule_file(path)
        for language, block in rule.languages.items():
            for example in block.examples:
                yield pytest.param(rule.id, example, id=f"{rule.id}-{language}-{example[:30]}")


@pytest.mark.parametrize(("intent", "example"), list(_examples()))
def test_every_example_in_a_rule_file_classifies_as_its_intent(intent, example):
    assert classify(example).intent == intent


GOOD = """\
id: {id}
group: need
description: A test intent.
en:
  keywords: [shelter]
  examples: [I need a shelter]
es:
  keywords: [refugio]
  examples: [necesito un refugio]
"""


@pytest.mark.parametrize(("text", "field", "problem"), [
    ("id: [unclosed", "line 1", "not valid YAML"),
    ("- just\n- a list\n", "file", "mapping"),
    (GOOD.replace("group: need", "group: urgent"), "group", "not one of"),
    (GOOD.replace("id: {id}", "id: someone_else"), "id", "file name"),
    (GOOD.replace("description: A test intent.\n", ""), "description", "required"),
    (GOOD.replace("  keywords: [shelter]", "  keywords: shelter"), "en.keywords",
     "expected a list"),
    (GOOD.replace("  keywords: [shelter]", "  keywords: [shelter, [nested]]"),
     "en.keywords[1]", "expected text"),
    (GOOD.replace("  keywords: [shelter]", "  keywords: [shelter, yes]"),
     "en.keywords[1]", "expected text"),
    (GOOD.replace("  keywords: [shelter]", "  keywords: ['she*lter']"), "en.keywords[0]",
     "'*' may only end a word"),
    (GOOD.replace("  keywords: [shelter]", "  keywords: ['a*']"), "en.keywords[0]",
     "3 letters"),
    (GOOD.replace("  keywords: [refugio]", "  keywords: ['']"), "es.keywords[0]", "empty"),
    (GOOD.replace("  keywords: [refugio]", "  keywords: [refugio]\n  synonyms: [casa]"),
     "es.synonyms", "unknown field"),
    (GOOD.replace("  examples: [necesito un refugio]", "  examples: []"), "es.examples",
     "at least one example"),
    (GOOD + "fr:\n  keywords: [abri]\n", "fr", "unknown field"),
    (GOOD + "whole_message: [shelter]\n", "whole_message", "expected en: and es:"),
    (GOOD + "whole_message:\n  de: [hilfe]\n", "whole_message.de", "unknown language"),
])
def test_a_malformed_rule_file_is_refused_naming_the_file_and_field(tmp_path, text, field,
                                                                      problem):
    path = tmp_path / "test_intent.yaml"
    path.write_text(text.replace("{id}", "test_intent"), encoding="utf-8")
    with pytest.raises(RuleFileError) as raised:
        load_rule_file(path)
    message = str(raised.value)
    assert message.startswith("test_intent.yaml: ")
    assert f": {field}: " in message
    assert problem in message


def test_the_good_template_itself_is_accepted(tmp_path):
    path = tmp_path / "test_intent.yaml"
    path.write_text(GOOD.replace("{id}", "test_intent"), encoding="utf-8")
    assert load_rule_file(path).languages["en"].keywords == ("shelter",)


def _copy_families(tmp_path):
    (tmp_path / FAMILIES_FILE).parent.mkdir(parents=True)
    shutil.copy(RULES_DIRECTORY / FAMILIES_FILE, tmp_path / FAMILIES_FILE)


def test_a_missing_rule_file_is_refused(tmp_path):
    _copy_families(tmp_path)
    for path in RULE_FILES:
        if path.stem != "shelter":
            shutil.copy(path, tmp_path / path.name)
    with pytest.raises(RuleFileError, match=r"shelter\.yaml: file: missing rule file"):
        load_rules(tmp_path)


def test_a_whole_message_keyword_claimed_by_two_intents_is_refused(tmp_path):
    _copy_families(tmp_path)
    for path in RULE_FILES:
        shutil.copy(path, tmp_path / path.name)
    menu = tmp_path / "menu.yaml"
    menu.write_text(menu.read_text(encoding="utf-8").replace("en: [menu,", "en: [menu, stop,"),
                    encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"whole_message\.en\[\d+\]: 'stop' is already"):
        load_rules(tmp_path)


FAMILY_RULE = """id: test_intent
group: safety
description: A test.
en:
  keywords: ["{abuser} is in {room}"]
  reports: ["{abuser} hit* me"]
  examples: [he is in my room]
es:
  keywords: ["{abuser} esta en {room}"]
  examples: [el esta en mi cuarto]
"""
FAMILIES = """en:
  abuser: [he, my ex]
  room: [my room, the yard]
es:
  abuser: [el]
  room: [mi cuarto]
"""


def test_a_word_family_in_braces_stands_for_each_of_its_phrases(tmp_path):
    (tmp_path / FAMILIES_FILE).parent.mkdir()
    (tmp_path / FAMILIES_FILE).write_text(FAMILIES, encoding="utf-8")
    path = tmp_path / "test_intent.yaml"
    path.write_text(FAMILY_RULE, encoding="utf-8")
    rule = load_rule_file(path)
    assert rule.languages["en"].keywords == (
        "he is in my room", "he is in the yard", "my ex is in my room", "my ex is in the yard")
    assert rule.languages["en"].reports == ("he hit* me", "my ex hit* me")
    assert rule.languages["es"].keywords == ("el esta en mi cuarto",)


def test_an_unknown_word_family_is_refused_by_name(tmp_path):
    (tmp_path / FAMILIES_FILE).parent.mkdir()
    (tmp_path / FAMILIES_FILE).write_text(FAMILIES.replace("room:", "place:"),
                                          encoding="utf-8")
    path = tmp_path / "test_intent.yaml"
    path.write_text(FAMILY_RULE, encoding="utf-8")
    with pytest.raises(RuleFileError, match=r"en\.keywords\[0\]: \{room\} is not a word family"):
        load_rule_file(path)


def test_the_shipped_families_are_used_by_the_rule_files():
    families = load_families(RULES_DIRECTORY / FAMILIES_FILE)
    assert {"abuser", "home_place", "means", "ending", "past_time"} <= set(families["en"])
    assert set(families["en"]) == set(families["es"])
