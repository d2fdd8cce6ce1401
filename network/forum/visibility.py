"""Who sees and may do what in the forum: the one visibility rule, in SQL for queries and as
predicates on single threads and posts for views and templates (``can.x(current_user, obj)``).

Post status lives here and on the models (``post.is_pending``, ``post.is_hidden``...);
moderation changes it through ``services.set_post_status`` and hooks in through
``forum.signals``, so nothing here knows about moderation's own tables.
"""
from dataclasses import dataclass
from functools import cache

from flask import g, has_request_context
from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.orm import aliased

from network.auth.models import User
from network.forum.models import HELD_STATUSES, PLACEHOLDER_STATUSES, Post, PostStatus, Theme, Thread
from network.permissions import can_moderate, is_admin, is_course_leader, is_member
from network.programme.models import CohortMembership
from network.programme.services import led_cohort_ids


# The rule as SQL ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Visibility:
    """SQL conditions for what one viewer may see."""

    threads: ColumnElement  # threads the viewer may open (on Thread)
    posts: ColumnElement  # posts whose text the viewer may read (on Post)
    listed: ColumnElement  # posts shown in a thread: readable ones and removal placeholders


def visibility(viewer: User) -> Visibility:
    """The one rule for what ``viewer`` may see in the forum; every forum query uses it."""
    if not has_request_context():
        return build_visibility(viewer)
    # A page asks several times (lists, counts, the notification badge): build the rule once per
    # request and viewer. The key holds everything the rule reads from the viewer in Python, so a
    # role or led cohort changed during the request still gets a fresh rule.
    key = (viewer.id, is_admin(viewer), is_course_leader(viewer), led_cohort_ids(viewer))
    built = g.setdefault("forum_visibility", {})
    if key not in built:
        built[key] = build_visibility(viewer)
    return built[key]


def build_visibility(viewer: User) -> Visibility:
    """``visibility`` built afresh."""
    threads = and_(or_(Thread.cohort_id.is_(None), viewer_cohorts(viewer, Thread.cohort_id)), shown_threads(viewer))
    # Authors and moderators read held posts; others see hidden ones as placeholders.
    held = Post.status.in_(HELD_STATUSES)
    posts = or_(
        Post.status == PostStatus.VISIBLE,
        and_(held, Post.author_id == viewer.id),
        and_(held, moderated_posts(viewer)),
    )
    return Visibility(threads=threads, posts=posts, listed=or_(posts, Post.status.in_(PLACEHOLDER_STATUSES)))


def viewer_cohorts(viewer: User, cohort_id: ColumnElement) -> ColumnElement:
    """Cohort-only content the viewer may see: their own cohorts' (every cohort for admins)."""
    if is_admin(viewer):
        return true()
    return cohort_id.in_(select(CohortMembership.cohort_id).where(CohortMembership.user_id == viewer.id))


def moderated_threads(viewer: User, thread=Thread) -> ColumnElement:
    """Threads the viewer moderates: all for admins; network-wide and led cohorts' for course leaders."""
    if is_admin(viewer):
        return true()
    if not is_course_leader(viewer):
        return false()
    return or_(thread.cohort_id.is_(None), thread.cohort_id.in_(led_cohort_ids(viewer)))


def moderated_posts(viewer: User) -> ColumnElement:
    """Posts in threads the viewer moderates (usable in queries that do not join Thread)."""
    if is_admin(viewer) or not is_course_leader(viewer):
        return moderated_threads(viewer)
    scoped = aliased(Thread)
    return Post.thread_id.in_(select(scoped.id).where(moderated_threads(viewer, scoped)))


@cache
def awaiting_approval() -> ColumnElement:
    """Threads whose opening post awaits approval (hidden from most members and from the counts).
    The same for every viewer, so built once (statements are immutable; building this one costs
    more than running it)."""
    opening = aliased(Post)
    return select(opening.id).where(
        opening.thread_id == Thread.id, opening.opening, opening.status == PostStatus.PENDING
    ).exists()


def shown_threads(viewer: User) -> ColumnElement:
    """Threads whose opening post awaits approval are shown only to their author and moderators."""
    if is_admin(viewer):
        return true()
    return or_(~awaiting_approval(), Thread.author_id == viewer.id, moderated_threads(viewer))


# The rule for single objects -------------------------------------------------------------------

def can_see_thread(user, thread: Thread) -> bool:
    """Sees a thread: network-wide ones for every member; cohort ones for that cohort and admins.

    Mirrors ``visibility`` for single objects (mentions).
    """
    if not is_member(user):
        return False
    return not thread.is_cohort_only or is_admin(user) or any(
        m.cohort_id == thread.cohort_id for m in user.memberships
    )


def can_moderate_thread(user, thread: Thread) -> bool:
    """A moderator of the thread: admins; course leaders for network threads and their cohorts'."""
    if is_admin(user):
        return True
    if not is_course_leader(user):
        return False
    return not thread.is_cohort_only or thread.cohort_id in led_cohort_ids(user)


def can_start_thread(user, theme: Theme) -> bool:
    """May open a thread in the theme: every member, while the theme is not archived."""
    return is_member(user) and not theme.archived


def can_reply(user, thread: Thread) -> bool:
    """May reply: every member who sees the thread, unless it is locked."""
    return is_member(user) and not thread.is_locked


def can_edit_post(user, post: Post) -> bool:
    """Authors edit their own posts while the post stands and the thread is open."""
    return is_member(user) and post.author_id == user.id and not post.thread.is_locked and post.is_standing


def can_delete_post(user, post: Post) -> bool:
    """Authors remove their own posts (softly: a placeholder says the author removed it)."""
    return can_edit_post(user, post)


def can_see_revisions(user, post: Post) -> bool:
    """Earlier versions of a post are for moderators."""
    return can_moderate_thread(user, post.thread)


def can_moderate_post(user, post: Post) -> bool:
    """May hide, restore, approve, edit and handle flags on the post: a moderator of its thread."""
    return can_moderate_thread(user, post.thread)


def can_moderate_theme(user, theme: Theme) -> bool:
    """May decide whether a theme needs approval: themes are network-wide, so every moderator."""
    return can_moderate(user)


def can_move_thread(user, thread: Thread) -> bool:
    """May move a thread to another theme: a moderator of the thread."""
    return can_moderate_thread(user, thread)


def can_flag(user, post: Post) -> bool:
    """Any member may flag a published post by someone else."""
    return is_member(user) and post.author_id != user.id and post.is_visible


def can_read_hidden(user, post: Post) -> bool:
    """Reads a post a moderator hid: its author (with the reason) and its moderators."""
    return is_member(user) and (post.author_id == user.id or can_moderate_post(user, post))

