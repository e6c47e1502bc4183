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
  reports: []               # (safety) harm told, maybe past: a need named beside it wins
  hints: [tonight, kids]                           # make it likelier, never enough alone
  examples: [I need a safe place to sleep tonight] # whole sentences people send
  negatives: [homeless shelter volunteer]          # make this intent much less likely
es:
  keywords: [refugio, donde quedarme]
  ...
```

A word ending in `*` matches every word that starts with it: `evict*` matches evict,
evicted, evicting, eviction. Case, accents and punctuation never matter.

A name in braces is a word family of `rules/families/word_families.yaml` (the ways
people say one thing: `{abuser}` is he, my ex, my husband, his truck...): the phrase
`{abuser} just pulled up` stands for every one of them, so a rule says a concept once
and reads messages nobody wrote into it ("my ex just pulled up", "his truck just pulled
up"). A family is written per language; a phrase may use several.

`load_rules()` reads and checks every file; a malformed file raises `RuleFileError`
whose message names the file and the field ("shelter.yaml: en.keywords[2]: ...").

A further language comes as one file of its own, `intents/rules/languages/<code>.yaml`,
so that a translator adds a language without touching the English and Spanish files:

```yaml
language: vi
review: needs review        # until a native-speaking advocate has checked every word
intents:
  shelter:
    keywords: [chỗ ở an toàn, nơi tạm lánh]
    examples: [tôi cần chỗ ở an toàn tối nay]
  exit:
    whole_message: [thoát, xóa]
