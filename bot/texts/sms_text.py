"""SMS text: GSM-7 transliteration and segment counting.

One character outside the GSM 03.38 alphabet (a curly quote, an em dash, an emoji,
Spanish á í ó ú) turns a whole text into UCS-2 and cuts a segment from 160 to 70
characters, so every SMS reply goes through `to_gsm7` first. The alphabet itself comes
from the `gsm0338` codec; what this module adds is the transliteration (what a phone
should show instead) and the segment arithmetic of concatenated messages (153 septets
or 67 UTF-16 units a segment, never splitting an escape pair or a surrogate pair).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec

from intents.normalization import has_vietnamese_marks

GSM_SINGLE_SEGMENT = 160
GSM_MULTI_SEGMENT = 153
UCS2_SINGLE_SEGMENT = 70
UCS2_MULTI_SEGMENT = 67

# What a phone should show for common characters outside GSM-7. Letters with accents
# are handled by decomposition below (á -> a), so only punctuation and symbols are here.
_REPLACEMENTS = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "`": "'",
    "\u00b4": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
    "\u2015": "-", "\u2212": "-",
    "\u2026": "...", "\u2022": "-", "\u00b7": "-", "\u25cf": "-",
    "\u00a0": " ", "\u2007": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ",
    "\t": " ", "\r": "",
    "\u0111": "d", "\u0110": "D",  # Vietnamese đ Đ: a letter of its own, not d + a mark
    "\u00a9": "(c)", "\u00ae": "(R)", "\u2122": "TM", "\u00b0": " deg",
    "\u00bd": "1/2", "\u00bc": "1/4", "\u00be": "3/4",
    "\u2192": "->", "\u2190": "<-", "\u00d7": "x", "\u00f7": "/",
    "\u00e7": "c",  # GSM has only the capital C with cedilla
}
_SPACES = re.compile(r"[ ]{2,}")
_SPACE_BEFORE_NEWLINE = re.compile(r"[ ]+\n")


@lru_cache(maxsize=1)
def _alphabet() -> tuple[frozenset[str], frozenset[str]]:
    """Return (basic characters, extension characters) of GSM 03.38, from the codec."""
    from gsm0338.charset import BASIC_CHARACTER_SET, BASIC_CHARACTER_SET_EXTENSION

    basic = {unicodedata.lookup(name) for name in BASIC_CHARACTER_SET.values()}
    extension = {unicodedata.lookup(name) for name in BASIC_CHARACTER_SET_EXTENSION.values()}
    # ESC introduces the extension table; CR and FF are useless in a text message.
    basic -= {"\x1b", "\r"}
    extension -= {"\x0c"}
    return frozenset(basic), frozenset(extension)


def is_gsm7(text: str) -> bool:
    """Return True when every character of `text` has a GSM-7 encoding."""
    basic, extension = _alphabet()
    return all(ch in basic or ch in extension for ch in text)


def _transliterate_character(ch: str, basic: frozenset[str], extension: frozenset[str]) -> str:
    if ch in basic or ch in extension:
        return ch
    if ch in _REPLACEMENTS:
        return _REPLACEMENTS[ch]
    # Letters with marks: keep the base letter (á -> a, Ó -> O, ł stays dropped).
    decomposed = unicodedata.normalize("NFKD", ch)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    if kept and all(c in basic or c in extension for c in kept):
        return kept
    # Emoji, symbols and other scripts have no faithful GSM form: leave them out.
    return ""


def to_gsm7(text: str) -> str:
    """Return `text` using only the GSM-7 alphabet (á -> a, curly quotes -> straight)."""
    basic, extension = _alphabet()
    if all(ch in basic or ch in extension for ch in text):
        return text
    converted = "".join(_transliterate_character(ch, basic, extension) for ch in text)
    converted = _SPACE_BEFORE_NEWLINE.sub("\n", _SPACES.sub(" ", converted))
    return converted.strip(" ")


def with_plain_punctuation(text: str) -> str:
    """Return `text` with its letters as written (marks kept) and everything else in
    GSM-7: curly quotes straight, dashes plain, emoji and symbols left out. For a
    language sent as UCS-2 (Vietnamese): one emoji would cost as much as it does in
    GSM-7 text, and a phone with an old font shows a box for it."""
    basic, extension = _alphabet()
    kept = []
    for ch in text:
        if ch.isalpha() or ch in basic or ch in extension:
            kept.append(ch)
        else:
            kept.append(_transliterate_character(ch, basic, extension))
    converted = _SPACE_BEFORE_NEWLINE.sub("\n", _SPACES.sub(" ", "".join(kept)))
    return converted.strip(" ")


@dataclass(frozen=True)
class SegmentInfo:
    """How a text travels as SMS: its length, segment count and encoding."""

    characters: int  # characters as a person counts them
    segments: int
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7, extension characters count 2) or UTF-16 code units

    def as_dict(self) -> dict:
        """Return the figures as a plain dict (for JSON)."""
        return {"characters": self.characters, "segments": self.segments,
                "encoding": self.encoding, "units": self.units}


def _pack(costs: list[int], single: int, multi: int) -> int:
    """Return the segments needed for items of these costs, never splitting one item."""
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single:
        return 1
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def segment_info(text: str) -> SegmentInfo:
    """Return how many SMS segments `text` takes, and in which encoding."""
    basic, extension = _alphabet()
    if all(ch in basic or ch in extension for ch in text):
        costs = [2 if ch in extension else 1 for ch in text]
        segments = _pack(costs, GSM_SINGLE_SEGMENT, GSM_MULTI_SEGMENT)
        return SegmentInfo(len(text), segments, "GSM-7", sum(costs))
    # UCS-2 (really UTF-16): characters beyond the BMP, most emoji, take two units.
    costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
    segments = _pack(costs, UCS2_SINGLE_SEGMENT, UCS2_MULTI_SEGMENT)
    return SegmentInfo(len(text), segments, "UCS-2", sum(costs))


def as_sent(text: str) -> str:
    """Return `text` as the SMS view hands it to Twilio, the last check after the engine:
    GSM-7, except a Vietnamese text that keeps its marks within three segments."""
    if has_vietnamese_marks(text):
        marked = with_plain_punctuation(text)
        if segment_info(marked).segments <= 3:
            return marked
    return to_gsm7(text)
