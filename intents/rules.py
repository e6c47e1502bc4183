"""The intent rule files (`intents/rules/<id>.yaml`): loading and the schema check.

One file per intent id, written for an advocate who does not program:

```yaml
id: shelter                 # the intent id; must equal the file name
group: need                 # control, safety, support, need or fallback
description: A safe place to stay now or tonight.
whole_message:              # counts only when it is the WHOLE message
  en: []
  es: []
en:
  keywords: [shelter, safe house, place to stay]   # one is enough to point here
  hints: [tonight, kids]                           # make it likelier, never enough alone
  examples: [I need a safe place to sleep tonight] # whole sentences people send
  negatives: [homeless shelter volunteer]          # make this intent much less likely
es:
  keywords: [refugio, donde quedarme]
  ...
```

A word ending in `*` matches every word that starts with it: `evict*` matches evict,
evicted, evicting, eviction. Case, accents and punctuation never matter.

`load_rules()` reads and checks every file; a malformed file raises `RuleFileError`
whose message names the file and the field ("shelter.yaml: en.keywords[2]: ...").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from .normalization import fold, normalize

RULES_DIRECTORY = Path(__file__).with_name("rules")

GROUPS = ("control", "safety", "support", "need", "fallback")
LANGUAGES = ("en", "es")
LANGUAGE_FIELDS = ("keywords", "hints", "examples", "negatives")
TOP_FIELDS = ("id", "group", "description", "whole_message", *LANGUAGES)

# The ids of ../shared/intent-taxonomy.md: each must have a rule file.
TAXONOMY_IDS = (
    "exit", "opt_out", "opt_in", "help", "menu", "more", "language", "greeting", "thanks",
    "location", "emergency", "self_harm", "talk_to_someone", "safety_planning",
    "is_this_abuse", "confidentiality", "using_violence", "shelter", "housing", "legal",
    "immigration", "economic", "children", "child_protection", "counseling",
    "substance_use", "health", "parenting", "faith", "unknown",
)

_ID = re.compile(r"[a-z][a-z0-9_]*")
# Letters (any accent), digits, spaces, apostrophes, hyphens; `*` only ending a word.
_PHRASE = re.compile(r"[^\W_]+(?:[' -][^\W_]+)*\*?(?: [^\W_]+(?:['-][^\W_]+)*\*?)*")


class RuleFileError(ValueError):
    """A rule file that cannot be used; the message names the file and the field."""

    def __init__(self, path: Path | str, field: str, problem: str) -> None:
        self.path = Path(path)
        self.field = field
        self.problem = problem
        super().__init__(f"{self.path.name}: {field}: {problem}")


@dataclass(frozen=True)
class LanguageRules:
    """What one intent looks like in one language."""

    keywords: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    negatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class IntentRule:
    """One rule file, checked."""

    id: str
    group: str
    description: str
    whole_message: dict[str, tuple[str, ...]]
    languages: dict[str, LanguageRules]
    path: Path


def _text_list(path: Path, field: str, value, *, phrase: bool) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise RuleFileError(path, field, f"expected a list of phrases, got {_kind(value)}")
    items = []
    for position, item in enumerate(value):
        where = f"{field}[{position}]"
        if isinstance(item, bool) or not isinstance(item, (str, int)):
            raise RuleFileError(path, where, f"expected text, got {_kind(item)}")
        text = str(item).strip()
        if not text:
            raise RuleFileError(path, where, "is empty")
        if phrase:
            _check_phrase(path, where, text)
        elif not fold(text):
            raise RuleFileError(path, where, "has no letters or digits")
        items.append(text)
    return tuple(items)


def _check_phrase(path: Path, where: str, text: str) -> None:
    collapsed = " ".join(text.split())
    if not _PHRASE.fullmatch(collapsed):
        raise RuleFileError(
            path, where,
            f"{text!r}: use words only (letters, digits, ' and -); '*' may only end a word",
        )
    for word in collapsed.split():
        if word.endswith("*") and len(fold(word[:-1])) < 3:
            raise RuleFileError(path, where, f"{text!r}: a word ending in '*' needs 3 letters")


def _kind(value) -> str:
    return {dict: "a mapping", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def load_rule_file(path: Path | str) -> IntentRule:
    """Read and check one rule file; raise RuleFileError naming the field at fault."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise RuleFileError(path, "file", "not UTF-8 text") from None
    return parse_rule_text(text, path)


