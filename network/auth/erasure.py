"""How an account's own data is erased: reset links, invitations, waiting mail, and last the
account row itself, which stays anonymised so kept posts and log entries keep their author."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update

from network.auth.models import Invitation, PasswordResetToken, Role
from network.extensions import db
from network.mail import OutboxMessage
from network.personal_data import Eraser, Erasure, register_eraser
from network.timeutil import utcnow

# An Argon2 hash never looks like this: no password matches it.
UNUSABLE_PASSWORD = "!erased"


def erase_reset_tokens(erasure: Erasure) -> int:
    """Password-reset links of the member are deleted."""
    return db.session.execute(
        delete(PasswordResetToken).where(PasswordResetToken.user_id == erasure.user.id)).rowcount or 0


def erase_invitations(erasure: Erasure) -> int:
    """Invitations to the member's address are deleted; those they sent forget who sent them."""
    user = erasure.user
    received = db.session.execute(delete(Invitation).where(Invitation.email == user.email)).rowcount or 0
    sent = db.session.execute(
        update(Invitation).where(Invitation.invited_by_id == user.id).values(invited_by_id=None)).rowcount or 0
    return received + sent


def erase_waiting_mail(erasure: Erasure) -> int:
    """Mail to the member's address that waits, failed or was kept after sending is deleted."""
    return db.session.execute(
        delete(OutboxMessage).where(OutboxMessage.recipient == erasure.user.email)).rowcount or 0


def anonymise_account(erasure: Erasure) -> int:
    """The account row keeps only its id: no name, address, handle, password or open session."""
    user = erasure.user
    user.name = ""
    user.email = f"erased-{user.id}@invalid"
    user.handle = f"former-{user.id}"
    user.password_hash = UNUSABLE_PASSWORD
    user.role = Role.PARTICIPANT  # an erased account moderates nothing and receives nothing
    user.language = "sv"
    user.last_seen_at = user.retention_warned_at = None
    user.erased_at = utcnow()
    user.rotate_session_token()  # ends every session and remember-me cookie
    db.session.flush()
    return 1


register_eraser(Eraser("password_reset_tokens", ("password_reset_token",), erase_reset_tokens, order=10,
                       label=_l("Password reset links")))
register_eraser(Eraser("invitations", ("invitation",), erase_invitations, order=10, label=_l("Invitations")))
register_eraser(Eraser("waiting_mail", ("outbox",), erase_waiting_mail, order=10, label=_l("Mail waiting to be sent")))
register_eraser(Eraser("account", ("user",), anonymise_account, order=1000,
                       label=_l("Your name, email address and password")))
