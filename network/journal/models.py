"""Journal entries (encrypted at rest) and reflection prompts."""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from network.extensions import db, enum_column
from network.labels import register_labels
from network.programme.models import Cohort, ProgrammeEvent
from network.timeutil import UTCDateTime, utcnow


class ProgrammeAim(enum.StrEnum):
    """The programme's seven stated aims (press release, June 2013)."""

    CUSTOMER_ORIENTATION = "customer_orientation"
    INTERPLAY = "interplay"
    NEW_SITUATIONS = "new_situations"
    HABITUAL_THINKING = "habitual_thinking"
    NEW_WAYS_OF_WORKING = "new_ways_of_working"
    MANAGER_NETWORK = "manager_network"
    REFLECTION = "reflection"


class PromptTiming(enum.StrEnum):
    """When a prompt is offered, relative to a conference or study trip."""

    BEFORE = "before"
    AFTER = "after"


register_labels({
    PromptTiming.BEFORE: _l("before the event"),
    PromptTiming.AFTER: _l("after the event"),
    ProgrammeAim.CUSTOMER_ORIENTATION: _l("increase customer orientation"),
    ProgrammeAim.INTERPLAY: _l("increase interplay between internal and external actors"),
    ProgrammeAim.NEW_SITUATIONS: _l("use new situations and challenges to develop the organisation"),
    ProgrammeAim.HABITUAL_THINKING: _l("break habitual thought patterns"),
    ProgrammeAim.NEW_WAYS_OF_WORKING: _l("find new ways of working"),
    ProgrammeAim.MANAGER_NETWORK: _l("create a manager network"),
    ProgrammeAim.REFLECTION: _l("make room for reflection"),
})


class JournalEntry(db.Model):
    """One reflection. Title, body, tags and the answered prompt live only in ``ciphertext``.

    The ciphertext is AES-GCM under the key ``key_id`` with a fresh ``nonce`` per write; its
    associated data names the entry and its author, so a row's ciphertext cannot be moved to
    another entry or member. Links to discussion themes will join here once the forum lands.
    """

    __tablename__ = "journal_entry"
    __table_args__ = (Index("ix_journal_entry_author_date", "author_id", "entry_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    entry_date: Mapped[date] = mapped_column(Date)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_event.id", ondelete="SET NULL"), index=True
    )
    is_draft: Mapped[bool] = mapped_column(Boolean, default=False)
    key_id: Mapped[str] = mapped_column(String(16), index=True)
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    event: Mapped[ProgrammeEvent | None] = relationship()


class JournalPrompt(db.Model):
    """A reflection prompt a course leader wrote for a cohort, optionally for one of its events."""

    __tablename__ = "journal_prompt"

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohort.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_event.id", ondelete="CASCADE"), index=True
    )
    timing: Mapped[PromptTiming | None] = mapped_column(enum_column(PromptTiming, "prompt_timing"))
    aim: Mapped[ProgrammeAim | None] = mapped_column(enum_column(ProgrammeAim, "programme_aim"))
    text_sv: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cohort: Mapped[Cohort] = relationship()
    event: Mapped[ProgrammeEvent | None] = relationship()

    def text(self, language: str) -> str:
        """The prompt in ``language``, falling back to Swedish."""
        return (self.text_en if language == "en" else "") or self.text_sv


class JournalFilter(db.Model):
    """The filters a member last chose on the journal page, for one browser session.

    Search words tell what the journal holds, so they are encrypted like entries and never
    put in the session cookie, which holds only ``session_handle``.
    """

    __tablename__ = "journal_filter"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    session_handle: Mapped[str] = mapped_column(String(32))
    key_id: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[bytes] = mapped_column(LargeBinary(12))
    ciphertext: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
