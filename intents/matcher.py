"""The matcher behind `classify()`: compiled rules, the matching order and the scorers.

Matching order (first that applies wins):

1. `exit`. A one-word message within one edit (insert, delete, change or swap two
   letters) of an exit keyword of four letters or more is exit ("exti", "clera",
   "Exitt"); so is a two-word whole-message exit phrase ("borrar todo"), each word within
   one edit. A message of three words or more is never exit.
2. Whole-message control keywords ("STOP", "menu", "hola", "0"), after normalization.
   Carrier keywords (opt_out, opt_in) count only when exact: carriers act on the exact word.
3. Safety: when `emergency` or `self_harm` scores at least SAFETY_FLOOR they win over
   any need in the same message ("I need a shelter but he's here with a gun"), except
   when all emergency found is harm told (a rule file's `reports`: "he hits me", "me
   pego"), which may be past or habitual: then a need named beside it wins ("will cps
   take my kids if i tell them he hits me"). When
   both do and all emergency found is a means (the `means` word family: pills, a gun,
   a rope, a bridge) or harm told (`reports`), they are the self-harm's story: "i have his
   gun in my hand and i want to use it on myself", "12 years of him beating me and now i
   just want to die" are self_harm.
4. Everything else by score; below UNKNOWN_BELOW the message is `unknown`. A language
   named beside a need ("a clinic with spanish interpreters") is not a language switch:
   the need wins.

How a message is scored against an intent:

- Keywords and hints are matched word by word on normalized words, one skipped word
  allowed between the words of a phrase ("kicked us out" matches "kicked out"). A keyword
  that is a longer phrase is more specific and scores higher; more keywords of one
  intent add a little; hints only add, and alone never pass the threshold. A negative
  phrase takes NEGATIVE_PENALTY points off.
- Misspelled words are corrected towards the rules' own vocabulary before matching.
  Scorer: `rapidfuzz.distance.OSA` (optimal string alignment: Levenshtein plus a swap of
  two neighbouring letters, the commonest thumb typo, "evcit" -> "evict"), through
  `process.extractOne` over vocabulary lists precomputed per first letter, with
  `score_cutoff` = the largest distance allowed (1 edit up to seven letters, 2 above),
  so rapidfuzz stops early on every hopeless candidate. Words of four letters or less are
  never corrected: at that length one edit turns most words into other words.
- Example sentences are compared with `fuzz.token_set_ratio` on their content words
  (stop words removed by a precomputed `processor`), through `process.extract` over the
  precomputed choices of the examples that share a word with the message and
  `score_cutoff=EXAMPLE_CUTOFF`. token_set_ratio scores 100 when every content word of
  an example appears in the message in any order, whatever else surrounds it: frightened
  people add words ("please", "i dont know what to do"), and `token_sort_ratio` would
  punish each one. `WRatio` was rejected: it is several times slower and its
  `partial_ratio` branch rewards substrings across word boundaries ("kill" inside
  "skills"); `partial_ratio` was rejected for the same reason.

Everything is compiled once (`compiled_rules()`), never per call. Misspelling corrections
are memoized per word (bounded).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from .normalization import (
    SHORTHAND,
    cut_long_runs,
    fold,
    has_spanish_marks,
    has_vietnamese_marks,
    normalize,
    normalize_folded,
    shorter_forms,
    word_runs,
)
from .places import PlaceFinder
from .published import rules_in_force
from .rules import (
    FAMILIES_FILE,
    RULES_DIRECTORY,
    TAXONOMY_IDS,
    Families,
    IntentRule,
    load_families,
    load_rules,
)

UNKNOWN_BELOW = 55
SAFETY_FLOOR = 70
EXAMPLE_CUTOFF = 85
EXAMPLE_COVERAGE = 0.75
EXAMPLE_MIN_WORDS = 3
NEGATIVE_PENALTY = 40
ALTERNATIVES = 3
CARRIER_INTENTS = frozenset({"opt_out", "opt_in"})
# Chosen only by their own rules (exit rule, exact carrier word, place finder), never by score.
_NOT_SCORED = frozenset({"exit", "location"}) | CARRIER_INTENTS
EXIT_MIN_LETTERS = 4
EXIT_MAX_WORDS = 7
EXIT_COMMAND_WORDS = 6
# The bonds and places a person leaves ("exit this relationship", "salir de la casa").
BONDS_LEFT = frozenset("relationship relationships marriage relacion matrimonio".split())
PLACES_LEFT = BONDS_LEFT | frozenset("""house home apartment town city state job work casa
trabajo ciudad pais vida""".split())
LEAVING_WORDS = PLACES_LEFT | frozenset("""
him her from of out de del pareja el ella tonight today tomorrow noche hoy manana
""".split())
# Words that may stand around an exit word without making it a sentence about something
# else: courtesy, "now", what to erase ("this chat", "my data", "todo"), a request frame.
EXIT_FILLER = frozenset("""
please pls plz now right away asap rn immediately quick quickly fast all everything every
this that it the my our chat chats history messages message msgs texts text conversation
convo data info information number thread app screen here out just i want to need can you
could would u me for of from and okay ok yes again
ya ahora ahorita rapido todo toda todos esto este eso la el los las lo mi mis datos chat
conversacion mensajes mensaje historial por favor porfa xfa quiero necesito puedes me de
del aqui y si ok pronto inmediatamente urgente thank thanks thx gracias just
these those estos estas esta esa ese
""".split())
# Words that say why an exit is urgent when they follow the exit order at once: the
# abuser is here, coming, looking ("EXIT hes here", "borra todo ya viene").
EXIT_ALARM_WORDS = frozenset("""
hes shes coming comes here home back door stairs watching looking walking
viene llego llega llegando aqui aca viendo mirando entrando
""".split())
_LEAVING_NOT_HOME = LEAVING_WORDS - {"home", "el"}  # "exit exit hes home" is an order
# Who is coming, between the exit order and the alarm word ("exit he is here").
_EXIT_ALARM_SUBJECTS = frozenset("""
he she is s just already ya el ella husband boyfriend bf wife girlfriend gf ex partner
esposo marido novio pareja esposa novia
""".split())
# The second word of a two-word exit ("clear pls", "borrar todo", "exit now").
EXIT_COMPANIONS = frozenset({
    "please", "now", "all", "everything", "this", "it", "chat", "history", "messages",
    "conversation", "ya", "ahora", "todo", "esto", "historial", "mensajes", "conversacion",
})

# Keyword strength by group and by number of words in the keyword (1, 2, 3 or more).
_KEYWORD_SCORES = {
    "safety": (78, 85, 90),
    "support": (75, 82, 88),
    "need": (75, 82, 88),
    "fallback": (70, 78, 85),
    "control": (62, 70, 78),
}
_EXTRA_KEYWORD = 5
_EXTRA_KEYWORD_MAX = 10
_HINT_ALONE = 15
_HINT_ALONE_MAX = 45
_HINT_WITH_KEYWORD = 3
_HINT_WITH_KEYWORD_MAX = 9
_EXAMPLE_WEIGHT = 0.92
_FUZZY_WHOLE_MESSAGE = 92
_LOCATION_SCORE = 95
# Endings of English and Spanish word forms: "knows" is "know" + s, never a typo of "know".
_ENDINGS = ("s", "es", "ed", "d", "ing", "ly", "er", "n", "en", "an", "ron", "mos", "ste",
            "ndo", "ba", "ban", "ria", "rian")
_ONE_WORD_SHORTHAND = {short: full for short, full in SHORTHAND.items() if " " not in full}
_COURTESY = frozenset({"please", "now", "okay", "ya", "ahora", "pues", "then", "again"})
_GROUP_RANK = {"safety": 0, "support": 1, "need": 2, "control": 3, "fallback": 4}

# Function words: left out of example comparison, and the base of language detection.
ENGLISH_WORDS = frozenset(
    "a an the to of for and or is are am be been was were do does did can could would will "
    "should shall i you he she it we they my your his her our their me him us them this that "
    "these those there here what how where when who why which with without from about into "
    "just so some any not have has had get got want need please if but because im really "
    "very too also only out up down over again still now tonight today right know think "
    "going went go help let see make take give say says said tell come keep".split()
)
SPANISH_WORDS = frozenset(
    "el la los las un una unos unas de del al y o que en es son esta estan estoy estas ser "
    "soy eres fue era por para con sin pero porque como donde cuando quien cual mi mis tu "
    "tus su sus nuestro yo ella ellos nosotros usted ustedes le les lo se te nos muy mas "
    "tambien ya aqui alli hay tengo tiene tienen quiero quiere necesito necesita puedo puede "
    "hacer hace si ayuda ayudar favor gracias hola ahora hoy noche mañana manana casa esposo "
    "novio hijos hijo hija dinero".split()
)
# Words that are function words in both languages or too short to tell.
_AMBIGUOUS_WORDS = frozenset({"no", "me", "a", "solo", "mi", "ok", "okay", "cps", "info", "sms"})
_FUNCTION_WORDS = ENGLISH_WORDS | SPANISH_WORDS | _AMBIGUOUS_WORDS
_EXAMPLE_STOPWORDS = (ENGLISH_WORDS | SPANISH_WORDS | _AMBIGUOUS_WORDS) - frozenset(
    "me he she him his her myself i want quiero no not kill die morir matar outside "
    "help ayuda tonight noche casa esposo novio hijos hijo hija dinero".split()
)


@dataclass(frozen=True)
class Classification:
    """What a message is about: the intent, how sure, the language and the places named."""

    intent: str
    score: int
    language: str
    entities: dict[str, str] = field(default_factory=dict)
    alternatives: list[tuple[str, int]] = field(default_factory=list)
    # The reading's other signals (DESIGN.md): found even when another intent wins.
    safety: str = ""  # "danger", "self_harm" or ""
    safety_score: int = 0
    needs: tuple[str, ...] = ()  # every need named, best first
    who: tuple[str, ...] = ()  # populations named (children, teens, pets, men, ...)
    urgency: str = ""  # "now", "tonight" or ""
    subject: str = "self"  # "other" when the person writes about someone else

    def to_dict(self) -> dict:
        """Return a JSON-ready dict (alternatives as [intent, score] pairs)."""
        return {
            "intent": self.intent,
            "score": self.score,
            "language": self.language,
            "entities": dict(self.entities),
            "alternatives": [[intent, score] for intent, score in self.alternatives],
            "safety": self.safety,
            "safety_score": self.safety_score,
            "needs": list(self.needs),
            "who": list(self.who),
            "urgency": self.urgency,
            "subject": self.subject,
        }


@dataclass(frozen=True)
class RulesReading:
    """The rules' classification and what they computed on the way, passed along so the
    reading never normalizes the message twice."""

    classification: Classification
    folded: str  # the message folded (no case, accents or punctuation)
    words: list[str]  # its normalized words (shorthand expanded), before spelling correction
    means_only: bool = False  # every emergency keyword found was a means (a gun, pills)


@dataclass(frozen=True)
class _Pattern:
    intent: str
    kind: str  # "keyword", "report", "hint" or "negative"
    language: str
    words: tuple[tuple[str, bool], ...]  # (word, is_prefix)
    strength: int
    required: frozenset[str] = frozenset()  # exact words after the first: a quick subset test


@dataclass
class _Evidence:
    keywords: list[_Pattern] = field(default_factory=list)
    hints: int = 0
    negative: bool = False
    example: float = 0.0
    example_language: str = ""


def _pattern_words(phrase: str) -> tuple[tuple[str, bool], ...]:
    words: list[tuple[str, bool]] = []
    for raw in phrase.split():
        prefix = raw.endswith("*")
        parts = normalize(raw.rstrip("*"))
        for position, part in enumerate(parts):
            words.append((part, prefix and position == len(parts) - 1))
    return tuple(words)


def _strength(group: str, words: tuple[tuple[str, bool], ...]) -> int:
    """Score of a keyword: more meaningful words make a more specific keyword."""
    meaningful = sum(1 for word, _ in words if word not in _FUNCTION_WORDS)
    return _KEYWORD_SCORES[group][min(max(meaningful, 1), 3) - 1]


class CompiledRules:
    """Every rule file compiled into lookup tables; build once, share everywhere."""

    def __init__(self, rules: tuple[IntentRule, ...], families: Families | None = None) -> None:
        # The means family's words (pills, gun, rope...): see the module docstring, step 3.
        self.means_words = frozenset(
            word for block in (families or {}).values()
            for phrase in block.get("means", ()) for word, _ in _pattern_words(phrase)
        ) - _FUNCTION_WORDS
        taxonomy_rank = {intent: rank for rank, intent in enumerate(TAXONOMY_IDS)}
        self.rules = {rule.id: rule for rule in rules}
        self.intent_order = sorted(self.rules, key=lambda i: taxonomy_rank.get(i, 999))
        self.group = {rule.id: rule.group for rule in rules}
        self.whole_message: dict[str, tuple[str, str]] = {}
        self.exit_words: dict[str, str] = {}  # keyword -> language
        self.exit_phrases: list[tuple[tuple[str, ...], str]] = []
        self.first_exact: dict[str, list[_Pattern]] = defaultdict(list)
        self.first_prefix: dict[str, list[_Pattern]] = defaultdict(list)
        # Phrases whose first two words are exact, by those two words: a message word is
        # then checked only against the phrases its next words can continue (word
        # families make hundreds of phrases start with "my" or "he").
        self.first_pair: dict[tuple[str, str], list[_Pattern]] = defaultdict(list)
        vocabulary: set[str] = set(ENGLISH_WORDS | SPANISH_WORDS | _AMBIGUOUS_WORDS)
        rule_words: set[str] = set(vocabulary)  # words of keywords, never of examples
        stems: set[str] = set()
        words_by_language: dict[str, set[str]] = defaultdict(set)

        for rule in rules:
            for language, phrases in rule.whole_message.items():
                for phrase in phrases:
                    words = tuple(normalize(phrase))
                    key = " ".join(words)
                    said_in = language
                    if key in self.whole_message and self.whole_message[key][1] != language:
                        said_in = "en"  # in both lists ("menu"): the default language
                    self.whole_message[key] = (rule.id, said_in)
                    vocabulary.update(words)
                    rule_words.update(words)
                    words_by_language[language].update(words)
                    if rule.id == "exit":
                        if len(words) == 1 and len(words[0]) >= EXIT_MIN_LETTERS:
                            self.exit_words[words[0]] = language
                        elif len(words) == 2:
                            self.exit_phrases.append((words, language))
            for language, block in rule.languages.items():
                for kind, phrases in (("keyword", block.keywords), ("report", block.reports),
                                      ("hint", block.hints), ("negative", block.negatives)):
                    for phrase in phrases:
                        words = _pattern_words(phrase)
                        if not words:
                            continue
                        if rule.id not in _NOT_SCORED:
                            required = frozenset(w for w, prefix in words[1:] if not prefix)
                            pattern = _Pattern(rule.id, kind, language, words,
                                               _strength(rule.group, words), required)
                            first, is_prefix = words[0]
                            if not is_prefix and len(words) > 1 and not words[1][1]:
                                self.first_pair[(first, words[1][0])].append(pattern)
                            else:
                                index = self.first_prefix if is_prefix else self.first_exact
                                index[first].append(pattern)
                        for word, prefix in words:
                            (stems if prefix else vocabulary).add(word)
                            rule_words.add(word)
                            if rule.id != "location":
                                words_by_language[language].add(word)
                for example in block.examples:
                    words = normalize(example)
                    vocabulary.update(words)
                    if rule.id != "location":  # place names say nothing about the language
                        words_by_language[language].update(words)

        # One letter wrong still exits in English and Spanish. Not in a further language:
        # unmarked Vietnamese words are short and one letter from everyday English ones.
        self.exit_choices = tuple(word for word, language in self.exit_words.items()
                                  if language in ("en", "es"))
        self.vocabulary = frozenset(vocabulary)
        self.stems = frozenset(stems)
        self.stem_lengths = tuple(sorted({len(stem) for stem in stems}))
        self.language_of_word = self._language_markers(words_by_language)
        self._words_by_initial: dict[str, list[str]] = defaultdict(list)
        for word in sorted(self.vocabulary):
            if len(word) >= 4 and not word.isdigit():
                self._words_by_initial[word[0]].append(word)
        self._stems_by_initial: dict[tuple[str, int], list[str]] = defaultdict(list)
        for stem in sorted(self.stems):
            if len(stem) >= 5:
                self._stems_by_initial[(stem[0], len(stem))].append(stem)
        # Memos per word (bounded): words recur across messages, messages do not.
        self.correct = lru_cache(maxsize=50_000)(self._correct)
        self.resolve_word = lru_cache(maxsize=50_000)(self._resolve_word)
        self.patterns_starting_with = lru_cache(maxsize=50_000)(self._patterns_starting_with)

        # Examples: content words (after correction) as precomputed choices.
        self.example_intent: list[tuple[str, str]] = []
        self.example_choice: list[str] = []
        self.example_words: list[frozenset[str]] = []
        self.example_index: dict[str, list[int]] = defaultdict(list)
        for rule in rules:
            if rule.id in _NOT_SCORED:
                continue
            for language, block in rule.languages.items():
                for example in block.examples:
                    content = self.content_words(self.resolve_words(normalize(example)))
                    if len(set(content)) < EXAMPLE_MIN_WORDS:
                        continue  # two words are a keyword's job, not an example's
                    number = len(self.example_choice)
                    self.example_intent.append((rule.id, language))
                    self.example_choice.append(" ".join(sorted(set(content))))
                    self.example_words.append(frozenset(content))
                    # Looked up by meaningful words only: "he", "me" would fetch half of them.
                    for word in set(content) - _FUNCTION_WORDS:
                        self.example_index[word].append(number)
        location = self.rules.get("location")
        framing: set[str] = set()
        if location:
            for block in location.languages.values():
                for phrase in (*block.keywords, *block.hints):
                    framing.update(fold(phrase.replace("*", "")).split())
                    framing.update(normalize(phrase.replace("*", "")))
        self.places = PlaceFinder(frozenset(rule_words), framing)

    @staticmethod
    def _language_markers(words_by_language: dict[str, set[str]]) -> dict[str, str]:
        english = (words_by_language["en"] | ENGLISH_WORDS) - _AMBIGUOUS_WORDS
        spanish = (words_by_language["es"] | SPANISH_WORDS) - _AMBIGUOUS_WORDS
        markers = {word: "en" for word in english - spanish if not word.isdigit()}
        markers.update({word: "es" for word in spanish - english if not word.isdigit()})
        # Function words decide even when a rule borrowed them ("en espanol" in en rules).
        markers.update(dict.fromkeys(ENGLISH_WORDS - _AMBIGUOUS_WORDS - SPANISH_WORDS, "en"))
        markers.update(dict.fromkeys(SPANISH_WORDS - _AMBIGUOUS_WORDS - ENGLISH_WORDS, "es"))
        # A further language (rules/languages/): only its words no other language uses
        # ("toi", "giup"); unmarked Vietnamese shares "con", "la", "ban" with the others.
        others = [language for language in words_by_language if language not in ("en", "es")]
        for language in others:
            taken = english | spanish | _AMBIGUOUS_WORDS | set().union(
                *(words_by_language[other] for other in others if other != language))
            for word in words_by_language[language] - taken:
                if not word.isdigit():
                    markers.setdefault(word, language)
        return markers

    # -- words -------------------------------------------------------------------------

    def known(self, word: str) -> bool:
        """Return True when `word` is a rule word or starts with a rule stem."""
        if word in self.vocabulary or word.isdigit():
            return True
        return any(word[:length] in self.stems for length in self.stem_lengths
                   if length <= len(word))

    def clear_memos(self) -> None:
        """Forget every per-word memo (the benchmark measures messages as if new)."""
        self.correct.cache_clear()
        self.resolve_word.cache_clear()
        self.patterns_starting_with.cache_clear()

    def _resolve_word(self, word: str) -> str:
        """Return `word`, its form without repeated letters, or its spelling correction."""
        if self.known(word):
            return word
        for form in shorter_forms(word):
            if self.known(form):
                return form
        return self.correct(word)

    def resolve_words(self, words: list[str]) -> list[str]:
        """Resolve every word (see resolve_word)."""
        return [self.resolve_word(word) for word in words]

    def _correct(self, word: str) -> str:
        if word.isdigit() or len(word) < 3 or self._inflected(word):
            return word
        if len(word) <= 4:
            return self._correct_short(word)
        limit = 1 if len(word) <= 7 else 2
        best: tuple[int, str] | None = None
        found = process.extractOne(
            word, self._words_by_initial.get(word[0], ()), scorer=OSA.distance,
            score_cutoff=limit,
        )
        if found:
            best = (found[1], found[0])
        for length in self.stem_lengths:
            if length < 5 or length > len(word):
                continue
            choices = self._stems_by_initial.get((word[0], length))
            if not choices:
                continue
            found = process.extractOne(word[:length], choices, scorer=OSA.distance,
                                       score_cutoff=1)
            if found and (best is None or found[1] < best[0]):
                best = (found[1], found[0] + word[length:])
        return best[1] if best else word

    def _inflected(self, word: str) -> bool:
        """True for a known word with an ending ("knows", "quieren"): a real word, not a typo."""
        for ending in _ENDINGS:
            base = word[:-len(ending)]
            if word.endswith(ending) and len(base) >= 3 and (
                base in self.vocabulary or base + "e" in self.vocabulary
            ):
                return True
        return False

    def _correct_short(self, word: str) -> str:
        """Short words: only a letter typed once instead of twice, or two letters swapped."""
        for position in range(len(word)):
            doubled = word[:position + 1] + word[position:]
            if doubled in self.vocabulary:
                return doubled  # "dor" -> "door", "kil" -> "kill"
        for position in range(len(word) - 1):
            swapped = (word[:position] + word[position + 1] + word[position]
                       + word[position + 2:])
            if swapped in self.vocabulary:
                return swapped  # "hlep" -> "help"
        return word

    @staticmethod
    def content_words(words: list[str]) -> list[str]:
        """Return the words that carry meaning (function words dropped)."""
        return [word for word in words if word not in _EXAMPLE_STOPWORDS]

    # -- exit --------------------------------------------------------------------------

    def exit_language(self, words: list[str], text: str = "") -> str | None:
        """Return the language of an exit message, or None when `words` is not exit.

        `words` are the message's words as typed (folded: no case, accents, punctuation);
        `text` is the message itself (a command typed in capitals: "EXIT hes coming").
        """
        if not words:
            return None
        if len(words) > EXIT_MAX_WORDS + 4:
            return _erase_request(words)
        typed = words
        words = self._split_run_together(_joined_spelled_letters(words))
        if self._exit_then_alarm(words):
            return self._exit_word(words[0])
        if self._alarm_then_exit(words):
            return self._exit_word(words[-1])
        if _closes_the_chat(words):
            return "es" if words[0] in _SPANISH_CHAT_VERBS else "en"
        entry = self.whole_message.get(" ".join(cut_long_runs(word) for word in words))
        if entry and entry[0] == "exit":
            return entry[1]
        if len(words) <= 2:
            found = self._short_exit(words)
            if found:
                return found
        if len(words) > EXIT_MAX_WORDS:
            return _erase_request(typed)
        # An exit word with filler words, a number or a place around it ("exit now
        # please", "borrar todo por favor", "EXIT 52402", "delete my data"): every other
        # word is filler or a number, or the other words name a place.
        languages = [self._exit_word(word) if len(word) >= EXIT_MIN_LETTERS else None
                     for word in words]
        if not any(languages):
            return _erase_request(typed)
        first = next(language for language in languages if language)
        rest = [word for word, language in zip(words, languages, strict=True)
                if not language and word not in EXIT_FILLER and not word.isdigit()]
        if not rest:
            return first
        if languages[0] and (_typed_as_command(text) or (
                len(words) <= EXIT_COMMAND_WORDS and not set(rest) & LEAVING_WORDS)):
            # "EXIT hes coming", "borra todo ya esta aqui": the exit word first, as a
            # command; "exit this relationship", "salir de la casa" are about leaving.
            return first
        if len(rest) <= 3 and self.places.find(" ".join(rest), rest)[1]:
            return first
        return _erase_request(typed)

    def _split_run_together(self, words: list[str]) -> list[str]:
        """Split an exit word typed together with its filler: "exitnow", "borrartodo"."""
        split: list[str] = []
        for word in words:
            for keyword in self.exit_words:
                rest = word[len(keyword):]
                if word.startswith(keyword) and len(rest) >= 2 and (
                        rest in EXIT_FILLER or rest in self.exit_words):
                    split += [keyword, rest]
                    break
            else:
                split.append(word)
        return split

    def _exit_then_alarm(self, words: list[str]) -> bool:
        """True for an exit order followed by why it is urgent: "exit exit hes home",
        "erase this now hes coming up the stairs", "salir ya viene".

        The exit word comes first, and only exit or filler words stand between it and
        the first alarm word: "salir de la casa ya viene" (the house) is about leaving.
        """
        if len(words) < 2 or not self._exit_word(words[0]) or len(words[0]) < EXIT_MIN_LETTERS:
            return False
        if set(words) & _LEAVING_NOT_HOME:
            return False  # "exit he is here from him": a sentence about leaving
        for word in words[1:]:
            if word in EXIT_ALARM_WORDS:
                return True
            if (word not in EXIT_FILLER and word not in _EXIT_ALARM_SUBJECTS
                    and not self._exit_word(word)):
                return False
        return False

    def _alarm_then_exit(self, words: list[str]) -> bool:
        """True for why it is urgent, then the exit order: "hes here exit", "ya llego
        borrar", "he is coming delete"."""
        if len(words) < 2 or len(words[-1]) < EXIT_MIN_LETTERS or not self._exit_word(words[-1]):
            return False
        before = set(words[:-1])
        return bool(before & EXIT_ALARM_WORDS) and before <= (
            EXIT_ALARM_WORDS | _EXIT_ALARM_SUBJECTS | EXIT_FILLER)

    def _short_exit(self, words: list[str]) -> str | None:
        exit_like = [self._exit_word(word) for word in words]
        if all(exit_like):
            return exit_like[0]
        if len(words) == 2:
            # "exit pls" is "exit please": one-word shorthand only ("pls", "plz", "xfa" is two).
            words = [_ONE_WORD_SHORTHAND.get(word, word) for word in words]
            for exit_word, other in (words, words[::-1]):
                if other in EXIT_COMPANIONS:
                    language = self._exit_word(exit_word)
                    if language:
                        return language
            for phrase, language in self.exit_phrases:
                if all(self._same_within_one_edit(word, wanted)
                       for word, wanted in zip(words, phrase, strict=True)):
                    return language
        return None

    def _exit_word(self, word: str) -> str | None:
        # As typed, then with repeated letters cut ("borrrr" is one edit from "borrar").
        for candidate in dict.fromkeys((word, cut_long_runs(word), *shorter_forms(word))):
            if candidate in self.exit_words:
                return self.exit_words[candidate]
            if candidate in ENGLISH_WORDS or candidate in SPANISH_WORDS:
                continue  # a word of its own, not a typo: "that" is not "thoat" (thoát)
            found = process.extractOne(candidate, self.exit_choices, scorer=OSA.distance,
                                       score_cutoff=1)
            if found:
                return self.exit_words[found[0]]
        return None

    @staticmethod
    def _same_within_one_edit(word: str, wanted: str) -> bool:
        if word == wanted:
            return True
        if len(wanted) < EXIT_MIN_LETTERS:
            return False
        return any(OSA.distance(form, wanted) <= 1 for form in (word, *shorter_forms(word)))

    # -- keywords ----------------------------------------------------------------------

    def matched_patterns(self, words: list[str]) -> list[_Pattern]:
        """Return every keyword, hint and negative pattern found in `words`."""
        found: list[_Pattern] = []
        present = set(words)
        pairs = self.first_pair
        for start, word in enumerate(words):
            candidates = list(self.patterns_starting_with(word))
            following = words[start + 1:start + 3]
            for position, after in enumerate(following):
                if position and after == following[0]:
                    break  # the same next word twice: its phrases are already listed
                candidates.extend(pairs.get((word, after), ()))
            for pattern in candidates:
                if len(pattern.words) == 1:
                    found.append(pattern)
                elif pattern.required <= present and self._rest_matches(
                    pattern.words, words, start
                ):
                    found.append(pattern)
        return found

    def _patterns_starting_with(self, word: str) -> tuple[_Pattern, ...]:
        candidates = list(self.first_exact.get(word, ()))
        for length in self.stem_lengths:
            if length > len(word):
                break
            candidates.extend(self.first_prefix.get(word[:length], ()))
        return tuple(candidates)

    @staticmethod
    def _rest_matches(pattern: tuple[tuple[str, bool], ...], words: list[str],
                      start: int) -> bool:
        position = start
        for wanted, prefix in pattern[1:]:
            for candidate in (position + 1, position + 2):
                if candidate >= len(words):
                    return False
                word = words[candidate]
                if word == wanted or (prefix and word.startswith(wanted)):
                    position = candidate
                    break
            else:
                return False
        return True

    def best_examples(self, words: list[str]) -> dict[str, tuple[float, str]]:
        """Return intent -> (best example similarity, its language) for similar examples."""
        content = self.content_words(words)
        numbers: set[int] = set()
        for word in content:
            numbers.update(self.example_index.get(word, ()))
        if not numbers:
            return {}
        choices = {number: self.example_choice[number] for number in numbers}
        query = " ".join(sorted(set(content)))
        best: dict[str, tuple[float, str]] = {}
        present = set(content)
        for _, score, number in process.extract(
            query, choices, scorer=fuzz.token_set_ratio, processor=None,
            score_cutoff=EXAMPLE_CUTOFF, limit=None,
        ):
            # token_set_ratio is also high when the MESSAGE is mostly inside the example;
            # count it only when most of the EXAMPLE is inside the message.
            example_words = self.example_words[number]
            if len(example_words & present) < EXAMPLE_COVERAGE * len(example_words):
                continue
            intent, language = self.example_intent[number]
            if score > best.get(intent, (0.0, ""))[0]:
                best[intent] = (score, language)
        return best

    # -- classify ----------------------------------------------------------------------

    def classify(self, text: str) -> Classification:
        """Classify one message (see the module docstring for the order)."""
        return self.read(text).classification

    def read(self, text: str) -> RulesReading:
        """Classify one message and return the folded text and words beside the result."""
        folded = fold(text)
        words = normalize_folded(folded)
        evidence: dict[str, _Evidence] = {}
        classification = self._classify(text, folded, words, evidence)
        return RulesReading(classification, folded, words,
                            self._only_means(evidence.get("emergency")))

    def _classify(self, text: str, folded: str, words: list[str],
                  found: dict[str, _Evidence]) -> Classification:
        exit_language = self.exit_language(folded.split(), text)
        resolved = self.resolve_words(words)
        evidence = self._evidence(resolved)
        found.update(evidence)
        scores = self._scores(evidence)
        language = self._language(text, resolved, evidence, exit_language)

        # Exit and whole-message controls name no place: no place search for them.
        if exit_language is not None:
            language = _exit_reply_language(folded.split(), exit_language)
            exact = " ".join(folded.split()) in self.whole_message
            return self._result("exit", 100 if exact else 95, language, {}, scores)
        whole = self.whole_message.get(" ".join(words))
        if whole is None:
            # Said twice ("VOLVIO. VOLVIO", "help help"): the same whole message.
            whole = self.whole_message.get(" ".join(_once(words)))
        if whole is None or whole[0] == "exit":
            # "menu por favor", never "stop please": carriers act on the exact word only.
            whole = self.whole_message.get(" ".join(_without_courtesy(words)))
            if whole and (whole[0] in _NOT_SCORED or max(
                    (scores.get(intent, 0) for intent in self.intent_order
                     if self.group[intent] == "safety"), default=0) >= SAFETY_FLOOR):
                whole = None  # "help now please" is distress, not the HELP keyword
        if whole and whole[0] != "exit":
            return self._result(whole[0], 100, language, {}, scores)
        entities, only_place = self.places.find(text, words)
        fuzzy_whole = self.whole_message.get(" ".join(resolved))
        if fuzzy_whole and fuzzy_whole[0] not in _NOT_SCORED:
            scores[fuzzy_whole[0]] = max(scores.get(fuzzy_whole[0], 0), _FUZZY_WHOLE_MESSAGE)
        if only_place and "location" in self.rules:
            scores["location"] = max(scores.get("location", 0), _LOCATION_SCORE)
        if not words:
            return self._result("unknown", 100, language, entities, scores)

        safety = [intent for intent in self.intent_order
                  if self.group[intent] == "safety" and scores.get(intent, 0) >= SAFETY_FLOOR]
        if safety == ["emergency"] and self._only_reports(evidence["emergency"]) and any(
            self.group.get(intent) in ("need", "support") and score >= UNKNOWN_BELOW
            for intent, score in scores.items()
        ):
            # "he hits me, will cps take my kids": harm told beside a need; the need wins.
            safety = []
            scores = {intent: score for intent, score in scores.items()
                      if intent != "emergency"}
        if safety:
            chosen = max(safety, key=lambda intent: scores[intent])
            if len(safety) == 2 and (self._only_means(evidence.get("emergency"))
                                     or self._only_reports(evidence["emergency"])):
                # "his gun in my hand", "12 years of him beating me and now i want to die":
                # the means and the harm told are the self-harm's story.
                chosen = "self_harm"
            return self._result(chosen, scores[chosen], language, entities, scores)
        ranked = self._ranked(scores)
        if ranked and ranked[0][0] == "language":
            # "hay misa en español cerca", "a hospital with spanish interpreters": the
            # language is how they want the help, the need named beside it is the help.
            needs = [item for item in ranked if self.group.get(item[0]) in ("need", "support")
                     and item[1] >= UNKNOWN_BELOW]
            if needs:
                ranked = needs
        if not ranked or ranked[0][1] < UNKNOWN_BELOW:
            best = ranked[0][1] if ranked else 0
            return self._result("unknown", 100 - best, language, entities, scores)
        chosen, score = ranked[0]
        return self._result(chosen, score, language, entities, scores)

    @staticmethod
    def _only_reports(evidence: _Evidence) -> bool:
        """True when every emergency keyword found tells of harm (maybe past or habitual)."""
        return bool(evidence.keywords) and all(pattern.kind == "report"
                                               for pattern in evidence.keywords)

    def _only_means(self, evidence: _Evidence | None) -> bool:
        """True when every emergency keyword found is a means (a gun, pills, a rope)."""
        if evidence is None or not evidence.keywords:
            return False
        return all({word for word, _ in pattern.words} - _FUNCTION_WORDS <= self.means_words
                   for pattern in evidence.keywords)

    def explain(self, text: str) -> dict:
        """Return why `text` was classified as it was: words, matches and scores."""
        words = normalize(text)
        resolved = self.resolve_words(words)
        matches: dict[str, list[str]] = defaultdict(list)
        for pattern in self.matched_patterns(resolved):
            phrase = " ".join(word + ("*" if prefix else "") for word, prefix in pattern.words)
            matches[pattern.intent].append(f"{pattern.kind} ({pattern.language}): {phrase}")
        for intent, (score, language) in self.best_examples(resolved).items():
            matches[intent].append(f"example ({language}): similarity {score:.0f}")
        return {
            "words": words,
            "corrected": [f"{a} -> {b}" for a, b in zip(words, resolved, strict=True) if a != b],
            "matches": dict(matches),
            "scores": dict(self._ranked(self._scores(self._evidence(resolved)))),
        }

    def _evidence(self, words: list[str]) -> dict[str, _Evidence]:
        evidence: dict[str, _Evidence] = defaultdict(_Evidence)
        for pattern in self.matched_patterns(words):
            entry = evidence[pattern.intent]
            if pattern.kind in ("keyword", "report"):
                entry.keywords.append(pattern)
            elif pattern.kind == "hint":
                entry.hints += 1
            else:
                entry.negative = True
        for intent, (score, language) in self.best_examples(words).items():
            evidence[intent].example = score
            evidence[intent].example_language = language
        return evidence

    @staticmethod
    def _scores(evidence: dict[str, _Evidence]) -> dict[str, int]:
        scores: dict[str, int] = {}
        for intent, entry in evidence.items():
            keyword = 0.0
            if entry.keywords:
                strengths = sorted({p.strength for p in entry.keywords}, reverse=True)
                distinct = len({p.words for p in entry.keywords})
                extra = min(_EXTRA_KEYWORD * (distinct - 1), _EXTRA_KEYWORD_MAX)
                keyword = strengths[0] + extra
            example = entry.example * _EXAMPLE_WEIGHT
            score = max(keyword, example)
            if keyword and example:
                score += 3
            if score:
                score += min(_HINT_WITH_KEYWORD * entry.hints, _HINT_WITH_KEYWORD_MAX)
            else:
                score = min(_HINT_ALONE * entry.hints, _HINT_ALONE_MAX)
            if entry.negative:
                score -= NEGATIVE_PENALTY
            scores[intent] = max(0, min(100, round(score)))
        return scores

    def _ranked(self, scores: dict[str, int]) -> list[tuple[str, int]]:
        order = {intent: rank for rank, intent in enumerate(self.intent_order)}
        return sorted(
            ((intent, score) for intent, score in scores.items()
             if score > 0 and intent != "unknown"),
            key=lambda item: (-item[1], _GROUP_RANK.get(self.group.get(item[0], ""), 9),
                              order.get(item[0], 999)),
        )

    def _language(self, text: str, words: list[str], evidence: dict[str, _Evidence],
                  exit_language: str | None) -> str:
        whole = self.whole_message.get(" ".join(words))
        if whole and whole[1] not in ("en", "es"):
            return whole[1]  # "xin chào" is Vietnamese, though "chao" is Spanish too
        votes = defaultdict(int, {"en": 0, "es": 0})
        for word in words:
            language = self.language_of_word.get(word)
            if language:
                votes[language] += 1
        if has_spanish_marks(text):
            votes["es"] += 2
        if has_vietnamese_marks(text):
            votes["vi"] += 3
        further = max((language for language in votes if language not in ("en", "es")),
                      key=votes.__getitem__, default=None)
        if further and votes[further] > max(votes["en"], votes["es"]):
            return further
        if votes["es"] != votes["en"]:
            return "es" if votes["es"] > votes["en"] else "en"
        if exit_language:
            return exit_language
        whole = self.whole_message.get(" ".join(words))
        if whole:
            return whole[1]
        for entry in evidence.values():
            for pattern in entry.keywords:
                votes[pattern.language] += 1
            if entry.example_language:
                votes[entry.example_language] += 1
        further = max((language for language in votes if language not in ("en", "es")),
                      key=votes.__getitem__, default=None)
        if further and votes[further] > max(votes["en"], votes["es"]):
            return further
        return "es" if votes["es"] > votes["en"] else "en"

    def _result(self, intent: str, score: int, language: str, entities: dict[str, str],
                scores: dict[str, int]) -> Classification:
        alternatives = [(other, value) for other, value in self._ranked(scores)
                        if other != intent][:ALTERNATIVES]
        if len(alternatives) < ALTERNATIVES:
            # Always three runner-ups for the console; unmatched intents score 0.
            taken = {intent, "unknown", *(other for other, _ in alternatives)}
            for other in self.intent_order:
                if len(alternatives) >= ALTERNATIVES:
                    break
                if other not in taken and self.group[other] != "control":
                    alternatives.append((other, 0))
        return Classification(intent, int(score), language, entities, alternatives)


