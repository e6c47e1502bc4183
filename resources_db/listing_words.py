"""What a listing's own words say about who it turns away, read when it is imported.

A shelter's description often says "no pets" while its `populations` column is empty.
`populations_from_words(populations, *texts)` gives the column with `no_pets` added when
one of the texts (a CSV row's `description`; an HSDS service's `description` and
`eligibility_description`) refuses pets, unless the listing names `pets` or `no_pets`
already: what a listing says in its columns wins over what its prose seems to say.
The CSV import and the HSDS import both call it; the admin form does not (an admin
ticks "Does not take pets" by hand), so a refusal an admin unticks while the description
still says it comes back at the next import of that row.

The words are compared folded (`text_folding.fold`: lower case, accents dropped,
apostrophes joined, punctuation a space), so "NO SE ADMITEN MASCOTAS" and "can't accept
pets" read like "no se admiten mascotas" and "cant accept pets". Only refusals count:
"pets welcome", "we take pets", "no pet fee", "con o sin mascotas" do not.
"""

from __future__ import annotations

import re

from text_folding import fold

from .vocabulary import REFUSALS

NO_PETS = "no_pets"
_PETS = REFUSALS[NO_PETS]

# Pets in general: "no dogs over 50 lbs" refuses some pets, not a person's pet.
_ANIMALS = r"(?:pets?|animals?)"
_MASCOTAS = r"(?:mascotas?|animales)"
# After "no pets", words that make it about something else ("no pet fee", "no pets are
# turned away", "no pet left behind").
_NOT_A_REFUSAL_AFTER = (r"(?!\s(?:fees?|deposits?|charges?|rent|restrictions?|limits?|"
                        r"left|(?:are |is |will be )?turned|questions)\b)")

_REFUSALS = re.compile("|".join((
    # English: "no pets (allowed)", "pet free", "not pet friendly", "service animals only".
    rf"\bno {_ANIMALS}\b{_NOT_A_REFUSAL_AFTER}",
    r"\bpet free\b",
    r"\bnot (?:pet|animal) friendly\b",
    r"\bservice animals only\b",
    r"\bonly service animals\b",
    # "pets are not allowed", "pets cannot be accepted", "pets not permitted".
    rf"\b{_ANIMALS} (?:are |is )?(?:not|never|cant|cannot|can not|may not|must not|will not|wont)"
    r" (?:be )?(?:allowed|permitted|accepted|admitted|welcome|stay|come)\b",
    rf"\b{_ANIMALS} (?:are |is )?(?:prohibited|forbidden|banned)\b",
    # "we cannot accept pets", "does not take animals", "unable to house pets".
    r"\b(?:cant|cannot|can not|do not|dont|does not|doesnt|will not|wont|unable to|not able to)"
    r" (?:accept|take|allow|admit|house|accommodate|shelter|permit|receive)"
    rf" (?:any |your )?{_ANIMALS}\b",
    # Spanish: "no se admiten mascotas", "no aceptamos mascotas", "sin mascotas".
    r"\bno (?:se )?(?:admiten|aceptan|permiten|reciben|admitimos|aceptamos|permitimos|"
    rf"recibimos) (?:las |los )?{_MASCOTAS}\b",
    r"\bno (?:podemos|puede|pueden) (?:aceptar|recibir|admitir|alojar)"
    rf" (?:las |los )?{_MASCOTAS}\b",
    rf"\b{_MASCOTAS} no (?:estan |son )?(?:permitid|admitid|aceptad)[oa]s?\b",
    rf"\b{_MASCOTAS} (?:prohibid[oa]s?|no se (?:admiten|aceptan|permiten))\b",
    rf"\bprohibid[oa]s? (?:las |los )?{_MASCOTAS}\b",
    rf"(?<!\bo )\bsin {_MASCOTAS}\b",  # "con o sin mascotas" is with or without
    rf"\bno {_MASCOTAS}\b",
)))


def pet_refusal_in(*texts: str | None) -> str:
    """Return the words of the first text that refuse pets ('no pets'), or ''."""
    for text in texts:
        if text and (found := _REFUSALS.search(fold(text))):
            return found.group(0)
    return ""


def populations_from_words(populations: str, *texts: str | None) -> str:
    """Return the `populations` column with `no_pets` added when the texts refuse pets."""
    codes = [code.strip() for code in (populations or "").split(";") if code.strip()]
    if NO_PETS in codes or _PETS in codes or not pet_refusal_in(*texts):
        return populations
    return ";".join((*codes, NO_PETS))


# --- ages: "adults only", "18+", "ages 12-17", "solo adultos", "de 12 a 17 años" ---------
# Folding turns "18+" into "18" and "12-17" into "12 17", so these are spelled out first.
_PLUS = re.compile(r"(\d)\s*\+")
_DASH = re.compile(r"(\d)\s*[-\u2010-\u2015]\s*(\d)")
_AGE = r"(\d{1,2})"
_OLDER = r"(?:and|or) (?:older|over|up|above|plus)"
_YEARS = r"(?:(?:years?|yrs?) (?:of age |old )?)?"
# Who a number after a word is about: "women 18+", "seniors 60 and over", "youth 12 to 24".
_PEOPLE = (r"(?:adults?|women|men|females?|males?|people|persons?|individuals?|survivors?|"
           r"seniors?|elders?|older adults|guests?|residents?|clients?|participants?|youth|"
           r"teens?|teenagers?|adolescents?|adolescentes|young (?:people|adults|women|men)|"
           r"jovenes|mujeres|hombres|personas|adult[oa]s|ages?|aged|edad(?:es)?)")
