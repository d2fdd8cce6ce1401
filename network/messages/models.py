"""Private-message models: one conversation per pair of members, its messages, each member's read
state, who may write to them, whom they block, and reports of messages to the moderators."""
import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.auth.models import User
from network.extensions import db, enum_column
from network.timeutil import UTCDateTime, utcnow


class Conversation(db.Model):
    """A private conversation between exactly two members, seen by them alone.

    The pair is stored lower id first, so a pair has one conversation whoever started it.
    """

    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("member_low_id", "member_high_id"),
        CheckConstraint("member_low_id < member_high_id", name="ordered_pair"),
        Index("ix_conversation_member_high_id", "member_high_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_low_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    member_high_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # Who wrote first: new conversations are what the daily limit counts.
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member_low: Mapped[User] = relationship(foreign_keys=[member_low_id])
    member_high: Mapped[User] = relationship(foreign_keys=[member_high_id])

    def has_member(self, user) -> bool:
        """Whether ``user`` is one of the two members."""
        return user.id in (self.member_low_id, self.member_high_id)

    def other(self, user) -> User:
        """The member ``user`` is talking to."""
        return self.member_high if user.id == self.member_low_id else self.member_low


class PrivateMessage(db.Model):
    """One message in a conversation; its text is sanitised once, when it is written."""

    __tablename__ = "private_message"
    __table_args__ = (Index("ix_private_message_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set when a moderator removed the message after a report: its text is gone.
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversation: Mapped[Conversation] = relationship()
    sender: Mapped[User] = relationship()

    resubmitted = False  # not stored: True on the message a double submit got back instead of a new one


class ConversationReadState(db.Model):
    """How far one member has read one conversation (the newest message id they have seen)."""

    __tablename__ = "conversation_read_state"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)


class WhoMayWrite(enum.StrEnum):
    COHORTS = "cohorts"
    NETWORK = "network"
    NOBODY = "nobody"


class MessageSetting(db.Model):
    """Who may start a conversation with a member; no row means the whole network."""

    __tablename__ = "message_setting"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    who_may_write: Mapped[WhoMayWrite] = mapped_column(
        enum_column(WhoMayWrite, "who_may_write"), default=WhoMayWrite.NETWORK)


class MessageBlock(db.Model):
    """A member (the blocker) takes no messages from another; the blocked member is never told."""

    __tablename__ = "message_block"

    blocker_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    blocked_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    blocked: Mapped[User] = relationship(foreign_keys=[blocked_id])


class ReportResolution(enum.StrEnum):
    DISMISSED = "dismissed"
    REMOVED = "removed"


class MessageReport(db.Model):
    """A member's report of one message to the network's moderators, with their reason.

    The moderators see this message and reason only, never the rest of the conversation.
    """

    __tablename__ = "message_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("private_message.id", ondelete="CASCADE"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    resolution: Mapped[ReportResolution | None] = mapped_column(enum_column(ReportResolution, "message_report_resolution"))

    message: Mapped[PrivateMessage] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