# Verbs that erase only with the chat as their object: "close this chat", "remove my
# messages", "cierra el chat" ("close the door", "remove him from the lease" are not exit).
_CHAT_VERBS = frozenset("close end leave hide remove destroy purge shred kill rid".split())
_SPANISH_CHAT_VERBS = frozenset("""
cerrar cierra cierre quitar quita destruir terminar desaparece desaparecer desaparezca
""".split())
_SIGN_OUT = frozenset({"log", "sign", "logout", "signout"})
_CHAT_OBJECTS = frozenset("""
chat chats convo conversation conversations messages message msgs texts history thread
threads app data session conversacion mensajes mensaje historial datos sesion
""".split())


# An order to erase, anywhere in the message, with the chat as its object: "pls erase
# this chat hes walking in", "borra todo que el sabe mi clave", "can you delete this
# convo?". English, then Spanish; typed forms as people type them.
_ERASE_VERBS = {
    **dict.fromkeys("""delete delet delte deleet erase erace wipe clear remove scrub purge
    unsend""".split(), "en"),
    **dict.fromkeys("""borrar borra borre borren borralo borrala borralos borrame borrenlo
    borrelo borrarlo borrarla borrarlos eliminar elimina elimine eliminen eliminalo
    eliminala eliminarlo eliminarla eliminara borrara""".split(), "es"),
}
# Verbs that erase only with the chat named plainly: "trash this conversation", "hide
# this chat", "quita todo", "desaparece lo que escribi", "esconde este chat".
_WEAK_ERASE_VERBS = {
    **dict.fromkeys("trash hide undo".split(), "en"),
    **dict.fromkeys("""quita quitame quitar saca sacar desaparece desaparecer desaparezca
    deshaz deshacer esconde esconder oculta ocultar limpia limpiar""".split(), "es"),
}
# "can this be deleted", "I would like this conversation deleted", "have it erased".
_ERASED_FORMS = {
    **dict.fromkeys("deleted erased cleared removed wiped".split(), "en"),
    **dict.fromkeys("borrado borrada borrados eliminado eliminada eliminados".split(), "es"),
}
# Spanish forms with the object attached ("borralo", "eliminala"): the order is whole.
_WITH_OBJECT = frozenset("""borralo borrala borralos borrenlo borrelo borrarlo borrarla
borrarlos eliminalo eliminala eliminarlo eliminarla""".split())
# A command's own marks right after the verb: "delete now he is in the kitchen".
_COMMAND_MARKS = frozenset(
    "ya ahora ahorita now rn porfa please pls plz xfa rapido quick fast".split())
