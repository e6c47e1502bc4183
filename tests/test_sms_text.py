"""GSM-7 transliteration and SMS segment counting (bot.texts.sms_text)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.texts.sms_text import is_gsm7, segment_info, to_gsm7


@pytest.mark.parametrize(("text", "expected"), [
    ("Está aquí", "Esta aqui"),
    ("¿Qué necesita? ñ ü é", "¿Qué necesita? ñ ü é"),  # all four are GSM-7
    ("“quoted” and ‘single’", "\"quoted\" and 'single'"),
    ("call now — or text – later…", "call now - or text - later..."),
    ("Inmigración, Consejería, jóvenes", "Inmigracion, Consejeria, jovenes"),
    ("Ça va, garçon", "Ça va, garcon"),
    ("safe 😀 place 🏠", "safe place"),
    ("line\r\nbreak", "line\nbreak"),
    ("non\u00a0breaking", "non breaking"),
    ("price €5 {x} [y] ~ ^ | \\", "price €5 {x} [y] ~ ^ | \\"),  # the extension table
])
def test_to_gsm7(text, expected):
    assert to_gsm7(text) == expected
    assert is_gsm7(to_gsm7(text))


@pytest.mark.parametrize(("text", "segments", "encoding", "units"), [
    ("", 0, "GSM-7", 0),
    ("a" * 160, 1, "GSM-7", 160),
    ("a" * 161, 2, "GSM-7", 161),
    ("a" * 306, 2, "GSM-7", 306),
    ("a" * 307, 3, "GSM-7", 307),
    ("a" * 459, 3, "GSM-7", 459),
    ("a" * 460, 4, "GSM-7", 460),
    ("€" * 80, 1, "GSM-7", 160),  # extension characters count two septets
    ("a" * 152 + "€" + "a" * 10, 2, "GSM-7", 164),  # the escape pair is not split
    ("á" * 70, 1, "UCS-2", 70),
    ("á" * 71, 2, "UCS-2", 71),
    ("á" * 134, 2, "UCS-2", 134),
    ("á" * 135, 3, "UCS-2", 135),
    ("😀" * 35, 1, "UCS-2", 70),  # two UTF-16 units each
    ("😀" * 36, 2, "UCS-2", 72),  # 33 pairs fit a 67-unit segment, never half a pair
])
def test_segment_info(text, segments, encoding, units):
    info = segment_info(text)
    assert (info.segments, info.encoding, info.units, info.characters) == (
        segments, encoding, units, len(text))


def test_escape_pair_at_a_segment_boundary_moves_to_the_next_segment():
    # 152 septets, then a 2-septet character that would straddle 153: it moves on.
    assert segment_info("a" * 152 + "€" + "a" * 152).segments == 3
    assert segment_info("a" * 151 + "€" + "a" * 153).segments == 2


@given(st.text(max_size=400))
def test_any_text_becomes_gsm7(text):
    converted = to_gsm7(text)
    assert is_gsm7(converted)
    assert segment_info(converted).encoding == "GSM-7"


@given(st.text(alphabet=st.characters(codec="ascii"), max_size=300))
def test_plain_ascii_loses_nothing_but_tabs_and_carriage_returns(text):
    converted = to_gsm7(text)
    kept = [ch for ch in text if ch not in "\t\r`" and (ch.isprintable() or ch == "\n")]
    assert len(converted) <= len(text)
    assert all(ch in converted for ch in set(kept) if ch != " ")
