"""Which posts a viewer moderates, as SQL: used by the forum's one visibility rule.

Kept apart from ``services`` so the forum can import it without an import cycle.
"""
from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import aliased

from network.auth.models import User
from network.forum.models import Post, PostStatus, Thread
from network.permissions import is_admin, is_course_leader
from network.programme.models import CohortMembership, MembershipRole


def led_cohort_ids(viewer: User):
    """A subquery of the cohorts the viewer leads as course leader."""
    return select(CohortMembership.cohort_id).where(
        CohortMembership.user_id == viewer.id, CohortMembership.role == MembershipRole.COURSE_LEADER
    )


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


def shown_threads(viewer: User) -> ColumnElement:
    """Threads whose opening post awaits approval are shown only to their author and moderators."""
    if is_admin(viewer):
        return true()
    opening = aliased(Post)
    awaiting = select(opening.id).where(
        opening.thread_id == Thread.id, opening.opening, opening.status == PostStatus.PENDING
    ).exists()
    return or_(~awaiting, Thread.author_id == viewer.id, moderated_threads(viewer))
