"""The populations a message names, by the words people use for them.

Its own module, with no matcher and no model behind it, so that the engine
(`bot.engine.machine`) can read the word list without loading either; the reading
(`intents.reading`) finds the populations with it.
"""

from __future__ import annotations

# Populations by the words people use for them (normalized: no accents, lower case).
WHO_WORDS = {
    "children": "kid kids child children son sons daughter daughters baby babies toddler "
                "hijo hijos hija hijas nino ninos nina ninas bebe bebes nene nenes",
    "teens": "teen teens teenager teenagers adolescente adolescentes youth highschool "
             "chamaco muchacho muchacha",
    "pets": "pet pets dog dogs cat cats puppy perro perros gato gatos mascota mascotas "
            "perrito perrita",
    "men": "man men male guy hombre hombres varon",
    "lgbtq": "gay lesbian lesbiana trans transgender queer nonbinary bisexual lgbt lgbtq "
             "lgbtqia",
    "deaf": "deaf sordo sorda sordos asl",
    "disabilities": "disabled disability disabilities wheelchair autism autistic blind "
                    "discapacidad discapacitado discapacitada ciego ciega silla",
    "elders": "elderly elder elders grandma grandmother grandpa grandfather abuela abuelo "
              "anciana anciano abuelita abuelito",
    "immigrants": "undocumented immigrant immigrants papers papeles indocumentado "
                  "indocumentada inmigrante inmigrantes migra",
}
