"""How a member's profile is erased: the profile with its areas and keywords, and the picture.
The directory's search row goes with the profile (the database's triggers, migration 0012)."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete

from network.extensions import db
from network.people.models import Avatar, Profile
from network.personal_data import Eraser, Erasure, register_eraser


def erase_profile(erasure: Erasure) -> int:
    """The profile, its areas and keywords are deleted (the member leaves the directory)."""
    profile = db.session.get(Profile, erasure.user.id)
    if profile is None:
        return 0
    db.session.delete(profile)  # its areas and keywords with it
    db.session.flush()
    return 1


def erase_avatar(erasure: Erasure) -> int:
    """The member's picture is deleted."""
    return db.session.execute(delete(Avatar).where(Avatar.user_id == erasure.user.id)).rowcount or 0


register_eraser(Eraser("profile", ("profile", "profile_area", "profile_keyword"), erase_profile,
                       label=_l("Profile")))
register_eraser(Eraser("avatar", ("avatar",), erase_avatar, label=_l("Picture")))
