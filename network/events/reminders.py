"""Reminders about events, sent as notifications (so each member's email preference applies):
the day before, to members who said yes; a week and a day before, the answers so far to the
course leaders of the event's cohort (for a network-wide event, to whoever created it).

Each reminder is sent once per member and event (``event_reminder``), however often it runs.
"""
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.auth.models import User
from network.events import services
from network.events.models import EventReminder, ReminderKind, RsvpResponse
from network.extensions import db
from network.notifications.models import NotificationKind
from network.notifications.services import notify
from network.programme.models import CohortMembership, MembershipRole, ProgrammeEvent

# How long before an event each reminder is due.
AHEAD = {
    ReminderKind.DAY_BEFORE: timedelta(days=1),
    ReminderKind.SUMMARY_WEEK: timedelta(days=7),
    ReminderKind.SUMMARY_DAY: timedelta(days=1),
}


def send_reminders(now: datetime) -> int:
    """Notify everyone whose reminder is due and not yet sent; returns how many were notified."""
    sent = 0
    for event in starting_within(now, max(AHEAD.values())):
        until = event.starts_at - now
        rsvps = services.answers(event)  # active members' answers: who is coming, and the counts
        if until <= AHEAD[ReminderKind.DAY_BEFORE]:
            coming = [rsvp.user for rsvp in rsvps if rsvp.response == RsvpResponse.YES]
            sent += remind(event, ReminderKind.DAY_BEFORE, coming, NotificationKind.EVENT_REMINDER)
        kind = ReminderKind.SUMMARY_DAY if until <= AHEAD[ReminderKind.SUMMARY_DAY] else ReminderKind.SUMMARY_WEEK
        sent += remind(event, kind, organisers(event), NotificationKind.RSVP_SUMMARY, services.counts(rsvps))
    db.session.flush()
    return sent


def starting_within(now: datetime, ahead: timedelta) -> list[ProgrammeEvent]:
    """Events that have not started and start within ``ahead``, soonest first."""
    stmt = (select(ProgrammeEvent).where(ProgrammeEvent.starts_at > now, ProgrammeEvent.starts_at <= now + ahead)
            .order_by(ProgrammeEvent.starts_at))
    return list(db.session.scalars(stmt))


def organisers(event: ProgrammeEvent) -> list[User]:
    """The course leaders of the event's cohort; for a network-wide event, its creator."""
    if event.cohort_id is None:
        stmt = select(User).where(User.id == event.created_by_id)
    else:
        stmt = select(User).join(CohortMembership, CohortMembership.user_id == User.id).where(
            CohortMembership.cohort_id == event.cohort_id, CohortMembership.role == MembershipRole.COURSE_LEADER)
    return [u for u in db.session.scalars(stmt.options(selectinload(User.memberships))) if u.is_active]


def remind(event: ProgrammeEvent, kind: ReminderKind, users: list[User], notification: NotificationKind,
           counted: dict[RsvpResponse, int] | None = None) -> int:
    """Notify those of ``users`` not yet reminded of ``kind`` for this event, and remember it; an
    answers summary tells the ``counted`` answers."""
    done = set(db.session.scalars(select(EventReminder.user_id).where(
        EventReminder.event_id == event.id, EventReminder.kind == kind)))
    due = [u for u in users if u.id not in done]
    for user in due:
        db.session.add(EventReminder(event_id=event.id, user_id=user.id, kind=kind))
        message = answers_text(counted, user) if counted is not None else ""
        notify([user], notification, event=event, message=message)
    return len(due)


def answers_text(counted: dict[RsvpResponse, int], user: User) -> str:
    """The answers so far, in the member's language (kept with the notification as it was then)."""
    with force_locale(user.language):
        return _("%(yes)d coming, %(maybe)d maybe, %(no)d not coming.", yes=counted[RsvpResponse.YES],
                 maybe=counted[RsvpResponse.MAYBE], no=counted[RsvpResponse.NO])
