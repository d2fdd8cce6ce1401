"""Discussion models: themes, threads, posts and their revisions, watches and read state."""
import enum
from datetime import datetime

from sqlalchemy import false, text
from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.auth.models import User
from network.extensions import db, enum_column
from network.programme.models import Cohort
from network.timeutil import UTCDateTime, utcnow


class PostStatus(enum.StrEnum):
    VISIBLE = "visible"
    PENDING = "pending"  # awaiting a moderator's approval (moderation issue)
    HIDDEN = "hidden"  # hidden by a moderator
    DELETED_BY_AUTHOR = "deleted_by_author"


# Statuses in which moderation keeps a post from most readers: awaiting approval or hidden.
HELD_STATUSES = (PostStatus.PENDING, PostStatus.HIDDEN)
# Statuses whose posts still stand in their thread and may be edited by their author.
STANDING_STATUSES = (PostStatus.VISIBLE, PostStatus.PENDING)
# Statuses shown to readers who may not read the text as a placeholder in the thread.
PLACEHOLDER_STATUSES = (PostStatus.DELETED_BY_AUTHOR, PostStatus.HIDDEN)


class WatchLevel(enum.StrEnum):
    WATCHING = "watching"
    MUTED = "muted"

    @property
    def is_watching(self) -> bool:
        """Notifications come."""
        return self is WatchLevel.WATCHING

    @property
    def is_muted(self) -> bool:
        """Silenced: no notifications."""
        return self is WatchLevel.MUTED


class Theme(db.Model):
    """A discussion theme of the programme, named and described in Swedish and English."""

    __tablename__ = "theme"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name_sv: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    description_sv: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Moderation: participants' posts wait for a moderator's approval.
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Kept by ``forum.services.recount``: the theme's network-wide threads (cohort threads are
    # counted per cohort in ThemeCohortTally), their visible posts and the newest visible post's time.
    thread_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def name(self, language: str) -> str:
        """The theme's name in ``language`` (Swedish unless English is asked for)."""
        return self.name_en if str(language) == "en" and self.name_en else self.name_sv

    def description(self, language: str) -> str:
        """The theme's description in ``language``."""
        return self.description_en if str(language) == "en" and self.description_en else self.description_sv

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class Thread(db.Model):
    """A discussion in a theme: for the whole network, or for one cohort only."""

    __tablename__ = "thread"
    __table_args__ = (Index("ix_thread_theme_activity", "theme_id", "pinned", "last_activity_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="RESTRICT"))
    # None: the whole network; otherwise only that cohort's members, its course leaders and admins.
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Kept by ``forum.services.recount``: visible posts and the newest of them (no foreign key:
    # post already references thread, and the id is only used to load that post).
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_post_id: Mapped[int | None] = mapped_column(Integer)

    theme: Mapped[Theme] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    author: Mapped[User | None] = relationship()

    resubmitted = False  # not stored: True on the thread a double submit got back instead of a new one

    @property
    def is_locked(self) -> bool:
        """Closed to new replies and to edits by a moderator."""
        return bool(self.locked)

    @property
    def is_cohort_only(self) -> bool:
        """Only one cohort's members (with its course leaders and admins) see the thread."""
        return self.cohort_id is not None


class Post(db.Model):
    """One message in a thread; the opening post carries the thread's question."""

    __tablename__ = "post"
    __table_args__ = (
        Index("ix_post_thread_id_id", "thread_id", "id"),
        # Threads whose opening post awaits approval (hidden from most members): a tiny index, so
        # the visibility rule never scans every post to find them.
        Index("ix_post_pending_opening", "thread_id", sqlite_where=text("opening AND status = 'pending'"),
              postgresql_where=text("opening AND status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    opening: Mapped[bool] = mapped_column(Boolean, default=False)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    status: Mapped[PostStatus] = mapped_column(enum_column(PostStatus, "post_status"), default=PostStatus.VISIBLE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Moderation: why a moderator hid the post (shown to its author).
    hidden_reason: Mapped[str | None] = mapped_column(Text)
    # Moderation: an author's edit of an approved post in an approval-required theme waits here;
    # everyone else keeps reading the approved text until a moderator approves the edit.
    pending_body_source: Mapped[str | None] = mapped_column(Text)
    pending_body_html: Mapped[str | None] = mapped_column(Text)
    pending_edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship()
    revisions: Mapped[list["PostRevision"]] = relationship(
        back_populates="post", cascade="all, delete-orphan", order_by="PostRevision.id"
    )

    resubmitted = False  # not stored: True on the post a double submit got back instead of a new one

    @property
    def is_visible(self) -> bool:
        """Published: every reader of the thread reads it."""
        return self.status == PostStatus.VISIBLE

    @property
    def is_pending(self) -> bool:
        """Awaits a moderator's approval: only its author and moderators read it."""
        return self.status == PostStatus.PENDING

    @property
    def is_hidden(self) -> bool:
        """Hidden by a moderator (or by enough flags): others see a placeholder."""
        return self.status == PostStatus.HIDDEN

    @property
    def is_removed(self) -> bool:
        """Removed by its author: a tombstone stays in the thread."""
        return self.status == PostStatus.DELETED_BY_AUTHOR

    @property
    def is_held(self) -> bool:
        """Kept from most readers by moderation: pending or hidden."""
        return self.status in HELD_STATUSES

    @property
    def is_standing(self) -> bool:
        """Still stands in its thread (published or awaiting approval): its author may edit it."""
        return self.status in STANDING_STATUSES

    @property
    def is_hidden_automatically(self) -> bool:
        """Hidden by enough flags rather than by a moderator (no reason given)."""
        return self.is_hidden and not self.hidden_reason

    @property
    def has_pending_edit(self) -> bool:
        """The author's edit awaits a moderator's approval."""
        return self.pending_body_source is not None

    @property
    def is_erased(self) -> bool:
        """Removed by its author and its text erased: only the tombstone is left."""
        return self.is_removed and not self.body_source


class ThemeCohortTally(db.Model):
    """A theme's cohort-only threads, counted per cohort: only that cohort's members see them."""

    __tablename__ = "theme_cohort_tally"

    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), primary_key=True, index=True)
    thread_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    post_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_post_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostRevision(db.Model):
    """An earlier text of a post, kept whenever the post is edited."""

    __tablename__ = "post_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions")
    editor: Mapped[User | None] = relationship()


class ThreadWatch(db.Model):
    """A member watching (or muting) a thread."""

    __tablename__ = "thread_watch"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    level: Mapped[WatchLevel] = mapped_column(enum_column(WatchLevel, "thread_watch_level"))


class ThemeWatch(db.Model):
    """A member watching (or muting) a theme."""

    __tablename__ = "theme_watch"
    __table_args__ = (UniqueConstraint("user_id", "theme_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("theme.id", ondelete="CASCADE"), index=True)
    level: Mapped[WatchLevel] = mapped_column(enum_column(WatchLevel, "theme_watch_level"))


class ReadState(db.Model):
    """How far a member has read a thread: the highest post id they have seen."""

    __tablename__ = "read_state"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("thread.id", ondelete="CASCADE"), index=True)
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0)
