"""Queries and rules for members' events: who may attend, answers (RSVP), feed tokens, saving events.

Functions flush, never commit; the view commits once.
"""
from collections import Counter
from datetime import datetime

from sqlalchemy import ColumnElement, Select, false, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from network.auth.models import User
from network.auth.tokens import hash_token, new_token
from network.events.models import CalendarToken, Rsvp, RsvpResponse
from network.extensions import db
from network.permissions import is_admin, is_member
from network.programme.models import ProgrammeEvent
from network.timeutil import utcnow


def attendable(user: User) -> ColumnElement:
    """The events ``user`` may attend, as SQL: network-wide ones and their cohorts' (all for admins)."""
    if not is_member(user):
        return false()
    if is_admin(user):
        return true()
    cohort_ids = [m.cohort_id for m in user.memberships]
    return or_(ProgrammeEvent.cohort_id.is_(None), ProgrammeEvent.cohort_id.in_(cohort_ids))


def attendable_stmt(user: User) -> Select:
    """Every event the member may attend, soonest first, with its cohort loaded."""
    return (
        select(ProgrammeEvent).where(attendable(user))
        .options(joinedload(ProgrammeEvent.cohort))
        .order_by(ProgrammeEvent.starts_at, ProgrammeEvent.id)
    )


def upcoming_and_past(user: User, now: datetime) -> tuple[list[ProgrammeEvent], list[ProgrammeEvent]]:
    """(events not yet over, soonest first; events over, latest first) the member may attend."""
    events = list(db.session.scalars(attendable_stmt(user)))
    upcoming = [e for e in events if e.ends_at >= now]
    past = [e for e in reversed(events) if e.ends_at < now]
    return upcoming, past


def event_for(user: User, event_id: int) -> ProgrammeEvent | None:
    """The event if ``user`` may attend it (None otherwise: it answers 404)."""
    stmt = attendable_stmt(user).where(ProgrammeEvent.id == event_id)
    return db.session.scalar(stmt)


def answers(event: ProgrammeEvent) -> list[Rsvp]:
    """Everyone's answers to the event, with members and organisations loaded, by name."""
    stmt = (
        select(Rsvp).join(Rsvp.user).where(Rsvp.event_id == event.id)
        .options(joinedload(Rsvp.user).joinedload(User.organisation))
        .order_by(User.name, User.id)
    )
    return [rsvp for rsvp in db.session.scalars(stmt) if rsvp.user.is_active]


def counts(rsvps: list[Rsvp]) -> dict[RsvpResponse, int]:
    """How many answered yes, maybe and no."""
    tally = Counter(r.response for r in rsvps)
    return {response: tally.get(response, 0) for response in RsvpResponse}


def my_answers(user: User, event_ids: list[int]) -> dict[int, RsvpResponse]:
    """The member's answers to these events, by event id."""
    if not event_ids:
        return {}
    stmt = select(Rsvp.event_id, Rsvp.response).where(Rsvp.user_id == user.id, Rsvp.event_id.in_(event_ids))
    return {event_id: response for event_id, response in db.session.execute(stmt)}


def answer(user: User, event: ProgrammeEvent, response: RsvpResponse) -> Rsvp:
    """Record (or change) the member's answer to the event."""
    rsvp = db.session.scalar(select(Rsvp).where(Rsvp.user_id == user.id, Rsvp.event_id == event.id))
    if rsvp is None:
        rsvp = Rsvp(user_id=user.id, event_id=event.id, response=response)
        db.session.add(rsvp)
    rsvp.response = response
    rsvp.answered_at = utcnow()
    db.session.flush()
    return rsvp


# The private calendar feed ------------------------------------------------------------------------

def has_feed(user: User) -> bool:
    """Whether the member has a calendar feed address."""
    return db.session.get(CalendarToken, user.id) is not None


def reset_feed(user: User) -> str:
    """A new feed token for the member (the old address stops working); only its hash is stored."""
    token, token_hash = new_token()
    stored = db.session.get(CalendarToken, user.id)
    if stored is None:
        stored = CalendarToken(user_id=user.id, token_hash=token_hash)
        db.session.add(stored)
    stored.token_hash = token_hash
    stored.created_at = utcnow()
    db.session.flush()
    return token


def feed_owner(token: str) -> User | None:
    """The active member whose feed address holds this token (None for unknown, reset or suspended)."""
    user = db.session.scalar(
        select(User).join(CalendarToken, CalendarToken.user_id == User.id)
        .where(CalendarToken.token_hash == hash_token(token))
        .options(selectinload(User.memberships))
    )
    return user if user is not None and user.is_active else None