# What the order erases when it is the chat: these words within three after the verb.
_PLAIN_CHAT = frozenset("""
chat chats convo conversation conversations messages message msgs texts thread
conversacion mensajes mensaje historial esto escribi mande puse sent wrote typed
""".split())
_ERASED_CHAT = _PLAIN_CHAT | frozenset("""
this it that these everything evrything everthing all whole what said todo todos eso
data info datos informacion
""".split())
# ...and what it erases when it is not: evidence, other apps, a person ("delete him
# from my life", "borro las fotos de los golpes?", "clear my browser history").
_ERASED_OTHER = frozenset("""
him her his hers photos photo pics pic pictures picture fotos foto screenshots evidence
pruebas facebook fb instagram ig snapchat tiktok whatsapp browser search google location
ubicacion tracker app apps account cuenta number numero contact contacts contacto
contactos name nombre record records expediente cargos charges vida life them kids
children child baby ninos hijos hijo hija bebe
""".split())
# Advice about erasing, not an order: "should i delete his texts or keep them for court".
_ERASE_ADVICE = frozenset("""should shud would keep court judge lawyer deberia debo
guardar guardo corte juez abogado""".split())
_ASKS_HOW_IT_IS = frozenset({("do", "you"), ("do", "u"), ("did", "you"), ("does", "it"),
                             ("does", "this"), ("do", "they"), ("does", "harbor")})
