"""The text catalogs (bot/texts/catalogs/<language>.yaml): the same keys in every
language, placeholders intact, every SMS text within the SMS rules in every language,
and English replies at a grade-6 reading level in sentences of 15 words or fewer."""

from __future__ import annotations

import re
import string

import pytest
import textstat

from bot.engine import render_for_channel
from bot.texts import replies
from bot.texts.sms_text import segment_info

ENGLISH = replies.CATALOGS["en"]
OTHERS = [code for code in replies.CATALOGS if code != "en"]
SAMPLE_VALUES = {"need": "a safe place to stay", "place": "52404 (Cedar Rapids, IA)",
                 "city": "Springfield", "state": "MO", "states": "IL, MO, MA, OH, MI, TN",
                 "radius": 100, "ttl": 30, "name": "Long Named Family Resource Center",
                 "phone": "319-555-0101", "town": "Cedar Rapids", "hotline": "1-800-799-7233",
                 "next": "Reply MORE for more, MENU to start over.", "minutes": 14,
                 "program": "Cedar Valley Family Advocates", "names": "Maria / Alexandra",
                 "who": "Maria / Alexandra, advocates with Cedar Valley Family Advocates",
                 "shared": "that you need a safe place to stay, near 52404 (Cedar Rapids, "
                           "IA), that you write in English",
                 "number": 2, "count": 3, "age": "2 h", "hours": 2}
MAX_GRADE = 6
MAX_SENTENCE_WORDS = 15


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def test_english_and_spanish_catalogs_are_there():
    assert {"en", "es"} <= set(replies.CATALOGS)
    assert replies.LANGUAGES[0] == "en"


@pytest.mark.parametrize("language", OTHERS)
@pytest.mark.parametrize("part", ["replies", "needs", "page", "safety"])
def test_every_key_is_in_every_catalog(language, part):
    english = set(getattr(ENGLISH, part))
    other = set(getattr(replies.CATALOGS[language], part))
    assert sorted(english - other) == [], f"missing in {language}.yaml {part}"
    assert sorted(other - english) == [], f"only in {language}.yaml {part}"
    if part == "safety":  # the lists hold as many items in every language
        for key, value in getattr(ENGLISH, part).items():
            if isinstance(value, list):
                assert len(getattr(replies.CATALOGS[language], part)[key]) == len(value), key


@pytest.mark.parametrize("language", OTHERS)
def test_placeholders_are_the_same_in_every_language(language):
    catalog = replies.CATALOGS[language]
    for part in ("replies", "needs", "page"):
        for key, english in getattr(ENGLISH, part).items():
            assert placeholders(getattr(catalog, part)[key]) == placeholders(english), \
                f"{language}.yaml {part}.{key}"


@pytest.mark.parametrize("language", replies.LANGUAGES)
def test_every_sms_text_keeps_the_rules_in_its_encoding(language):
    for key in replies.TEXTS[language]:
        text = replies.say(language, key, **SAMPLE_VALUES)
        sent = render_for_channel(text, language, "sms")
        assert segment_info(sent).segments <= 3, (language, key, segment_info(sent))
        assert replies.reveals_on_lock_screen(sent) == [], (language, key)


def test_a_catalog_missing_a_part_is_refused_by_name(tmp_path):
    (tmp_path / "en.yaml").write_text("language: en\nname: English\nreview: approved\n"
                                      "replies: {}\nneeds: {}\n")
    with pytest.raises(ValueError, match="en.yaml.*page"):
        replies.load_catalogs(tmp_path)


def reading(text: str) -> tuple[float, int]:
    """Return the text's grade level and its longest sentence in words. A list (the
    menu) is read line by line; a label of three words or fewer has no grade."""
    lines = [line for line in text.splitlines() if line.strip()]
    pieces = lines if len(lines) >= 4 else [text]
    sentences = [s for piece in pieces for s in re.split(r"(?<=[.!?])\s+", piece) if s.strip()]
    longest = max(len(sentence.split()) for sentence in sentences)
    graded = [piece for piece in pieces if len(piece.split()) > 3]
    grade = max((textstat.flesch_kincaid_grade(piece) for piece in graded), default=0.0)
    return grade, longest


def test_english_replies_read_at_grade_six_in_short_sentences(capsys):
    too_hard = {}
    with capsys.disabled():
        print("\nreading level of the English replies (grade, longest sentence):")
        for key, template in ENGLISH.replies.items():
            # A placeholder counts as one word: a place or a name, however long it is.
            grade, longest = reading(re.sub(r"\{\w+\}", "Ames", template))
            print(f"  {key:32} grade {grade:4.1f}  {longest:2d} words")
            if grade > MAX_GRADE or longest > MAX_SENTENCE_WORDS:
                too_hard[key] = (grade, longest)
    assert too_hard == {}


def test_the_reading_check_catches_a_hard_text():
    hard = ("Notwithstanding the aforementioned considerations, individuals experiencing "
            "intimate partner victimization should contemplate comprehensive documentation.")
    grade, longest = reading(hard)
    assert grade > MAX_GRADE or longest > MAX_SENTENCE_WORDS
