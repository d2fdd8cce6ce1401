"""Queries and rules behind the administration pages."""
from collections.abc import Collection

from wtforms.fields.choices import SelectChoice
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from network.auth.models import Invitation, User
from network.extensions import db
from network.programme.models import Cohort, CohortMembership, Organisation, ProgrammeEvent


def users_stmt(query: str = "") -> Select:
    """Accounts (not erased ones) by name with their organisation and cohorts loaded; filtered by name or email."""
    stmt = (
        select(User)
        .where(User.erased_at.is_(None))  # an erased account is nobody's: it is not listed
        .options(
            joinedload(User.organisation),
            selectinload(User.memberships).joinedload(CohortMembership.cohort),
        )
        .order_by(func.lower(User.name), User.id)
    )
    query = query.strip().lower()
    if query:
        pattern = f"%{query}%"
        stmt = stmt.where(or_(func.lower(User.name).like(pattern), User.email.like(pattern)))
    return stmt


def invitations_stmt(cohort_ids: Collection[int] | None = None) -> Select:
    """Invitations newest first with what the list shows loaded; limited to cohorts when given."""
    stmt = (
        select(Invitation)
        .options(
            joinedload(Invitation.organisation),
            joinedload(Invitation.cohort),
            joinedload(Invitation.invited_by),
        )
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )
    if cohort_ids is not None:
        stmt = stmt.where(Invitation.cohort_id.in_(cohort_ids))
    return stmt


def organisation_choices() -> list[SelectChoice]:
    """Every organisation by name, as select-field choices."""
    return [SelectChoice(o.id, o.name) for o in db.session.scalars(select(Organisation).order_by(Organisation.name))]


def cohort_choices(cohort_ids: Collection[int] | None = None) -> list[SelectChoice]:
    """Cohorts newest first as select-field choices; only the given ids when set."""
    stmt = select(Cohort).order_by(Cohort.starts_on.desc())
    if cohort_ids is not None:
        stmt = stmt.where(Cohort.id.in_(cohort_ids))
    return [SelectChoice(c.id, c.name) for c in db.session.scalars(stmt)]


def name_taken(model, name: str, except_id: int | None = None) -> bool:
    """True when another row of ``model`` already has this name (case-insensitive)."""
    stmt = select(model.id).where(func.lower(model.name) == name.strip().lower())
    if except_id is not None:
        stmt = stmt.where(model.id != except_id)
    return db.session.scalar(stmt) is not None


def event_or_none(event_id: int) -> ProgrammeEvent | None:
    """A programme event with its cohort loaded."""
    return db.session.scalar(
        select(ProgrammeEvent).where(ProgrammeEvent.id == event_id).options(joinedload(ProgrammeEvent.cohort))
    )
