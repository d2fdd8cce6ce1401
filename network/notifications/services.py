"""Notification rules and queries: every kind of in-app notification, email preferences, unsubscribe tokens.

Functions flush, never commit; the view commits once. Features notify members through ``notify``;
members who want email at once get it queued in that same transaction (``digests``).

This module never imports the forum's services (the forum calls it): queries that show
notifications about posts take the forum's visibility rule for the viewer as ``readable``.
"""
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import format_datetime, get_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from network.auth.models import User
from network.extensions import db
from network.forum.models import Post, Thread
from network.notifications.models import (
    DISCUSSION_KINDS, EVENT_KINDS, MODERATION_KINDS, EmailFrequency, EmailPreference, Notification, NotificationKind,
)
from network.timeutil import utcnow

NOTIFIED = "network.notifications.notified"  # key in Session.info: members notified in this transaction


# Notifying ------------------------------------------------------------------------------------

def notify(users: list[User], kind: NotificationKind, post: Post | None = None, message: str = "",
           event=None, conversation_id: int | None = None) -> None:
    """One in-app notification of ``kind`` for each of ``users`` (about ``post``, ``event`` for event
    kinds, or the conversation ``conversation_id`` for a private message); a member is told of a
    post in a discussion only once. Members who want email at once get it when the transaction
    commits."""
    recipients = {u.id for u in users}
    if kind in DISCUSSION_KINDS and recipients:
        recipients -= set(db.session.scalars(
            select(Notification.user_id).where(Notification.post_id == post.id, Notification.kind.in_(DISCUSSION_KINDS),
                                               Notification.user_id.in_(recipients))
        ))
    for user_id in sorted(recipients):
        db.session.add(Notification(user_id=user_id, kind=kind, post_id=post.id if post else None,
                                    event_id=event.id if event else None, message=(message or "").strip(),
                                    conversation_id=conversation_id))
    db.session.flush()
    if recipients:
        db.session.info.setdefault(NOTIFIED, set()).update(recipients)


# Reading ---------------------------------------------------------------------------------------

def shown(readable: ColumnElement) -> ColumnElement:
    """Which notifications a member sees: moderation, event and private-message notices always, others
    while the post is ``readable``."""
    return or_(Notification.kind.in_((*MODERATION_KINDS, *EVENT_KINDS, NotificationKind.MESSAGE)), readable)


