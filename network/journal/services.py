"""Queries and rules for the journal. Every query is filtered by author: entries are private."""
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask import current_app
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import selectinload

from network.auth.models import User
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, Theme, Thread
from network.inputs import parse_int
from network.journal.keys import EntryUnreadable, keyring
from network.journal.models import JournalEntry, JournalFilter, JournalPrompt, PromptTiming
from network.journal.prompts import AIM_PROMPTS, DEFAULT_PROMPTS, EVENT_PROMPTS
from network.forum.visibility import can_start_thread
from network.programme.models import Cohort, ProgrammeEvent
from network.text import render_markdown, slug
from network.timeutil import utcnow

TAG_PATTERN = re.compile(r"^[\w][\w\- ]{0,39}$")
MAX_TAGS = 20


@dataclass
class EntryText:
    """An entry with its decrypted content; ``readable`` is False when decryption failed."""

    entry: JournalEntry
    title: str = ""
    body: str = ""
    html: str = ""
    tags: list[str] = field(default_factory=list)
    prompt: str = ""
    readable: bool = True
    theme_ids: list[int] = field(default_factory=list)
    themes: list[Theme] = field(default_factory=list)  # filled by attach_themes




@dataclass
class Filters:
    """What the author narrowed the journal to."""

    tag: str = ""
    event_id: int | None = None
    month: date | None = None
    q: str = ""
    theme_id: int | None = None

    def in_memory(self) -> bool:
        """True when filtering needs decrypted text (tags, themes and words are encrypted)."""
        return bool(self.tag or self.q.strip() or self.theme_id)

    def active(self) -> bool:
        """True when any filter narrows the journal."""
        return bool(self.in_memory() or self.event_id or self.month)


class ListPagination(Pagination):
    """db.paginate's page object over a list filtered in memory."""

    def _query_items(self) -> list:
        start = (self.page - 1) * self.per_page
        return self._query_args["rows"][start:start + self.per_page]

    def _query_count(self) -> int:
        return len(self._query_args["rows"])


def filters_bound_to(user_id: int) -> bytes:
    """Associated data of a member's saved filters: they cannot be moved to another member."""
    return f"vaxthuset-journal-filter:v1:user={user_id}".encode()


def save_filters(user: User, session_handle: str, filters: Filters) -> None:
    """Keep ``filters`` for the browser session ``session_handle``, encrypted; none given: forget them."""
    saved = db.session.get(JournalFilter, user.id)
    if not filters.active():
        if saved is not None:
            db.session.delete(saved)
        db.session.flush()
        return
    if saved is None:
        saved = JournalFilter(user_id=user.id)
        db.session.add(saved)
    plaintext = json.dumps({"tag": filters.tag, "event": filters.event_id, "q": filters.q, "theme": filters.theme_id,
                            "month": filters.month.isoformat() if filters.month else ""}).encode()
    saved.session_handle = session_handle
    saved.key_id, saved.nonce, saved.ciphertext = keyring().seal(plaintext, filters_bound_to(user.id))
    db.session.flush()


def saved_filters(user: User, session_handle: str | None) -> Filters:
    """The filters kept for this browser session; none when another session (or nobody) chose them."""
    saved = db.session.get(JournalFilter, user.id) if session_handle else None
    if saved is None or saved.session_handle != session_handle:
        return Filters()
    try:
        values = json.loads(keyring().unseal(saved.key_id, saved.nonce, saved.ciphertext, filters_bound_to(user.id)))
    except (EntryUnreadable, ValueError):  # e.g. saved under a key since retired: start afresh
        return Filters()
    month = date.fromisoformat(values["month"]) if values.get("month") else None
    return Filters(tag=values.get("tag", ""), event_id=values.get("event"), month=month, q=values.get("q", ""),
                   theme_id=values.get("theme"))


# Writing ------------------------------------------------------------------------

def parse_tags(text: str) -> list[str]:
    """Comma-separated tags, trimmed, case-insensitively de-duplicated, in order."""
    seen, tags = set(), []
    for raw in (text or "").split(","):
        tag = " ".join(raw.split())
        if tag and tag.casefold() not in seen:
            seen.add(tag.casefold())
            tags.append(tag)
    return tags


def invalid_tags(tags: list[str]) -> list[str]:
    """The tags that are too long or hold characters other than letters, digits, spaces and hyphens."""
    return [tag for tag in tags if not TAG_PATTERN.match(tag)]


