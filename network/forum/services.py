"""Discussion rules and queries. Functions flush, never commit; the view commits once.

Every query that shows forum content to someone goes through ``visibility(viewer)``
(``forum.visibility``). Moderation hooks into writing through ``forum.signals``.
"""
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, selectinload

from network.auth.models import User
from network.extensions import db
from network.forum import signals
from network.forum.models import (
    Post, PostRevision, PostStatus, ReadState, Theme, ThemeCohortTally, ThemeWatch, Thread, ThreadWatch, WatchLevel,
)
from network.forum.visibility import (
    awaiting_approval, can_see_thread, viewer_cohorts, visibility,
)
from network.locks import lock_row
from network.notifications import services as notifications
from network.notifications.models import NotificationKind
from network.permissions import is_admin
from network.programme.models import Cohort
from network.text import render_markdown, slug
from network.timeutil import utcnow

MAX_POST_LENGTH = 20_000
DUPLICATE_WINDOW = timedelta(seconds=60)
RESERVED_SLUGS = frozenset({"manage", "new"})


class ThreadLocked(Exception):
    """Raised when someone replies to a locked thread."""


class ListPage(Pagination):
    """A page of results already loaded, with the pager's API (pages, has_next, iter_pages...)."""

    def __init__(self, number: int, per_page: int, items: list, total: int):
        super().__init__(page=number, per_page=per_page, error_out=False, items=items, total=total)

    def _query_items(self) -> list:
        return self._query_args["items"]

    def _query_count(self) -> int:
        return self._query_args["total"]


# Stored counts ----------------------------------------------------------------------------------
# Every change to which posts exist, their status or a thread's theme goes through
# ``set_post_status``, ``move_thread_to`` or (for a new post) ``recount`` itself, in the same
# transaction as the change. Counts are of visible posts; a thread counts in its theme unless
# its opening post awaits approval; cohort-only threads are counted per cohort.

def recount(*threads: Thread, former_theme_id: int | None = None,
            scopes: frozenset[tuple[int, int | None]] = frozenset()) -> None:
    """Bring the stored counts of these threads and of their themes up to date with their posts;
    ``scopes`` names further (theme, cohort) counts to redo (of threads just deleted)."""
    db.session.flush()
    # Concurrent posts in a thread or theme recount one after the other (PostgreSQL row locks), so
    # each sees the others' committed posts; SQLite has one writer at a time anyway. FOR NO KEY
    # UPDATE (key_share), not FOR UPDATE: each new post already holds a KEY SHARE lock on its thread
    # (its foreign key), and FOR UPDATE waits for those, so two replies to one thread deadlocked.
    db.session.execute(select(Thread.id).where(Thread.id.in_([t.id for t in threads])).with_for_update(key_share=True))
    for thread in threads:
        thread.post_count, thread.last_post_id = db.session.execute(
            select(func.count(Post.id), func.max(Post.id))
            .where(Post.thread_id == thread.id, Post.status == PostStatus.VISIBLE)
        ).one()
    scopes = {(t.theme_id, t.cohort_id) for t in threads} | scopes
    if former_theme_id is not None:
        scopes |= {(former_theme_id, t.cohort_id) for t in threads}
    db.session.flush()
    db.session.execute(select(Theme.id).where(Theme.id.in_({theme_id for theme_id, _ in scopes}))
                       .order_by(Theme.id).with_for_update(key_share=True))  # new threads hold KEY SHARE on it
    for theme_id, cohort_id in scopes:
        _recount_theme(theme_id, cohort_id)
    db.session.flush()


def set_post_status(post: Post, status: PostStatus) -> None:
    """Change a post's status (shown, held, hidden, removed), keeping the stored counts right."""
    post.status = status
    recount(post.thread)


def move_thread_to(thread: Thread, theme: Theme) -> None:
    """Move a thread to another theme, keeping both themes' stored counts right."""
    former = thread.theme_id
    thread.theme = theme
    recount(thread, former_theme_id=former)


