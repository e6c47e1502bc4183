"""The closed vocabularies of a listing: categories, populations and language codes.

Categories are the need ids of intent-taxonomy.md plus `hotline`, `advocacy` and
`using_violence` (intervention and accountability programs for people who use violence:
offered only to them, never for a survivor's need; see `resources_db.search`). A need
may carry a sub-need after a slash where one category holds different help
(`legal/family`, `health/sexual_assault_exam`, ...: `SUB_NEEDS`); a plain need still
means the whole need. Populations and the ISO 639-1 codes are the lists DESIGN.md names
for the CSV; a population may also be a refusal (`no_pets`: the listing does not take
pets, `REFUSALS`), which search ranks like a women-only listing for a man.
"""

from __future__ import annotations

CATEGORIES: tuple[str, ...] = (
    "shelter",
    "housing",
    "legal",
    "immigration",
    "economic",
    "children",
    "child_protection",
    "counseling",
    "substance_use",
    "health",
    "parenting",
    "faith",
    "hotline",
    "advocacy",
    "using_violence",
)

# The category a survivor's search never returns, whatever else a listing is tagged.
USING_VIOLENCE = "using_violence"

# Sub-needs: the different help one category holds. Written `need/sub_need` in the CSV.
SUB_NEEDS: dict[str, tuple[str, ...]] = {
    "legal": ("family", "protective_order", "immigration", "housing"),
    "health": ("sexual_assault_exam", "injuries", "clinic"),
    "children": ("school", "counseling", "child_care"),
}
SUB_NEED_CODES: tuple[str, ...] = tuple(
    f"{need}/{sub}" for need, subs in SUB_NEEDS.items() for sub in subs)
# Every code the `categories` column accepts: the categories, then their sub-needs.
CATEGORY_CODES: tuple[str, ...] = CATEGORIES + SUB_NEED_CODES

CATEGORY_NAMES: dict[str, str] = {
    "shelter": "Emergency shelter",
    "housing": "Housing",
    "legal": "Legal help",
    "immigration": "Immigration help",
    "economic": "Money, jobs and benefits",
    "children": "Children and teens",
    "child_protection": "Child protection cases",
    "counseling": "Counseling",
    "substance_use": "Substance use treatment",
    "health": "Health care",
    "parenting": "Parenting and family support",
    "faith": "Faith communities",
    "hotline": "Hotlines",
    "advocacy": "Advocacy",
    "using_violence": "Programs for people who use violence",
    "legal/family": "Legal: custody, divorce, family court",
    "legal/protective_order": "Legal: protective orders",
    "legal/immigration": "Legal: immigration",
    "legal/housing": "Legal: housing, eviction",
    "health/sexual_assault_exam": "Health: sexual assault exam",
    "health/injuries": "Health: injuries",
    "health/clinic": "Health: clinic",
    "children/school": "Children: school",
    "children/counseling": "Children: counseling",
    "children/child_care": "Children: child care",
}


def parent_category(code: str) -> str:
    """Return the category of a category code ('legal/family' -> 'legal')."""
    return code.split("/", 1)[0]


def search_categories(codes) -> tuple[str, ...]:
    """Return the categories a listing is searched under: each code's, once, in order."""
    return tuple(dict.fromkeys(parent_category(code) for code in codes))

POPULATIONS: tuple[str, ...] = (
    "children",
    "teens",
    "lgbtq",
    "men",
    "women",
    "families",
    "immigrants",
    "deaf",
    "native",
    "black",
    "latinx",
    "asian_pacific_islander",
    "disabilities",
    "elders",
    "pets",
    "no_pets",
)
# Populations that say who a listing turns away, each with the population it refuses.
# A person never names one; a listing may not name both a refusal and what it refuses.
REFUSALS: dict[str, str] = {"no_pets": "pets"}
# The populations a person can be (named in a message, asked for in a search).
NAMED_POPULATIONS: tuple[str, ...] = tuple(p for p in POPULATIONS if p not in REFUSALS)
# What a survivor can say is wrong with a listing (WRONG 2, then 1 to 4, in this order).
REPORT_REASONS: tuple[str, ...] = ("closed", "wrong_number", "not_safe", "other")

# How each population is named to people (forms, taxonomy terms).
POPULATION_NAMES: dict[str, str] = {
    "children": "Children", "teens": "Teens", "lgbtq": "LGBTQ+", "men": "Men",
    "women": "Women", "families": "Families", "immigrants": "Immigrants",
    "deaf": "Deaf and hard of hearing", "native": "Native American and Alaska Native",
    "black": "Black", "latinx": "Latinx", "asian_pacific_islander":
    "Asian and Pacific Islander", "disabilities": "People with disabilities",
    "elders": "Elders", "pets": "People with pets", "no_pets": "Does not take pets",
}

