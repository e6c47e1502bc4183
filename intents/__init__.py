"""Harbor's intent engine: `classify(text)` for every message a survivor sends.

The rules are YAML files in `intents/rules/`, one per intent id of the taxonomy
(../shared/intent-taxonomy.md), readable and editable by advocates; `intents.rules`
loads and checks them; `intents.matcher` compiles them once and matches with rapidfuzz.

    >>> from intents import classify
    >>> classify("necesito un refugio en Dallas").intent
    'shelter'
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .rules import TAXONOMY_IDS, RuleFileError, load_rules

if TYPE_CHECKING:
    from .matcher import Classification

__all__ = ["Classification", "RuleFileError", "TAXONOMY_IDS", "classify", "load_rules",
           "warm_up"]


# The matcher (rapidfuzz) and the reader (numpy) load on first use, not with the package:
# every app build imports `intents.published` and `intents.rules`, and most `harbor`
# commands never classify (tests/test_startup.py checks they stay unloaded).
_LAZY = {"Classification": "matcher", "compiled_rules": "matcher", "read": "reading"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def classify(text: str) -> Classification:
    """Read one message: intent, score, language, entities, alternatives and the signals
    beside them (safety, needs, who, urgency, subject); see `intents.reading`."""
    from .reading import read

    return read(text)


def warm_up() -> None:
    """Compile the rules and build the place index now rather than on the first message."""
    from .matcher import compiled_rules
    from .reading import read

    rules = compiled_rules()
    rules.places.warm_up()
    rules.classify("shelter in Des Moines IA 50309")
    read("shelter in Des Moines IA 50309")
