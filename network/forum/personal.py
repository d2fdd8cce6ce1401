"""What the forum holds about a member: threads they started, their posts with every earlier
version, what they watch or mute, and how far they have read.

Only the member's own words: of other people's discussions the export names the thread's title,
never another member's post.
"""
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from network.auth.export import markdown_record, markdown_title, readable_value
from network.auth.models import User
from network.extensions import db
from network.forum.models import Post, ReadState, Theme, ThemeWatch, Thread, ThreadWatch
from network.personal_data import Part, register

BATCH = 500


def threads(user: User) -> Iterator[dict]:
    """The threads the member started."""
    stmt = (select(Thread).where(Thread.author_id == user.id)
            .options(joinedload(Thread.theme), joinedload(Thread.cohort)).order_by(Thread.id))
    for thread in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        yield {"id": thread.id, "title": thread.title, "theme": thread.theme.slug,
               "cohort": thread.cohort.name if thread.cohort else None, "created_at": thread.created_at,
               "locked": thread.locked, "pinned": thread.pinned}


def threads_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("threads you started"))
    for row in threads(user):
        yield markdown_record(row["title"], [(_("theme"), row["theme"]), (_("cohort"), row["cohort"]),
                                             (_("started"), row["created_at"])])


def own_posts(user: User) -> Iterator[Post]:
    """The member's posts, oldest first, with their threads and earlier versions, a batch at a time."""
    stmt = (select(Post).where(Post.author_id == user.id)
            .options(joinedload(Post.thread), selectinload(Post.revisions)).order_by(Post.id))
    return db.session.scalars(stmt.execution_options(yield_per=BATCH))


def posts(user: User) -> Iterator[dict]:
    """Each post as written, its pending edit and every earlier version (kept when it was edited)."""
    for post in own_posts(user):
        yield {"id": post.id, "thread_id": post.thread_id, "thread": post.thread.title, "opening": post.opening,
               "status": post.status, "created_at": post.created_at, "edited_at": post.edited_at,
               "body": post.body_source, "pending_body": post.pending_body_source,
               "pending_edited_at": post.pending_edited_at, "hidden_reason": post.hidden_reason,
               "revisions": [{"body": revision.body_source, "created_at": revision.created_at,
                              "edited_by_you": revision.editor_id == user.id} for revision in post.revisions]}


def posts_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("your posts"))
    for row in posts(user):
        earlier = "".join(f"\n\n### {_('Earlier version')} ({readable_value(revision['created_at'])})\n\n"
                          f"{revision['body'].strip()}" for revision in row["revisions"])
        yield markdown_record(f"{row['thread']} ({readable_value(row['created_at'])})", [
            (_("status"), row["status"]), (_("edited"), row["edited_at"]),
            (_("reason for hiding"), row["hidden_reason"]),
        ], text=row["body"] + earlier)


def watches(user: User) -> Iterator[dict]:
    """The themes and threads the member watches or has muted."""
    theme_stmt = (select(ThemeWatch, Theme.slug).join(Theme, Theme.id == ThemeWatch.theme_id)
                  .where(ThemeWatch.user_id == user.id).order_by(ThemeWatch.id))
    for watch, slug in db.session.execute(theme_stmt):
        yield {"theme": slug, "level": watch.level}
    thread_stmt = (select(ThreadWatch, Thread.title).join(Thread, Thread.id == ThreadWatch.thread_id)
                   .where(ThreadWatch.user_id == user.id).order_by(ThreadWatch.id))
    for watch, title in db.session.execute(thread_stmt.execution_options(yield_per=BATCH)):
        yield {"thread_id": watch.thread_id, "thread": title, "level": watch.level}


def watches_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("themes and threads you watch"))
    for row in watches(user):
        yield f"- {row.get('thread') or row['theme']}: {readable_value(row['level'])}\n"


def read_states(user: User) -> Iterator[dict]:
    """How far the member has read each thread (the newest post seen)."""
    stmt = (select(ReadState, Thread.title).join(Thread, Thread.id == ReadState.thread_id)
            .where(ReadState.user_id == user.id).order_by(ReadState.id))
    for state, title in db.session.execute(stmt.execution_options(yield_per=BATCH)):
        yield {"thread_id": state.thread_id, "thread": title, "last_read_post_id": state.last_read_post_id}


register(Part("threads", ("thread",), threads, threads_readable, title=_l("threads you started")))
register(Part("posts", ("post", "post_revision"), posts, posts_readable, title=_l("your posts and their earlier versions")))
register(Part("watches", ("thread_watch", "theme_watch"), watches, watches_readable,
              title=_l("themes and threads you watch")))
register(Part("reading", ("read_state",), read_states, title=_l("how far you have read each thread")))
