"""Translated labels for the domain's fixed values: each feature registers its own, next to its enums.

This module holds only the mechanism (``register_labels``, ``label``, ``choices``), so forms and
templates share one way of naming enum values without this module knowing any feature.
"""
from collections.abc import Mapping
from enum import Enum

from markupsafe import escape
from wtforms.fields.choices import SelectChoice

LABELS: dict[Enum, object] = {}


def register_labels(labels: Mapping[Enum, object]) -> None:
    """Add a feature's (lazily translated) labels for its enum values; called where the enums are defined."""
    LABELS.update(labels)


def label(value: Enum) -> str:
    """The translated word for an enum value (its raw value when none is defined)."""
    return str(LABELS.get(value, getattr(value, "value", value)))


def upper_first(text) -> str:
    """The text with its first letter in upper case and the rest untouched ("HR", "IT och digitalisering")."""
    text = str(text)
    return text[:1].upper() + text[1:]


def choices(enum_cls: type[Enum]) -> list[SelectChoice]:
    """Select-field choices for an enum, labels with the first letter capitalised."""
    return [SelectChoice(member.value, _Capitalised(LABELS[member])) for member in enum_cls]


class _Capitalised:
    """A lazily translated label shown with an initial capital (for form options)."""

    def __init__(self, text):
        self.text = text

    def __str__(self) -> str:
        return upper_first(self.text)

    def __html__(self) -> str:
        return str(escape(str(self)))
