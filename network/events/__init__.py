"""Events: the programme's calendar for members, their answers (RSVP), .ics files, private feeds and reminders."""
from flask import Blueprint
from flask_babel import format_date, format_time

bp = Blueprint("events", __name__)


@bp.app_template_global()
def event_when(event) -> str:
    """When an event takes place, in Stockholm time and the reader's language ("4 maj 2026 09:00–17:00")."""
    start = f"{format_date(event.starts_at, 'medium')} {format_time(event.starts_at, 'short')}"
    if event.starts_on == event.ends_on:
        return f"{start}–{format_time(event.ends_at, 'short')}"
    return f"{start} – {format_date(event.ends_at, 'medium')} {format_time(event.ends_at, 'short')}"
