"""The programme: organisations, cohorts, memberships and programme events."""
import enum
from datetime import date, datetime, time

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.extensions import db, enum_column
from network.labels import register_labels
from network.timeutil import STOCKHOLM, UTCDateTime, stockholm_time


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
    # Network-wide: for every member, alumni included (no cohort).
    ALUMNI_MEETING = "alumni_meeting"

    @property
    def is_network_wide(self) -> bool:
        return self is EventKind.ALUMNI_MEETING


register_labels({
    OrganisationKind.MUNICIPALITY: _l("municipality"),
    OrganisationKind.PROVIDER: _l("welfare-service provider"),
    OrganisationKind.PARTNER: _l("partner"),
    MembershipRole.PARTICIPANT: _l("participant"),
    MembershipRole.COURSE_LEADER: _l("course leader"),
    EventKind.CONFERENCE: _l("two-day conference"),
    EventKind.STUDY_TRIP: _l("study trip"),
    EventKind.ALUMNI_MEETING: _l("alumni meeting"),
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
        back_populates="cohort", cascade="all, delete-orphan", order_by="ProgrammeEvent.starts_at"
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


# A day given without a time (older rows, tests, the demo) runs 09:00-17:00 in Stockholm.
DEFAULT_START = time(9, 0)
DEFAULT_END = time(17, 0)


class ProgrammeEvent(db.Model):
    """A cohort's two-day conference or study trip, or a network-wide alumni meeting (no cohort).

    Start and end are aware UTC times, shown in Stockholm; ``starts_on``/``ends_on`` are their
    Stockholm dates (setting one alone gives 09:00 or 17:00 that day).
    """

    __tablename__ = "programme_event"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="times_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind, "event_kind"))
    title: Mapped[str] = mapped_column(String(200))
    place: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(300), default="", server_default="")
    description: Mapped[str] = mapped_column(Text, default="", server_default="")  # Markdown source
    description_html: Mapped[str] = mapped_column(Text, default="", server_default="")  # via network.text
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    cohort: Mapped[Cohort | None] = relationship(back_populates="events")

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(STOCKHOLM)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(STOCKHOLM)

    @property
    def starts_on(self) -> date:
        """The Stockholm date it starts on."""
        return self.local_start.date()

    @starts_on.setter
    def starts_on(self, day: date) -> None:
        self.starts_at = stockholm_time(day, DEFAULT_START)

    @property
    def ends_on(self) -> date:
        """The Stockholm date it ends on."""
        return self.local_end.date()

    @ends_on.setter
    def ends_on(self, day: date) -> None:
        self.ends_at = stockholm_time(day, DEFAULT_END)

    def has_started(self, now: datetime) -> bool:
        """True from its start on: answers (RSVPs) close then."""
        return self.starts_at <= now

    def __repr__(self) -> str:
        return f"<ProgrammeEvent {self.id} {self.title!r}>"
