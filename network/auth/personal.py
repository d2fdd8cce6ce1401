"""What the account feature holds about a member: the account, invitations, password-reset requests.

Left out on purpose: the password hash and the session token (credentials, not information about
the member; a copy in a downloaded file would only be a risk) and reset tokens' hashes.
"""
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from network.auth.export import markdown_record, markdown_title, readable_value
from network.auth.models import Invitation, PasswordResetToken, User
from network.extensions import db
from network.personal_data import Part, register

BATCH = 500


def account(user: User) -> Iterator[dict]:
    """The account and its settings."""
    yield {"id": user.id, "name": user.name, "email": user.email, "handle": user.handle, "role": user.role,
           "status": user.status, "language": user.language, "organisation": user.organisation.name,
           "created_at": user.created_at}


def account_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("account and settings"))
    for row in account(user):
        yield markdown_record(row["name"], [
            (_("email address"), row["email"]), (_("handle"), row["handle"]), (_("role"), row["role"]),
            (_("status"), row["status"]), (_("language"), row["language"]),
            (_("organisation"), row["organisation"]), (_("member since"), row["created_at"]),
        ])


def invitation_status(invitation: Invitation) -> str:
    """What became of an invitation."""
    for status, at in (("accepted", invitation.accepted_at), ("declined", invitation.declined_at),
                       ("revoked", invitation.revoked_at)):
        if at is not None:
            return status
    return "open"


def invitations(user: User) -> Iterator[dict]:
    """Invitations addressed to the member's address, and those the member sent (with the invitee's
    address: who they invited is what the row says about them)."""
    stmt = (select(Invitation).where(or_(Invitation.email == user.email, Invitation.invited_by_id == user.id))
            .options(joinedload(Invitation.cohort), joinedload(Invitation.organisation)).order_by(Invitation.id))
    for invitation in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        yield {"direction": "received" if invitation.email == user.email else "sent",
               "email": invitation.email, "role": invitation.role, "organisation": invitation.organisation.name,
               "cohort": invitation.cohort.name if invitation.cohort else None,
               "status": invitation_status(invitation), "created_at": invitation.created_at,
               "expires_at": invitation.expires_at, "accepted_at": invitation.accepted_at,
               "declined_at": invitation.declined_at, "revoked_at": invitation.revoked_at}


def invitations_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("invitations"))
    for row in invitations(user):
        heading = _("Invitation to you") if row["direction"] == "received" else _("Invitation you sent")
        yield markdown_record(heading, [
            (_("email address"), row["email"]), (_("role"), row["role"]), (_("cohort"), row["cohort"]),
            (_("sent"), row["created_at"]), (_("accepted"), row["accepted_at"]),
            (_("declined"), row["declined_at"]), (_("revoked"), row["revoked_at"]),
        ])


def password_resets(user: User) -> Iterator[dict]:
    """When the member asked for a password-reset link and whether it was used (not the token)."""
    stmt = select(PasswordResetToken).where(PasswordResetToken.user_id == user.id).order_by(PasswordResetToken.id)
    for token in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        yield {"requested_at": token.created_at, "expires_at": token.expires_at, "used_at": token.used_at}


def password_resets_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("password-reset requests"))
    for row in password_resets(user):
        yield markdown_record(readable_value(row["requested_at"]), [(_("used"), row["used_at"])])


register(Part("account", ("user",), account, account_readable, title=_l("account and settings")))
register(Part("invitations", ("invitation",), invitations, invitations_readable, title=_l("invitations")))
register(Part("password_resets", ("password_reset_token",), password_resets, password_resets_readable,
              title=_l("password-reset requests")))