_FROM_THEIRS = frozenset({"from his", "from her", "from their", "de su", "del celular"})
_IS_IT = frozenset("is are was were does do".split())
_LEFT_PERSON = frozenset({"from him", "from her", "away from", "de el", "de ella"})
_LEFT_DETERMINERS = frozenset("this my the our la mi esta de nuestra".split())
_MADE_TO = frozenset("made make makes making forces forced obliga obligo hace hizo".split())
_SUBJUNCTIVE = frozenset("borre borren elimine eliminen eliminara borrara".split())
_ASKING = frozenset("favor pido agradeceria puede pueden puedes podria".split())
# "need this gone", "make this disappear", "get this off my phone".
_GONE_PAIRS = frozenset({"this gone", "it gone", "all gone", "everything gone",
                         "this disappear", "it disappear"})
# Before a weak verb, someone takes something from someone: "me la van a quitar", "se
# le quita", "me saca todo el cheque", "ayudarme a sacar esto" (not an order to erase).
_TAKEN_FROM = frozenset("me te le se nos la lo les los las a".split())


def _names_a_place(words: list[str]) -> bool:
    """True when `words` name a place or a bond left ("this house", "my marriage");
    "hes home" says where he is."""
    if set(word_runs(words)) & _LEFT_PERSON:
        return True  # "exit now from him"
    return any(word in PLACES_LEFT and (word not in ("home", "casa") or (
        position and words[position - 1] in _LEFT_DETERMINERS))
        for position, word in enumerate(words))


