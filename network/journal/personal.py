"""What the journal holds about a member: their entries (decrypted, as the journal's own export
gives them), the reflection prompts they wrote for a cohort, and the journal filter they last chose."""
from collections.abc import Iterator

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from network.auth.export import markdown_record, markdown_title
from network.auth.models import User
from network.extensions import db
from network.journal import services
from network.journal.models import JournalFilter, JournalPrompt
from network.personal_data import Part, register


def entries(user: User) -> Iterator[dict]:
    """Every entry, oldest first, decrypted (an unreadable one is listed as such)."""
    return services.export_records(user, str(get_locale()))


def entries_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("journal"))
    for record in entries(user):
        if not record.get("unreadable"):
            yield services.entry_markdown(record) + "\n\n"


def prompts(user: User) -> Iterator[dict]:
    """The reflection prompts the member wrote, as a course leader, for their cohorts."""
    stmt = (select(JournalPrompt).where(JournalPrompt.author_id == user.id)
            .options(joinedload(JournalPrompt.cohort), joinedload(JournalPrompt.event)).order_by(JournalPrompt.id))
    for prompt in db.session.scalars(stmt):
        yield {"cohort": prompt.cohort.name, "event": prompt.event.title if prompt.event else None,
               "timing": prompt.timing, "aim": prompt.aim, "text_sv": prompt.text_sv, "text_en": prompt.text_en,
               "created_at": prompt.created_at}


def prompts_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("reflection prompts you wrote"))
    for row in prompts(user):
        yield markdown_record(row["cohort"], [
            (_("event"), row["event"]), (_("when"), row["timing"]), (_("aim"), row["aim"]),
            (_("written"), row["created_at"]),
        ], text="\n\n".join(text for text in (row["text_sv"], row["text_en"]) if text))


def saved_filter(user: User) -> Iterator[dict]:
    """The filter the member last chose on the journal page, decrypted (its words are theirs)."""
    saved = db.session.get(JournalFilter, user.id)
    if saved is None:
        return
    filters = services.saved_filters(user, saved.session_handle)
    yield {"tag": filters.tag, "event_id": filters.event_id, "month": filters.month, "words": filters.q,
           "theme_id": filters.theme_id, "updated_at": saved.updated_at}


register(Part("journal", ("journal_entry",), entries, entries_readable, title=_l("journal entries")))
register(Part("journal_prompts", ("journal_prompt",), prompts, prompts_readable,
              title=_l("reflection prompts you wrote")))
register(Part("journal_filter", ("journal_filter",), saved_filter, title=_l("your last journal filter")))
