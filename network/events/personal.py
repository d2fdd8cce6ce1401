"""What the events feature keeps about a member, for the account export and erasure
(see ``network.personal_data``): their answers, whether they have a calendar feed (never its
token), the reminders sent to them, and the events they created."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update

from network.events.models import CalendarToken, EventReminder, Rsvp
from network.extensions import db
from network.personal_data import Eraser, Part, register, register_eraser
from network.programme.models import ProgrammeEvent


def export_events(user):
    """One record per answer, one for the calendar feed if there is one, one per event they created."""
    stmt = select(Rsvp, ProgrammeEvent).join(Rsvp.event).where(Rsvp.user_id == user.id).order_by(ProgrammeEvent.starts_at)
    for rsvp, event in db.session.execute(stmt):
        yield {"record": "answer", "event": event.title, "starts_at": event.starts_at,
               "response": rsvp.response, "answered_at": rsvp.answered_at}
    feed = db.session.get(CalendarToken, user.id)
    if feed is not None:
        yield {"record": "calendar_feed", "created_at": feed.created_at}
    reminders = select(EventReminder, ProgrammeEvent).join(ProgrammeEvent, EventReminder.event_id == ProgrammeEvent.id)
    for reminder, event in db.session.execute(reminders.where(EventReminder.user_id == user.id)):
        yield {"record": "reminder", "event": event.title, "kind": reminder.kind,
               "sent_at": reminder.sent_at}
    created = select(ProgrammeEvent).where(ProgrammeEvent.created_by_id == user.id).order_by(ProgrammeEvent.starts_at)
    for event in db.session.scalars(created):
        yield {"record": "created_event", "event": event.title, "starts_at": event.starts_at}


def erase_events(erasure) -> None:
    """Their answers, feed and reminder records go; events they created stay, without their name."""
    user_id = erasure.user.id
    for model in (Rsvp, EventReminder, CalendarToken):
        db.session.execute(delete(model).where(model.user_id == user_id))
    db.session.execute(update(ProgrammeEvent).where(ProgrammeEvent.created_by_id == user_id).values(created_by_id=None))
    db.session.flush()


TABLES = ("rsvp", "calendar_token", "event_reminder", "programme_event")

register(Part(name="events", tables=TABLES, export=export_events, title=_l("events: your answers and calendar feed")))
register_eraser(Eraser(name="events", tables=TABLES, erase=erase_events, label=_l("Event answers and calendar feed")))
