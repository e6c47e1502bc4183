"""The listing form: one input per CSV column, checked by the CSV importer's own rules.

The form has no validators of its own: its values become CSV text fields, go through
`resources_db.listing_rules.validate_listing` (the function the importer calls), and
each `FieldError` is shown next to the input of its column.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from resources_db.listing_rules import COLUMNS, FieldError
from resources_db.vocabulary import CATEGORIES, CATEGORY_NAMES, POPULATION_NAMES, POPULATIONS

# The CSV column each form field holds, where the names differ (`id` is a WTForms keyword).
FIELD_FOR_COLUMN = {"id": "listing_id"}
LIST_COLUMNS = ("categories", "populations")
BOOLEAN_COLUMNS = ("confidential", "active")


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (categories, populations)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        """Leave unknown values to the listing rules, which say which value is wrong."""


def _population_label(code: str) -> str:
    return POPULATION_NAMES.get(code, code.replace("_", " ").capitalize())


class ListingForm(FlaskForm):
    """Every column of a listing; `version` detects an edit made meanwhile by someone else."""

    listing_id = StringField("Listing id")
    name = StringField("Name")
    organization = StringField("Organization")
    categories = CheckboxListField(
        "Categories", choices=[SelectChoice(code, CATEGORY_NAMES[code]) for code in CATEGORIES])
    description = TextAreaField("Description")
    phone = StringField("Phone", render_kw={"inputmode": "tel"})
    sms = StringField("Text (SMS)")
    website = URLField("Website")
    address = StringField("Street address")
    city = StringField("City")
    state = StringField("State", render_kw={"maxlength": 2, "size": 3})
    zip = StringField("ZIP code", render_kw={"inputmode": "numeric", "size": 6})
    latitude = StringField("Latitude", render_kw={"inputmode": "decimal"})
    longitude = StringField("Longitude", render_kw={"inputmode": "decimal"})
    service_area = StringField("Service area")
    languages = StringField("Languages")
    hours = StringField("Hours")
    populations = CheckboxListField(
        "Populations served",
        choices=[SelectChoice(code, _population_label(code)) for code in POPULATIONS])
    confidential = BooleanField("Confidential: staff keep what survivors say private "
                                "(advocate privilege)")
    verified_at = StringField("Last verified", render_kw={"type": "date"})
    active = BooleanField("Active: shown to survivors", default=True)
    # On a new listing only: the admin says the details were checked today.
    verified_today = BooleanField("I checked these details with the service today")
    version = HiddenField()

    def to_fields(self, listing_id: str) -> dict[str, str]:
        """Return the form's values as the CSV text fields of listing `listing_id`."""
        fields: dict[str, str] = {}
        for column in COLUMNS:
            if column == "id":
                fields[column] = listing_id
            elif column in LIST_COLUMNS:
                fields[column] = ";".join(getattr(self, column).data or [])
            elif column in BOOLEAN_COLUMNS:
                fields[column] = "true" if getattr(self, column).data else "false"
            else:
                fields[column] = (getattr(self, column).data or "").strip()
        return fields

    def fill(self, fields: Mapping[str, str]) -> None:
        """Show a stored listing's CSV fields in the form."""
        for column in COLUMNS:
            field = getattr(self, FIELD_FOR_COLUMN.get(column, column))
            value = fields.get(column, "")
            if column in LIST_COLUMNS:
                field.data = [item for item in value.split(";") if item]
            elif column in BOOLEAN_COLUMNS:
                field.data = value == "true"
            else:
                field.data = value

    def show_errors(self, errors: tuple[FieldError, ...] | list[FieldError]) -> None:
        """Attach each error to the input of its column (form-level when it has none)."""
        for error in errors:
            name = FIELD_FOR_COLUMN.get(error.column, error.column)
            field = getattr(self, name, None) if error.column else None
            if field is None:
                self.form_errors.append(error.message)
            else:
                # WTForms keeps errors as a tuple until validate() runs; make it a list.
                field.errors = [*field.errors, _sentence(error.message)]


def _sentence(message: str) -> str:
    # The rules word messages to follow a column name ("phone: is required").
    if message.startswith(("is ", "may ", "must ", "has ")):
        message = "This field " + message
    message = message[:1].upper() + message[1:]
    return message if message.endswith((".", "?", "!", ")")) else message + "."


def fields_version(fields: Mapping[str, str]) -> str:
    """Return a short fingerprint of a listing's stored fields (for the edit form)."""
    text = json.dumps(dict(fields), sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:20]
