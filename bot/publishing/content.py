"""What a published version holds, its diff, and the YAML folder the CLI round-trips.

A version's content is the rule files (intent id -> YAML text) and reply texts
(language -> key -> text) that differ from what ships with the package; the shipped
files stay underneath. `harbor rules export DIR` writes the whole set in force as YAML
(one rule file per intent at the top of DIR, each further language in
DIR/languages/<code>.yaml and the word families in DIR/families/, like intents/rules/,
and the reply texts in
DIR/replies/<language>.yaml); `harbor rules import DIR` reads it back.
"""

from __future__ import annotations

import difflib
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.texts import replies
from intents.published import rule_set_over_shipped, shipped_rule_texts
from intents.rules import (
    EXTRA_LANGUAGES_DIRECTORY,
    FAMILIES_KEY,
    LANGUAGE_FIELDS,
    LANGUAGES,
    TAXONOMY_IDS,
)
from resources_db.models import PublishedVersion

REPLIES_FOLDER = "replies"


class ContentError(ValueError):
    """An edit that cannot be a version at all (unknown intent or text, bad placeholders)."""


@dataclass(frozen=True)
class Content:
    """Rule files and reply texts changed over the shipped ones."""

    rules: dict[str, str] = field(default_factory=dict)
    replies: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def of(cls, version: PublishedVersion | None) -> Content:
        """Return the content of `version` (None: the shipped files, nothing changed)."""
        if version is None:
            return cls()
        return cls(dict(version.rules or {}),
                   {language: dict(texts) for language, texts in (version.replies or {}).items()})

    def rule_set(self) -> dict[str, str]:
        """Return every rule file's text as this content has it."""
        return rule_set_over_shipped(self.rules)

    def reply_texts(self) -> dict[str, dict[str, str]]:
        """Return every reply template per language as this content has it."""
        return {language: {key: self.replies.get(language, {}).get(key, text)
                           for key, text in replies.TEXTS[language].items()}
                for language in replies.LANGUAGES}

    def with_changes(self, rules: dict[str, str] | None = None,
                     texts: dict[str, dict[str, str]] | None = None) -> Content:
        """Return this content with `rules` and `texts` edited on top, checked and trimmed."""
        merged_rules = {**self.rules, **(rules or {})}
        merged_texts = {language: dict(values) for language, values in self.replies.items()}
        for language, values in (texts or {}).items():
            merged_texts.setdefault(language, {}).update(values)
        return trimmed(merged_rules, merged_texts)


def trimmed(rules: dict[str, str], texts: dict[str, dict[str, str]]) -> Content:
    """Return the content that keeps only what differs from the shipped files; check names."""
    shipped = shipped_rule_texts()
    for intent_id in rules:
        if "/" in intent_id and intent_id not in shipped:
            raise ContentError(f"{intent_id}.yaml: Harbor ships no such language file")
        if "/" not in intent_id and intent_id not in TAXONOMY_IDS:
            raise ContentError(f"{intent_id}.yaml: no intent {intent_id!r} in the taxonomy")
    kept_rules = {intent_id: _with_newline(text) for intent_id, text in sorted(rules.items())
                  if _with_newline(text) != shipped.get(intent_id)}
    kept_texts: dict[str, dict[str, str]] = {}
    for language, values in texts.items():
        if language not in replies.LANGUAGES:
            raise ContentError(f"replies/{language}.yaml: Harbor does not speak {language!r}")
        for key, text in values.items():
            if key not in replies.TEXTS[language]:
                raise ContentError(f"replies/{language}.yaml: {key}: no such reply text")
            text = str(text).strip()
            original = replies.TEXTS[language][key]
            if not text:
                raise ContentError(f"replies/{language}.yaml: {key}: is empty")
            wanted, found = _placeholders(original), _placeholders(text, language, key)
            if found != wanted:
                shown = ", ".join("{" + name + "}" for name in sorted(wanted)) or "none"
                raise ContentError(
                    f"replies/{language}.yaml: {key}: keep the same blanks to fill ({shown})")
            if text != original:
                kept_texts.setdefault(language, {})[key] = text
    return Content(kept_rules, kept_texts)


def _with_newline(text: str) -> str:
    text = text.replace("\r\n", "\n")
    return text if text.endswith("\n") else text + "\n"


def _placeholders(text: str, language: str = "", key: str = "") -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise ContentError(
            f"replies/{language}.yaml: {key}: braces must name a blank ({error})") from None


