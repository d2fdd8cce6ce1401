"""Notification emails: immediate notices and daily or weekly digests, each with one-click unsubscribe."""
from datetime import datetime

from flask import current_app, render_template
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from network.auth.models import User
from network.extensions import db
from network.forum import services
from network.forum.models import EmailFrequency, Notification
from network.mail import send_localised
from network.urls import mail_url

UNSUBSCRIBE_SALT = "forum-unsubscribe"


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


def send_notification_emails(frequencies: tuple[EmailFrequency, ...], now: datetime) -> int:
    """Queue what is due for members with these rhythms; returns the number of emails.

    They leave when the caller commits. A member whose mail cannot be composed is skipped
    (logged) and tried again next run; the others still get theirs.
    """
    sent = 0
    for user in services.email_recipients(frequencies, now):
        notifications = services.pending_email(user)
        if notifications:
            if not _send(user, notifications, services.email_frequency(user)):
                continue
            sent += 1
        services.record_emailed(user, notifications, now)
    return sent


def _send(user: User, notifications: list[Notification], frequency: EmailFrequency) -> bool:
    link = mail_url("forum.unsubscribe", token=unsubscribe_token(user))

    def compose() -> tuple[str, str]:
        if frequency == EmailFrequency.IMMEDIATE and len(notifications) == 1:
            subject = _("New in Växthuset Network: %(title)s", title=notifications[0].post.thread.title)
        else:
            subject = _("Your digest from Växthuset Network (%(count)d new)", count=len(notifications))
        body = render_template("mail/forum_notifications.txt", user=user, notifications=notifications,
                               unsubscribe=link)
        return subject, body

    return send_localised(user.email, user.language, compose, headers={
        "List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    })
