"""A member's second factor (a TOTP secret, encrypted) and their single-use recovery codes (hashed)."""
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from network.extensions import db
from network.timeutil import UTCDateTime, utcnow


class SecondFactor(db.Model):
    """A member's authenticator: set up but unconfirmed until the first code from it is entered."""

    __tablename__ = "second_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), unique=True)
    # AES-GCM under a key derived from SECRET_KEY (see services.sealed); never shown after set-up.
    secret_sealed: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The 30-second time step of the last accepted code: that code and older ones are refused.
    last_used_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def is_confirmed(self) -> bool:
        return self.confirmed_at is not None


class RecoveryCode(db.Model):
    """One of a member's ten recovery codes: only its SHA-256 is stored; usable once."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