def diff(before: Content, after: Content) -> str:
    """Return a unified diff of every rule file and reply text that changed."""
    chunks: list[str] = []
    old_rules, new_rules = before.rule_set(), after.rule_set()
    for intent_id in sorted(set(old_rules) | set(new_rules)):
        old, new = old_rules.get(intent_id, ""), new_rules.get(intent_id, "")
        if old != new:
            chunks.extend(difflib.unified_diff(
                old.splitlines(keepends=True), new.splitlines(keepends=True),
                f"a/rules/{intent_id}.yaml", f"b/rules/{intent_id}.yaml"))
    old_texts, new_texts = before.reply_texts(), after.reply_texts()
    for language in replies.LANGUAGES:
        for key in old_texts[language]:
            old, new = old_texts[language][key], new_texts[language][key]
            if old != new:
                chunks.extend(difflib.unified_diff(
                    [old + "\n"], [new + "\n"],
                    f"a/replies/{language}/{key}", f"b/replies/{language}/{key}"))
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def export_folder(content: Content, directory: Path) -> list[Path]:
    """Write the whole set in force as YAML into `directory`; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for intent_id, text in content.rule_set().items():
        path = directory / f"{intent_id}.yaml"  # "languages/vi" lands in a folder
        path.parent.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    (directory / REPLIES_FOLDER).mkdir(exist_ok=True)
    for language, texts in content.reply_texts().items():
        path = directory / REPLIES_FOLDER / f"{language}.yaml"
        path.write_text(
            f"# Harbor's reply texts in {language!r}: edit a text, keep its {{blanks}}.\n"
            + yaml.dump(texts, Dumper=_TextsDumper, allow_unicode=True, sort_keys=False,
                        width=88),
            encoding="utf-8")
        written.append(path)
    return written


class _TextsDumper(yaml.SafeDumper):
    """Writes a text of several lines as a YAML block, the way a person would type it."""


def _text_representer(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_TextsDumper.add_representer(str, _text_representer)


def import_folder(directory: Path, over: Content) -> Content:
    """Read a folder written by `export_folder` (or part of one) as a change over `over`."""
    if not directory.is_dir():
        raise ContentError(f"{directory}: not a folder")
    rules = {path.stem: path.read_text(encoding="utf-8")
             for path in sorted(directory.glob("*.yaml"))}
    for folder in (EXTRA_LANGUAGES_DIRECTORY, FAMILIES_KEY.split("/")[0]):
        for path in sorted((directory / folder).glob("*.yaml")):
            rules[f"{folder}/{path.stem}"] = path.read_text(encoding="utf-8")
    texts: dict[str, dict[str, str]] = {}
    for path in sorted((directory / REPLIES_FOLDER).glob("*.yaml")):
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ContentError(f"{REPLIES_FOLDER}/{path.name}: not valid YAML ({error})") from None
        if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
            raise ContentError(f"{REPLIES_FOLDER}/{path.name}: expected key: text lines")
        texts[path.stem] = {str(key): value for key, value in data.items()}
    if not rules and not texts:
        raise ContentError(f"{directory}: no rule files (*.yaml) and no replies/*.yaml")
    if rules:
        # The folder's rule files are the whole rule set (what was exported, then edited):
        # a file taken out is a rule set without that intent, which cannot go live.
        missing = sorted(set(shipped_rule_texts()) - set(rules))
        if missing:
            raise ContentError(f"{directory}: {', '.join(f'{name}.yaml' for name in missing)}"
                               ": missing rule file (a rule set needs every intent's file)")
    return over.with_changes(rules, texts)


def rule_fields(text: str) -> dict[str, dict[str, list[str]]]:
    """Return a rule file's phrases per language and field, for the console's form."""
    data = yaml.safe_load(text) or {}
    return {language: {name: [str(item) for item in ((data.get(language) or {}).get(name) or [])]
                       for name in LANGUAGE_FIELDS}
            for language in LANGUAGES}


def edited_rule_text(text: str, fields: dict[str, dict[str, list[str]]]) -> str:
    """Return the rule file `text` with the phrases of `fields` (language -> field -> list).

    The file's other fields stay as they are, and so do the comments above its first field
    (they carry the advocates' warnings, such as quiero matar against quiere matar).
    """
    data = yaml.safe_load(text) or {}
    for language, values in fields.items():
        block = dict(data.get(language) or {})
        for name in LANGUAGE_FIELDS:
            phrases = [" ".join(phrase.split()) for phrase in values.get(name, [])]
            phrases = [phrase for phrase in phrases if phrase]
            if phrases:
                block[name] = phrases
            else:
                block.pop(name, None)
        data[language] = {name: block[name] for name in LANGUAGE_FIELDS if name in block}
    body = yaml.dump(data, Dumper=_TextsDumper, allow_unicode=True, sort_keys=False, width=100)
    return _header(text) + body


def language_file_fields(text: str, intent: str) -> dict[str, list[str]]:
    """Return one intent's phrases from a further language's file (languages/<code>)."""
    data = yaml.safe_load(text) or {}
    block = (data.get("intents") or {}).get(intent) or {}
    return {name: [str(item) for item in (block.get(name) or [])] for name in LANGUAGE_FIELDS}


def edited_language_file(text: str, intent: str, fields: dict[str, list[str]]) -> str:
    """Return a further language's file with one intent's phrases replaced (others kept)."""
    data = yaml.safe_load(text) or {}
    intents = dict(data.get("intents") or {})
    block = dict(intents.get(intent) or {})
    for name in LANGUAGE_FIELDS:
        phrases = [" ".join(phrase.split()) for phrase in fields.get(name, [])]
        phrases = [phrase for phrase in phrases if phrase]
        if phrases:
            block[name] = phrases
        else:
            block.pop(name, None)
    if block:
        intents[intent] = block
    else:
        intents.pop(intent, None)
    data["intents"] = intents
    return _header(text) + yaml.dump(data, Dumper=_TextsDumper, allow_unicode=True,
                                     sort_keys=False, width=100)


def _header(text: str) -> str:
    """Return the comment lines above a YAML file's first field (kept through an edit)."""
    header = []
    for line in text.splitlines():
        if line.startswith("#") or not line.strip():
            header.append(line)
        else:
            break
    return "\n".join(header).rstrip() + "\n" if any(header) else ""


def further_languages(content: Content) -> list[str]:
    """Return the codes of the further languages' rule files (languages/<code>)."""
    prefix = f"{EXTRA_LANGUAGES_DIRECTORY}/"
    return [name.removeprefix(prefix) for name in sorted(content.rule_set())
            if name.startswith(prefix)]
