"""What two-factor log-in keeps about a member, for the account export: whether it is on and since
when, and how many recovery codes are left; never the secret or the codes' hashes."""
from flask_babel import lazy_gettext as _l

from network.personal_data import Part, register
from network.twofactor import services as twofactor


def export(user):
    """One row when the member has a second factor (confirmed or being set up)."""
    factor = twofactor.second_factor_of(user)
    if factor is None:
        return
    yield {
        "enabled": factor.is_confirmed,
        "set_up_at": factor.confirmed_at,
        "recovery_codes_left": twofactor.recovery_codes_left(user),
    }


register(Part(name="two_factor", tables=("second_factor", "recovery_code"), export=export,
              title=_l("two-factor log-in")))
