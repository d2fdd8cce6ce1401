"""The programme: organisations, cohorts, memberships and programme events."""
import enum
from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.extensions import db, enum_column
from network.labels import register_labels


class OrganisationKind(enum.StrEnum):
    MUNICIPALITY = "municipality"
    PROVIDER = "provider"
    PARTNER = "partner"


class MembershipRole(enum.StrEnum):
    PARTICIPANT = "participant"
    COURSE_LEADER = "course_leader"

    @property
    def is_course_leader(self) -> bool:
        return self is MembershipRole.COURSE_LEADER


class EventKind(enum.StrEnum):
    CONFERENCE = "conference"
    STUDY_TRIP = "study_trip"


register_labels({
    OrganisationKind.MUNICIPALITY: _l("municipality"),
    OrganisationKind.PROVIDER: _l("welfare-service provider"),
    OrganisationKind.PARTNER: _l("partner"),
    MembershipRole.PARTICIPANT: _l("participant"),
    MembershipRole.COURSE_LEADER: _l("course leader"),
    EventKind.CONFERENCE: _l("two-day conference"),
    EventKind.STUDY_TRIP: _l("study trip"),
})


class Organisation(db.Model):
    """A municipality, a welfare-service provider or a partner organisation."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "organisation_kind"))
    municipality: Mapped[str] = mapped_column(String(100))

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class Cohort(db.Model):
    """One year's group of participants, e.g. "Växthuset 2013"."""

    __tablename__ = "cohort"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")

    memberships: Mapped[list["CohortMembership"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan"
    )
    events: Mapped[list["ProgrammeEvent"]] = relationship(
        back_populates="cohort", cascade="all, delete-orphan", order_by="ProgrammeEvent.starts_on"
    )

    def has_ended(self, today: date) -> bool:
        """True once the cohort's last day lies before ``today``."""
        return self.ends_on < today

    def __repr__(self) -> str:
        return f"<Cohort {self.name!r}>"


class CohortMembership(db.Model):
    """A user's place in a cohort, as participant or as course leader."""

    __tablename__ = "cohort_membership"
    __table_args__ = (UniqueConstraint("user_id", "cohort_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    role: Mapped[MembershipRole] = mapped_column(enum_column(MembershipRole, "membership_role"))

    cohort: Mapped[Cohort] = relationship(back_populates="memberships")
    user: Mapped["User"] = relationship(back_populates="memberships")  # noqa: F821


class ProgrammeEvent(db.Model):
    """A two-day conference or a study trip of one cohort."""

    __tablename__ = "programme_event"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    cohort: Mapped[Cohort] = relationship(back_populates="events")
