"""How a member's part of moderation is erased: the flags they made go; the audit log keeps every
action, with the member (as moderator or as the one acted on) anonymised."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, update

from network.extensions import db
from network.moderation.models import Flag, ModerationAction
from network.personal_data import Eraser, Erasure, kept_anonymised, register_eraser


def erase_flags(erasure: Erasure) -> int:
    """Every flag the member made is deleted, open or handled."""
    return db.session.execute(delete(Flag).where(Flag.flagger_id == erasure.user.id)).rowcount or 0


def anonymise_log(erasure: Erasure) -> int:
    """Log entries about the member that name them (suspensions, reactivations) lose the name."""
    user = erasure.user
    return db.session.execute(
        update(ModerationAction)
        .where(ModerationAction.member_id == user.id, ModerationAction.thread_id.is_(None),
               ModerationAction.post_id.is_(None))
        .values(subject="")
        .execution_options(synchronize_session=False)).rowcount or 0


register_eraser(Eraser("flags", ("flag",), erase_flags, label=_l("Flags you made")))
register_eraser(Eraser("moderation_log", ("moderation_action",), anonymise_log,
                       label=_l("Moderation log entries anonymised")))
kept_anonymised("moderation_action", "the audit log keeps every action; the member is the anonymised account")
