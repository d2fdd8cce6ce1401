"""How a member's reflection journal is erased: every entry and saved filter. Reflection prompts
a course leader wrote stay for their cohort; the author then shows as a former member."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from network.extensions import db
from network.journal.models import JournalEntry, JournalFilter
from network.personal_data import Eraser, Erasure, kept_anonymised, register_eraser


def erase_entries(erasure: Erasure) -> int:
    """Every journal entry of the member is deleted."""
    return db.session.execute(
        delete(JournalEntry).where(JournalEntry.author_id == erasure.user.id)).rowcount or 0


def erase_filters(erasure: Erasure) -> int:
    """The member's saved journal filters are deleted."""
    return db.session.execute(
        delete(JournalFilter).where(JournalFilter.user_id == erasure.user.id)).rowcount or 0


register_eraser(Eraser("journal_entries", ("journal_entry",), erase_entries, label=_l("Journal entries")))
register_eraser(Eraser("journal_filters", ("journal_filter",), erase_filters, label=_l("Saved journal filters")))
kept_anonymised("journal_prompt", "a course leader's reflection prompts stay for their cohort; the author "
                                  "is the anonymised account")