_RANGE_WHO = rf"(?:{_PEOPLE}|children|kids|girls|boys|ninos|ninas)"
_TO = r"(?:to|through|thru|a|hasta)"
# The lowest age alone, (18, None).
_MINIMUM = re.compile("|".join((
    rf"\b{_AGE} {_YEARS}{_OLDER}\b",                      # "18 and older", "ages 18 and up"
    rf"\b{_PEOPLE} (?:only )?{_AGE} plus\b",              # "women 18+", "seniors 60+"
    rf"\b{_AGE} plus (?:only|{_YEARS}old)\b",             # "18+ only"
    rf"\b{_PEOPLE} (?:over|above|older than) {_AGE}\b",   # "adults over 18"
    rf"\bmust be (?:at least |over )?{_AGE}\b",           # "must be 18"
    rf"\b(?:no one|nobody|nadie|no) (?:under|younger than|menor(?:es)? de) {_AGE}\b",
    rf"\bmayores de {_AGE}\b",                            # "mayores de 18 (años)"
    rf"\b{_AGE} anos (?:o|y) mas\b",                      # "18 años o más"
    rf"\b(?:de )?{_AGE} anos en adelante\b",              # "de 18 años en adelante"
)))
# Words that mean adults (18): "adults only", "no minors", "solo adultos", "mayores de edad".
_ADULTS = re.compile("|".join((
    r"\badults? only\b", r"\bonly (?:for )?adults\b", r"\bfor adults only\b",
    r"\bno minors\b(?! (?:are |will be )?turned)",
    r"\b(?:solo|solamente|unicamente|exclusivamente) (?:para )?(?:adult[oa]s|mayores de edad)\b",
    r"\badult[oa]s (?:solamente|unicamente)\b",
    r"\bmayores de edad\b",
    r"\bno se (?:admiten|aceptan|permiten) (?:menores|ninos)\b",
)))
# The lowest and highest age, (12, 17).
_RANGE = re.compile("|".join((
    rf"\b{_RANGE_WHO} (?:(?:ages?|aged|of ages?|edades|de) )?(?:de )?{_AGE} {_TO} {_AGE}\b",
    rf"\b{_RANGE_WHO} (?:(?:ages?|aged) )?(?:between|entre) {_AGE} (?:and|y) {_AGE}\b",
    rf"\b{_AGE} {_TO} {_AGE} (?:year olds?|years? old|yrs? old)\b",
    rf"\b(?:de|entre) {_AGE} (?:a|y) {_AGE} anos\b",
)))
# "with children 5 and older": the ages of the children who come along, not a limit on
# the person ("women with kids ages 0-17" must not shut out a woman of 60).
_ACCOMPANYING = re.compile(r"\b(?:with|con|and|y|plus|accompanied by|acompanad[oa]s? de)"
                           r"(?: \w+){0,2} (?:children|kids|sons?|daughters?|boys|girls|"
                           r"ninos|ninas|hij[oa]s|menores)(?: \w+){0,2} $")
_ADULT_AGE = 18


def _numbers(found: re.Match) -> list[int]:
    return [int(group) for group in found.groups() if group is not None]


def _about_children_along(folded: str, found: re.Match) -> bool:
    """Return True when the words before the match's first number name children along."""
    first = next(index for index, group in enumerate(found.groups(), 1) if group is not None)
    return bool(_ACCOMPANYING.search(folded[:found.start(first)]))


def _ages_in(folded: str) -> tuple[int | None, int | None]:
    """Return the age limits the first limit-like words of a folded text say."""
    candidates: list[tuple[int, tuple[int | None, int | None]]] = []
    for found in _RANGE.finditer(folded):
        low, high = _numbers(found)
        if low < high <= 120 and not _about_children_along(folded, found):
            candidates.append((found.start(), (low, high)))
            break
    for found in _MINIMUM.finditer(folded):
        (low,) = _numbers(found)
        if 1 <= low <= 99 and not _about_children_along(folded, found):
            candidates.append((found.start(), (low, None)))
            break
    if found := _ADULTS.search(folded):
        candidates.append((found.start(), (_ADULT_AGE, None)))
    if not candidates:
        return None, None
    # "Adults only (18+)" and "adults 18 to 24": the one that gives the most wins.
    numbered = [ages for _, ages in sorted(candidates) if ages[1] is not None]
    return numbered[0] if numbered else min(candidates)[1]


def ages_from_words(*texts: str | None) -> tuple[int | None, int | None]:
    """Return (minimum_age, maximum_age) that the first text naming an age limit says.

    "Adults only", "18+", "must be 18", "solo adultos", "18 años o más" give (18, None);
    "ages 12-17", "de 12 a 17 años" give (12, 17); "seniors 60+" gives (60, None).
    Numbers that are not ages ("18 beds", "open 24 hours", "call 911") and the ages of the
    children who come along ("with children under 5") give (None, None).
    """
    for text in texts:
        if not text:
            continue
        spelled = _DASH.sub(r"\1 to \2", _PLUS.sub(r"\1 plus", text))
        ages = _ages_in(fold(spelled))
        if ages != (None, None):
            return ages
    return None, None
