"""How a member's notifications are erased: every notice to them and their email choice. Others'
notices about the member's posts stay (they are the others' data) and show a former member."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from network.extensions import db
from network.notifications.models import EmailPreference, Notification
from network.personal_data import Eraser, Erasure, register_eraser


def erase_notifications(erasure: Erasure) -> int:
    """Every notification to the member is deleted, read or not."""
    return db.session.execute(delete(Notification).where(Notification.user_id == erasure.user.id)).rowcount or 0


def erase_email_preference(erasure: Erasure) -> int:
    """The member's choice of notification emails is deleted."""
    return db.session.execute(
        delete(EmailPreference).where(EmailPreference.user_id == erasure.user.id)).rowcount or 0


register_eraser(Eraser("notifications", ("notification",), erase_notifications, label=_l("Notifications")))
register_eraser(Eraser("email_preference", ("email_preference",), erase_email_preference,
                       label=_l("Email settings")))