ERASE_VERBS = frozenset(_ERASE_VERBS)


def _erase_request(words: list[str]) -> str | None:
    """Return the language of an order to erase this chat found in `words`, or None."""
    present = set(words)
    if _ERASE_ADVICE & present or BONDS_LEFT & present:
        return None
    for position, word in enumerate(words):
        strong = _ERASE_VERBS.get(word)
        weak = _WEAK_ERASE_VERBS.get(word)
        if word == "rid" and position and words[position - 1] == "get":
            strong = "en"  # "get rid of this conversation"
        form = _ERASED_FORMS.get(word)
        if form:
            ahead = set(words[max(0, position - 3):position])
            if ahead & _ERASED_CHAT and not ahead & (_ERASED_OTHER | _IS_IT) \
                    and not ahead & {"he", "she", "el", "ella"}:
                return form  # "can this be deleted", "have it erased"
            continue
        language = strong or weak
        if language is None:
            continue
        before = words[max(0, position - 3):position]
        if "if" in words[:position] or "si" in words[:position] \
                or {"when", "cuando"} & set(before) or _MADE_TO & set(before) \
                or tuple(before[-2:]) in _ASKS_HOW_IT_IS:
            # A question about erasing ("if i delete this thread is it gone", "do you
            # delete the messages?") or what someone made her do ("he made me delete").
            continue
        if weak and before and before[-1] in _TAKEN_FROM:
            continue
        if word in _SUBJUNCTIVE and {"que", "q", "me"} & set(before) \
                and not _ASKING & present:
            continue  # "le digo a mi amiga que borre el historial"; "que me borre"
        after = words[position + 1:position + 5]
        # What is erased comes first: "remove these texts the kids dad is pulling up"
        # erases the texts; "delete him from my life", "clear this house", "delete
        # texts from his phone" erase something else.
        other = next((number for number, following in enumerate(after)
                      if following in _ERASED_OTHER), len(after))
        if other < len(after) and not set(after[:other]) & _PLAIN_CHAT:
            continue
        if _names_a_place(words[position + 1:]) or set(word_runs(after)) & _FROM_THEIRS:
            continue
        if strong and (position + 1 == len(words) and position > 0
                       and word not in ("clear", "remove")):
            return language  # "my husband just walked in delete", "tengo que colgar borra"
        if strong and (word in _WITH_OBJECT or (after and after[0] in _COMMAND_MARKS)):
            return language  # "borralo ya que mi marido esta en casa", "delete now"
        # A weak verb needs the chat named, or to stand first as an order ("quita todo").
        wanted = _ERASED_CHAT if strong else (
            _PLAIN_CHAT | {"todo", "everything", "lo"} if position == 0 else _PLAIN_CHAT)
        if set(after) & wanted:
            return language
    if set(word_runs(words)) & _GONE_PAIRS and not present & (_ERASED_OTHER | {"if", "si", "when"}):
        return "en"  # "need this gone my ex is at the door", "make this disappear"
    return None


