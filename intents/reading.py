"""The whole reading of a message: the rules' intent, then the signals beside it.

Order (the taxonomy's): exit and whole-message controls are the rules' alone. Then
safety: the rules' emergency or self_harm, or the second opinion's safety head above
its threshold (danger is found in words the rules never listed: "his truck just pulled
up"). Then the need: the rules' choice, unless the rules found nothing or the second
opinion is sure of another. The thresholds were chosen by cross-validation on the tuning
part of the corpus (`harbor intents train`), never on the locked part.

Beside the intent: `safety` and its score, every need named (`needs`), the populations
named (`who`), `urgency` and `subject`.
"""

from __future__ import annotations

from dataclasses import replace

from .matcher import (
    CARRIER_INTENTS,
    ERASE_VERBS,
    LEAVING_WORDS,
    Classification,
    compiled_rules,
)
from .normalization import word_runs
from .populations import WHO_WORDS
from .second_opinion import Opinion, SecondOpinion, second_opinion

_SHIPPED = object()

# The model's danger or despair above these, and the reading is emergency or self_harm
# (chosen on the fresh tuning rounds 2-5, cross-validated: recall first).
DANGER_AT = 0.20
SELF_HARM_AT = 0.15
MODEL_INTENT_AT = 0.30
MODEL_UNKNOWN_AT = 0.20
MODEL_CONTROL_AT = 0.50
RULES_SURE_AT = 85
SURE_RULES_LIFT = 3.0
LIFT_FROM = 65
NOW_LIFT = 1.0
SWITCH_AT = 0.3
SWITCH_RATIO = 2.0
RULES_SAFETY_SURE_AT = 90
RULES_VETO_BELOW = 90  # rules' safety below this score may give way to the model
VETO_AT = 0.9
MODEL_LANGUAGES = ("en", "es")  # what the second opinion was trained on
GOT_OUT_LIFT = 4.0
# Word pairs that say the person is out of danger now (normalized, no accents).
_GOT_OUT = frozenset({"got out", "i left", "am safe", "made it", "got away", "ya sali",
                      "ya me", "a salvo", "estoy bien", "me fui", "me sali", "logre salir"})
VETO_MIN_WORDS = 8  # short messages ("ayuda me pega") keep the rules' safety reading
# What makes the model's "no danger" credible beside the rules' danger words: the harm
# is past ("hace 2 semanas", "used to"), over ("ya estoy en casa de mi tia"), denied
# ("not in danger", "no self harm") or a joke ("lol", "jaja"). Normalized words.
_CALM_WORDS = frozenset("""
ago years months weeks divorced divorciada divorciado anymore before was used
hace anos meses semanas antes solia fue era pasado ex anterior
lol haha jaja jajaja jsjs lmao xd
""".split())
_CALM_PAIRS = frozenset({
    "not in", "no longer", "am safe", "is safe", "are safe", "safe now", "not suicidal",
    "no self", "not dangerous", "not danger", "in jail", "last year", "last month",
    "last week", "no estoy", "ya estoy", "ya no", "a salvo", "no soy", "en la",
})
EXIT_REASON_AT = 75  # the rules' own danger words beside an exit order
EXIT_REASON_MODEL_AT = 0.6  # or the model's danger, surer than for a message alone
# What an exit order erases, left out when the rest of the message is read for danger.
_ERASED = frozenset("""please pls plz porfa por favor xfa this chat convo conversation
messages todo all everything esto el la los mensajes conversacion it""".split())
# A threat made to keep her: "if i leave", "si lo dejo" (normalized words).
_IF_I_LEAVE = frozenset({"if i leave", "if i go", "if i file", "if i divorce", "if i break",
                         "if we break", "if i end", "si lo dejo", "si me voy", "si la dejo",
                         "si lo denuncio", "si me divorcio"})
