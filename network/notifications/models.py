"""Notification models: in-app notifications of every kind and members' email preferences."""
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.auth.models import User
from network.extensions import db, enum_column
from network.forum.models import Post
from network.programme.models import ProgrammeEvent
from network.timeutil import UTCDateTime, utcnow


class NotificationKind(enum.StrEnum):
    # About discussions the member follows or is mentioned in.
    REPLY = "reply"
    MENTION = "mention"
    NEW_THREAD = "new_thread"
    # About moderation: to moderators (flags, approvals) and to members (outcomes, notes).
    NEW_FLAG = "new_flag"
    AWAITING_APPROVAL = "awaiting_approval"
    FLAG_HANDLED = "flag_handled"
    MODERATION_NOTE = "moderation_note"
    # About programme events: to members who said they are coming (the day before), and to
    # course leaders (the answers so far).
    EVENT_REMINDER = "event_reminder"
    RSVP_SUMMARY = "rsvp_summary"
    # A private message to the member (the notice names no text: it leads to the conversation).
    MESSAGE = "message"

    @property
    def about_event(self) -> bool:
        """About a programme event rather than a post."""
        return self in EVENT_KINDS

    @property
    def about_moderation(self) -> bool:
        """A notice from moderation (shown whatever the post's state) rather than about a discussion."""
        return self in MODERATION_KINDS

    @property
    def for_moderators(self) -> bool:
        """Asks a moderator to act: it leads to the post's moderation page."""
        return self in (NotificationKind.NEW_FLAG, NotificationKind.AWAITING_APPROVAL)


DISCUSSION_KINDS = (NotificationKind.REPLY, NotificationKind.MENTION, NotificationKind.NEW_THREAD)
MODERATION_KINDS = (NotificationKind.NEW_FLAG, NotificationKind.AWAITING_APPROVAL, NotificationKind.FLAG_HANDLED,
                    NotificationKind.MODERATION_NOTE)
EVENT_KINDS = (NotificationKind.EVENT_REMINDER, NotificationKind.RSVP_SUMMARY)
_DISCUSSION = "kind IN ('reply', 'mention', 'new_thread')"


class EmailFrequency(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NONE = "none"


class Notification(db.Model):
    """An in-app notice to one member: about a post (a reply, a mention, a new thread), from moderation,
    or about a programme event (a reminder, the answers so far)."""

    __tablename__ = "notification"
    __table_args__ = (
        # One discussion notification per member and post; moderation may notify about a post again.
        Index("uq_notification_discussion_user_post", "user_id", "post_id", unique=True,
              sqlite_where=text(_DISCUSSION), postgresql_where=text(_DISCUSSION)),
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, "notification_kind"))
    # Discussion notifications always name a post; a moderation notice may not.
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    # Event notifications name their event.
    event_id: Mapped[int | None] = mapped_column(ForeignKey("programme_event.id", ondelete="CASCADE"), index=True)

    # A private-message notice names its conversation; every other kind leaves it empty.
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), index=True)
    # A moderator's words to the member (notes, rejected edits); empty otherwise.
    message: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    post: Mapped[Post | None] = relationship()
    event: Mapped[ProgrammeEvent | None] = relationship()

    @property
    def target(self) -> tuple[str, dict] | None:
        """Where the notification leads, as (endpoint, values); None when there is nothing to open."""
        if self.kind.about_event:
            return "events.event", {"event_id": self.event_id}
        if self.kind == NotificationKind.MESSAGE:
            return "messages.conversation", {"conversation_id": self.conversation_id}
        if self.post is None:
            return None
        if self.kind.for_moderators:
            return "moderation.post", {"post_id": self.post_id}
        return "forum.thread", {"thread_id": self.post.thread_id, "post": self.post_id}


class EmailPreference(db.Model):
    """How often a member wants notification emails; no row means the daily digest."""

    __tablename__ = "email_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    frequency: Mapped[EmailFrequency] = mapped_column(
        enum_column(EmailFrequency, "email_frequency"), default=EmailFrequency.DAILY
    )
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