def save_entry(user: User, entry: JournalEntry | None, *, title: str, body: str, tags: list[str],
               entry_date: date, event_id: int | None, is_draft: bool, prompt: str = "",
               theme_ids: list[int] | None = None) -> JournalEntry:
    """Create or update ``user``'s entry, encrypting its text and its theme links under the current key."""
    if entry is None:
        entry = JournalEntry(author_id=user.id, key_id="", nonce=b"", ciphertext=b"")
        db.session.add(entry)
    entry.entry_date, entry.event_id, entry.is_draft = entry_date, event_id, is_draft
    entry.updated_at = utcnow()
    db.session.flush()  # the id is part of the associated data
    payload = {"title": title.strip(), "body": body, "html": render_markdown(body), "tags": tags, "prompt": prompt,
               "themes": list(theme_ids or [])}
    seal(entry, payload)
    db.session.flush()
    return entry


def seal(entry: JournalEntry, payload: dict) -> None:
    """Encrypt ``payload`` into the entry with a fresh nonce under the current key."""
    entry.key_id, entry.nonce, entry.ciphertext = keyring().encrypt(pack(payload), entry.id, entry.author_id)


# The plaintext holds four parts split by NUL bytes: the payload's JSON (what was written),
# the case-folded tags and linked theme ids ("#12": "#" is never part of a tag), the
# case-folded searchable text, and the sanitised HTML. Search then matches bytes without
# parsing JSON, decoding or case-folding 2,000 entries per request. Theme links live only
# here, so no table or column tells anyone that an entry exists or what it is about.
def pack(payload: dict) -> bytes:
    """The plaintext for ``payload`` (title, body, html, tags, prompt, themes)."""
    text = {key: value for key, value in payload.items() if key != "html"}
    labels = [tag.casefold() for tag in payload["tags"]] + [theme_label(i) for i in payload.get("themes", [])]
    tags = "\n".join(labels)
    words = "\n".join((payload["title"], payload["body"], " ".join(payload["tags"]))).casefold()
    parts = [json.dumps(text, ensure_ascii=False), tags.replace("\0", " "), words.replace("\0", " "), payload["html"]]
    return b"\0".join(part.encode() for part in parts)


def theme_label(theme_id: int) -> str:
    """How a linked theme is marked among the packed tags."""
    return f"#{int(theme_id)}"


def unpack(plaintext: bytes) -> dict:
    """The payload ``pack`` was given."""
    text, _tags, _words, html = plaintext.split(b"\0", 3)
    return {**json.loads(text), "html": html.decode()}


def delete_entry(entry: JournalEntry) -> None:
    """Remove the entry for good."""
    db.session.delete(entry)
    db.session.flush()


# Reading ------------------------------------------------------------------------

def open_entry(entry: JournalEntry) -> EntryText:
    """The decrypted entry; an unreadable one is logged (by id only) and marked, never dropped."""
    try:
        payload = unpack(keyring().decrypt(entry.key_id, entry.nonce, entry.ciphertext, entry.id, entry.author_id))
    except (EntryUnreadable, ValueError) as error:
        # The id and the kind of failure only: never any of the text.
        current_app.logger.error("Journal entry %s could not be decrypted (%s)", entry.id, type(error).__name__)
        return EntryText(entry, readable=False)
    return EntryText(entry, payload["title"], payload["body"], payload["html"], payload["tags"], payload.get("prompt", ""),
                     theme_ids=payload.get("themes", []))


def themes_by_id() -> dict[int, Theme]:
    """Every discussion theme, archived ones too, by id (one query; there are a few dozen)."""
    return {theme.id: theme for theme in forum.themes(include_archived=True)}


def attach_themes(texts: list[EntryText], themes: dict[int, Theme] | None = None) -> list[EntryText]:
    """Fill in the linked themes of decrypted entries; links to themes that no longer exist are skipped."""
    themes = themes_by_id() if themes is None else themes
    for text in texts:
        text.themes = [themes[i] for i in text.theme_ids if i in themes]
    return texts


def own_entries_stmt(user: User) -> Select:
    """The user's own entries, newest first, with their events loaded."""
    return (
        select(JournalEntry)
        .where(JournalEntry.author_id == user.id)
        .options(selectinload(JournalEntry.event))
        .order_by(JournalEntry.entry_date.desc(), JournalEntry.id.desc())
    )


def own_entry(user: User, entry_id: int) -> JournalEntry | None:
    """The entry if ``user`` wrote it; None for everyone else (who then gets 404)."""
    return db.session.scalar(own_entries_stmt(user).where(JournalEntry.id == entry_id))


def filtered_stmt(user: User, filters: Filters) -> Select:
    """The user's entries narrowed by what the database can see: event and month."""
    stmt = own_entries_stmt(user)
    if filters.event_id:
        stmt = stmt.where(JournalEntry.event_id == filters.event_id)
    if filters.month:
        following = (filters.month.replace(day=28) + timedelta(days=4)).replace(day=1)
        stmt = stmt.where(JournalEntry.entry_date >= filters.month, JournalEntry.entry_date < following)
    return stmt


