"""How a member's part of the discussions is erased.

Watches and read states always go. Posts go when the member chooses so: each becomes the
tombstone "removed by its author" with its text and every earlier version erased, so others'
replies keep their place; a thread in which every post is theirs is deleted outright (its
title is their words too). Kept posts, and threads others replied to, stay under the
anonymised account: "Former member".
"""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, select, update

from network.extensions import db
from network.forum.models import Post, PostRevision, PostStatus, ReadState, ThemeWatch, Thread, ThreadWatch
from network.forum.services import recount
from network.personal_data import Eraser, Erasure, kept_anonymised, register_eraser


def erase_watches(erasure: Erasure) -> int:
    """The member's thread and theme watches are deleted."""
    user_id = erasure.user.id
    threads = db.session.execute(delete(ThreadWatch).where(ThreadWatch.user_id == user_id)).rowcount or 0
    themes = db.session.execute(delete(ThemeWatch).where(ThemeWatch.user_id == user_id)).rowcount or 0
    return threads + themes


def erase_read_states(erasure: Erasure) -> int:
    """What the member had read is forgotten."""
    return db.session.execute(delete(ReadState).where(ReadState.user_id == erasure.user.id)).rowcount or 0


def erase_posts(erasure: Erasure) -> int:
    """With ``delete_posts``: the member's threads nobody else wrote in are deleted, and every other
    post of theirs is left as an erased tombstone; the stored counts follow. Otherwise nothing."""
    if not erasure.delete_posts:
        return 0
    user_id = erasure.user.id
    own = select(Post.id).where(Post.author_id == user_id)
    count = db.session.scalar(select(db.func.count()).select_from(own.subquery()))
    if not count:
        return 0
    alone = _threads_only_they_wrote_in(user_id)
    scopes = frozenset((thread.theme_id, thread.cohort_id) for thread in alone)
    if alone:
        ids = [thread.id for thread in alone]
        db.session.execute(delete(Post).where(Post.thread_id.in_(ids)))  # the search rows go by trigger
        db.session.execute(delete(Thread).where(Thread.id.in_(ids)))
    db.session.execute(delete(PostRevision).where(PostRevision.post_id.in_(own)))
    db.session.execute(
        update(Post).where(Post.author_id == user_id)
        .values(status=PostStatus.DELETED_BY_AUTHOR, body_source="", body_html="", pending_body_source=None,
                pending_body_html=None, pending_edited_at=None)
        .execution_options(synchronize_session=False))
    db.session.expire_all()
    touched = db.session.scalars(select(Thread).where(Thread.id.in_(select(Post.thread_id).where(
        Post.author_id == user_id)))).all()
    recount(*touched, scopes=scopes)
    return count


def _threads_only_they_wrote_in(user_id: int) -> list[Thread]:
    others = exists().where(Post.thread_id == Thread.id, (Post.author_id != user_id) | Post.author_id.is_(None))
    return list(db.session.scalars(select(Thread).where(
        Thread.id.in_(select(Post.thread_id).where(Post.author_id == user_id)), ~others)))


register_eraser(Eraser("watches", ("thread_watch", "theme_watch"), erase_watches, label=_l("Watched threads and themes")))
register_eraser(Eraser("read_states", ("read_state",), erase_read_states, label=_l("What you had read")))
register_eraser(Eraser("posts", ("post", "post_revision"), erase_posts, order=50, label=_l("Posts removed")))
kept_anonymised("post", "posts the member chose to keep stay, by a former member; removed ones stay as empty tombstones")
kept_anonymised("post_revision", "earlier versions of kept posts, and edits the member made to others' posts as a "
                                 "moderator, name the anonymised account")
kept_anonymised("thread", "threads others replied in stay; their starter is the anonymised account")