SHORT_WORDS = 5
SHORT_LIFT = 2.0
_PLEA_WORDS = frozenset("""
hi hello hey hola buenas buenos dias tardes noches i me need help please can you someone
somebody anyone necesito ayuda ayudame por favor puede puedes alguien quiero want
""".split())
RULES_NEED_SURE_AT = 75
NEED_AT = 0.20
RULE_NEED_AT = 55
SAFETY_NEED_AT = 0.40
SAFETY_RULE_NEED_AT = 75
OTHER_AT = 0.5
SAFETY_INTENTS = {"emergency": "danger", "self_harm": "self_harm"}
# What the reading may name as a need: the rule files' own groups (need and support).
NEED_GROUPS = frozenset({"need", "support"})

_WHO = {word: group for group, words in WHO_WORDS.items() for word in words.split()}
# Words that say "now" whatever stands around them.
_NOW = frozenset("asap hurry emergency rapido urgente emergencia".split())
# "now", "ahora", "ya" say "now" unless they only join two parts of a story: "and now he
# wants custody", "y ahora me quiere quitar a los ninos", "for now", "ya no se".
_BARE_NOW = frozenset({"now", "ahora", "ya"})
_NOT_NOW_BEFORE = frozenset("and but until till by from for since even y pero hasta desde "
                            "de que por para".split())
_NOT_NOW_AFTER = frozenset("he she they i we my his her the that it no el ella ellos yo mi "
                           "su sus me le lo la los las se que tengo tiene es esta estoy "
                           "nadie nunca".split())
_TONIGHT = ("tonight", "esta noche", "this night")