def matcher(filters: Filters):
    """A test for packed plaintexts: holds the tag, the theme and every search word (case-insensitive)."""
    theme = theme_label(filters.theme_id) if filters.theme_id else ""
    wanted = [label.encode() for label in (filters.tag.casefold(), theme) if label]
    words = [word.encode() for word in filters.q.casefold().split()]

    def matches(plaintext: bytes) -> bool:
        _text, tags, searchable, _html = plaintext.split(b"\0", 3)
        labels = tags.split(b"\n")
        if any(label not in labels for label in wanted):
            return False
        return all(word in searchable for word in words)

    return matches


def search(user: User, filters: Filters) -> list[int]:
    """Ids of the user's entries matching the filters, newest first, decrypted in memory.

    Only the encrypted columns are fetched (no ORM objects), so 2,000 entries stay fast.
    """
    stmt = filtered_stmt(user, filters).with_only_columns(
        JournalEntry.id, JournalEntry.author_id, JournalEntry.key_id, JournalEntry.nonce, JournalEntry.ciphertext)
    ring, matches, found = keyring(), matcher(filters), []
    for entry_id, author_id, kid, nonce, ciphertext in db.session.execute(stmt):
        try:
            hit = matches(ring.decrypt(kid, nonce, ciphertext, entry_id, author_id))
        except (EntryUnreadable, ValueError):
            hit = True  # cannot be matched: shown rather than silently left out
        if hit:
            found.append(entry_id)
    return found


def entries_by_ids(user: User, ids: list[int]) -> list[EntryText]:
    """The user's entries with these ids, decrypted, in the order given."""
    if not ids:
        return []
    by_id = {e.id: e for e in db.session.scalars(own_entries_stmt(user).where(JournalEntry.id.in_(ids)))}
    return [open_entry(by_id[i]) for i in ids if i in by_id]


def journal_page(user: User, filters: Filters, page: int, per_page: int, themes: dict[int, Theme]) -> Pagination:
    """One page of the user's journal as decrypted entries with their linked themes."""
    if filters.in_memory():
        pagination = ListPagination(page=page, per_page=per_page, error_out=False, rows=search(user, filters))
        pagination.items = entries_by_ids(user, pagination.items)
    else:
        pagination = db.paginate(filtered_stmt(user, filters), page=page, per_page=per_page, error_out=False)
        pagination.items = [open_entry(entry) for entry in pagination.items]
    attach_themes(pagination.items, themes)
    return pagination


def entry_months(user: User) -> list[date]:
    """First days of the months in which the user wrote, newest first."""
    days = db.session.scalars(select(JournalEntry.entry_date).where(JournalEntry.author_id == user.id).distinct())
    return sorted({day.replace(day=1) for day in days}, reverse=True)


def timeline(user: User) -> list[tuple[ProgrammeEvent | None, list[EntryText]]]:
    """The user's entries grouped by programme event in event order, oldest first; unlinked last."""
    groups: dict[ProgrammeEvent | None, list[EntryText]] = {}
    stmt = own_entries_stmt(user).order_by(None).order_by(JournalEntry.entry_date, JournalEntry.id)
    for entry in db.session.scalars(stmt):
        groups.setdefault(entry.event, []).append(open_entry(entry))
    themes = themes_by_id()
    for texts in groups.values():
        attach_themes(texts, themes)
    events = sorted((e for e in groups if e is not None), key=lambda e: (e.starts_on, e.id))
    ordered = [(event, groups[event]) for event in events]
    return ordered + ([(None, groups[None])] if None in groups else [])


# Programme events and prompts ----------------------------------------------------------

def member_events(user: User) -> list[ProgrammeEvent]:
    """The conferences and study trips of the user's cohorts, in date order."""
    cohort_ids = [m.cohort_id for m in user.memberships]
    if not cohort_ids:
        return []
    stmt = (
        select(ProgrammeEvent)
        .where(ProgrammeEvent.cohort_id.in_(cohort_ids))
        .options(selectinload(ProgrammeEvent.cohort))
        .order_by(ProgrammeEvent.starts_at, ProgrammeEvent.id)
    )
    return list(db.session.scalars(stmt))


