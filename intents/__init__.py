"""Harbor's intent engine: `classify(text)` for every message a survivor sends.

The rules are YAML files in `intents/rules/`, one per intent id of the taxonomy
(../shared/intent-taxonomy.md), readable and editable by advocates; `intents.rules`
loads and checks them; `intents.matcher` compiles them once and matches with rapidfuzz.

    >>> from intents import classify
    >>> classify("necesito un refugio en Dallas").intent
    'shelter'
"""

from __future__ import annotations

from .matcher import Classification, compiled_rules
from .reading import read
from .rules import TAXONOMY_IDS, RuleFileError, load_rules

__all__ = ["Classification", "RuleFileError", "TAXONOMY_IDS", "classify", "load_rules",
           "warm_up"]


def classify(text: str) -> Classification:
    """Read one message: intent, score, language, entities, alternatives and the signals
    beside them (safety, needs, who, urgency, subject); see `intents.reading`."""
    return read(text)


def warm_up() -> None:
    """Compile the rules and build the place index now rather than on the first message."""
    rules = compiled_rules()
    rules.places.warm_up()
    rules.classify("shelter in Des Moines IA 50309")
    read("shelter in Des Moines IA 50309")