```

Its intents must be ids of the main files; their fields are a language block's fields
plus `whole_message`. Only English and Spanish must give examples for every intent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from .normalization import fold, normalize

# libyaml's safe loader when PyYAML was built with it (ten times faster at start-up);
# the pure-Python SafeLoader otherwise. Both construct plain data only.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RULES_DIRECTORY = Path(__file__).with_name("rules")
FAMILIES_FILE = Path("families") / "word_families.yaml"

GROUPS = ("control", "safety", "support", "need", "fallback")
LANGUAGES = ("en", "es")  # the languages of the main rule files, each required
EXTRA_LANGUAGES_DIRECTORY = "languages"  # rules/languages/<code>.yaml: further languages
LANGUAGE_FIELDS = ("keywords", "reports", "hints", "examples", "negatives")
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
_FAMILY = re.compile(r"\{([a-z_]+)\}")
# language -> family name -> the family's phrases
Families = dict[str, dict[str, tuple[str, ...]]]
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
    # Harm told about, which may be past or habitual ("he hits me", "me pego"): counts as
    # a keyword, but a need named in the same message wins over it.
    reports: tuple[str, ...] = ()
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


def _text_list(path: Path, field: str, value, *, phrase: bool,
               family: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
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
            for expanded in _expand_families(path, where, text, family or {}):
                _check_phrase(path, where, expanded)
                items.append(expanded)
            continue
        if not fold(text):
            raise RuleFileError(path, where, "has no letters or digits")
        items.append(text)
    return tuple(items)


def _expand_families(path: Path, where: str, text: str,
                     family: dict[str, tuple[str, ...]]) -> list[str]:
    """Return `text` with each {family} replaced by each of its phrases, every combination."""
    parts = _FAMILY.split(text)
    phrases = [""]
    for position, part in enumerate(parts):
        if position % 2 == 0:
            phrases = [phrase + part for phrase in phrases]
            continue
        if part not in family:
            raise RuleFileError(path, where, f"{{{part}}} is not a word family of "
                                             f"{FAMILIES_FILE} in this language")
        phrases = [phrase + word for phrase in phrases for word in family[part]]
    return list(dict.fromkeys(" ".join(phrase.split()) for phrase in phrases))


def load_families(path: Path | str) -> Families:
    """Read the word families (`en:`/`es:`, each a mapping of name -> list of phrases)."""
    path = Path(path)
    if not path.exists():
        return {language: {} for language in LANGUAGES}
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER) or {}  # noqa: S506
    except yaml.YAMLError as error:
        raise RuleFileError(path, "file", f"not valid YAML ({error})") from None
    if not isinstance(data, dict) or set(map(str, data)) - set(LANGUAGES):
        raise RuleFileError(path, "file", "expected en: and es: mappings of word families")
    families: Families = {}
    for language in LANGUAGES:
        block = data.get(language) or {}
        if not isinstance(block, dict):
            raise RuleFileError(path, language, f"expected a mapping, got {_kind(block)}")
        families[language] = {}
        for name, words in block.items():
            if not isinstance(name, str) or not _ID.fullmatch(name):
                raise RuleFileError(path, f"{language}.{name}", "name: lower-case letters and _")
            families[language][name] = _text_list(path, f"{language}.{name}", words,
                                                  phrase=True)
    return families


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


def load_rule_file(path: Path | str, families: Families | None = None) -> IntentRule:
    """Read and check one rule file; raise RuleFileError naming the field at fault."""
    path = Path(path)
    if families is None:
        families = load_families(path.parent / FAMILIES_FILE)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    except yaml.YAMLError as error:
        # Where the broken construct starts ("[" never closed), else where parsing failed.
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        problem = getattr(error, "problem", None) or error
        raise RuleFileError(path, where, f"not valid YAML ({problem})") from None
    except UnicodeDecodeError:
        raise RuleFileError(path, "file", "not UTF-8 text") from None
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
        family = families.get(language, {})
        languages[language] = LanguageRules(
            keywords=_text_list(path, f"{language}.keywords", block.get("keywords"),
                                phrase=True, family=family),
            reports=_text_list(path, f"{language}.reports", block.get("reports"),
                               phrase=True, family=family),
            hints=_text_list(path, f"{language}.hints", block.get("hints"), phrase=True,
                             family=family),
            examples=_text_list(path, f"{language}.examples", block.get("examples"), phrase=False),
            negatives=_text_list(path, f"{language}.negatives", block.get("negatives"),
                                 phrase=True, family=family),
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


def _language_block(path: Path, field: str, block) -> tuple[LanguageRules, tuple[str, ...]]:
    """Check one intent's block of a language file: its rules and its whole messages."""
    if not isinstance(block, dict):
        raise RuleFileError(path, field, f"expected a mapping, got {_kind(block)}")
    for key in block:
        if key not in (*LANGUAGE_FIELDS, "whole_message"):
            raise RuleFileError(path, f"{field}.{key}", "unknown field (allowed: "
                                f"{', '.join((*LANGUAGE_FIELDS, 'whole_message'))})")
    rules = LanguageRules(
        keywords=_text_list(path, f"{field}.keywords", block.get("keywords"), phrase=True),
        reports=_text_list(path, f"{field}.reports", block.get("reports"), phrase=True),
        hints=_text_list(path, f"{field}.hints", block.get("hints"), phrase=True),
        examples=_text_list(path, f"{field}.examples", block.get("examples"), phrase=False),
        negatives=_text_list(path, f"{field}.negatives", block.get("negatives"), phrase=True),
    )
    whole = _text_list(path, f"{field}.whole_message", block.get("whole_message"), phrase=False)
    return rules, whole


def load_language_file(path: Path | str, rules: tuple[IntentRule, ...]) -> tuple[IntentRule, ...]:
    """Return `rules` with the language of `path` (rules/languages/<code>.yaml) added."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506
    except yaml.YAMLError as error:
        raise RuleFileError(path, "file", f"not valid YAML ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("intents"), dict):
        raise RuleFileError(path, "intents", "expected a mapping of intent ids")
    language = data.get("language")
    if language != path.stem or language in LANGUAGES:
        raise RuleFileError(path, "language", f"must be the file's name, {path.stem!r}, "
                            "and not a language of the main files")
    by_id = {rule.id: rule for rule in rules}
    added = {}
    for intent_id, block in data["intents"].items():
        if intent_id not in by_id:
            raise RuleFileError(path, f"intents.{intent_id}", "no such intent")
        added[intent_id] = _language_block(path, f"intents.{intent_id}", block)
    return tuple(
        replace(rule,
                languages={**rule.languages, language: added[rule.id][0]},
                whole_message={**rule.whole_message, language: added[rule.id][1]})
        if rule.id in added else rule
        for rule in rules)


def load_rules(directory: Path | str = RULES_DIRECTORY) -> tuple[IntentRule, ...]:
    """Read and check every rule file of `directory` (and its further languages), then
    check them against each other."""
    directory = Path(directory)
    families = load_families(directory / FAMILIES_FILE)
    rules = tuple(load_rule_file(path, families) for path in sorted(directory.glob("*.yaml")))
    for language_file in sorted((directory / EXTRA_LANGUAGES_DIRECTORY).glob("*.yaml")):
        rules = load_language_file(language_file, rules)
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