def nearest_event(events: list[ProgrammeEvent], today: date) -> tuple[ProgrammeEvent | None, PromptTiming | None]:
    """The event closest to ``today`` and whether today is before it or after it (or during)."""
    def distance(event: ProgrammeEvent) -> int:
        if event.starts_on <= today <= event.ends_on:
            return 0
        return min(abs((event.starts_on - today).days), abs((today - event.ends_on).days))

    if not events:
        return None, None
    event = min(events, key=distance)
    return event, PromptTiming.BEFORE if today < event.starts_on else PromptTiming.AFTER


def offered_prompts(user: User, events: list[ProgrammeEvent], today: date, language: str) -> tuple[ProgrammeEvent | None, list[tuple[str, str]]]:
    """(nearest event, [(key, text)]): prompts for that event first, then the programme's aims."""
    event, timing = nearest_event(events, today)
    offered = [(f"default:{p.key}", str(p.text)) for p in EVENT_PROMPTS
               if event is not None and p.kind == event.kind and p.timing == timing]
    for prompt in cohort_prompts([m.cohort_id for m in user.memberships]):
        if prompt.event_id is None or (event is not None and prompt.event_id == event.id
                                       and prompt.timing in (None, timing)):
            offered.append((f"cohort:{prompt.id}", prompt.text(language)))
    offered += [(f"default:{p.key}", str(p.text)) for p in AIM_PROMPTS]
    return event, offered


def resolve_prompt(user: User, key: str, language: str) -> str | None:
    """The text of a prompt offered to ``user``; None for unknown keys or other cohorts' prompts."""
    kind, _, ident = (key or "").partition(":")
    if kind == "default" and ident in DEFAULT_PROMPTS:
        return str(DEFAULT_PROMPTS[ident].text)
    prompt_id = parse_int(ident) if kind == "cohort" else None
    if prompt_id is not None:
        prompt = db.session.get(JournalPrompt, prompt_id)
        if prompt is not None and prompt.cohort_id in {m.cohort_id for m in user.memberships}:
            return prompt.text(language)
    return None


def is_event_prompt(key: str) -> bool:
    """Is this one of the default prompts for before or after a conference or study trip?"""
    kind, _, ident = (key or "").partition(":")
    return kind == "default" and ident in DEFAULT_PROMPTS and DEFAULT_PROMPTS[ident].kind is not None


def cohort_prompts(cohort_ids: list[int] | None) -> list[JournalPrompt]:
    """Course leaders' prompts for these cohorts (all when None), newest first."""
    stmt = (
        select(JournalPrompt)
        .options(selectinload(JournalPrompt.cohort), selectinload(JournalPrompt.event))
        .order_by(JournalPrompt.created_at.desc(), JournalPrompt.id.desc())
    )
    if cohort_ids is not None:
        if not cohort_ids:
            return []
        stmt = stmt.where(JournalPrompt.cohort_id.in_(cohort_ids))
    return list(db.session.scalars(stmt))


def event_prompts(event: ProgrammeEvent, language: str) -> list[str]:
    """The reflection prompts tied to an event: the programme's for its kind (before, then after)
    and its course leaders' own, in ``language``."""
    texts = [str(p.text) for p in EVENT_PROMPTS if p.kind == event.kind]
    stmt = select(JournalPrompt).where(JournalPrompt.event_id == event.id).order_by(JournalPrompt.id)
    return texts + [prompt.text(language) for prompt in db.session.scalars(stmt)]


def add_prompt(author: User, **values) -> JournalPrompt:
    """Store a course leader's prompt."""
    prompt = JournalPrompt(author_id=author.id, **values)
    db.session.add(prompt)
    db.session.flush()
    return prompt


# Export --------------------------------------------------------------------------

def export_record(text: EntryText, language: str) -> dict:
    """What the export holds about one entry; themes by name (in ``language``) and slug."""
    entry = text.entry
    record = {"id": entry.id, "date": entry.entry_date.isoformat(), "draft": entry.is_draft,
              "event": entry.event.title if entry.event else None}
    if not text.readable:
        return {**record, "themes": [], "unreadable": True}
    themes = [{"name": theme.name(language), "slug": theme.slug} for theme in text.themes]
    return {**record, "themes": themes, "title": text.title, "tags": text.tags, "prompt": text.prompt, "body": text.body}


def front_matter(record: dict) -> str:
    """YAML front matter (JSON-quoted values are valid YAML); themes by name."""
    values = {**record, "themes": [theme["name"] for theme in record["themes"]]}
    keys = ("title", "date", "tags", "event", "themes", "draft", "prompt")
    lines = [f"{key}: {json.dumps(values[key], ensure_ascii=False)}" for key in keys if values.get(key) is not None]
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def export_records(user: User, language: str = "sv", batch_size: int = 200) -> Iterator[dict]:
    """The author's entries as export records, oldest first, decrypted a batch at a time."""
    themes = themes_by_id()
    stmt = own_entries_stmt(user).order_by(None).order_by(JournalEntry.entry_date, JournalEntry.id)
    for entries in db.session.scalars(stmt.execution_options(yield_per=batch_size)).partitions():
        for text in attach_themes([open_entry(entry) for entry in entries], themes):
            yield export_record(text, language)


