"""What two-factor log-in keeps about a member, for the account export: whether it is on and since
when, and how many recovery codes are left; never the secret or the codes' hashes."""
from sqlalchemy import func, select

from network.extensions import db
from network.personal_data import Part, register
from network.twofactor.models import RecoveryCode, SecondFactor


def export(user):
    """One row when the member has a second factor (confirmed or being set up)."""
    factor = db.session.scalar(select(SecondFactor).where(SecondFactor.user_id == user.id))
    if factor is None:
        return
    codes_left = db.session.scalar(select(func.count(RecoveryCode.id)).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))
    yield {
        "enabled": factor.is_confirmed,
        "set_up_at": factor.confirmed_at.isoformat() if factor.confirmed_at else None,
        "recovery_codes_left": codes_left,
    }


register(Part(name="two_factor", tables=("second_factor", "recovery_code"), export=export))
