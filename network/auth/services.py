"""Account rules and queries. Functions flush, never commit; the view commits once."""
from functools import lru_cache

from flask import current_app, render_template
from flask_babel import gettext as _
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from network.auth.models import Invitation, PasswordResetToken, Role, User, UserStatus
from network.auth.passwords import hash_password, needs_rehash, verify_password
from network.auth.tokens import hash_token, new_token
from network.extensions import db
from network.locks import lock_row
from network.mail import send_localised
from network.programme.models import Cohort, CohortMembership, MembershipRole, Organisation
from network.text import slug
from network.timeutil import utcnow
from network.urls import mail_url


def normalise_email(email: str) -> str:
    """Emails are compared and stored trimmed and in lower case."""
    return (email or "").strip().lower()


def user_by_email(email: str) -> User | None:
    """The user with this email, if any."""
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def email_taken(email: str, except_user: User | None = None) -> bool:
    """True when another account already uses ``email``."""
    user = user_by_email(email)
    return user is not None and (except_user is None or user.id != except_user.id)


def load_session_user(identity: str) -> User | None:
    """The active user whose id and current session token match ``identity``."""
    user_id, _, token = (identity or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_token != token or user.status != UserStatus.ACTIVE:
        return None
    return user


@lru_cache(maxsize=4)
def _dummy_hash(params: tuple) -> str:
    return hash_password("not-a-real-password")


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None; takes the same time whether or not the email exists."""
    user = user_by_email(email)
    if user is None:
        config = current_app.config
        params = (config.get("ARGON2_TIME_COST"), config.get("ARGON2_MEMORY_COST"))
        verify_password(_dummy_hash(params), password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(user: User, password: str) -> None:
    """Store a new password, revoke all sessions and outstanding reset links."""
    user.password_hash = hash_password(password)
    user.rotate_session_token()
    now = utcnow()
    for token in db.session.scalars(
        select(PasswordResetToken).where(
            PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None)
        )
    ):
        token.used_at = now


def create_user(
    *, email: str, name: str, password: str, role: Role, organisation: Organisation,
    cohort: Cohort | None = None, language: str = "sv",
) -> User:
    """Create an active account; a course leader joins ``cohort`` as its leader."""
    user = User(
        email=normalise_email(email), name=name.strip(), handle=unique_handle(name),
        password_hash=hash_password(password), role=role, organisation=organisation, language=language,
    )
    db.session.add(user)
    if cohort is not None:
        user.memberships.append(CohortMembership(cohort=cohort, role=membership_role_for(role)))
    db.session.flush()
    return user


def handle_base(name: str) -> str:
    """The handle a name suggests: lower-case ASCII words joined by dots ("anna.lindqvist")."""
    return slug(name, separator=".", max_length=56, fallback="member")


def unique_handle(name: str, taken: set[str] | None = None) -> str:
    """A handle for ``name`` that no one has yet, numbered when needed ("anna.lindqvist2")."""
    base = handle_base(name)
    if taken is None:
        taken = set(db.session.scalars(
            select(User.handle).where(or_(User.handle == base, User.handle.like(f"{base}%")))
        ))
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    taken.add(candidate)
    return candidate


def set_status(user: User, status: UserStatus) -> None:
    """Suspend or reactivate; suspension ends every session at once."""
    user.status = status
    if status == UserStatus.SUSPENDED:
        user.rotate_session_token()


# Invitations ---------------------------------------------------------------

def create_invitation(
    *, inviter: User | None, email: str, role: Role, organisation: Organisation, cohort: Cohort | None
) -> tuple[Invitation, str]:
    """A new invitation and its token (shown once, in the link); older open ones are revoked."""
    now = utcnow()
    email = normalise_email(email)
    for older in db.session.scalars(select(Invitation).where(Invitation.email == email)):
        if older.is_open(now):
            older.revoked_at = now
    token, token_hash = new_token()
    invitation = Invitation(
        email=email, role=role, organisation=organisation, cohort=cohort, token_hash=token_hash,
        invited_by=inviter, created_at=now, expires_at=now + current_app.config["INVITATION_MAX_AGE"],
    )
    db.session.add(invitation)
    db.session.flush()
    return invitation, token


def invitation_link(token: str) -> str:
    """The absolute URL an invitee follows."""
    return mail_url("auth.accept_invitation", token=token)


def send_invitation(invitation: Invitation, token: str, language: str = "sv") -> None:
    """Mail the invitation link to the invitee; it leaves when the invitation is committed."""
    send_localised(invitation.email, language, lambda: (
        _("Invitation to Växthuset Network"),
        render_template("mail/invitation.txt", invitation=invitation, link=invitation_link(token)),
    ))


def invitation_by_token(token: str) -> Invitation | None:
    """The invitation this link token belongs to, open or not."""
    return db.session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))


class InvitationUsed(Exception):
    """The invitation was accepted (or its address taken) by a request that got there first."""


def accept_invitation(invitation: Invitation, *, name: str, password: str, language: str) -> User:
    """Create the invitee's account and use up the invitation.

    Raises InvitationUsed when a concurrent request accepted it first: the invitation's row is
    locked, then read again, so of two simultaneous acceptances exactly one succeeds.
    """
    lock_row(Invitation, invitation.id)
    db.session.refresh(invitation)
    if not invitation.is_open(utcnow()) or email_taken(invitation.email):
        raise InvitationUsed(invitation.id)
    user = create_user(
        email=invitation.email, name=name, password=password, role=invitation.role,
        organisation=invitation.organisation, cohort=invitation.cohort, language=language,
    )
    invitation.accepted_at = utcnow()
    return user


# Invitations into a cohort for members who have an account already ------------

def invite_member_to_cohort(
    inviter: User | None, email: str, cohort: Cohort, role: Role, organisation: Organisation
) -> tuple[Invitation, str] | None:
    """An invitation into ``cohort`` for the member with this email, and its token to mail them;
    None when there is nothing to mail. The member joins only by accepting it.

    Callers answer alike whatever the email, and the invitation list must not tell either: an email
    without an account gets an invitation row all the same (it reaches the person if they join the
    network while it is open), only no mail; and ``organisation``, which the list shows, is the
    caller's choice, never the account's (joining leaves the member's organisation as it is).
    Members already in the cohort get nothing.
    """
    member = user_by_email(email)
    if member is not None and any(m.cohort_id == cohort.id for m in member.memberships):
        return None
    invitation, token = create_invitation(inviter=inviter, email=email, role=role, organisation=organisation,
                                          cohort=cohort)
    return (invitation, token) if member is not None else None


def send_cohort_invitation(invitation: Invitation, token: str, member: User) -> None:
    """Mail an existing member the link to accept or decline joining a cohort, in their language."""
    send_localised(invitation.email, member.language, lambda: (
        _("Invitation to %(cohort)s in Växthuset Network", cohort=invitation.cohort.name),
        render_template("mail/cohort_invitation.txt", invitation=invitation, link=invitation_link(token)),
    ))


def cohort_invitations_stmt(member: User):
    """The member's open invitations into cohorts, oldest first, with cohort and inviter loaded."""
    now = utcnow()
    return (
        select(Invitation)
        .where(Invitation.email == member.email, Invitation.cohort_id.is_not(None),
               Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None),
               Invitation.declined_at.is_(None), Invitation.expires_at > now)
        .options(joinedload(Invitation.cohort), joinedload(Invitation.invited_by))
        .order_by(Invitation.created_at, Invitation.id)
    )


def cohort_invitation_for(member: User, invitation_id: int) -> Invitation | None:
    """One of the member's open cohort invitations (None: the view answers 404)."""
    return db.session.scalar(cohort_invitations_stmt(member).where(Invitation.id == invitation_id))


def membership_role_for(role: Role) -> MembershipRole:
    """The place in a cohort an invitation with ``role`` gives: course leaders lead, everyone else takes part."""
    return MembershipRole.COURSE_LEADER if role == Role.COURSE_LEADER else MembershipRole.PARTICIPANT


def answer_cohort_invitation(member: User, invitation: Invitation, accept: bool) -> None:
    """The member joins the cohort (accept) or declines; either way the invitation is used up.
    Joining never changes the member's role in the network: only administrators do that."""
    now = utcnow()
    if not accept:
        invitation.declined_at = now
    else:
        invitation.accepted_at = now
        if not any(m.cohort_id == invitation.cohort_id for m in member.memberships):
            member.memberships.append(CohortMembership(cohort_id=invitation.cohort_id,
                                                       role=membership_role_for(invitation.role)))
    db.session.flush()


def invitations_stmt(inviter: User | None = None):
    """Invitations newest first; only those sent by ``inviter`` when given."""
    stmt = select(Invitation).order_by(Invitation.created_at.desc(), Invitation.id.desc())
    if inviter is not None:
        stmt = stmt.where(Invitation.invited_by_id == inviter.id)
    return stmt


# Password reset ------------------------------------------------------------

def request_password_reset(email: str) -> None:
    """Mail a one-hour single-use reset link if an active account has this email."""
    user = user_by_email(email)
    if user is None or user.status != UserStatus.ACTIVE:
        return
    now = utcnow()
    token, token_hash = new_token()
    db.session.add(
        PasswordResetToken(
            user=user, token_hash=token_hash, created_at=now,
            expires_at=now + current_app.config["PASSWORD_RESET_MAX_AGE"],
        )
    )
    db.session.flush()
    link = mail_url("auth.reset_password", token=token)
    send_localised(user.email, user.language, lambda: (
        _("Reset your password for Växthuset Network"),
        render_template("mail/password_reset.txt", user=user, link=link),
    ))


def reset_token(token: str) -> PasswordResetToken | None:
    """The unused, unexpired reset token for this link, or None."""
    found = db.session.scalar(
        select(PasswordResetToken).where(PasswordResetToken.token_hash == hash_token(token))
    )
    if found is None or found.used_at is not None or found.expires_at <= utcnow():
        return None
    return found


def count_admins() -> int:
    """How many active administrators there are."""
    return db.session.scalar(
        select(func.count(User.id)).where(User.role == Role.ADMIN, User.status == UserStatus.ACTIVE,
                                          User.erased_at.is_(None))
    )
