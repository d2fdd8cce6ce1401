"""What notifications hold about a member: their notifications, their email rhythm, and the mail
the network sent them (from the outbox).

Of a mail the export gives its subject and what became of it, not its text: the text carries
links that are live credentials (password reset, unsubscribe, invitations) and excerpts of other
members' posts, and what it told is in the other files.
"""
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import defer, joinedload, selectinload

from network.auth.export import markdown_record, markdown_title, readable_value
from network.auth.models import User
from network.extensions import db
from network.forum.models import Post, Thread
from network.mail import OutboxMessage
from network.notifications import services
from network.notifications.models import EmailPreference, Notification
from network.personal_data import Part, register

BATCH = 500


def notifications(user: User) -> Iterator[dict]:
    """Every notification the member has, with the line the notifications page shows for it."""
    post_options = selectinload(Notification.post).options(
        joinedload(Post.thread).joinedload(Thread.theme), joinedload(Post.author))
    stmt = (select(Notification).where(Notification.user_id == user.id)
            .options(post_options, joinedload(Notification.event)).order_by(Notification.id))
    for notification in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        yield {"kind": notification.kind, "summary": services.summary(notification), "post_id": notification.post_id,
               "message": notification.message, "created_at": notification.created_at,
               "read_at": notification.read_at, "emailed_at": notification.emailed_at}


def notifications_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("notifications"))
    for row in notifications(user):
        yield markdown_record(f"{row['summary']} ({readable_value(row['created_at'])})", [
            (_("read"), row["read_at"]), (_("emailed"), row["emailed_at"]),
        ], text=row["message"])


def email_preference(user: User) -> Iterator[dict]:
    """How often the member wants notification emails, when they chose it."""
    preference = db.session.get(EmailPreference, user.id)
    if preference is not None:
        yield {"frequency": preference.frequency, "last_digest_at": preference.last_digest_at}


def mail(user: User) -> Iterator[dict]:
    """The mail addressed to the member's current address that the outbox still holds."""
    stmt = (select(OutboxMessage).where(OutboxMessage.recipient == user.email)
            .options(defer(OutboxMessage.message)).order_by(OutboxMessage.id))
    for message in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        yield {"subject": message.subject, "status": message.status, "created_at": message.created_at,
               "sent_at": message.sent_at}


def mail_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("mail sent to you"))
    for row in mail(user):
        yield f"- {readable_value(row['created_at'])}: {row['subject']}\n"


register(Part("notifications", ("notification",), notifications, notifications_readable, title=_l("notifications")))
register(Part("email_preference", ("email_preference",), email_preference, title=_l("how often we email you")))
register(Part("mail", ("outbox",), mail, mail_readable, title=_l("mail sent to you")))