def read(text: str, model: SecondOpinion | None | object = _SHIPPED) -> Classification:
    """Classify `text` (the rules), then add the second opinion and the other signals.

    `model` is the shipped second opinion unless another is given: a model trained
    without the message (`harbor eval intents --cross-validated`), or None (rules alone).
    """
    engine = compiled_rules()
    group = engine.group
    found = engine.read(text)
    rules = found.classification
    if model is _SHIPPED:
        model = second_opinion()
    if rules.intent == "exit":
        return _exit_with_its_reason(rules, found.folded, engine, model)
    if group.get(rules.intent) == "control" and rules.score >= 95:
        return rules
    words = found.words  # normalized once, by the rules
    pairs = set(word_runs(words))
    got_out = bool(_GOT_OUT & pairs)
    # A number, "no", "si": replies to a question, which the conversation reads; the
    # model has nothing to say about them.
    worded = sum(1 for word in words if len(word) >= 3 and not word.isdigit()) >= 2
    # The model learned English and Spanish only: for a further language the rules
    # (rules/languages/) read alone.
    opinion = (model.opinion(text, found.folded, words) if model is not None and worded
               and rules.language in MODEL_LANGUAGES else None)
    intent, score = rules.intent, rules.score
    safety, safety_score = SAFETY_INTENTS.get(rules.intent, ""), 0
    if safety:
        safety_score = rules.score
        if opinion is not None:
            # The rules see the weapon, the model sees whom it is for ("a gun in the house
            # and i keep looking at it"): then which safety line comes first is the model's.
            danger = opinion.probability("safety", "danger")
            despair = opinion.probability("safety", "self_harm")
            # Where the rules found nothing but a means, or found danger only weakly
            # ("i stood on the edge of the garage", "this is his last day"): their own
            # sure words for danger ("going to kill me") or despair are not overruled.
            weak = found.means_only or rules.score < RULES_SAFETY_SURE_AT
            if (safety == "danger" and weak and despair >= SWITCH_AT
                    and despair > SWITCH_RATIO * danger):
                safety, intent = "self_harm", "self_harm"
            elif (safety == "self_harm" and rules.score < RULES_SAFETY_SURE_AT
                  and danger >= SWITCH_AT and danger > SWITCH_RATIO * despair):
                safety, intent = "danger", "emergency"
            elif (rules.score < RULES_VETO_BELOW and not found.means_only
                  and opinion.probability("safety", "none") >= VETO_AT
                  and len(words) >= VETO_MIN_WORDS and _calm_cue(words, pairs)):
                # Words of danger in a story the model reads as past or figurative ("he
                # choked me in 2019, can i get an order"): the rules' weaker safety words
                # give way when the model is all but sure there is none.
                safety, safety_score = "", round(100 * max(danger, despair))
                intent, score = _need_without_safety(rules, opinion, group)
    elif opinion is not None:
        # The rules sure of a need ("how do i get ebt") ask more of the model, and the
        # surer they are the more: from 1 at a need scored LIFT_FROM to
        # SURE_RULES_LIFT at RULES_SURE_AT and above.
        lift = 1.0
        if rules.intent != "unknown" and rules.score >= LIFT_FROM:
            share = min(1.0, (rules.score - LIFT_FROM) / (RULES_SURE_AT - LIFT_FROM))
            lift = 1.0 + share * (SURE_RULES_LIFT - 1.0)
        if lift > NOW_LIFT and _urgency(words, "") == "now":
            # "can i get a protective order, hes banging on the door rn": a need asked
            # while it happens; the need's words must not hide the danger.
            lift = NOW_LIFT
        if got_out:
            lift *= GOT_OUT_LIFT  # "I got out", "ya sali": news of safety, not of danger
        if sum(1 for word in words if not word.isdigit()) < SHORT_WORDS:
            # A few words give the model little to go on ("52404, with my dog"): the
            # rules read short danger ("hes here", "me pega") themselves.
            lift *= SHORT_LIFT
        danger = opinion.probability("safety", "danger") / lift
        despair = opinion.probability("safety", "self_harm") / lift
        if _IF_I_LEAVE & set(word_runs(words, 3)):
            # "he says he will kill himself if i leave": a threat that controls her
            # (is_this_abuse, safety planning), not his despair to answer with 988.
            despair /= SURE_RULES_LIFT
        if despair >= SELF_HARM_AT and despair > danger:
            safety, safety_score = "self_harm", round(100 * despair)
        elif danger >= DANGER_AT:
            safety, safety_score = "danger", round(100 * danger)
        elif despair >= SELF_HARM_AT:
            safety, safety_score = "self_harm", round(100 * despair)
        else:
            safety_score = round(100 * max(danger, despair))
        if safety:
            intent, score = ("emergency" if safety == "danger" else "self_harm"), safety_score
    if not safety and opinion is not None:
        best, probability = _best_need(opinion)
        rules_unsure = rules.intent == "unknown" or (
            rules.score < RULES_NEED_SURE_AT and group.get(rules.intent) != "control")
        wanted = MODEL_INTENT_AT if rules.intent != "unknown" else MODEL_UNKNOWN_AT
        if group.get(best) == "control":
            wanted = max(wanted, MODEL_CONTROL_AT)  # a wrong "exit" erases the conversation
        if best in CARRIER_INTENTS:
            best = ""  # STOP and START are the carrier's exact words, never a guess
        if rules.intent == "unknown" and (got_out or set(words) <= _PLEA_WORDS):
            # "I got out, I'm at the gas station": news; "hola necesito ayuda": a plea
            # with no need named (the menu asks which).
            best = ""
        if best == "exit" and LEAVING_WORDS & set(words):
            best = ""  # "exit this relationship" is about leaving (the taxonomy's rule)
        if best and rules_unsure and probability >= wanted:
            if best != rules.intent:
                intent, score = best, max(round(100 * probability), 55)
    return replace(
        rules, intent=intent, score=int(score), safety=safety, safety_score=int(safety_score),
        needs=_needs(rules, opinion, intent, group, bool(safety),
                     safety == "self_harm"),
        who=_who(words),
        urgency=_urgency(words, safety), subject=_subject(opinion),
    )


