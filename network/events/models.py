"""Members' answers to events, their private calendar feed tokens and the reminders already sent."""
import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.auth.models import User
from network.extensions import db, enum_column
from network.labels import register_labels
from network.programme.models import ProgrammeEvent
from network.timeutil import UTCDateTime, utcnow


class RsvpResponse(enum.StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"


class ReminderKind(enum.StrEnum):
    DAY_BEFORE = "day_before"  # to a member who said yes
    SUMMARY_WEEK = "summary_week"  # answers so far, to course leaders, a week before
    SUMMARY_DAY = "summary_day"  # and again the day before


register_labels({
    RsvpResponse.YES: _l("yes, I am coming"),
    RsvpResponse.MAYBE: _l("maybe"),
    RsvpResponse.NO: _l("no, I cannot come"),
})


class Rsvp(db.Model):
    """A member's answer to an event: coming, maybe or not."""

    __tablename__ = "rsvp"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("programme_event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    response: Mapped[RsvpResponse] = mapped_column(enum_column(RsvpResponse, "rsvp_response"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[ProgrammeEvent] = relationship()
    user: Mapped[User] = relationship()


class CalendarToken(db.Model):
    """A member's private calendar feed: only the SHA-256 of the address's token is kept."""

    __tablename__ = "calendar_token"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class EventReminder(db.Model):
    """A reminder already sent, so that `flask events remind` sends each one once."""

    __tablename__ = "event_reminder"
    __table_args__ = (UniqueConstraint("event_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("programme_event.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ReminderKind] = mapped_column(enum_column(ReminderKind, "reminder_kind"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
