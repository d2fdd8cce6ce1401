"""What the programme holds about a member: their places in cohorts, with the cohorts' programme events."""
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from network.auth.export import markdown_record, markdown_title
from network.auth.models import User
from network.extensions import db
from network.personal_data import Part, register
from network.programme.models import Cohort, CohortMembership


def memberships(user: User) -> Iterator[dict]:
    """Each cohort the member belongs to, in which role, and the cohort's conferences and study trips."""
    stmt = (select(CohortMembership).where(CohortMembership.user_id == user.id)
            .options(selectinload(CohortMembership.cohort).selectinload(Cohort.events))
            .order_by(CohortMembership.id))
    for membership in db.session.scalars(stmt):
        cohort = membership.cohort
        yield {"cohort": cohort.name, "role": membership.role, "starts_on": cohort.starts_on,
               "ends_on": cohort.ends_on,
               "events": [{"title": event.title, "kind": event.kind, "place": event.place,
                           "starts_on": event.starts_on, "ends_on": event.ends_on} for event in cohort.events]}


def memberships_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("cohorts and programme events"))
    for row in memberships(user):
        events = "\n".join(f"- {event['title']} ({event['place']}, {event['starts_on'].isoformat()})"
                           for event in row["events"])
        yield markdown_record(row["cohort"], [
            (_("role"), row["role"]), (_("starts"), row["starts_on"]), (_("ends"), row["ends_on"]),
        ], text=events)


register(Part("memberships", ("cohort_membership",), memberships, memberships_readable,
              title=_l("cohorts and programme events")))
