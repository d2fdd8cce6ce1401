"""Notification emails: immediate notices and daily or weekly digests, each with one-click unsubscribe.

Mail is queued through ``network.mail`` in the transaction that caused it: a member who wants
notices at once gets them queued just before the transaction that notified them commits (so no
mail tells of unsaved work, and no request sends mail itself); digests are queued by
`flask notify send-digests`.
"""
from datetime import datetime

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, and_, event
from sqlalchemy.orm import Session, SessionTransaction

from network.auth.models import User
from network.forum import services as forum
from network.mail import send_localised
from network.notifications import services
from network.notifications.models import DISCUSSION_KINDS, EmailFrequency, Notification, NotificationKind
from network.timeutil import utcnow
from network.urls import mail_url


def readable(viewer: User) -> ColumnElement:
    """The posts, in threads, that ``viewer`` may read: the forum's one visibility rule."""
    visible = forum.visibility(viewer)
    return and_(visible.threads, visible.posts)


def send_notification_emails(frequencies: tuple[EmailFrequency, ...], now: datetime,
                             among: set[int] | None = None) -> int:
    """Queue what is due for members (of ``among``, if given) with these rhythms; returns the number of emails.

    They leave when the caller commits. A member whose mail cannot be composed is skipped
    (logged) and tried again next run; the others still get theirs.
    """
    sent = 0
    for user, preference in services.email_recipients(frequencies, now, among):
        notifications = services.pending_email(user, readable(user))
        if notifications:
            frequency = preference.frequency if preference else EmailFrequency.DAILY
            if not _send(user, notifications, frequency):
                continue
            sent += 1
        services.record_emailed(user, preference, notifications, now)
    return sent


def unsubscribe_headers(link: str) -> dict[str, str]:
    """One-click unsubscribe (RFC 8058): mail clients POST ``List-Unsubscribe=One-Click`` to the link."""
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _send(user: User, notifications: list[Notification], frequency: EmailFrequency) -> bool:
    link = mail_url("notifications.unsubscribe", token=services.unsubscribe_token(user))

    def compose() -> tuple[str, str]:
        body = render_template("mail/notifications.txt", user=user, notifications=notifications,
                               unsubscribe=link, summary=services.summary,
                               discussions_only=all(n.kind in DISCUSSION_KINDS for n in notifications))
        return _subject(notifications, frequency), body

    return send_localised(user.email, user.language, compose, headers=unsubscribe_headers(link))


def _subject(notifications: list[Notification], frequency: EmailFrequency) -> str:
    if frequency != EmailFrequency.IMMEDIATE or len(notifications) != 1:
        return _("Your digest from Växthuset Network (%(count)d new)", count=len(notifications))
    [notification] = notifications
    if notification.kind.about_moderation:
        return _("Växthuset Network: moderation")
    if notification.kind.about_event:
        return _("Växthuset Network: %(title)s", title=notification.event.title)
    if notification.kind == NotificationKind.MESSAGE:
        return _("Växthuset Network: a new private message")
    return _("New in Växthuset Network: %(title)s", title=notification.post.thread.title)


@event.listens_for(Session, "before_commit")
def _queue_immediate_emails(session: Session) -> None:
    """Members notified in the committing transaction who want notices at once: queue their mail in it."""
    notified = session.info.pop(services.NOTIFIED, None)
    if notified:
        send_notification_emails((EmailFrequency.IMMEDIATE,), utcnow(), among=notified)


@event.listens_for(Session, "after_transaction_end")
def _forget_uncommitted(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without a commit notified nobody."""
    if transaction.parent is None:
        session.info.pop(services.NOTIFIED, None)
