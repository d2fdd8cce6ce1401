"""Moderation rules and queries: flags, the queue, actions with their audit entries.

Functions flush, never commit; the view commits once. Every moderation action writes
exactly one ``ModerationAction`` through ``record``.
"""
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from network.auth import services as accounts
from network.auth.models import Role, User, UserStatus
from network.extensions import db
from network.forum import services as forum
from network.forum.models import Post, PostStatus, Theme, Thread
from network.forum.visibility import can_moderate_thread, moderated_threads
from network.moderation.models import (
    ADMIN_ONLY_ACTIONS, ActionKind, Flag, FlagReason, FlagResolution, ModerationAction,
)
from network.notifications.models import NotificationKind
from network.notifications.services import notify
from network.permissions import is_admin
from network.programme.services import led_cohort_ids
from network.programme.models import CohortMembership, MembershipRole
from network.timeutil import stockholm_midnight, utcnow

DEFAULT_FLAG_THRESHOLD = 3


class AlreadyFlagged(Exception):
    """Raised when a member flags a post they already have an open flag on."""


# The audit log ---------------------------------------------------------------------------

def record(moderator: User | None, action: ActionKind, *, post: Post | None = None, thread: Thread | None = None,
           member: User | None = None, reason: str = "") -> ModerationAction:
    """Append one entry to the audit log."""
    thread = thread or (post.thread if post is not None else None)
    subject = thread.title if thread is not None else (member.name if member is not None else "")
    entry = ModerationAction(
        moderator_id=moderator.id if moderator else None, action=action, post_id=post.id if post else None,
        thread_id=thread.id if thread else None, cohort_id=thread.cohort_id if thread else None,
        member_id=member.id if member else (post.author_id if post is not None else None),
        subject=subject[:300], reason=(reason or "").strip(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class LogFilter:
    """What the audit log is narrowed to."""

    moderator_id: int | None = None
    action: ActionKind | None = None
    date_from: date | None = None
    date_to: date | None = None


def log_stmt(viewer: User, chosen: LogFilter) -> Select:
    """Audit entries the viewer may read, newest first: all for admins; course leaders' scope otherwise."""
    stmt = select(ModerationAction).options(
        joinedload(ModerationAction.moderator), joinedload(ModerationAction.member),
    ).order_by(ModerationAction.created_at.desc(), ModerationAction.id.desc())
    if not is_admin(viewer):
        stmt = stmt.where(or_(ModerationAction.cohort_id.is_(None),
                              ModerationAction.cohort_id.in_(led_cohort_ids(viewer))),
                          ModerationAction.action.not_in(ADMIN_ONLY_ACTIONS))
    if chosen.moderator_id:
        stmt = stmt.where(ModerationAction.moderator_id == chosen.moderator_id)
    if chosen.action:
        stmt = stmt.where(ModerationAction.action == chosen.action)
    if chosen.date_from:
        stmt = stmt.where(ModerationAction.created_at >= stockholm_midnight(chosen.date_from))
    if chosen.date_to:
        stmt = stmt.where(ModerationAction.created_at < stockholm_midnight(chosen.date_to + timedelta(days=1)))
    return stmt


def moderators() -> list[User]:
    """Everyone who can moderate, by name (for the log filter)."""
    return list(db.session.scalars(
        select(User).where(User.role.in_((Role.ADMIN, Role.COURSE_LEADER))).order_by(User.name)
    ))


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value) -> str:
    """A cell safe to open in a spreadsheet: formulas are neutralised with a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# Who hears of moderation ----------------------------------------------------------

def thread_moderators(thread: Thread) -> list[User]:
    """Active members who moderate the thread."""
    leaders = select(CohortMembership.user_id).where(
        CohortMembership.cohort_id == thread.cohort_id, CohortMembership.role == MembershipRole.COURSE_LEADER
    )
    scope = User.role == Role.ADMIN
    if thread.cohort_id is None:
        scope = or_(scope, User.role == Role.COURSE_LEADER)
    else:
        scope = or_(scope, and_(User.role == Role.COURSE_LEADER, User.id.in_(leaders)))
    stmt = select(User).where(scope, User.status == UserStatus.ACTIVE).options(selectinload(User.memberships))
    return [u for u in db.session.scalars(stmt) if can_moderate_thread(u, thread)]


# Flags ------------------------------------------------------------------------------------

def flag_threshold() -> int:
    """How many members' flags hide a post until a moderator looks (MODERATION_FLAG_THRESHOLD)."""
    return int(current_app.config.get("MODERATION_FLAG_THRESHOLD", DEFAULT_FLAG_THRESHOLD))


def open_flags(post: Post) -> list[Flag]:
    """The post's open flags, oldest first, with their flaggers."""
    return list(db.session.scalars(
        select(Flag).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
        .options(joinedload(Flag.flagger)).order_by(Flag.id)
    ))


def has_open_flag(member: User, post: Post) -> bool:
    """Whether the member already has an open flag on the post."""
    return db.session.scalar(select(Flag.id).where(
        Flag.post_id == post.id, Flag.flagger_id == member.id, Flag.resolved_at.is_(None)
    )) is not None


def flag_post(member: User, post: Post, reason: FlagReason, details: str = "") -> Flag:
    """Record a member's flag; moderators hear of it; enough flags hide the post until reviewed."""
    if has_open_flag(member, post):
        raise AlreadyFlagged(post.id)
    flag = Flag(post=post, flagger_id=member.id, reason=reason, details=(details or "").strip())
    db.session.add(flag)
    db.session.flush()
    notify(thread_moderators(post.thread), NotificationKind.NEW_FLAG, post)
    flaggers = db.session.scalar(select(func.count(func.distinct(Flag.flagger_id))).where(
        Flag.post_id == post.id, Flag.resolved_at.is_(None)))
    if flaggers >= flag_threshold() and post.is_visible:
        post.hidden_reason = ""
        forum.set_post_status(post, PostStatus.HIDDEN)
        record(None, ActionKind.AUTO_HIDE_POST, post=post)
    return flag


def _resolve_flags(post: Post, resolution: FlagResolution) -> None:
    """Close the post's open flags and tell each flagger it was handled; a post its author
    removed meanwhile loses its text now that the case is closed."""
    flags = open_flags(post)
    now = utcnow()
    for flag in flags:
        flag.resolved_at, flag.resolution = now, resolution
    notify([f.flagger for f in flags if f.flagger is not None], NotificationKind.FLAG_HANDLED, post)
    if post.is_removed:
        forum.erase_text(post)


def has_open_case(post: Post) -> bool:
    """A moderator has an open case on the post: it carries open flags."""
    return db.session.scalar(select(Flag.id).where(Flag.post_id == post.id, Flag.resolved_at.is_(None))
                             .limit(1)) is not None


def auto_hidden(post: Post) -> bool:
    """Hidden by enough flags rather than by a moderator (its reason is empty)."""
    return post.is_hidden_automatically


# The queue ---------------------------------------------------------------------------------

def queue_stmt(viewer: User) -> Select:
    """Posts needing a moderator in threads the viewer moderates: flagged, pending or with an edit
    awaiting approval, oldest first."""
    first_flag = (
        select(Flag.post_id, func.min(Flag.created_at).label("first"))
        .where(Flag.resolved_at.is_(None)).group_by(Flag.post_id).subquery()
    )
    return (
        select(Post).join(Post.thread).join(Thread.theme)
        .outerjoin(first_flag, first_flag.c.post_id == Post.id)
        .where(moderated_threads(viewer), or_(
            first_flag.c.post_id.is_not(None), Post.status == PostStatus.PENDING, Post.pending_body_source.is_not(None),
        ))
        .options(contains_eager(Post.thread).contains_eager(Thread.theme),
                 contains_eager(Post.thread).joinedload(Thread.cohort),
                 joinedload(Post.author).joinedload(User.organisation))
        .order_by(func.coalesce(first_flag.c.first, Post.created_at), Post.id)
    )


def flags_by_post(posts: list[Post]) -> dict[int, list[Flag]]:
    """The open flags of each post, oldest first, in one query."""
    found: dict[int, list[Flag]] = {p.id: [] for p in posts}
    if found:
        for flag in db.session.scalars(
            select(Flag).where(Flag.post_id.in_(found), Flag.resolved_at.is_(None))
            .options(joinedload(Flag.flagger)).order_by(Flag.id)
        ):
            found[flag.post_id].append(flag)
    return found


def queue_size(viewer: User) -> int:
    """How many posts wait in the viewer's queue."""
    return db.session.scalar(select(func.count()).select_from(queue_stmt(viewer).order_by(None).subquery())) or 0


def moderated_post(viewer: User, post_id: int) -> Post | None:
    """A post in a thread the viewer moderates, whatever its status (None: the view answers 404)."""
    return db.session.scalar(
        select(Post).join(Post.thread)
        .where(Post.id == post_id, moderated_threads(viewer))
        .options(contains_eager(Post.thread).joinedload(Thread.theme), joinedload(Post.author))
    )


def moderated_thread(viewer: User, thread_id: int) -> Thread | None:
    """A thread the viewer moderates (None: the view answers 404)."""
    return db.session.scalar(
        select(Thread).where(Thread.id == thread_id, moderated_threads(viewer)).options(joinedload(Thread.theme))
    )


# Actions on posts --------------------------------------------------------------------------

def dismiss_flags(moderator: User, post: Post, reason: str = "") -> None:
    """The flags were unfounded: close them; a post hidden by flags alone comes back."""
    if auto_hidden(post):
        forum.set_post_status(post, PostStatus.VISIBLE)
    _resolve_flags(post, FlagResolution.DISMISSED)
    record(moderator, ActionKind.DISMISS_FLAGS, post=post, reason=reason)


def hide_post(moderator: User, post: Post, reason: str) -> None:
    """Hide the post from members (its author sees why); its open flags are handled."""
    post.hidden_reason = reason.strip()
    forum.set_post_status(post, PostStatus.HIDDEN)
    _resolve_flags(post, FlagResolution.ACTIONED)
    record(moderator, ActionKind.HIDE_POST, post=post, reason=reason)


def restore_post(moderator: User, post: Post, reason: str = "") -> None:
    """Show a hidden post again; its open flags are handled."""
    post.hidden_reason = None
    forum.set_post_status(post, PostStatus.VISIBLE)
    _resolve_flags(post, FlagResolution.DISMISSED)
    record(moderator, ActionKind.RESTORE_POST, post=post, reason=reason)


def approve_post(moderator: User, post: Post, reason: str = "") -> None:
    """Publish a post that awaited approval."""
    forum.set_post_status(post, PostStatus.VISIBLE)
    record(moderator, ActionKind.APPROVE_POST, post=post, reason=reason)


def approve_edit(moderator: User, post: Post, reason: str = "") -> None:
    """Publish the author's edit that awaited approval (kept as a revision by its author)."""
    body = post.pending_body_source
    forum.clear_pending_edit(post)
    forum.edit_post(post.author or moderator, post, body)
    record(moderator, ActionKind.APPROVE_POST, post=post, reason=reason)


def reject_edit(moderator: User, post: Post, reason: str = "") -> None:
    """Discard the author's edit that awaited approval; the approved text stays and the author is told."""
    forum.clear_pending_edit(post)
    db.session.flush()
    if post.author is not None:
        notify([post.author], NotificationKind.MODERATION_NOTE, post, reason.strip())
    record(moderator, ActionKind.EDIT_POST, post=post, reason=reason)


def edit_post(moderator: User, post: Post, body: str, reason: str = "") -> None:
    """Change a post's text as a moderator; the change is kept as a revision by the moderator."""
    forum.edit_post(moderator, post, body)
    record(moderator, ActionKind.EDIT_POST, post=post, reason=reason)


def note_author(moderator: User, post: Post, message: str) -> None:
    """Send the post's author a moderation note (in-app, and by email if they want it at once)."""
    if post.author is not None:
        notify([post.author], NotificationKind.MODERATION_NOTE, post, message.strip())
    record(moderator, ActionKind.NOTE_AUTHOR, post=post, reason=message)


# Actions on threads, themes and members ----------------------------------------------------

def set_locked(moderator: User, thread: Thread, locked: bool, reason: str = "") -> None:
    """Lock (no new replies) or unlock a thread."""
    thread.locked = locked
    record(moderator, ActionKind.LOCK_THREAD if locked else ActionKind.UNLOCK_THREAD, thread=thread, reason=reason)


def set_pinned(moderator: User, thread: Thread, pinned: bool, reason: str = "") -> None:
    """Pin a thread to the top of its theme, or unpin it."""
    thread.pinned = pinned
    record(moderator, ActionKind.PIN_THREAD if pinned else ActionKind.UNPIN_THREAD, thread=thread, reason=reason)


def move_thread(moderator: User, thread: Thread, theme: Theme, reason: str = "") -> None:
    """Move a thread to another theme; the log keeps where it came from."""
    origin = thread.theme.name_sv
    forum.move_thread_to(thread, theme)
    note = f"{origin} → {theme.name_sv}" + (f": {reason.strip()}" if reason and reason.strip() else "")
    record(moderator, ActionKind.MOVE_THREAD, thread=thread, reason=note)


def set_requires_approval(moderator: User, theme: Theme, required: bool) -> None:
    """Make participants' posts in the theme wait for approval, or stop doing so."""
    theme.requires_approval = required
    entry = record(moderator, ActionKind.REQUIRE_APPROVAL if required else ActionKind.END_APPROVAL)
    entry.subject = theme.name_sv
    db.session.flush()


def suspend(moderator: User, member: User, reason: str) -> None:
    """Suspend a member: they cannot log in and every session of theirs ends at once."""
    accounts.set_status(member, UserStatus.SUSPENDED)
    record(moderator, ActionKind.SUSPEND_MEMBER, member=member, reason=reason)


def reactivate(moderator: User, member: User, reason: str) -> None:
    """Let a suspended member log in again."""
    accounts.set_status(member, UserStatus.ACTIVE)
    record(moderator, ActionKind.REACTIVATE_MEMBER, member=member, reason=reason)


def movable_themes(thread: Thread) -> list[Theme]:
    """Open themes a thread can move to."""
    return [t for t in forum.themes() if t.id != thread.theme_id]


# Approval ------------------------------------------------------------------------------------

def needs_approval(post: Post) -> bool:
    """A participant's text in an approval-required theme waits for a moderator."""
    author = post.author
    return post.thread.theme.requires_approval and author is not None and author.role == Role.PARTICIPANT


def screen_new_post(post: Post) -> None:
    """Hold a participant's new post in an approval-required theme and tell the moderators."""
    if not needs_approval(post):
        return
    forum.set_post_status(post, PostStatus.PENDING)
    notify(thread_moderators(post.thread), NotificationKind.AWAITING_APPROVAL, post)


def screen_edit(post: Post, body: str) -> bool:
    """Hold the author's edit of a published post in an approval-required theme (True when held):
    the approved text stays visible until a moderator approves the edit."""
    if not post.is_visible or not needs_approval(post):
        return False
    first = not post.has_pending_edit
    post.pending_body_source = body
    post.pending_body_html = forum.pending_edit_html(post, body)
    post.pending_edited_at = utcnow()
    db.session.flush()
    if first:
        notify(thread_moderators(post.thread), NotificationKind.AWAITING_APPROVAL, post)
    return True
