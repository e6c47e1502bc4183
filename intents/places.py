"""Place entities of a message (ZIP, city, state) and whether the message is only a place.

The finding itself is `resources_db.geography.find_place_mentions` (offline, no Flask).
This module filters what it finds for the intent matcher: a US town is named after almost
every English word ("Hurt, VA", "Deposit, NY", "English, IN", "Clear, AK"), so a city whose
every word is a word Harbor's rules use counts only when the message names its state too.
The geography index is built once per process (about 1.5 s), on first use. A message
with no five digits, no US city or state name and no capitalised state code cannot name
a place: it skips the search (most messages do).
"""

from __future__ import annotations

import re
from functools import lru_cache

from resources_db import geography

from .normalization import fold

_FIVE_DIGITS = re.compile(r"\d{5}")
_UPPER_CODE = re.compile(r"\b[A-Z]{2}\b")


class PlaceFinder:
    """Find place entities, knowing which words are everyday words for Harbor."""

    def __init__(self, everyday_words: frozenset[str], framing_words: set[str]) -> None:
        self.everyday_words = everyday_words
        self.framing_words = frozenset(framing_words)

    def warm_up(self) -> None:
        """Build geography's index and the first-word set now, not on a survivor's message."""
        _place_names()
        geography.find_place_mentions("Des Moines IA 50309")

    def may_name_place(self, text: str) -> bool:
        """Return False only when geography cannot find a place in `text` (a cheap test)."""
        if _FIVE_DIGITS.search(text):
            return True
        names = _place_names()
        if names is None:
            return True
        cities, longest_from, state_starts = names
        words = geography.normalize_place_text(text).split()
        for start, word in enumerate(words):
            if word in state_starts:
                return True
            for length in range(1, min(longest_from.get(word, 0), len(words) - start) + 1):
                if " ".join(words[start:start + length]) in cities:
                    return True
        # A lower-case "in", "me", "ok" is never a state alone; capitals may be.
        return any(code in geography.STATE_NAMES for code in _UPPER_CODE.findall(text))

    def find(self, text: str, words: list[str]) -> tuple[dict[str, str], bool]:
        """Return (entities, only_place): keys zip/city/state where found."""
        if not self.may_name_place(text):
            return {}, False
        mentions = geography.find_place_mentions(text)
        zip_code, city, state = mentions.zip, mentions.city, mentions.state
        if city and self._everyday(city):
            blanked = text
            for word in fold(city).split():
                blanked = re.sub(rf"(?i)\b{re.escape(word)}\b", " ", blanked)
            again = geography.find_place_mentions(blanked)
            if not state or again.state != state:
                city, state = None, again.state
        folded = fold(text).split()
        if not zip_code and len(folded) == 1 and _FIVE_DIGITS.fullmatch(folded[0]):
            zip_code = folded[0]  # not a ZIP we know: the conversation asks again
        entities = {key: value for key, value in
                    (("zip", zip_code), ("city", city), ("state", state)) if value}
        return entities, bool(entities) and self._only_place(folded, zip_code, city, state)

    def _everyday(self, city: str) -> bool:
        return all(word in self.everyday_words for word in fold(city).split())

    def _only_place(self, folded: list[str], zip_code: str | None, city: str | None,
                    state: str | None) -> bool:
        place_words = set(self.framing_words) | geography.FILLER_WORDS
        if zip_code:
            place_words.add(zip_code)
        if city:
            place_words.update(fold(city).split())
            place_words.update(geography.normalize_place_text(city).split())
        rest = [word for word in folded if word not in place_words]
        if state:
            rest = _without_state(rest, state)
        return not rest


@lru_cache(maxsize=1)
def _place_names() -> tuple[frozenset[str], dict[str, int], frozenset[str]] | None:
    """City names, the most words a city name starting with each word has, and the words
    state names start with; from geography's own index (read only, built once)."""
    try:
        index = geography._index()
        cities = frozenset(index.cities)
        state_names = list(index.state_by_name)
    except (AttributeError, TypeError):
        return None  # the index changed shape: always ask geography
    longest_from: dict[str, int] = {}
    for name in cities:
        words = name.split()
        if words:
            longest_from[words[0]] = max(longest_from.get(words[0], 0), len(words))
    state_starts = frozenset(name.split()[0] for name in state_names
                             if name and len(name.split()[0]) > 2)
    return cities, longest_from, state_starts


def _without_state(words: list[str], state: str) -> list[str]:
    """Drop the words that name `state` ("mo", "missouri", "new york", "nueva york")."""
    kept: list[str] = []
    position = 0
    while position < len(words):
        for length in (3, 2, 1):
            chunk = " ".join(words[position:position + length])
            if len(words) - position >= length and geography.state_code(chunk) == state:
                position += length
                break
        else:
            kept.append(words[position])
            position += 1
    return kept
