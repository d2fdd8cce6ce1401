"""Two-factor rules: set-up, codes, recovery codes, reset. Functions flush, never commit; the view commits once.

A member's TOTP secret is stored sealed (AES-GCM under a key derived from SECRET_KEY, bound to the
member's id) and shown only while it is being set up. A code is accepted once: the accepted code's
time step is stored, and that step and earlier ones are refused, in one conditional UPDATE so that
two requests racing with the same code cannot both win. Recovery codes are random and stored as
SHA-256 hashes, each used up by a conditional UPDATE as well.
"""
import base64
import hmac
import re
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, func, or_, select, update

from network.auth.models import User
from network.auth.tokens import hash_token
from network.extensions import db
from network.mail import send_localised
from network.moderation import services as moderation
from network.moderation.models import ActionKind
from network.timeutil import utcnow
from network.twofactor.models import RecoveryCode, SecondFactor

ISSUER = "Växthuset Network"
RECOVERY_CODES = 10
# Codes from one step before or after now are accepted too: phones' clocks drift.
VALID_WINDOW = 1


# Who must use it ------------------------------------------------------------------------------

def required_roles() -> frozenset[str]:
    """The roles that must use two-factor log-in (REQUIRE_2FA_ROLES; empty: nobody must).

    A list from JSON (NETWORK_REQUIRE_2FA_ROLES='["admin"]') or a comma-separated string ("admin,course_leader").
    """
    roles = current_app.config.get("REQUIRE_2FA_ROLES") or ()
    if isinstance(roles, str):
        roles = roles.split(",")
    return frozenset(str(role).strip() for role in roles if str(role).strip())


def is_required(user: User) -> bool:
    """Whether the member's role obliges them to use two-factor log-in."""
    return str(user.role) in required_roles()


def second_factor_of(user: User) -> SecondFactor | None:
    """The member's second factor, confirmed or still being set up."""
    return db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))


def confirmed_factor(user: User) -> SecondFactor | None:
    """The member's second factor if they have finished setting it up."""
    factor = second_factor_of(user)
    return factor if factor is not None and factor.is_confirmed else None


# The secret, sealed --------------------------------------------------------------------------

def _sealing_key() -> AESGCM:
    secret = current_app.config["SECRET_KEY"]
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"vaxthuset two-factor secret").derive(
        secret.encode() if isinstance(secret, str) else secret)
    return AESGCM(key)


def seal(user_id: int, secret: str) -> str:
    """The secret encrypted for storage, bound to its member."""
    nonce = secrets.token_bytes(12)
    sealed = _sealing_key().encrypt(nonce, secret.encode(), str(user_id).encode())
    return base64.urlsafe_b64encode(nonce + sealed).decode()


def unseal(factor: SecondFactor) -> str | None:
    """The factor's secret; None (logged by id) when it cannot be read, e.g. after SECRET_KEY changed."""
    try:
        raw = base64.urlsafe_b64decode(factor.secret_sealed.encode())
        return _sealing_key().decrypt(raw[:12], raw[12:], str(factor.user_id).encode()).decode()
    except (InvalidTag, ValueError):
        current_app.logger.error("The two-factor secret of user %s cannot be read", factor.user_id)
        return None


# Setting up ------------------------------------------------------------------------------------

def begin_setup(user: User, factor: SecondFactor | None) -> tuple[str, bool]:
    """The secret of the member's unconfirmed ``factor`` (their ``second_factor_of``), kept from an
    unfinished set-up or made now; and whether it was made now (and so is to be saved)."""
    if factor is not None and factor.is_confirmed:
        raise ValueError("two-factor log-in is set up already")
    secret = unseal(factor) if factor is not None else None
    if secret is not None:
        return secret, False
    secret = pyotp.random_base32()
    if factor is None:
        factor = SecondFactor(user_id=user.id)
        db.session.add(factor)
    factor.secret_sealed = seal(user.id, secret)
    db.session.flush()
    return secret, True


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> Markup:
    """The QR code of ``uri`` as inline SVG markup (drawn here: no external service, no data: URI)."""
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2, title=title, dark="#1b1b1b"))


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def confirm(user: User, factor: SecondFactor | None, code: str) -> list[str] | None:
    """Finish the set-up of the member's ``factor`` with a first code from the app; the new recovery
    codes, or None if the code is wrong."""
    if factor is None or factor.is_confirmed or not accept_code(factor, code):
        return None
    factor.confirmed_at = utcnow()
    return new_recovery_codes(user)


# Codes -----------------------------------------------------------------------------------------

def normalised_code(code: str | None) -> str:
    """A code as typed, without spaces and dashes, in lower case."""
    return re.sub(r"[\s-]", "", code or "").lower()


def matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose TOTP code ``code`` is (within the window around now), or None."""
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def accept_code(factor: SecondFactor, code: str | None) -> bool:
    """Whether ``code`` is a valid code of this factor not used before; using it refuses it (and older ones) from now on."""
    code = normalised_code(code)
    secret = unseal(factor)
    if secret is None or not code.isdigit() or len(code) != 6:
        return False
    step = matching_step(secret, code, utcnow())
    if step is None:
        return False
    used = db.session.execute(
        update(SecondFactor)
        .where(SecondFactor.id == factor.id,
               or_(SecondFactor.last_used_step.is_(None), SecondFactor.last_used_step < step))
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(factor)
    return used == 1


def hash_recovery_code(code: str) -> str:
    """The stored form of a recovery code (SHA-256: the codes are random, 50 bits each)."""
    return hash_token(normalised_code(code))


def new_recovery_codes(user: User) -> list[str]:
    """Ten fresh recovery codes ("abcde-fghij"), replacing the member's old ones; shown once."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i to misread
    raws = ("".join(secrets.choice(alphabet) for _position in range(10)) for _code in range(RECOVERY_CODES))
    codes = [f"{raw[:5]}-{raw[5:]}" for raw in raws]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_recovery_code(code)) for code in codes)
    db.session.flush()
    return codes


def use_recovery_code(user: User, code: str | None) -> bool:
    """Whether ``code`` is one of the member's unused recovery codes; it is used up."""
    if len(normalised_code(code)) != 10:
        return False
    used = db.session.execute(
        update(RecoveryCode)
        .where(RecoveryCode.user_id == user.id, RecoveryCode.code_hash == hash_recovery_code(code),
               RecoveryCode.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return used == 1


def recovery_codes_left(user: User) -> int:
    """How many of the member's recovery codes are still unused."""
    return db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def verify_login(user: User, code: str | None) -> bool:
    """The log-in step: a current code from the app, or an unused recovery code."""
    factor = confirmed_factor(user)
    if factor is None:
        return False
    return accept_code(factor, code) or use_recovery_code(user, code)


# Turning it off ------------------------------------------------------------------------------

def remove(user: User) -> None:
    """Delete the member's second factor and recovery codes."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.execute(delete(SecondFactor).where(SecondFactor.user_id == user.id))
    db.session.flush()


def reset_by_admin(admin: User | None, member: User, reason: str) -> bool:
    """An administrator (None: the command line) removes a member's second factor: audit-logged,
    every session of theirs ended, and the member told by mail (after the commit). False, changing
    nothing, when the member has none."""
    if second_factor_of(member) is None:
        return False
    remove(member)
    member.rotate_session_token()
    moderation.record(admin, ActionKind.RESET_SECOND_FACTOR, member=member, reason=reason)
    send_localised(member.email, member.language, lambda: (
        _("Your two-factor log-in was reset"),
        render_template("mail/two_factor_reset.txt", user=member, required=is_required(member)),
    ))
    return True