def parse_rule_text(text: str, path: Path | str) -> IntentRule:
    """Check one rule file's text; `path` names it in errors (its stem is the intent id)."""
    path = Path(path)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problem = getattr(error, "problem", None) or error
        raise RuleFileError(path, where, f"not valid YAML ({problem})") from None
    if not isinstance(data, dict):
        raise RuleFileError(path, "file", f"expected a mapping of fields, got {_kind(data)}")
    unknown = sorted(set(map(str, data)) - set(TOP_FIELDS))
    if unknown:
        raise RuleFileError(path, unknown[0], f"unknown field (allowed: {', '.join(TOP_FIELDS)})")
    for required in ("id", "group", "description"):
        if required not in data or data[required] in (None, ""):
            raise RuleFileError(path, required, "is required")
    intent_id = data["id"]
    if not isinstance(intent_id, str) or not _ID.fullmatch(intent_id):
        raise RuleFileError(path, "id", "must be lower-case letters, digits and _")
    if intent_id != path.stem:
        raise RuleFileError(path, "id", f"{intent_id!r} must equal the file name {path.stem!r}")
    if data["group"] not in GROUPS:
        raise RuleFileError(path, "group", f"{data['group']!r} is not one of {', '.join(GROUPS)}")
    if not isinstance(data["description"], str):
        raise RuleFileError(path, "description", "expected text")

    whole = data.get("whole_message") or {}
    if not isinstance(whole, dict):
        raise RuleFileError(
            path, "whole_message", f"expected en: and es: lists, got {_kind(whole)}"
        )
    for key in whole:
        if key not in LANGUAGES:
            raise RuleFileError(path, f"whole_message.{key}", "unknown language (use en or es)")
    whole_message = {
        language: _text_list(path, f"whole_message.{language}", whole.get(language), phrase=False)
        for language in LANGUAGES
    }

    languages = {}
    for language in LANGUAGES:
        block = data.get(language) or {}
        if not isinstance(block, dict):
            raise RuleFileError(path, language, f"expected a mapping, got {_kind(block)}")
        for key in block:
            if key not in LANGUAGE_FIELDS:
                raise RuleFileError(
                    path, f"{language}.{key}",
                    f"unknown field (allowed: {', '.join(LANGUAGE_FIELDS)})",
                )
        languages[language] = LanguageRules(
            keywords=_text_list(path, f"{language}.keywords", block.get("keywords"), phrase=True),
            hints=_text_list(path, f"{language}.hints", block.get("hints"), phrase=True),
            examples=_text_list(path, f"{language}.examples", block.get("examples"), phrase=False),
            negatives=_text_list(
                path, f"{language}.negatives", block.get("negatives"), phrase=True
            ),
        )
        if data["group"] != "fallback" and not languages[language].examples:
            raise RuleFileError(path, f"{language}.examples", "give at least one example message")
    return IntentRule(
        id=intent_id,
        group=data["group"],
        description=data["description"].strip(),
        whole_message=whole_message,
        languages=languages,
        path=path,
    )


def load_rules(directory: Path | str = RULES_DIRECTORY) -> tuple[IntentRule, ...]:
    """Read and check every rule file of `directory`, then check them against each other."""
    directory = Path(directory)
    rules = tuple(load_rule_file(path) for path in sorted(directory.glob("*.yaml")))
    return check_rule_set(rules, directory)


def rules_from_texts(texts: dict[str, str]) -> tuple[IntentRule, ...]:
    """Read and check a whole rule set given as texts: intent id -> the YAML of its file.

    The same checks as `load_rules`, for rules that live somewhere else than files (the
    published versions in the database, an advocate's edit in the console).
    """
    rules = tuple(parse_rule_text(texts[name], f"{name}.yaml") for name in sorted(texts))
    return check_rule_set(rules, Path("."))


def check_rule_set(rules: tuple[IntentRule, ...], directory: Path) -> tuple[IntentRule, ...]:
    """Check rules against each other: every taxonomy id present, whole messages unique."""
    present = {rule.id for rule in rules}
    for intent_id in TAXONOMY_IDS:
        if intent_id not in present:
            raise RuleFileError(directory / f"{intent_id}.yaml", "file", "missing rule file")
    owner: dict[str, str] = {}
    for rule in rules:
        for language, phrases in rule.whole_message.items():
            for position, phrase in enumerate(phrases):
                key = " ".join(normalize(phrase))
                if key in owner and owner[key] != rule.id:
                    raise RuleFileError(
                        rule.path, f"whole_message.{language}[{position}]",
                        f"{phrase!r} is already a whole-message keyword of {owner[key]}",
                    )
                owner[key] = rule.id
    return rules
