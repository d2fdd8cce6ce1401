"""Time helpers: timezone-aware UTC in the database, Europe/Stockholm on screen."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Return the current time as an aware UTC datetime."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp column that only accepts aware datetimes and returns them in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused; use an aware UTC datetime")
        value = value.astimezone(UTC)
        # SQLite keeps no offset; store naive UTC there and re-attach it on load.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local_today() -> date:
    """Today's date in Stockholm, the programme's home."""
    return datetime.now(STOCKHOLM).date()


def stockholm_time(day: date, at: time) -> datetime:
    """The moment ``at`` o'clock on ``day`` in Stockholm (summer or winter time as it falls)."""
    return datetime.combine(day, at, tzinfo=STOCKHOLM)


def stockholm_midnight(day: date) -> datetime:
    """The moment ``day`` begins in Stockholm (date filters start and end there)."""
    return stockholm_time(day, time())
