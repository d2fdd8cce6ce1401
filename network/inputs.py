"""The one place where text, numbers and dates from a request are made safe to store and query.

Single-line text (titles, names, search words, handles...) loses every control character
(C0, DEL, C1): line breaks and tabs become a space, the rest is dropped. Multi-line bodies keep
tab and newline (CRLF and CR become LF) and lose the other controls, NUL included: PostgreSQL
refuses NUL in text and a line break in a title breaks the mail headers built from it.

Numbers are bounded by the database's integer columns and dates by a range that every
timezone conversion survives: absurd input is "not found" or a form error, never a 500.
"""
import re
from datetime import date

from flask import request
from werkzeug.routing import IntegerConverter, UnicodeConverter, ValidationError

# Our id columns are INTEGER: 32 bits on PostgreSQL.
MIN_INT = -(2**31)
MAX_INT = 2**31 - 1
MAX_DIGITS = len(str(MAX_INT))

# Far enough for any programme date; far from year 1 and 9999, where timezone arithmetic overflows.
MIN_DATE = date(1900, 1, 1)
MAX_DATE = date(2199, 12, 31)

CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
LINE_BREAKS = re.compile("[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]+")
DROP_CONTROLS = {code: None for code in CONTROLS}
DROP_CONTROLS_KEEP_LAYOUT = {code: None for code in CONTROLS if chr(code) not in "\t\n"}
HAS_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def clean_line(value: str) -> str:
    """``value`` as one line: line breaks and tabs become a space, other controls go, ends trimmed."""
    return LINE_BREAKS.sub(" ", value).translate(DROP_CONTROLS).strip()


def clean_text(value: str) -> str:
    """A multi-line body: newlines as LF, tabs kept, every other control character removed."""
    return value.replace("\r\n", "\n").replace("\r", "\n").translate(DROP_CONTROLS_KEEP_LAYOUT)


def has_control(value: str) -> bool:
    """Does ``value`` hold a character that a single-line field may not store?"""
    return bool(HAS_CONTROL.search(value))


def parse_int(raw, minimum: int = MIN_INT, maximum: int = MAX_INT) -> int | None:
    """``raw`` as an int within [minimum, maximum] (a database id's range by default); else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, str):
        raw = raw.strip()
        if not re.fullmatch(r"-?[0-9]{1,%d}" % MAX_DIGITS, raw, re.ASCII):
            return None
        raw = int(raw)
    if not isinstance(raw, int) or not minimum <= raw <= maximum:
        return None
    return raw


def parse_date(raw: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) between MIN_DATE and MAX_DATE; None for anything else."""
    raw = (raw or "").strip()
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw, re.ASCII):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if in_date_range(day) else None


def in_date_range(day: date) -> bool:
    """Is ``day`` within the dates the site stores and filters on?"""
    return MIN_DATE <= day <= MAX_DATE


def query_int(name: str, default: int | None = None, minimum: int = 1, maximum: int = MAX_INT) -> int | None:
    """A bounded integer URL parameter (page, post, quote...); ``default`` when missing or absurd."""
    value = parse_int(request.args.get(name, ""), minimum, maximum)
    return default if value is None else value


def query_text(name: str, max_length: int = 200) -> str:
    """A single-line URL parameter (search words, filters), cleaned and cut to ``max_length``."""
    return clean_line(request.args.get(name, ""))[:max_length]


class BoundedIntegerConverter(IntegerConverter):
    """``<int:...>`` within the id columns' range: anything longer or larger is 404, not a database error."""

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None, max: int | None = MAX_INT,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str):
        if len(value.lstrip("-")) > MAX_DIGITS:
            raise ValidationError()
        return super().to_python(value)


class CleanStringConverter(UnicodeConverter):
    """A path segment (slug, handle, token) without control characters: NUL and friends are 404."""

    def to_python(self, value: str) -> str:
        if has_control(value):
            raise ValidationError()
        return value


def register_converters(app) -> None:
    """Make every route's ``<int:>`` and ``<name>`` segments bounded and clean, present and future."""
    app.url_map.converters.update(int=BoundedIntegerConverter, default=CleanStringConverter,
                                  string=CleanStringConverter)