def _recount_theme(theme_id: int, cohort_id: int | None) -> None:
    newest = aliased(Post)
    scope = Thread.cohort_id.is_(None) if cohort_id is None else Thread.cohort_id == cohort_id
    threads, posts, latest = db.session.execute(
        select(func.count(Thread.id), func.coalesce(func.sum(Thread.post_count), 0), func.max(newest.created_at))
        .outerjoin(newest, newest.id == Thread.last_post_id)
        .where(Thread.theme_id == theme_id, scope, ~awaiting_approval())
    ).one()
    if cohort_id is None:
        tally = db.session.get(Theme, theme_id)
    else:
        tally = db.session.get(ThemeCohortTally, (theme_id, cohort_id))
        if tally is None:
            tally = ThemeCohortTally(theme_id=theme_id, cohort_id=cohort_id)
            db.session.add(tally)
    tally.thread_count, tally.post_count, tally.last_post_at = threads, posts, latest


# Themes ---------------------------------------------------------------------------------------

def unique_slug(name: str, except_id: int | None = None) -> str:
    """A slug for ``name`` no other theme uses (numbered when needed)."""
    base = slug(name, max_length=70, fallback="tema")
    stmt = select(Theme.slug).where(Theme.slug.like(f"{base}%"))
    if except_id is not None:
        stmt = stmt.where(Theme.id != except_id)
    taken = set(db.session.scalars(stmt)) | RESERVED_SLUGS
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def themes(include_archived: bool = False) -> list[Theme]:
    """Themes in their chosen order; archived ones only when asked for."""
    stmt = select(Theme).order_by(Theme.position, Theme.id)
    if not include_archived:
        stmt = stmt.where(Theme.archived_at.is_(None))
    return list(db.session.scalars(stmt))


def archived_themes() -> list[Theme]:
    """Archived themes, still readable, in their chosen order."""
    return list(db.session.scalars(
        select(Theme).where(Theme.archived_at.is_not(None)).order_by(Theme.position, Theme.id)
    ))


def theme_by_slug(slug: str) -> Theme | None:
    """The theme with this slug, archived or not."""
    return db.session.scalar(select(Theme).where(Theme.slug == slug))


@dataclass
class ThemeRow:
    """A theme on the themes page with what the viewer sees of it."""

    theme: Theme
    threads: int
    posts: int
    latest: datetime | None


def theme_overview(viewer: User) -> list[ThemeRow]:
    """Open themes with the threads and posts the viewer sees and the newest post, from stored counts."""
    tallies = {
        theme_id: (threads, posts, latest) for theme_id, threads, posts, latest in db.session.execute(
            select(ThemeCohortTally.theme_id, func.sum(ThemeCohortTally.thread_count),
                   func.sum(ThemeCohortTally.post_count), func.max(ThemeCohortTally.last_post_at))
            .where(viewer_cohorts(viewer, ThemeCohortTally.cohort_id)).group_by(ThemeCohortTally.theme_id)
        )
    }
    rows = []
    for theme in themes():
        threads, posts, latest = tallies.get(theme.id, (0, 0, None))
        newest = [t for t in (theme.last_post_at, latest) if t is not None]
        rows.append(ThemeRow(theme, theme.thread_count + threads, theme.post_count + posts, max(newest, default=None)))
    return rows


def theme_thread_total(viewer: User, theme: Theme) -> int:
    """How many of the theme's threads the viewer sees (network-wide ones and their cohorts'), from stored counts."""
    in_cohorts = db.session.scalar(
        select(func.sum(ThemeCohortTally.thread_count))
        .where(ThemeCohortTally.theme_id == theme.id, viewer_cohorts(viewer, ThemeCohortTally.cohort_id))
    )
    return theme.thread_count + (in_cohorts or 0)


def save_theme(theme: Theme | None, *, name_sv: str, name_en: str, description_sv: str, description_en: str) -> Theme:
    """Create a theme (placed last) or rename and re-describe an existing one."""
    if theme is None:
        last = db.session.scalar(select(func.max(Theme.position))) or 0
        theme = Theme(slug=unique_slug(name_sv), position=last + 1)
        db.session.add(theme)
    theme.name_sv, theme.name_en = name_sv.strip(), name_en.strip()
    theme.description_sv, theme.description_en = description_sv.strip(), description_en.strip()
    db.session.flush()
    return theme


