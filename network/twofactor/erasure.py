"""How an erased member's two-factor log-in goes: the secret and the recovery codes are deleted."""
from flask_babel import lazy_gettext as _l

from network.personal_data import Eraser, Erasure, register_eraser
from network.twofactor import services as twofactor


def erase(erasure: Erasure) -> None:
    twofactor.remove(erasure.user)


register_eraser(Eraser(name="two_factor", tables=("second_factor", "recovery_code"), erase=erase,
                       label=_l("Two-factor log-in")))