def _closes_the_chat(words: list[str]) -> bool:
    """True for a chat verb whose object is the chat: every other word is filler."""
    words = [word for word in words if word not in ("out", "off")]  # "log out", "sign off"
    if words[:2] == ["get", "rid"]:
        words = words[1:]  # "get rid of these texts"
    if not words or words[0] not in _CHAT_VERBS | _SPANISH_CHAT_VERBS | _SIGN_OUT:
        return False
    rest = words[1:]
    if words[0] in _SIGN_OUT:
        return all(word in EXIT_FILLER for word in rest)
    return (bool(set(rest) & _CHAT_OBJECTS)
            and all(word in EXIT_FILLER or word in _CHAT_OBJECTS for word in rest))


def _joined_spelled_letters(words: list[str]) -> list[str]:
    """Join letters typed one by one ("e x i t", "s-a-l-i-r") into the word they spell."""
    joined: list[str] = []
    run: list[str] = []
    for word in [*words, ""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        if len(run) >= 3:
            joined.append("".join(run))
        else:
            joined.extend(run)
        run = []
        if word:
            joined.append(word)
    return joined


_SPANISH_FILLER = frozenset("ya ahora ahorita rapido todo toda todos esto este eso la el los "
                            "las lo mi mis datos conversacion mensajes mensaje historial por "
                            "favor porfa xfa quiero necesito puedes del aqui".split())
_ENGLISH_FILLER = EXIT_FILLER - _SPANISH_FILLER - {"chat", "me", "de", "y", "si", "ok"}


def _exit_reply_language(words: list[str], exit_word_language: str) -> str:
    """The language to answer an exit in: the filler words', else the exit word's."""
    words = _joined_spelled_letters(words)
    spanish = sum(word in _SPANISH_FILLER for word in words)
    english = sum(word in _ENGLISH_FILLER for word in words)
    if spanish != english:
        return "es" if spanish > english else "en"
    return exit_word_language


def _typed_as_command(text: str) -> bool:
    """True when the first word is typed in capitals ("EXIT", "SALIR!"): a command."""
    first = (text or "").split()[:1]
    letters = [ch for ch in (first[0] if first else "") if ch.isalpha()]
    return len(letters) >= 4 and all(ch.isupper() for ch in letters)


def _once(words: list[str]) -> list[str]:
    """Return `words` said once when the whole message repeats them ("volvio volvio")."""
    for size in range(1, len(words) // 2 + 1):
        if len(words) % size == 0 and words == words[:size] * (len(words) // size):
            return words[:size]
    return words


def _without_courtesy(words: list[str]) -> list[str]:
    """Drop 'please', 'por favor', 'now'... around a control word ("menu por favor")."""
    start, end = 0, len(words)
    while start < end and words[start] in _COURTESY:
        start += 1
    while end > start and words[end - 1] in _COURTESY:
        end -= 1
    if end - start >= 2 and words[end - 2:end] == ["por", "favor"]:
        end -= 2
    return words[start:end]


@lru_cache(maxsize=4)
def _compiled_rules_of(directory: Path | str) -> CompiledRules:
    return CompiledRules(load_rules(directory), load_families(Path(directory) / FAMILIES_FILE))


def compiled_rules(directory: Path | str | None = None) -> CompiledRules:
    """Return the compiled rules in force, or those of `directory` (compiled once, shared).

    With no directory: the rules being tried in this context (`intents.published.trying`),
    else the published rules this process was given (`intents.published.use_published`),
    else the files shipped in intents/rules/.
    """
    if directory is None:
        in_force = rules_in_force()
        if in_force is not None:
            return in_force
        directory = RULES_DIRECTORY
    return _compiled_rules_of(directory)


# The shipped files' cache, as callers knew it when compiled_rules was the cache itself.
compiled_rules.cache_info = _compiled_rules_of.cache_info  # type: ignore[attr-defined]
compiled_rules.cache_clear = _compiled_rules_of.cache_clear  # type: ignore[attr-defined]