def entry_markdown(record: dict) -> str:
    """One readable entry of the export: front matter, then the text as written."""
    return front_matter(record) + record["body"]


def export_zip(user: User, language: str = "sv") -> bytes:
    """The whole journal: one Markdown file per entry plus journal.json, oldest first."""
    records = list(export_records(user, language))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for number, record in enumerate(records, start=1):
            if not record.get("unreadable"):
                name = f"{number:04d}-{record['date']}-{slug(record['title'], max_length=40, fallback='anteckning')}.md"
                archive.writestr(name, entry_markdown(record))
        document = {"exported_at": utcnow().isoformat(), "author": user.name, "entries": records}
        archive.writestr("journal.json", json.dumps(document, ensure_ascii=False, indent=2))
    return buffer.getvalue()


# Sharing an excerpt in the forum ------------------------------------------------------
# A copy made by the author: the forum post is written by them like any other and carries
# nothing that points back to the journal. The entry itself is never read or changed here.

SHARE_THREAD_CHOICES = 200


def share_themes(user: User) -> list[Theme]:
    """The themes in which ``user`` may open a thread, in their chosen order."""
    return [theme for theme in forum.themes() if can_start_thread(user, theme)]


def share_threads(user: User) -> list[Thread]:
    """Open threads ``user`` sees and may reply to, most recently active first (the newest 200)."""
    stmt = (
        select(Thread)
        .where(forum.visibility(user).threads, Thread.locked.is_(False))
        .options(selectinload(Thread.theme))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(SHARE_THREAD_CHOICES)
    )
    return list(db.session.scalars(stmt))


def share_excerpt(user: User, excerpt: str, *, theme: Theme | None = None, title: str = "",
                  cohort: Cohort | None = None, thread: Thread | None = None) -> Post:
    """Publish ``excerpt`` as a new thread in ``theme`` or as a reply in ``thread``; returns the new post.

    Raises ``forum.ThreadLocked`` when the thread is locked.
    """
    if thread is not None:
        return forum.create_reply(user, thread, excerpt)
    opened = forum.create_thread(user, theme, title, excerpt, cohort)
    return db.session.scalar(select(Post).where(Post.thread_id == opened.id, Post.opening))


# Key rotation ---------------------------------------------------------------------

def reencrypt_batch(after_id: int, batch_size: int) -> tuple[list[int], list[int], int | None]:
    """Re-encrypt the next entries (ids above ``after_id``) not under the current key.

    Returns (ids re-encrypted, ids that could not be decrypted and were left as they are, the
    highest id looked at or None when none was left). Each row is written only if it still holds the ciphertext that was decrypted: an entry its
    author saved meanwhile keeps the author's text (and is neither counted nor lost).
    """
    ring = keyring()
    stmt = (select(JournalEntry.id, JournalEntry.author_id, JournalEntry.key_id, JournalEntry.nonce,
                   JournalEntry.ciphertext)
            .where(JournalEntry.key_id != ring.current, JournalEntry.id > after_id)
            .order_by(JournalEntry.id).limit(batch_size))
    done, failed, last_id = [], [], None
    for row in db.session.execute(stmt).all():
        last_id = row.id
        try:
            plaintext = ring.decrypt(row.key_id, row.nonce, row.ciphertext, row.id, row.author_id)
        except EntryUnreadable:
            failed.append(row.id)
            continue
        if _replace_ciphertext(row, *ring.encrypt(plaintext, row.id, row.author_id)):
            done.append(row.id)
    return done, failed, last_id


def _replace_ciphertext(row, key_id: str, nonce: bytes, ciphertext: bytes) -> bool:
    """Compare-and-swap: store the new ciphertext only if the row still holds ``row``'s."""
    result = db.session.execute(
        update(JournalEntry)
        .where(JournalEntry.id == row.id, JournalEntry.key_id == row.key_id, JournalEntry.nonce == row.nonce,
               JournalEntry.ciphertext == row.ciphertext)
        .values(key_id=key_id, nonce=nonce, ciphertext=ciphertext, updated_at=JournalEntry.updated_at)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def entries_not_under(key: str) -> int:
    """How many entries are encrypted under another key than ``key``."""
    return db.session.scalar(select(func.count(JournalEntry.id)).where(JournalEntry.key_id != key))
