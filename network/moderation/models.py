"""Moderation models: flags on posts and the append-only audit log (its notices are notifications)."""
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.auth.models import User
from network.extensions import db, enum_column
from network.forum.models import Post, Thread
from network.timeutil import UTCDateTime, utcnow


class FlagReason(enum.StrEnum):
    OFF_TOPIC = "off_topic"
    OFFENSIVE = "offensive"
    PERSONAL_DATA = "personal_data"
    CONFIDENTIAL = "confidential"
    SPAM = "spam"
    OTHER = "other"


class FlagResolution(enum.StrEnum):
    DISMISSED = "dismissed"
    ACTIONED = "actioned"


class ActionKind(enum.StrEnum):
    DISMISS_FLAGS = "dismiss_flags"
    HIDE_POST = "hide_post"
    AUTO_HIDE_POST = "auto_hide_post"
    RESTORE_POST = "restore_post"
    APPROVE_POST = "approve_post"
    EDIT_POST = "edit_post"
    LOCK_THREAD = "lock_thread"
    UNLOCK_THREAD = "unlock_thread"
    PIN_THREAD = "pin_thread"
    UNPIN_THREAD = "unpin_thread"
    MOVE_THREAD = "move_thread"
    SUSPEND_MEMBER = "suspend_member"
    REACTIVATE_MEMBER = "reactivate_member"
    NOTE_AUTHOR = "note_author"
    REQUIRE_APPROVAL = "require_approval"
    END_APPROVAL = "end_approval"
    # Reports of private messages (handled by administrators in the messages feature).
    DISMISS_MESSAGE_REPORT = "dismiss_message_report"
    REMOVE_MESSAGE = "remove_message"
    RESET_SECOND_FACTOR = "reset_second_factor"  # an administrator reset a member's two-factor log-in
    ERASE_MEMBER = "erase_member"  # an administrator erased a member's account at their request


# Private messages are the administrators' alone to moderate: course leaders' view of the log leaves these out.
ADMIN_ONLY_ACTIONS = (ActionKind.DISMISS_MESSAGE_REPORT, ActionKind.REMOVE_MESSAGE)


class Flag(db.Model):
    """A member's report that a post breaks the rules; open until a moderator handles it."""

    __tablename__ = "flag"
    __table_args__ = (
        # One open flag per member and post (a partial unique index on both databases).
        Index("uq_flag_open_post_flagger", "post_id", "flagger_id", unique=True,
              sqlite_where=db.text("resolved_at IS NULL"), postgresql_where=db.text("resolved_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    flagger_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    reason: Mapped[FlagReason] = mapped_column(enum_column(FlagReason, "flag_reason"))
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[FlagResolution | None] = mapped_column(enum_column(FlagResolution, "flag_resolution"))

    post: Mapped[Post] = relationship()
    flagger: Mapped[User | None] = relationship()


class ModerationAction(db.Model):
    """One entry of the audit log: who did what to which object, why and when. Never edited."""

    __tablename__ = "moderation_action"
    __table_args__ = (Index("ix_moderation_action_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[ActionKind] = mapped_column(enum_column(ActionKind, "moderation_action_kind"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    thread_id: Mapped[int | None] = mapped_column(ForeignKey("thread.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # Kept as written so the log stays readable after threads move or are deleted.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(300), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    moderator: Mapped[User | None] = relationship(foreign_keys=[moderator_id])
    member: Mapped[User | None] = relationship(foreign_keys=[member_id])
    thread: Mapped[Thread | None] = relationship()
