"""How a member's places in cohorts are erased: they leave every cohort (lists and counts)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from network.extensions import db
from network.personal_data import Eraser, Erasure, register_eraser
from network.programme.models import CohortMembership


def erase_memberships(erasure: Erasure) -> int:
    """The member leaves every cohort: no cohort page or count shows them any more."""
    return db.session.execute(
        delete(CohortMembership).where(CohortMembership.user_id == erasure.user.id)).rowcount or 0


register_eraser(Eraser("cohort_memberships", ("cohort_membership",), erase_memberships,
                       label=_l("Places in cohorts")))
