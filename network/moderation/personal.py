"""What moderation holds about a member: the flags they raised and the audit log's entries about
them (their posts, their threads, their account) or made by them as a moderator.

An entry about the member does not name the moderator: the log records the moderator for the
programme's accountability, and the member learns what was done and why.
"""
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from network.auth.export import markdown_record, markdown_title, readable_value
from network.auth.models import User
from network.extensions import db
from network.forum.models import Post
from network.moderation.forms import ACTION_LABELS, FLAG_REASONS
from network.moderation.models import Flag, ModerationAction
from network.personal_data import Part, register

BATCH = 500


def flags(user: User) -> Iterator[dict]:
    """The flags the member raised: on which post (by thread title, not the post's text), why, and the outcome."""
    stmt = (select(Flag).where(Flag.flagger_id == user.id)
            .options(joinedload(Flag.post).joinedload(Post.thread)).order_by(Flag.id))
    for flag in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        yield {"post_id": flag.post_id, "thread": flag.post.thread.title, "reason": flag.reason,
               "details": flag.details, "created_at": flag.created_at, "resolved_at": flag.resolved_at,
               "resolution": flag.resolution}


def flags_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("flags you raised"))
    for row in flags(user):
        yield markdown_record(f"{row['thread']} ({readable_value(row['created_at'])})", [
            (_("reason"), FLAG_REASONS[row["reason"]]), (_("handled"), row["resolved_at"]), (_("outcome"), row["resolution"]),
        ], text=row["details"])


def actions(user: User) -> Iterator[dict]:
    """Audit-log entries about the member, and those the member made as a moderator."""
    stmt = (select(ModerationAction)
            .where(or_(ModerationAction.member_id == user.id, ModerationAction.moderator_id == user.id))
            .order_by(ModerationAction.id))
    for action in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        by_you = action.moderator_id == user.id
        yield {"action": action.action, "by_you": by_you, "about_you": action.member_id == user.id,
               "subject": action.subject, "reason": action.reason, "post_id": action.post_id,
               "thread_id": action.thread_id, "created_at": action.created_at}


def actions_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("moderation of your posts and account, and by you"))
    for row in actions(user):
        yield markdown_record(f"{ACTION_LABELS[row['action']]} ({readable_value(row['created_at'])})", [
            (_("by you"), row["by_you"]), (_("about you"), row["about_you"]), (_("subject"), row["subject"]),
            (_("reason"), row["reason"]),
        ])


register(Part("flags", ("flag",), flags, flags_readable, title=_l("flags you raised")))
register(Part("moderation", ("moderation_action",), actions, actions_readable,
              title=_l("moderation of your posts and account, and by you")))
