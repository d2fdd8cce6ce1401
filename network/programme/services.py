"""Queries and rules for organisations, cohorts, memberships and programme events."""
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from network.auth.models import Role, User
from network.extensions import db
from network.text import render_markdown
from network.timeutil import stockholm_midnight
from network.programme.models import (
    Cohort,
    CohortMembership,
    MembershipRole,
    Organisation,
    ProgrammeEvent,
)


def led_cohort_ids(user) -> frozenset[int]:
    """The ids of the cohorts the user leads: none unless theirs is an active course leader's account."""
    if not (user and user.is_authenticated and user.is_active and user.role == Role.COURSE_LEADER):
        return frozenset()
    return frozenset(m.cohort_id for m in user.memberships if m.role == MembershipRole.COURSE_LEADER)


def organisation_by_name(name: str) -> Organisation | None:
    """The organisation with exactly this name (case-insensitive)."""
    return db.session.scalar(select(Organisation).where(func.lower(Organisation.name) == name.strip().lower()))


def cohort_by_name(name: str) -> Cohort | None:
    """The cohort with exactly this name (case-insensitive)."""
    return db.session.scalar(select(Cohort).where(func.lower(Cohort.name) == name.strip().lower()))


def organisations_stmt() -> Select:
    """All organisations by name."""
    return select(Organisation).order_by(Organisation.name)


def organisations_with_counts() -> list[tuple[Organisation, int]]:
    """Every organisation with its number of members (erased accounts are nobody), by name."""
    stmt = (
        select(Organisation, func.count(User.id))
        .outerjoin(User, (User.organisation_id == Organisation.id) & User.erased_at.is_(None))
        .group_by(Organisation.id)
        .order_by(Organisation.name)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def cohorts_stmt() -> Select:
    """All cohorts, newest first."""
    return select(Cohort).order_by(Cohort.starts_on.desc(), Cohort.name)


def cohorts_with_counts(cohort_ids: Collection[int] | None = None) -> list[tuple[Cohort, int]]:
    """Cohorts (all, or those with the given ids) with their member counts, newest first."""
    stmt = (
        select(Cohort, func.count(CohortMembership.id))
        .outerjoin(CohortMembership, CohortMembership.cohort_id == Cohort.id)
        .group_by(Cohort.id)
        .order_by(Cohort.starts_on.desc(), Cohort.name)
    )
    if cohort_ids is not None:
        stmt = stmt.where(Cohort.id.in_(cohort_ids))
    return [tuple(row) for row in db.session.execute(stmt)]


def cohort_with_people(cohort_id: int) -> Cohort | None:
    """A cohort with its events and members (and their organisations) loaded."""
    stmt = (
        select(Cohort)
        .where(Cohort.id == cohort_id)
        .options(
            selectinload(Cohort.events),
            selectinload(Cohort.memberships)
            .joinedload(CohortMembership.user)
            .joinedload(User.organisation),
            # Who may be removed depends on each member's places in cohorts.
            selectinload(Cohort.memberships).joinedload(CohortMembership.user).selectinload(User.memberships),
        )
    )
    return db.session.scalar(stmt)


def members_by_role(cohort: Cohort) -> dict[MembershipRole, list[User]]:
    """The cohort's course leaders and participants, each sorted by name."""
    grouped: dict[MembershipRole, list[User]] = {role: [] for role in MembershipRole}
    for membership in cohort.memberships:
        grouped[membership.role].append(membership.user)
    for users in grouped.values():
        users.sort(key=lambda u: u.name.lower())
    return grouped


def upcoming_events(cohort_ids: list[int], today: date, limit: int = 5) -> list[ProgrammeEvent]:
    """The next events of these cohorts and of the whole network that have not ended by ``today``, soonest first."""
    stmt = (
        select(ProgrammeEvent)
        .where(or_(ProgrammeEvent.cohort_id.in_(cohort_ids), ProgrammeEvent.cohort_id.is_(None)),
               ProgrammeEvent.ends_at >= stockholm_midnight(today))
        .options(selectinload(ProgrammeEvent.cohort))
        .order_by(ProgrammeEvent.starts_at)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def membership(user: User, cohort: Cohort) -> CohortMembership | None:
    """The user's membership in the cohort, if any."""
    return db.session.scalar(
        select(CohortMembership).where(
            CohortMembership.user_id == user.id, CohortMembership.cohort_id == cohort.id
        )
    )


def remove_member(user: User, cohort: Cohort) -> bool:
    """Take the user out of the cohort; False when they were not in it."""
    existing = membership(user, cohort)
    if existing is None:
        return False
    db.session.delete(existing)
    db.session.flush()
    return True


def save_event(event: ProgrammeEvent, author: User, *, starts_at: datetime, ends_at: datetime, kind,
               title: str, place: str, address: str, description: str) -> ProgrammeEvent:
    """Store an event's details (a new one is ``author``'s); its description's HTML is sanitised here, once."""
    event.kind, event.title, event.place = kind, title.strip(), place.strip()
    event.address, event.description = address.strip(), description or ""
    event.description_html = render_markdown(event.description)
    event.starts_at, event.ends_at = starts_at, ends_at
    if event.id is None:
        event.created_by_id = author.id
        db.session.add(event)
    db.session.flush()
    return event


def network_events() -> list[ProgrammeEvent]:
    """Every network-wide event, latest first."""
    stmt = (select(ProgrammeEvent).where(ProgrammeEvent.cohort_id.is_(None))
            .order_by(ProgrammeEvent.starts_at.desc(), ProgrammeEvent.id.desc()))
    return list(db.session.scalars(stmt))