def move_theme(theme: Theme, step: int) -> None:
    """Swap the theme with its neighbour above (step -1) or below (step 1)."""
    ordered = themes(include_archived=True)
    index = next(i for i, t in enumerate(ordered) if t.id == theme.id)
    other = index + step
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, each in enumerate(ordered, start=1):
        each.position = position
    db.session.flush()


def set_archived(theme: Theme, archived: bool) -> None:
    """Archive a theme (kept readable, closed to new threads) or bring it back."""
    theme.archived_at = utcnow() if archived else None
    db.session.flush()


# Threads and their lists -----------------------------------------------------------------------

@dataclass
class ThreadSummary:
    """A row of a theme page."""

    thread: Thread
    replies: int
    latest: Post | None
    unread: int


def theme_threads_stmt(viewer: User, theme: Theme) -> Select:
    """The theme's threads the viewer sees: pinned first, then by latest activity."""
    return (
        select(Thread)
        .where(Thread.theme_id == theme.id, visibility(viewer).threads)
        .options(joinedload(Thread.author), joinedload(Thread.cohort))
        .order_by(Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
    )


def theme_threads_page(viewer: User, theme: Theme, number: int, per_page: int) -> "ListPage":
    """A page of the theme's threads the viewer sees; the page count comes from the stored counts."""
    stmt = theme_threads_stmt(viewer, theme).limit(per_page).offset((max(number, 1) - 1) * per_page)
    return ListPage(number, per_page, list(db.session.scalars(stmt)), theme_thread_total(viewer, theme))


def summarise(viewer: User, threads: list[Thread]) -> list[ThreadSummary]:
    """Reply counts, latest posts and unread counts for a page of threads, in two queries.

    Reply counts and latest posts come from the stored counts; unread state is read for these threads only.
    """
    ids = [t.id for t in threads]
    if not ids:
        return []
    latest_ids = [t.last_post_id for t in threads if t.last_post_id]
    latest = {p.id: p for p in db.session.scalars(
        select(Post).where(Post.id.in_(latest_ids)).options(joinedload(Post.author))
    )} if latest_ids else {}
    unread = dict(db.session.execute(
        select(Post.thread_id, func.count(Post.id))
        .outerjoin(ReadState, and_(ReadState.thread_id == Post.thread_id, ReadState.user_id == viewer.id))
        .where(Post.thread_id.in_(ids), visibility(viewer).posts,
               Post.id > func.coalesce(ReadState.last_read_post_id, 0))
        .group_by(Post.thread_id)
    ).all())
    return [ThreadSummary(t, max(t.post_count - 1, 0), latest.get(t.last_post_id), unread.get(t.id, 0))
            for t in threads]


def visible_thread(viewer: User, thread_id: int) -> Thread | None:
    """The thread if the viewer may see it (None otherwise: the view answers 404)."""
    return db.session.scalar(
        select(Thread)
        .where(Thread.id == thread_id, visibility(viewer).threads)
        .options(joinedload(Thread.theme), joinedload(Thread.cohort))
    )


def visible_post(viewer: User, post_id: int) -> Post | None:
    """A post the viewer may read, with its thread loaded."""
    vis = visibility(viewer)
    return db.session.scalar(
        select(Post).join(Post.thread)
        .where(Post.id == post_id, vis.threads, vis.listed)
        .options(contains_eager(Post.thread).joinedload(Thread.theme))
    )


def thread_posts_stmt(viewer: User, thread: Thread) -> Select:
    """The thread's posts the viewer sees, oldest first, with authors and organisations."""
    return (
        select(Post)
        .where(Post.thread_id == thread.id, visibility(viewer).listed)
        .options(joinedload(Post.author).joinedload(User.organisation))
        .order_by(Post.id)
    )


def last_read_post_id(viewer: User, thread: Thread) -> int:
    """The highest post id the viewer has seen in the thread (0: never opened)."""
    return db.session.scalar(
        select(ReadState.last_read_post_id).where(ReadState.user_id == viewer.id, ReadState.thread_id == thread.id)
    ) or 0


def first_unread_post_id(viewer: User, thread: Thread) -> int | None:
    """The first post the viewer has not read yet, if any."""
    return db.session.scalar(
        select(func.min(Post.id)).where(
            Post.thread_id == thread.id, visibility(viewer).posts,
            Post.id > last_read_post_id(viewer, thread),
        )
    )


def page_of_post(viewer: User, thread: Thread, post_id: int | None, per_page: int) -> int:
    """The page of the thread (as the viewer sees it) on which the post appears; None: the last page."""
    stmt = select(func.count(Post.id)).where(Post.thread_id == thread.id, visibility(viewer).listed)
    if post_id is None:
        return max(1, -(-db.session.scalar(stmt) // per_page))
    return db.session.scalar(stmt.where(Post.id < post_id)) // per_page + 1


def mark_read(viewer: User, thread: Thread, posts: list[Post]) -> None:
    """Remember the viewer has read up to the last of ``posts``; their notifications are read too."""
    if not posts:
        return
    newest = max(p.id for p in posts)
    state = db.session.scalar(
        select(ReadState).where(ReadState.user_id == viewer.id, ReadState.thread_id == thread.id)
    )
    if state is None:
        db.session.add(ReadState(user_id=viewer.id, thread_id=thread.id, last_read_post_id=newest))
    elif state.last_read_post_id < newest:
        state.last_read_post_id = newest
    notifications.mark_read_about(viewer, [p.id for p in posts])
    db.session.flush()


# Writing --------------------------------------------------------------------------------------

MENTION = re.compile(r"(?<![\w.@/])@([a-z0-9](?:[a-z0-9.]*[a-z0-9])?)", re.IGNORECASE)
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.DOTALL)


def mentioned_handles(source: str) -> set[str]:
    """The @handles written outside code in ``source``, lower-cased."""
    found: set[str] = set()
    for index, part in enumerate(CODE.split(source or "")):
        if index % 2 == 0:
            found.update(h.lower() for h in MENTION.findall(part))
    return found


def users_by_handle(handles: set[str]) -> list[User]:
    """Active members with these handles, their cohort memberships loaded."""
    if not handles:
        return []
    return list(db.session.scalars(
        select(User).where(User.handle.in_(handles), User.erased_at.is_(None)).options(selectinload(User.memberships))
    ))


def render_post(source: str, handles: set[str]) -> str:
    """Sanitised HTML for a post, with @mentions of existing members linked to their profiles."""
    def link(match: re.Match) -> str:
        handle = match.group(1).lower()
        return f"[@{handle}](/people/{handle})" if handle in handles else match.group(0)

    parts = CODE.split(source)
    linked = "".join(MENTION.sub(link, p) if i % 2 == 0 else p for i, p in enumerate(parts))
    return render_markdown(linked)


def _recent_duplicate(author: User, thread_id: int, body: str) -> Post | None:
    """The same author's identical post in the thread a moment ago (a double submit).

    The author's row is locked first, so concurrent submissions by one author run one after
    the other and each sees what the previous one stored.
    """
    lock_row(User, author.id)
    return db.session.scalar(
        select(Post).where(
            Post.thread_id == thread_id, Post.author_id == author.id, Post.body_source == body,
            Post.created_at >= utcnow() - DUPLICATE_WINDOW, Post.status != PostStatus.DELETED_BY_AUTHOR,
        ).limit(1)
    )


def create_thread(author: User, theme: Theme, title: str, body: str, cohort: Cohort | None = None) -> Thread:
    """Open a thread with its opening post; notifies theme watchers and mentioned members.

    A second identical submission within a minute returns the first thread.
    """
    title = title.strip()
    lock_row(User, author.id)  # as in _recent_duplicate: one author's submissions in turn
    duplicate = db.session.scalar(
        select(Thread).join(Post, and_(Post.thread_id == Thread.id, Post.opening)).where(
            Thread.theme_id == theme.id, Thread.author_id == author.id, Thread.title == title,
            Post.body_source == body, Thread.created_at >= utcnow() - DUPLICATE_WINDOW,
        ).limit(1)
    )
    if duplicate is not None:
        duplicate.resubmitted = True
        return duplicate
    now = utcnow()
    thread = Thread(theme=theme, cohort=cohort, author=author, title=title, created_at=now, last_activity_at=now)
    db.session.add(thread)
    db.session.flush()
    post = _add_post(author, thread, body, opening=True)
    _notify(post, _theme_watchers(theme, exclude=author), NotificationKind.NEW_THREAD)
    return thread


def create_reply(author: User, thread: Thread, body: str) -> Post:
    """Add a reply; the author watches the thread from now on; watchers and mentioned members hear of it.

    A second identical submission within a minute returns the first reply.
    """
    if thread.is_locked:
        raise ThreadLocked(thread.id)
    duplicate = _recent_duplicate(author, thread.id, body)
    if duplicate is not None:
        duplicate.resubmitted = True
        return duplicate
    post = _add_post(author, thread, body, opening=False)
    thread.last_activity_at = post.created_at
    _notify(post, _thread_watchers(thread, exclude=author), NotificationKind.REPLY)
    return post


def _add_post(author: User, thread: Thread, body: str, *, opening: bool) -> Post:
    mentioned = [u for u in users_by_handle(mentioned_handles(body)) if u.id != author.id]
    post = Post(
        thread=thread, author=author, opening=opening, body_source=body,
        body_html=render_post(body, {u.handle for u in mentioned} | {author.handle}), created_at=utcnow(),
    )
    db.session.add(post)
    db.session.flush()
    signals.post_created.send(post)  # moderation holds participants' posts in approval-required themes
    if post.is_visible:  # a held post was recounted when moderation held it
        recount(thread)
    if _watch(author.id, thread.id) is None:
        db.session.add(ThreadWatch(user_id=author.id, thread_id=thread.id, level=WatchLevel.WATCHING))
    mark_read(author, thread, [post])
    _notify(post, mentioned, NotificationKind.MENTION)
    return post


def author_edit(author: User, post: Post, body: str) -> bool:
    """The author's own edit: live at once, or held for a moderator's approval (True) where
    moderation requires it, while everyone else keeps reading the approved text."""
    if signals.answered(signals.edit_submitted.send(post, body=body)):
        return True
    clear_pending_edit(post)
    edit_post(author, post, body)
    return False


def pending_edit_html(post: Post, body: str) -> str:
    """The sanitised HTML an edit of ``post`` would have (mentions linked as on publishing)."""
    handles = {u.handle for u in users_by_handle(mentioned_handles(body))}
    return render_post(body, handles | ({post.author.handle} if post.author else set()))


def clear_pending_edit(post: Post) -> None:
    """Forget an edit that awaited approval."""
    post.pending_body_source = post.pending_body_html = post.pending_edited_at = None


def edit_post(editor: User, post: Post, body: str) -> None:
    """Replace a post's text, keeping every version; newly mentioned members are notified."""
    if not post.revisions:
        post.revisions.append(PostRevision(
            editor_id=post.author_id, body_source=post.body_source, body_html=post.body_html,
            created_at=post.created_at,
        ))
    mentioned = [u for u in users_by_handle(mentioned_handles(body)) if u.id != post.author_id]
    post.body_source = body
    post.body_html = render_post(body, {u.handle for u in mentioned} | {editor.handle})
    post.edited_at = utcnow()
    post.revisions.append(PostRevision(editor_id=editor.id, body_source=body, body_html=post.body_html))
    db.session.flush()
    signals.post_edited.send(post, editor=editor)
    _notify(post, mentioned, NotificationKind.MENTION)


def delete_post(post: Post) -> None:
    """Remove a post at its author's wish: a tombstone stays in the thread, and the text and
    every earlier version are erased, unless a moderator has an open case on the post (then
    they are kept for the moderator until the case is closed)."""
    set_post_status(post, PostStatus.DELETED_BY_AUTHOR)
    clear_pending_edit(post)
    if not signals.answered(signals.post_removed.send(post)):
        erase_text(post)
    db.session.flush()


def erase_text(post: Post) -> None:
    """Erase the text of a post its author removed, with all its versions (the tombstone stays)."""
    post.body_source = post.body_html = ""
    clear_pending_edit(post)
    post.revisions.clear()
    db.session.flush()


def revisions(post: Post) -> list[PostRevision]:
    """Every version of the post, oldest first, with their editors."""
    return list(db.session.scalars(
        select(PostRevision).where(PostRevision.post_id == post.id)
        .options(joinedload(PostRevision.editor)).order_by(PostRevision.id)
    ))


def quote(post: Post) -> str:
    """Markdown quoting ``post`` for a reply form."""
    lines = (post.body_source or "").strip().splitlines()
    who = f"@{post.author.handle}" if post.author else ""
    return f"{who}:\n" + "\n".join(f"> {line}" for line in lines) + "\n\n"


# Watching ---------------------------------------------------------------------------------------

def _watch(user_id: int, thread_id: int) -> ThreadWatch | None:
    return db.session.scalar(
        select(ThreadWatch).where(ThreadWatch.user_id == user_id, ThreadWatch.thread_id == thread_id)
    )


def thread_watch_level(user: User, thread: Thread) -> WatchLevel | None:
    """Whether the member watches or mutes the thread (None: neither)."""
    watch = _watch(user.id, thread.id)
    return watch.level if watch else None


def theme_watch_level(user: User, theme: Theme) -> WatchLevel | None:
    """Whether the member watches or mutes the theme (None: neither)."""
    return db.session.scalar(
        select(ThemeWatch.level).where(ThemeWatch.user_id == user.id, ThemeWatch.theme_id == theme.id)
    )


def set_thread_watch(user: User, thread: Thread, level: WatchLevel | None) -> None:
    """Watch, mute or stop following a thread."""
    _set_watch(ThreadWatch, ThreadWatch.thread_id, user, thread.id, level)


def set_theme_watch(user: User, theme: Theme, level: WatchLevel | None) -> None:
    """Watch (new threads are notified), mute or stop following a theme."""
    _set_watch(ThemeWatch, ThemeWatch.theme_id, user, theme.id, level)


def _set_watch(model, target_column, user: User, target_id: int, level: WatchLevel | None) -> None:
    watch = db.session.scalar(select(model).where(model.user_id == user.id, target_column == target_id))
    if level is None:
        if watch is not None:
            db.session.delete(watch)
    elif watch is None:
        db.session.add(model(user_id=user.id, level=level, **{target_column.key: target_id}))
    else:
        watch.level = level
    db.session.flush()


def _thread_watchers(thread: Thread, exclude: User) -> list[User]:
    return _watchers(ThreadWatch, ThreadWatch.thread_id == thread.id, exclude)


def _theme_watchers(theme: Theme, exclude: User) -> list[User]:
    return _watchers(ThemeWatch, ThemeWatch.theme_id == theme.id, exclude)


def _watchers(model, target, exclude: User) -> list[User]:
    """Members watching (not muting) the target, with their memberships for the visibility check."""
    return list(db.session.scalars(
        select(User).join(model, model.user_id == User.id)
        .where(target, model.level == WatchLevel.WATCHING, User.id != exclude.id)
        .options(selectinload(User.memberships))
    ))


# Notifications --------------------------------------------------------------------------------

def _notify(post: Post, recipients: list[User], kind: NotificationKind) -> None:
    """Notify those recipients who may see the thread and have not muted it (nor its theme, except
    for mentions): one notification per member and post."""
    candidates = {u.id: u for u in recipients if u.is_active and can_see_thread(u, post.thread)}
    if not candidates:
        return
    muted = set(db.session.scalars(
        select(ThreadWatch.user_id).where(
            ThreadWatch.thread_id == post.thread_id, ThreadWatch.level == WatchLevel.MUTED,
            ThreadWatch.user_id.in_(candidates),
        )
    ))
    if kind != NotificationKind.MENTION:  # a muted theme is quiet, but being addressed still comes through
        muted |= set(db.session.scalars(
            select(ThemeWatch.user_id).where(
                ThemeWatch.theme_id == post.thread.theme_id, ThemeWatch.level == WatchLevel.MUTED,
                ThemeWatch.user_id.in_(candidates),
            )
        ))
    notifications.notify([u for user_id, u in candidates.items() if user_id not in muted], kind, post)


# Forms ------------------------------------------------------------------------------

def cohorts_for_new_thread(user: User) -> list[Cohort]:
    """The cohorts a member may limit a new thread to: their own (every cohort for admins)."""
    if is_admin(user):
        return list(db.session.scalars(select(Cohort).order_by(Cohort.starts_on.desc())))
    return sorted((m.cohort for m in user.memberships), key=lambda c: c.starts_on, reverse=True)

