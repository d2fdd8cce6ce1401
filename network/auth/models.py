"""Accounts: users, invitations and password-reset tokens."""
import enum
import secrets
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.extensions import db, enum_column
from network.labels import register_labels
from network.programme.models import (
    Cohort,
    CohortMembership,
    MembershipRole,
    Organisation,
)
from network.timeutil import UTCDateTime, utcnow


class Role(enum.StrEnum):
    PARTICIPANT = "participant"
    COURSE_LEADER = "course_leader"
    ADMIN = "admin"

    @property
    def is_participant(self) -> bool:
        return self is Role.PARTICIPANT

    @property
    def is_course_leader(self) -> bool:
        return self is Role.COURSE_LEADER


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


register_labels({
    Role.PARTICIPANT: _l("participant"),
    Role.COURSE_LEADER: _l("course leader"),
    Role.ADMIN: _l("administrator"),
    UserStatus.ACTIVE: _l("active"),
    UserStatus.SUSPENDED: _l("suspended"),
})


def new_session_token() -> str:
    """A fresh random per-user session token."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):
    """A member of the network."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    # Unique, readable, derived from the name ("anna.lindqvist"): profile URLs and @mentions.
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"), default=Role.PARTICIPANT)
    status: Mapped[UserStatus] = mapped_column(
        enum_column(UserStatus, "user_status"), default=UserStatus.ACTIVE
    )
    language: Mapped[str] = mapped_column(String(5), default="sv")
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="RESTRICT"), index=True
    )
    # Rotated on log-out, password change and suspension: every session and
    # remember-me cookie carries it, so rotating it revokes them all.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The last page view (written with the profile's activity stamp, every 15 minutes at most):
    # what the retention purge reads. Set for members with or without a profile.
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the retention purge warned the member that their inactive account will be erased.
    retention_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Erased: the row stays, anonymised, so kept posts and log entries keep their author.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    memberships: Mapped[list[CohortMembership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def get_id(self) -> str:
        """The identity stored in the session: the user id bound to the session token."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE and self.erased_at is None

    @property
    def is_erased(self) -> bool:
        """The member's account was erased: only an anonymous row is left."""
        return self.erased_at is not None

    @property
    def display_name(self) -> str:
        """The name every page shows: "Former member" once the account is erased."""
        return str(_l("Former member")) if self.is_erased else self.name

    def rotate_session_token(self) -> None:
        """Revoke every existing session and remember-me cookie of this user."""
        self.session_token = new_session_token()

    def cohorts(self, role: MembershipRole | None = None) -> list[Cohort]:
        """The cohorts this user belongs to, optionally only in ``role``."""
        return [m.cohort for m in self.memberships if role is None or m.role == role]

    def is_alumnus(self, today: date) -> bool:
        """A participant all of whose cohorts have ended (derived, never stored)."""
        cohorts = self.cohorts(MembershipRole.PARTICIPANT)
        return (
            self.role == Role.PARTICIPANT
            and bool(cohorts)
            and all(c.has_ended(today) for c in cohorts)
        )

    def __repr__(self) -> str:
        return f"<User {self.email!r}>"


class Invitation(db.Model):
    """A single-use invitation to join the network; only the token's hash is stored."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An invitation into a cohort for an existing account: the member declined it.
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def is_open(self, now: datetime) -> bool:
        """Still usable: not accepted, declined or revoked, not expired."""
        return (
            self.accepted_at is None and self.revoked_at is None and self.declined_at is None
            and now < self.expires_at
        )


class PasswordResetToken(db.Model):
    """A single-use password-reset link; only the token's hash is stored."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
