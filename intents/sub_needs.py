"""The part of a need a message asks for, and who it is for by age.

One category can hold different help: a custody question and a U visa question are both
`legal`, but a family-law office answers the first and an immigration clinic the second.
`sub_need_of(text, need)` names the sub-need of `resources_db.vocabulary.SUB_NEEDS` the
words point to ("custody" -> `family`), or "" when they point to none or to several
equally. `ages_named(text)` adds the populations an age names ("my 15-year-old" ->
teens), which the word list (`intents.populations.WHO_WORDS`) cannot see.

Phrases are matched on folded text (`text_folding.fold`: no accents, no punctuation,
lower case), as whole words, English and Spanish side by side.
"""

from __future__ import annotations

import re
from functools import lru_cache

from text_folding import fold

# need -> sub-need -> phrases (folded). A phrase is one or more whole words.
SUB_NEED_PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "legal": {
        "family": (
            "custody", "custodia", "divorce", "divorced", "divorcio", "divorciarme",
            "visitation", "visitas", "child support", "pension alimenticia",
            "manutencion", "family court", "family law", "corte familiar",
            "guardianship", "tutela", "patria potestad", "take my kids", "keep my kids",
            "quitar a mis hijos", "quitarme a mis hijos",
        ),
        "protective_order": (
            "protective order", "protection order", "order of protection",
            "restraining order", "no contact order", "orden de proteccion",
            "orden de restriccion", "orden de alejamiento", "orden protectora",
        ),
        "immigration": (
            "visa", "u visa", "t visa", "vawa", "green card", "deportation", "deported",
            "deportacion", "deportar", "deporten", "asylum", "asilo", "residencia",
            "immigration lawyer", "abogado de inmigracion", "my status", "mi estatus",
            "papeles",
        ),
        "housing": (
            "eviction", "evicted", "evict", "evicting", "desalojo", "desalojar",
            "desalojaron", "landlord", "lease", "arrendador", "casero", "housing court",
        ),
    },
    "health": {
        "sexual_assault_exam": (
            "rape kit", "sexual assault exam", "forensic exam", "sane exam", "sane nurse",
            "raped", "me violaron", "violacion", "abuso sexual", "examen forense",
            "sexually assaulted",
        ),
        "injuries": (
            "injured", "injury", "injuries", "bleeding", "broken", "bruises", "bruised",
            "concussion", "stitches", "herida", "heridas", "herido", "sangrando",
            "moretones", "golpes", "fracturado", "fractura",
        ),
        "clinic": (
            "clinic", "clinica", "doctor", "checkup", "check up", "prenatal", "medico",
            "medica", "pregnant", "embarazada", "primary care",
        ),
    },
    "children": {
        "school": (
            "school", "schools", "escuela", "colegio", "enroll", "inscribir", "classes",
            "teacher", "maestra", "maestro",
        ),
        "counseling": (
            "counseling", "counselor", "therapy", "therapist", "terapia", "terapeuta",
            "consejeria", "psicologo", "psicologa", "nightmares", "pesadillas",
        ),
        "child_care": (
            "daycare", "day care", "child care", "childcare", "babysitter", "babysitting",
            "guarderia", "cuidado de ninos", "head start", "nineras", "ninera",
        ),
    },
}

# "my 15-year-old", "15 yo", "de 15 anos", "15yr old": an age in years.
_AGE = re.compile(r"\b(\d{1,2}) ?(?:years?|yrs?|yo|y o|anos|anito|anitos)\b")
# "im 16 and need a place to stay", "i am 15": the writer's own age, said bare (not "im
# 5 months pregnant", "im 20 minutes away", "im 2 blocks from").
_OWN_AGE = re.compile(r"\b(?:im|i am|i m)\s(\d{1,2})\b(?!\s?(?:weeks?|months?|days?|hours?|"
                      r"minutes?|mins?|miles?|blocks?|am|pm|kids|children|min|mi|hrs?)\b)")
_AGE_POPULATIONS = ((0, 12, "children"), (13, 17, "teens"), (60, 120, "elders"))


@lru_cache(maxsize=1)
def _patterns() -> dict[str, dict[str, re.Pattern]]:
    return {
        need: {sub: re.compile(r"\b(?:" + "|".join(re.escape(p) for p in phrases) + r")\b")
               for sub, phrases in subs.items()}
        for need, subs in SUB_NEED_PHRASES.items()
    }


def sub_need_of(text: str, need: str) -> str:
    """Return the sub-need of `need` that `text` asks for, or ""."""
    patterns = _patterns().get(need)
    if not patterns:
        return ""
    folded = fold(text)
    found = [sub for sub, pattern in patterns.items() if pattern.search(folded)]
    if need == "legal" and "immigration" in found and len(found) > 1:
        # "papeles" beside "custody" is the court's papers, not immigration status.
        found.remove("immigration")
    return found[0] if len(found) == 1 else ""


def ages_named(text: str) -> tuple[str, ...]:
    """Return the populations the ages in `text` name ("my 15 year old" -> teens)."""
    folded = fold(text)
    found: list[str] = []
    for match in (*_AGE.finditer(folded), *_OWN_AGE.finditer(folded)):
        age = int(match.group(1))
        for low, high, population in _AGE_POPULATIONS:
            if low <= age <= high and population not in found:
                found.append(population)
    return tuple(found)
