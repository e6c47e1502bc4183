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