# ISO 639-1: every two-letter language code, with its English name.
LANGUAGE_NAMES: dict[str, str] = {
    "aa": "Afar", "ab": "Abkhazian", "ae": "Avestan", "af": "Afrikaans", "ak": "Akan",
    "am": "Amharic", "an": "Aragonese", "ar": "Arabic", "as": "Assamese", "av": "Avaric",
    "ay": "Aymara", "az": "Azerbaijani", "ba": "Bashkir", "be": "Belarusian",
    "bg": "Bulgarian", "bi": "Bislama", "bm": "Bambara", "bn": "Bengali", "bo": "Tibetan",
    "br": "Breton", "bs": "Bosnian", "ca": "Catalan", "ce": "Chechen", "ch": "Chamorro",
    "co": "Corsican", "cr": "Cree", "cs": "Czech", "cu": "Church Slavic", "cv": "Chuvash",
    "cy": "Welsh", "da": "Danish", "de": "German", "dv": "Divehi", "dz": "Dzongkha",
    "ee": "Ewe", "el": "Greek", "en": "English", "eo": "Esperanto", "es": "Spanish",
    "et": "Estonian", "eu": "Basque", "fa": "Persian", "ff": "Fulah", "fi": "Finnish",
    "fj": "Fijian", "fo": "Faroese", "fr": "French", "fy": "Western Frisian", "ga": "Irish",
    "gd": "Gaelic", "gl": "Galician", "gn": "Guarani", "gu": "Gujarati", "gv": "Manx",
    "ha": "Hausa", "he": "Hebrew", "hi": "Hindi", "ho": "Hiri Motu", "hr": "Croatian",
    "ht": "Haitian Creole", "hu": "Hungarian", "hy": "Armenian", "hz": "Herero",
    "ia": "Interlingua", "id": "Indonesian", "ie": "Interlingue", "ig": "Igbo",
    "ii": "Sichuan Yi", "ik": "Inupiaq", "io": "Ido", "is": "Icelandic", "it": "Italian",
    "iu": "Inuktitut", "ja": "Japanese", "jv": "Javanese", "ka": "Georgian", "kg": "Kongo",
    "ki": "Kikuyu", "kj": "Kuanyama", "kk": "Kazakh", "kl": "Kalaallisut", "km": "Khmer",
    "kn": "Kannada", "ko": "Korean", "kr": "Kanuri", "ks": "Kashmiri", "ku": "Kurdish",
    "kv": "Komi", "kw": "Cornish", "ky": "Kyrgyz", "la": "Latin", "lb": "Luxembourgish",
    "lg": "Ganda", "li": "Limburgish", "ln": "Lingala", "lo": "Lao", "lt": "Lithuanian",
    "lu": "Luba-Katanga", "lv": "Latvian", "mg": "Malagasy", "mh": "Marshallese",
    "mi": "Maori", "mk": "Macedonian", "ml": "Malayalam", "mn": "Mongolian", "mr": "Marathi",
    "ms": "Malay", "mt": "Maltese", "my": "Burmese", "na": "Nauru", "nb": "Norwegian Bokmal",
    "nd": "North Ndebele", "ne": "Nepali", "ng": "Ndonga", "nl": "Dutch",
    "nn": "Norwegian Nynorsk", "no": "Norwegian", "nr": "South Ndebele", "nv": "Navajo",
    "ny": "Chichewa", "oc": "Occitan", "oj": "Ojibwa", "om": "Oromo", "or": "Oriya",
    "os": "Ossetian", "pa": "Punjabi", "pi": "Pali", "pl": "Polish", "ps": "Pashto",
    "pt": "Portuguese", "qu": "Quechua", "rm": "Romansh", "rn": "Rundi", "ro": "Romanian",
    "ru": "Russian", "rw": "Kinyarwanda", "sa": "Sanskrit", "sc": "Sardinian", "sd": "Sindhi",
    "se": "Northern Sami", "sg": "Sango", "si": "Sinhala", "sk": "Slovak", "sl": "Slovenian",
    "sm": "Samoan", "sn": "Shona", "so": "Somali", "sq": "Albanian", "sr": "Serbian",
    "ss": "Swati", "st": "Southern Sotho", "su": "Sundanese", "sv": "Swedish",
    "sw": "Swahili", "ta": "Tamil", "te": "Telugu", "tg": "Tajik", "th": "Thai",
    "ti": "Tigrinya", "tk": "Turkmen", "tl": "Tagalog", "tn": "Tswana", "to": "Tonga",
    "tr": "Turkish", "ts": "Tsonga", "tt": "Tatar", "tw": "Twi", "ty": "Tahitian",
    "ug": "Uyghur", "uk": "Ukrainian", "ur": "Urdu", "uz": "Uzbek", "ve": "Venda",
    "vi": "Vietnamese", "vo": "Volapuk", "wa": "Walloon", "wo": "Wolof", "xh": "Xhosa",
    "yi": "Yiddish", "yo": "Yoruba", "za": "Zhuang", "zh": "Chinese", "zu": "Zulu",
}
