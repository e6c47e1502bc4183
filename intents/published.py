"""Rules that come from elsewhere than intents/rules/: a published version, or a trial.

Advocates change the rules in the console or with `harbor rules import`; a published
version lives in the database (the bot's side keeps it), as the texts of the rule files
it changes, over the files shipped in intents/rules/. This module never sees the
database: it takes rule texts, checks and compiles them (once per distinct set), and
says which compiled rules `classify()` uses:

1. the rules being tried in the current context (`trying(...)`: a preview or the safety
   gate evaluating an edit, without touching what survivors meet), else
2. the rules this process was told are published (`use_published(...)`), else
3. the shipped files.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from .rules import (
    EXTRA_LANGUAGES_DIRECTORY,
    FAMILIES_FILE,
    FAMILIES_KEY,
    RULES_DIRECTORY,
    families_of_texts,
    rules_from_texts,
)

if TYPE_CHECKING:
    from .matcher import CompiledRules

# Each compiled set holds its own word index and place finder: keep a few, not all.
_CACHE_SIZE = 6
_compiled: OrderedDict[str, CompiledRules] = OrderedDict()
_compile_lock = threading.Lock()
_trial: ContextVar[CompiledRules | None] = ContextVar("intents_trial_rules", default=None)
_published: CompiledRules | None = None
_published_key = ""


def shipped_rule_texts() -> dict[str, str]:
    """Return the shipped rule files as texts: intent id (or "languages/<code>") -> YAML."""
    texts = {path.stem: path.read_text(encoding="utf-8")
             for path in sorted(RULES_DIRECTORY.glob("*.yaml"))}
    for path in sorted((RULES_DIRECTORY / EXTRA_LANGUAGES_DIRECTORY).glob("*.yaml")):
        texts[f"{EXTRA_LANGUAGES_DIRECTORY}/{path.stem}"] = path.read_text(encoding="utf-8")
    if (RULES_DIRECTORY / FAMILIES_FILE).exists():
        texts[FAMILIES_KEY] = (RULES_DIRECTORY / FAMILIES_FILE).read_text(encoding="utf-8")
    return texts


def rule_set_over_shipped(changed: Mapping[str, str]) -> dict[str, str]:
    """Return the whole rule set: the shipped files with `changed` (id -> YAML) over them."""
    return {**shipped_rule_texts(), **dict(changed)}


def rule_set_key(texts: Mapping[str, str]) -> str:
    """Return a digest that names a rule set (equal texts, equal key)."""
    digest = hashlib.sha256()
    for name in sorted(texts):
        digest.update(name.encode() + b"\0" + texts[name].encode() + b"\0")
    return digest.hexdigest()


def compile_rule_texts(texts: Mapping[str, str]) -> CompiledRules:
    """Check and compile a whole rule set (raises RuleFileError); compiled once per set."""
    from .matcher import CompiledRules

    key = rule_set_key(texts)
    with _compile_lock:
        if key in _compiled:
            _compiled.move_to_end(key)
            return _compiled[key]
    compiled = CompiledRules(rules_from_texts(dict(texts)), families_of_texts(dict(texts)))
    with _compile_lock:
        _compiled[key] = compiled
        while len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    return compiled


def use_published(texts: Mapping[str, str] | None) -> None:
    """Make `texts` (a whole rule set) the rules of this process; None: the shipped files.

    Compiles before switching, so messages keep the old rules until the new ones are
    ready, and a set that does not compile leaves the old rules in force (the error is
    raised to the caller).
    """
    global _published, _published_key
    if texts is None:
        _published, _published_key = None, ""
        return
    key = rule_set_key(texts)
    if key == _published_key:
        return
    compiled = compile_rule_texts(texts)
    _published, _published_key = compiled, key


@contextmanager
def trying(compiled: CompiledRules) -> Iterator[CompiledRules]:
    """Classify with `compiled` inside the block, in this context only (thread, request)."""
    token = _trial.set(compiled)
    try:
        yield compiled
    finally:
        _trial.reset(token)


def rules_in_force() -> CompiledRules | None:
    """Return the rules `classify()` uses here, or None for the shipped files."""
    return _trial.get() or _published
