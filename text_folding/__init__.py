"""Text folding: the one home of how Harbor compares words people type.

Intents (rules and messages), geography (place names) and the engine (reply words such
as YES or MORE) all fold text here, so "Menú", "MENU!!" and "menu" are one word to each
of them. The folds differ only where their words differ, and each says why:

- `strip_accents`: NFKD, combining marks dropped, lower case ("Ayúdame" -> "ayudame",
  "giúp đỡ" -> "giup do");
  punctuation kept (the lock-screen check reads whole replies).
- `fold`: `strip_accents`, apostrophes joined ("he's" -> "hes", "don't" -> "dont"), every
  other run of non-letters one space. Messages and rules.
- `fold_place`: `strip_accents`, apostrophes a space like any punctuation (the ZIP
  index spells "O'Fallon" as "o fallon", and people type both), St./Ft./Mt. spelled out.

This package imports nothing of Harbor's, so every other package may use it.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = str.maketrans("", "", "'\u2019`")
# Letters whose mark is part of the letter, not a combining accent, so NFKD keeps them:
# Vietnamese "đ" is written "d" by anyone typing without marks ("đi" -> "di").
_STROKED_LETTERS = str.maketrans({"đ": "d", "Đ": "D"})
# "St. Louis", "Ft Worth", "Mt Vernon": the index spells them out.
SAINT_FORMS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount", "pt": "point"}


def strip_accents(text: str) -> str:
    """Lowercase `text` and drop its accents; keep everything else."""
    text = text or ""
    if text.isascii():
        return text.lower()  # most messages: nothing to take apart
    text = unicodedata.normalize("NFKD", (text or "").translate(_STROKED_LETTERS))
    return "".join(ch for ch in text if not unicodedata.combining(ch)).lower()


def fold(text: str) -> str:
    """Lowercase and drop accents, apostrophes and punctuation; nothing else."""
    return _NOT_WORD.sub(" ", strip_accents(text).translate(_APOSTROPHES)).strip()


def fold_place(text: str) -> str:
    """Fold a place name for matching: punctuation a space, St./Ft./Mt. spelled out."""
    words = _NOT_WORD.sub(" ", strip_accents(text)).split()
    return " ".join(SAINT_FORMS.get(word, word) for word in words)