def _exit_with_its_reason(rules: Classification, folded: str, engine,
                          model: SecondOpinion | None) -> Classification:
    """Exit stays exit (the conversation is wiped first); the words around the order say
    whether danger is why ("EXIT hes here", "borra todo ya viene"): the signal is kept."""
    rest = [word for word in folded.split()
            if word not in engine.exit_words and word not in _ERASED
            and word not in ERASE_VERBS]
    if not rest:
        return rules
    reason_text = " ".join(rest)
    reason = engine.read(reason_text)
    safety = SAFETY_INTENTS.get(reason.classification.intent, "")
    if safety and reason.classification.score >= EXIT_REASON_AT:
        return replace(rules, safety=safety, safety_score=int(reason.classification.score))
    if model is None or rules.language not in MODEL_LANGUAGES:
        return rules
    opinion = model.opinion(reason_text, reason.folded, reason.words)
    danger = opinion.probability("safety", "danger")
    if danger >= EXIT_REASON_MODEL_AT:
        return replace(rules, safety="danger", safety_score=round(100 * danger))
    return rules


def _calm_cue(words: list[str], pairs: set[str]) -> bool:
    """True when the message itself says the harm is past, over, denied or a joke."""
    return bool(_CALM_WORDS & set(words) or _CALM_PAIRS & pairs)


def _need_without_safety(rules: Classification, opinion: Opinion,
                         group: dict[str, str]) -> tuple[str, int]:
    """Return the intent to act on once a safety reading gave way: the rules' next
    reading when it is a need, else the model's need, else unknown."""
    for name, value in rules.alternatives:
        if group.get(name) in NEED_GROUPS and value >= RULE_NEED_AT:
            return name, int(value)
    best, probability = _best_need(opinion)
    if best and group.get(best) in NEED_GROUPS and probability >= MODEL_UNKNOWN_AT:
        return best, max(round(100 * probability), 55)
    return "unknown", 0


def _best_need(opinion: Opinion) -> tuple[str, float]:
    for name, probability in opinion.ranked["intent"]:
        if name not in SAFETY_INTENTS and name != "location":
            return name, probability
    return "", 0.0


def _needs(rules: Classification, opinion: Opinion | None, intent: str,
           group: dict[str, str], in_danger: bool,
           means_not_needs: bool = False) -> tuple[str, ...]:
    # Beside a safety signal a need must be named plainly: the reply acts on it.
    model_at, rule_at = (SAFETY_NEED_AT, SAFETY_RULE_NEED_AT) if in_danger else (
        NEED_AT, RULE_NEED_AT)
    found: dict[str, float] = {}
    if group.get(intent) in NEED_GROUPS:
        found[intent] = 2.0
    for name, value in [(rules.intent, rules.score), *rules.alternatives]:
        if group.get(name) in NEED_GROUPS and value >= rule_at:
            found[name] = max(found.get(name, 0.0), value / 100)
    if opinion is not None:
        for name, probability in opinion.ranked["intent"]:
            if group.get(name) in NEED_GROUPS and probability >= model_at:
                found[name] = max(found.get(name, 0.0), probability)
    if means_not_needs:
        # "I have the pills in my hand" beside self-harm names the means, not a need for
        # drug treatment or a clinic: the reply must not turn to a treatment search.
        for name in ("substance_use", "health"):
            found.pop(name, None)
    return tuple(sorted(found, key=lambda name: -found[name]))


def _who(words: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_WHO[word] for word in words if word in _WHO))


def _urgency(words: list[str], safety: str) -> str:
    joined = " ".join(words)
    if safety == "danger" or _NOW & set(words) or "right now" in joined or any(
        _says_now(words, position) for position, word in enumerate(words)
        if word in _BARE_NOW
    ):
        return "now"
    if any(phrase in joined for phrase in _TONIGHT):
        return "tonight"
    return ""


def _says_now(words: list[str], position: int) -> bool:
    """True when words[position] ("now", "ahora", "ya") means now, not "and then"."""
    before = words[position - 1] if position else ""
    after = words[position + 1] if position + 1 < len(words) else ""
    return before not in _NOT_NOW_BEFORE and after not in _NOT_NOW_AFTER


def _subject(opinion: Opinion | None) -> str:
    if opinion is not None and opinion.probability("subject", "other") >= OTHER_AT:
        return "other"
    return "self"
