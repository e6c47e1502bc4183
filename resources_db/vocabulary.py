"""The closed vocabularies of a listing: categories, populations and language codes.

Categories are the need ids of intent-taxonomy.md plus `hotline` and `advocacy`;
populations and the ISO 639-1 codes are the lists DESIGN.md names for the CSV.
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
)

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
}

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
)
# What a survivor can say is wrong with a listing (WRONG 2, then 1 to 4, in this order).
REPORT_REASONS: tuple[str, ...] = ("closed", "wrong_number", "not_safe", "other")

# How each population is named to people (forms, taxonomy terms).
POPULATION_NAMES: dict[str, str] = {
    "children": "Children", "teens": "Teens", "lgbtq": "LGBTQ+", "men": "Men",
    "women": "Women", "families": "Families", "immigrants": "Immigrants",
    "deaf": "Deaf and hard of hearing", "native": "Native American and Alaska Native",
    "black": "Black", "latinx": "Latinx", "asian_pacific_islander":
    "Asian and Pacific Islander", "disabilities": "People with disabilities",
    "elders": "Elders", "pets": "People with pets",
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
