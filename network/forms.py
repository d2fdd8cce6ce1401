"""The base of every form: each field's input is cleaned and bounded before any validator sees it."""
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, TextAreaField

from network.inputs import MAX_INT, MIN_INT, clean_line, clean_text, in_date_range


def clean_input(value, multiline: bool):
    """A field's data made safe to store: clean text, ids within range, dates the site can handle.

    Raises ValueError (shown as the field's error) for numbers and dates out of range.
    """
    if isinstance(value, list):
        return [clean_input(item, multiline) for item in value]
    if isinstance(value, str):
        return clean_text(value) if multiline else clean_line(value)
    if isinstance(value, int) and not isinstance(value, bool) and not MIN_INT <= value <= MAX_INT:
        raise ValueError(_l("Enter a smaller number."))
    if isinstance(value, date) and not in_date_range(value.date() if isinstance(value, datetime) else value):
        raise ValueError(_l("Enter a date between the years 1900 and 2199."))
    return value


def input_filter(field_class):
    """The cleaning filter for a kind of field; None for passwords, which are hashed and never shown."""
    if issubclass(field_class, PasswordField):
        return None
    multiline = issubclass(field_class, TextAreaField)
    return lambda value: clean_input(value, multiline)


class Form(FlaskForm):
    """FlaskForm whose every field, present and future, filters its input through ``clean_input``."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            cleaning = input_filter(unbound_field.field_class)
            if cleaning is not None:
                options["filters"] = [cleaning, *unbound_field.kwargs.get("filters", ())]
            return super().bind_field(form, unbound_field, options)