def notifications_stmt(viewer: User, readable: ColumnElement) -> Select:
    """The viewer's notifications, newest first, with their posts, threads, themes and authors.

    ``readable``: the posts (and threads) the viewer may read, as the forum decides.
    """
    return (
        select(Notification)
        .outerjoin(Notification.post).outerjoin(Post.thread)
        .where(Notification.user_id == viewer.id, shown(readable))
        .options(
            contains_eager(Notification.post).contains_eager(Post.thread).joinedload(Thread.theme),
            contains_eager(Notification.post).joinedload(Post.author),
            joinedload(Notification.event),
        )
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def has_unread(viewer: User) -> bool:
    """Whether the viewer has any unread notification at all (one indexed lookup, no visibility rule)."""
    return db.session.scalar(
        select(Notification.id).where(Notification.user_id == viewer.id, Notification.read_at.is_(None)).limit(1)
    ) is not None


def unread_counts(viewer: User, readable: ColumnElement) -> tuple[int, int]:
    """How many unread notifications the viewer has, and how many of them are about private messages
    (one query: the two badges)."""
    about_messages = func.sum(case((Notification.kind == NotificationKind.MESSAGE, 1), else_=0))
    total, messages = db.session.execute(
        select(func.count(Notification.id), about_messages)
        .select_from(Notification).outerjoin(Notification.post).outerjoin(Post.thread)
        .where(Notification.user_id == viewer.id, Notification.read_at.is_(None), shown(readable))
    ).one()
    return total or 0, messages or 0


def mark_read(viewer: User, notification_id: int) -> bool:
    """Mark one of the viewer's notifications read, whatever its kind; False when it is not theirs."""
    found = db.session.scalar(
        select(Notification).where(Notification.id == notification_id, Notification.user_id == viewer.id)
    )
    if found is None:
        return False
    found.read_at = found.read_at or utcnow()
    db.session.flush()
    return True


def mark_all_read(viewer: User) -> None:
    """Mark every notification of the viewer read."""
    db.session.execute(
        update(Notification).where(Notification.user_id == viewer.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )


def mark_read_about(viewer: User, post_ids: list[int]) -> None:
    """The viewer has read these posts: their discussion notifications about them are read too."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == viewer.id, Notification.read_at.is_(None),
               Notification.kind.in_(DISCUSSION_KINDS), Notification.post_id.in_(post_ids))
        .values(read_at=utcnow())
    )


def mark_read_about_conversation(viewer: User, conversation_id: int) -> None:
    """The viewer has opened this private conversation: its message notices are read too."""
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == viewer.id, Notification.read_at.is_(None),
               Notification.conversation_id == conversation_id)
        .values(read_at=utcnow())
    )


def summary(notification: Notification) -> str:
    """One line telling what happened, in the current language."""
    if notification.kind.about_event:
        return event_summary(notification)
    post = notification.post
    title = post.thread.title if post is not None else ""
    author = post.author.display_name if post is not None and post.author else _("A former member")
    match notification.kind:
        case NotificationKind.MENTION:
            return _("%(author)s mentioned you in “%(title)s”", author=author, title=title)
        case NotificationKind.NEW_THREAD:
            return _("New thread in %(theme)s: “%(title)s”", theme=post.thread.theme.name(str(get_locale())),
                     title=title)
        case NotificationKind.REPLY:
            return _("%(author)s replied in “%(title)s”", author=author, title=title)
        case NotificationKind.NEW_FLAG:
            return _("A post in “%(title)s” was flagged", title=title)
        case NotificationKind.AWAITING_APPROVAL:
            return _("A post in “%(title)s” awaits approval", title=title)
        case NotificationKind.MESSAGE:
            return _("You have a new private message")
        case NotificationKind.FLAG_HANDLED:
            return _("The post you flagged in “%(title)s” has been handled. Thank you.", title=title)
    return _("A moderator sent you a note about your post in “%(title)s”", title=title)


def event_summary(notification: Notification) -> str:
    """One line about an event notification, with the event's Stockholm start in the current language."""
    event = notification.event
    when = format_datetime(event.starts_at, "short")
    if notification.kind == NotificationKind.EVENT_REMINDER:
        return _("Reminder: “%(title)s” starts %(when)s", title=event.title, when=when)
    return _("Answers so far for “%(title)s” (%(when)s)", title=event.title, when=when)


# Email preferences -----------------------------------------------------------------------------

def email_frequency(user: User) -> EmailFrequency:
    """The member's chosen email rhythm (daily digest unless they chose otherwise)."""
    chosen = db.session.get(EmailPreference, user.id)
    return chosen.frequency if chosen else EmailFrequency.DAILY


def set_email_frequency(user: User, frequency: EmailFrequency) -> None:
    """Store the member's email rhythm."""
    preference = db.session.get(EmailPreference, user.id)
    if preference is None:
        preference = EmailPreference(user_id=user.id, last_digest_at=utcnow())
        db.session.add(preference)
    preference.frequency = frequency
    db.session.flush()


UNSUBSCRIBE_SALT = "forum-unsubscribe"  # unchanged since the forum sent the first mails: their links keep working


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user: User) -> str:
    """A signed token naming the member, for unsubscribe links that work without logging in."""
    return _serializer().dumps({"user": user.id, "email": user.email})


def user_for_unsubscribe(token: str) -> User | None:
    """The member a genuine unsubscribe token names (None for forged or stale tokens)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    user = db.session.get(User, data.get("user")) if isinstance(data, dict) else None
    return user if user is not None and user.email == data.get("email") else None


# What is due by email --------------------------------------------------------------------------

DIGEST_PERIODS = {EmailFrequency.DAILY: timedelta(days=1), EmailFrequency.WEEKLY: timedelta(days=7)}
# Cron runs drift by a few minutes; a digest is due slightly before its full period is over.
DIGEST_SLACK = timedelta(minutes=30)


def pending_email(user: User, readable: ColumnElement) -> list[Notification]:
    """The member's unread, not yet emailed notifications they may still see, oldest first."""
    stmt = notifications_stmt(user, readable).where(Notification.read_at.is_(None), Notification.emailed_at.is_(None))
    return list(db.session.scalars(stmt.order_by(None).order_by(Notification.id)).unique())


def email_recipients(frequencies: tuple[EmailFrequency, ...], now: datetime,
                     among: set[int] | None = None) -> list[tuple[User, EmailPreference | None]]:
    """Active members (of ``among``, if given) with unsent notifications whose chosen rhythm makes
    an email due now, each with their email preference (None: never chosen, the daily digest)."""
    has_pending = select(Notification.id).where(
        Notification.user_id == User.id, Notification.read_at.is_(None), Notification.emailed_at.is_(None)
    ).exists()
    frequency = func.coalesce(EmailPreference.frequency, EmailFrequency.DAILY.value)
    due = [frequency == EmailFrequency.IMMEDIATE.value] if EmailFrequency.IMMEDIATE in frequencies else []
    for chosen, period in DIGEST_PERIODS.items():
        if chosen in frequencies:
            due.append(and_(frequency == chosen.value, or_(
                EmailPreference.last_digest_at.is_(None), EmailPreference.last_digest_at <= now - period + DIGEST_SLACK,
            )))
    stmt = (
        select(User, EmailPreference).outerjoin(EmailPreference, EmailPreference.user_id == User.id)
        .where(has_pending, or_(*due)).options(selectinload(User.memberships)).order_by(User.id)
    )
    if among is not None:
        stmt = stmt.where(User.id.in_(among))
    return [(user, preference) for user, preference in db.session.execute(stmt) if user.is_active]


def record_emailed(user: User, preference: EmailPreference | None, notifications: list[Notification],
                   now: datetime) -> None:
    """Remember these notifications went out by email, and when the member's last digest was
    (``preference``: the member's, None when they never chose)."""
    for notification in notifications:
        notification.emailed_at = now
    if preference is None:
        db.session.add(EmailPreference(user_id=user.id, frequency=EmailFrequency.DAILY, last_digest_at=now))
    else:
        preference.last_digest_at = now
    db.session.flush()
