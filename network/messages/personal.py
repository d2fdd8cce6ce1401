"""What private messages hold about a member, for the account export and the erasure.

Export: the member's conversations (with whom, when) and the messages they wrote; who may write
to them and whom they blocked; the reports they made. As with the forum, only the member's own
words: the other member's messages stay theirs.

Erasure: the erased member's messages stay in the other member's copy of the conversation (it is
their correspondence too), shown as from "Former member"; when the erasure takes the member's
posts too, the messages' texts go as well. Their setting, blocks (made and received), read
states and the reporter's name on their reports go.
"""
from collections import defaultdict
from collections.abc import Iterator

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import joinedload

from network.auth.export import markdown_title
from network.auth.models import User
from network.extensions import db
from network.messages import services
from network.messages.models import (
    Conversation, ConversationReadState, MessageBlock, MessageReport, MessageSetting, PrivateMessage,
)
from network.personal_data import Erasure, Eraser, Part, register, register_eraser
from network.timeutil import utcnow

BATCH = 500


def messages(user: User) -> Iterator[dict]:
    """Each conversation of the member, with the other member's name, how many messages the member has
    not read yet, and the member's own messages (read in one query for all the conversations)."""
    own = defaultdict(list)
    stmt = select(PrivateMessage).where(PrivateMessage.sender_id == user.id).order_by(PrivateMessage.id)
    for m in db.session.scalars(stmt.execution_options(yield_per=BATCH)):
        own[m.conversation_id].append({"id": m.id, "text": m.body_source, "sent_at": m.created_at,
                                       "removed_at": m.removed_at})
    for row in services.conversations(user):
        yield {
            "conversation_id": row.conversation.id, "with": row.other.display_name,
            "started_at": row.conversation.created_at, "last_message_at": row.conversation.last_message_at,
            "unread": row.unread, "your_messages": own[row.conversation.id],
        }


def messages_readable(user: User) -> Iterator[str]:
    yield markdown_title(_("Your private messages"))
    for row in messages(user):
        heading = _("Conversation with %(name)s", name=row["with"])
        yield f"## {heading}\n\n"
        for message in row["your_messages"]:
            yield f"- {message['sent_at'].isoformat()}: {message['text']}\n"
        yield "\n"


def message_settings(user: User) -> Iterator[dict]:
    """Who may start a conversation with the member, and the members they blocked."""
    blocks = db.session.scalars(select(MessageBlock).where(MessageBlock.blocker_id == user.id)
                                .options(joinedload(MessageBlock.blocked)).order_by(MessageBlock.created_at))
    yield {"who_may_write": services.who_may_write(user),
           "blocked": [{"member": b.blocked.display_name, "since": b.created_at} for b in blocks]}


def message_reports(user: User) -> Iterator[dict]:
    """The reports the member made: when, why, and what became of them (not the reported text)."""
    stmt = select(MessageReport).where(MessageReport.reporter_id == user.id).order_by(MessageReport.id)
    for report in db.session.scalars(stmt):
        yield {"message_id": report.message_id, "reason": report.reason, "created_at": report.created_at,
               "resolved_at": report.resolved_at, "resolution": report.resolution}


def erase(erasure: Erasure) -> None:
    """Remove the member's settings, blocks and read states; keep their messages for the other member."""
    user_id = erasure.user.id
    db.session.execute(delete(MessageSetting).where(MessageSetting.user_id == user_id))
    db.session.execute(delete(MessageBlock).where(or_(MessageBlock.blocker_id == user_id,
                                                      MessageBlock.blocked_id == user_id)))
    db.session.execute(delete(ConversationReadState).where(ConversationReadState.user_id == user_id))
    db.session.execute(update(MessageReport).where(MessageReport.reporter_id == user_id).values(reporter_id=None))
    db.session.execute(update(MessageReport).where(MessageReport.resolved_by_id == user_id)
                       .values(resolved_by_id=None))
    db.session.execute(update(Conversation).where(Conversation.started_by_id == user_id).values(started_by_id=None))
    if erasure.delete_posts:
        db.session.execute(update(PrivateMessage).where(PrivateMessage.sender_id == user_id,
                                                        PrivateMessage.removed_at.is_(None))
                           .values(body_source="", body_html=services.REMOVED_HTML, removed_at=utcnow()))
    db.session.flush()


register(Part(name="messages", tables=("conversation", "private_message", "conversation_read_state"), export=messages,
              readable=messages_readable, title=_l("private messages")))
register(Part(name="message_settings", tables=("message_setting", "message_block"), export=message_settings,
              title=_l("who may write to you, and whom you blocked")))
register(Part(name="message_reports", tables=("message_report",), export=message_reports,
              title=_l("messages you reported")))
register_eraser(Eraser(name="messages", tables=("conversation", "private_message", "conversation_read_state",
                                                "message_setting", "message_block", "message_report"),
                       erase=erase, label=_l("Private messages and their settings")))
