"""Text normalization shared by the rule files and incoming messages.

Rules and messages go through the same function, so an advocate can write a keyword
the way people write it ("he's outside", "ayúdame") and still match "hes outside",
"HE IS OUTSIDE!!!" or "ayudame". Steps, in order:

1. Unicode NFKD, accents dropped ("menú" -> "menu", "español" -> "espanol"), lower case.
2. Apostrophes joined ("he's" -> "hes", "don't" -> "dont"), other punctuation is a space.
3. Runs of three or more of one letter cut to two ("helppp" -> "helpp"); the matcher then
   tries the shorter forms against its vocabulary ("helpp" -> "help").
4. Texting shorthand and contractions in English and Spanish expanded to full words
   ("u" -> "you", "rn" -> "right now", "hes" -> "he is", "xq" -> "porque", "q" -> "que").
"""

from __future__ import annotations

import re

from text_folding import fold

__all__ = ["fold", "cut_long_runs", "shorter_forms", "has_spanish_marks",
           "has_vietnamese_marks"]

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LONG_RUN = re.compile(r"([a-z])\1{2,}")
_ANY_RUN = re.compile(r"([a-z])\1+")
_TRAILING_RUN = re.compile(r"([a-z])\1+$")
_SPANISH_MARKS = re.compile(r"[ñÑ¿¡áéíóúÁÉÍÓÚ]")
# ă â đ ê ô ơ ư and the Latin Extended Additional block Vietnamese tones live in (ạ..ỹ).
_VIETNAMESE_MARKS = re.compile("[ăâđêôơưĂÂĐÊÔƠƯ\u1ea0-\u1ef9]")

# One token to its full form. Only forms that mean one thing in a text to a DV line;
# "k", "y", "2", "4" stay as they are because they are also words or numbers.
SHORTHAND: dict[str, str] = {
    # English texting
    "u": "you", "ur": "your", "r": "are", "pls": "please", "plz": "please", "plse": "please",
    "pleez": "please", "rn": "right now", "idk": "i do not know", "dunno": "do not know",
    "bf": "boyfriend", "gf": "girlfriend", "bff": "friend", "hubby": "husband",
    "bc": "because", "bcuz": "because", "cuz": "because", "coz": "because", "b4": "before",
    "tonite": "tonight", "2nite": "tonight", "2night": "tonight", "2day": "today",
    "tmrw": "tomorrow", "tmr": "tomorrow", "tmrrw": "tomorrow", "2moro": "tomorrow",
    "ppl": "people", "abt": "about", "wat": "what", "wut": "what", "thru": "through",
    "tho": "though", "nite": "night", "txt": "text", "msg": "message", "msgs": "messages",
    "thx": "thanks", "thnx": "thanks", "thanx": "thanks", "tnx": "thanks", "ty": "thank you",
    "tysm": "thank you so much", "w": "with", "wo": "without", "ok": "okay", "kk": "okay",
    "gonna": "going to", "wanna": "want to", "gotta": "got to", "hafta": "have to",
    "ima": "i am going to", "imma": "i am going to", "lemme": "let me", "gimme": "give me",
    "dv": "domestic violence", "kms": "kill myself", "unalive": "kill", "od": "overdose",
    "asap": "right now", "bday": "birthday", "govt": "government", "appt": "appointment",
    "thot": "thought", "shes": "she is", "hes": "he is",
    # English contractions (apostrophe already dropped)
    "im": "i am", "ive": "i have", "youre": "you are", "theyre": "they are",
    "dont": "do not", "doesnt": "does not", "didnt": "did not",
    "cant": "can not", "cannot": "can not", "wont": "will not", "isnt": "is not",
    "arent": "are not", "wasnt": "was not", "werent": "were not", "havent": "have not",
    "hasnt": "has not", "shouldnt": "should not", "wouldnt": "would not",
    "couldnt": "could not", "thats": "that is", "whats": "what is", "theres": "there is",
    "heres": "here is", "wheres": "where is", "hows": "how is", "lets": "let us",
    "itll": "it will", "hell": "he will", "shell": "she will", "youll": "you will",
    "hed": "he would", "aint": "is not",
    # Spanish texting
    "q": "que", "k": "que", "ke": "que", "xq": "porque", "pq": "porque", "porq": "porque",
    "x": "por", "xa": "para", "pa": "para", "tb": "tambien", "tmb": "tambien",
    "tambn": "tambien", "dnd": "donde", "d": "de", "xfa": "por favor", "xfavor": "por favor",
    "porfa": "por favor", "porfavor": "por favor", "pf": "por favor", "plis": "por favor",
    "ntp": "no te preocupes", "sta": "esta", "stoy": "estoy", "aki": "aqui", "aca": "aqui",
    "tngo": "tengo", "ud": "usted", "uds": "ustedes", "msj": "mensaje", "hno": "hermano",
    "nececito": "necesito", "nesecito": "necesito", "nesesito": "necesito",
    "ahorita": "ahora", "horita": "ahora", "orita": "ahora",
}


def cut_long_runs(word: str) -> str:
    """Cut runs of three or more of one letter to two ("helppp" -> "helpp")."""
    return _LONG_RUN.sub(r"\1\1", word)


def shorter_forms(word: str) -> tuple[str, ...]:
    """Return the forms of `word` with repeated letters reduced, most likely first."""
    forms = []
    trailing = _TRAILING_RUN.sub(r"\1", word)
    if trailing != word:
        forms.append(trailing)
    single = _ANY_RUN.sub(r"\1", word)
    if single != word and single not in forms:
        forms.append(single)
    return tuple(forms)


def expand(word: str) -> list[str]:
    """Expand one folded word through SHORTHAND, trying shorter forms of repeats."""
    if word in SHORTHAND:
        return SHORTHAND[word].split()
    if _ANY_RUN.search(word) is None:
        return [word]  # no letter repeated: no shorter form to try
    for form in shorter_forms(word):
        if form in SHORTHAND:
            return SHORTHAND[form].split()
    return [word]


def normalize(text: str) -> list[str]:
    """Return the normalized words of `text` (steps 1-4 of the module docstring)."""
    return normalize_folded(fold(text))


def normalize_folded(folded: str) -> list[str]:
    """Return the normalized words of text already passed through `fold` (steps 3-4)."""
    words: list[str] = []
    for word in cut_long_runs(folded).split():  # runs never cross a space: cut once
        words.extend(expand(word))
    return words


def word_runs(words: list[str], size: int = 2) -> list[str]:
    """Return every run of `size` consecutive words, joined by a space ("he is", "is here")."""
    return [" ".join(words[start:start + size]) for start in range(len(words) - size + 1)]


def has_spanish_marks(text: str) -> bool:
    """Return True when `text` has ñ, an accented vowel or ¿ ¡ (a strong sign of Spanish),
    and none of the letters only Vietnamese writes (its á ó ú are Spanish-looking too)."""
    return bool(_SPANISH_MARKS.search(text or "")) and not has_vietnamese_marks(text)


def has_vietnamese_marks(text: str) -> bool:
    """Return True when `text` has a letter only Vietnamese writes (ă â đ ê ô ơ ư, or a
    vowel with a hook or a dot below: ả ạ ở ự...)."""
    return bool(_VIETNAMESE_MARKS.search(text or ""))
