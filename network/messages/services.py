"""Private-message rules and queries. Functions flush, never commit; the view commits once.

A conversation is read through ``member_conversation(viewer, id)`` only, which finds it among the
viewer's own: everyone else (course leaders and administrators included) gets None, and so 404.
"""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.orm import aliased, joinedload, selectinload

from network.auth.models import User, UserStatus
from network.extensions import db
from network.forum.services import DUPLICATE_WINDOW
from network.locks import lock_row
from network.messages.models import (
    Conversation, ConversationReadState, MessageBlock, MessageReport, MessageSetting, PrivateMessage,
    ReportResolution, WhoMayWrite,
)
from network.moderation import services as moderation
from network.moderation.models import ActionKind
from network.notifications import services as notifications
from network.notifications.models import NotificationKind
from network.programme.models import CohortMembership
from network.text import render_markdown
from network.timeutil import utcnow

MAX_MESSAGE_LENGTH = 20_000
REMOVED_HTML = ""


class MayNotWrite(Exception):
    """The recipient takes no new conversation from this sender (the reason is never told)."""


class TooManyConversations(Exception):
    """The sender has started as many conversations today as the network allows."""


# Who may write to whom ---------------------------------------------------------------------------

def who_may_write(user: User) -> WhoMayWrite:
    """The member's choice of who may start a conversation with them (the whole network unless chosen)."""
    setting = db.session.get(MessageSetting, user.id)
    return setting.who_may_write if setting else WhoMayWrite.NETWORK


def set_who_may_write(user: User, who: WhoMayWrite) -> None:
    """Store who may start a conversation with the member."""
    setting = db.session.get(MessageSetting, user.id)
    if setting is None:
        setting = MessageSetting(user_id=user.id)
        db.session.add(setting)
    setting.who_may_write = who
    db.session.flush()


def _accepts_from(sender: User):
    """The condition that ``User`` takes a new conversation from ``sender`` (one SQL expression)."""
    setting = aliased(MessageSetting)
    mine, theirs = aliased(CohortMembership), aliased(CohortMembership)
    shares_cohort = exists(select(mine.cohort_id).join(theirs, theirs.cohort_id == mine.cohort_id)
                           .where(mine.user_id == sender.id, theirs.user_id == User.id))
    blocked = exists(select(MessageBlock.blocker_id).where(MessageBlock.blocker_id == User.id,
                                                           MessageBlock.blocked_id == sender.id))
    chosen = select(setting.who_may_write).where(setting.user_id == User.id).scalar_subquery()
    return and_(
        User.id != sender.id, User.status == UserStatus.ACTIVE, User.erased_at.is_(None), ~blocked,
        or_(chosen.is_(None), chosen == WhoMayWrite.NETWORK.value,
            and_(chosen == WhoMayWrite.COHORTS.value, shares_cohort)),
    )


def writable_ids(sender: User, user_ids) -> set[int]:
    """Which of these members ``sender`` may write to (one query, for lists of people)."""
    ids = {i for i in user_ids if i != sender.id}
    if not ids:
        return set()
    return set(db.session.scalars(select(User.id).where(User.id.in_(ids), _accepts_from(sender))))


def can_write_to(sender: User, recipient: User) -> bool:
    """Whether ``sender`` may send ``recipient`` a message (a new conversation or a reply)."""
    return recipient.id in writable_ids(sender, [recipient.id])


def recipient_by_handle(handle: str) -> User | None:
    """The member with this handle, if any."""
    return db.session.scalar(select(User).where(User.handle == handle.lower()))


# Conversations -----------------------------------------------------------------------------------

def _pair(a: User, b: User) -> tuple[int, int]:
    return (a.id, b.id) if a.id < b.id else (b.id, a.id)


def conversation_between(a: User, b: User) -> Conversation | None:
    """The one conversation of these two members, if they have one."""
    low, high = _pair(a, b)
    return db.session.scalar(select(Conversation).where(Conversation.member_low_id == low,
                                                        Conversation.member_high_id == high))


def _involving(viewer: User):
    return or_(Conversation.member_low_id == viewer.id, Conversation.member_high_id == viewer.id)


def member_conversation(viewer: User, conversation_id: int) -> Conversation | None:
    """The conversation if ``viewer`` is one of its two members; None for everyone else."""
    return db.session.scalar(
        select(Conversation).where(Conversation.id == conversation_id, _involving(viewer))
        .options(joinedload(Conversation.member_low), joinedload(Conversation.member_high))
    )


@dataclass
class ConversationRow:
    conversation: Conversation
    other: User
    unread: int


def conversations(viewer: User) -> list[ConversationRow]:
    """The viewer's conversations, newest activity first, with the other member and unread counts
    (two queries, whatever the number of conversations)."""
    rows = list(db.session.scalars(
        select(Conversation).where(_involving(viewer))
        .options(joinedload(Conversation.member_low), joinedload(Conversation.member_high))
        .order_by(Conversation.last_message_at.desc(), Conversation.id.desc())
    ))
    unread = _unread_by_conversation(viewer, [c.id for c in rows])
    return [ConversationRow(c, c.other(viewer), unread.get(c.id, 0)) for c in rows]


def _unread_by_conversation(viewer: User, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    read_up_to = (select(ConversationReadState.last_read_message_id)
                  .where(ConversationReadState.conversation_id == PrivateMessage.conversation_id,
                         ConversationReadState.user_id == viewer.id).scalar_subquery())
    return dict(db.session.execute(
        select(PrivateMessage.conversation_id, func.count(PrivateMessage.id))
        .where(PrivateMessage.conversation_id.in_(ids), PrivateMessage.sender_id != viewer.id,
               PrivateMessage.id > func.coalesce(read_up_to, 0))
        .group_by(PrivateMessage.conversation_id)
    ).all())


def messages_stmt(conversation: Conversation) -> Select:
    """The conversation's messages, oldest first, with their senders."""
    return (select(PrivateMessage).where(PrivateMessage.conversation_id == conversation.id)
            .options(joinedload(PrivateMessage.sender)).order_by(PrivateMessage.id))


def messages_page(conversation: Conversation, number: int | None, per_page: int):
    """Page ``number`` of the conversation's messages, or its last page (where the newest messages
    are) when no number is asked for. Counts the messages once."""
    total = db.session.scalar(select(func.count(PrivateMessage.id))
                              .where(PrivateMessage.conversation_id == conversation.id)) or 0
    page = db.paginate(messages_stmt(conversation), page=number or max(1, -(-total // per_page)),
                       per_page=per_page, error_out=False, count=False)
    page.total = total
    return page


def mark_read(viewer: User, conversation: Conversation, messages: list[PrivateMessage]) -> None:
    """The viewer has seen these messages: the conversation's unread count and its notices follow."""
    newest = max((m.id for m in messages), default=0)
    state = db.session.get(ConversationReadState, (conversation.id, viewer.id))
    if state is None:
        state = ConversationReadState(conversation_id=conversation.id, user_id=viewer.id, last_read_message_id=0)
        db.session.add(state)
    state.last_read_message_id = max(state.last_read_message_id or 0, newest)
    notifications.mark_read_about_conversation(viewer, conversation.id)
    db.session.flush()


# Writing ------------------------------------------------------------------------------------------

def conversations_started_today(sender: User) -> int:
    """How many conversations ``sender`` started in the last 24 hours."""
    return db.session.scalar(select(func.count(Conversation.id)).where(
        Conversation.started_by_id == sender.id, Conversation.created_at >= utcnow() - timedelta(days=1))) or 0


def start_conversation(sender: User, recipient: User, body: str) -> PrivateMessage:
    """Write to ``recipient``: continues the two members' conversation, or starts it.

    Raises MayNotWrite when the recipient takes nothing from the sender (their setting, a block,
    an inactive account) and TooManyConversations past the daily limit of new conversations.
    """
    lock_row(User, sender.id)  # one sender's submissions in turn, as the forum's duplicate guard does
    conversation = conversation_between(sender, recipient)
    if conversation is not None:
        return reply(sender, conversation, body)
    if not can_write_to(sender, recipient):
        raise MayNotWrite(recipient.id)
    if conversations_started_today(sender) >= current_app.config["MESSAGES_NEW_PER_DAY"]:
        raise TooManyConversations(sender.id)
    low, high = _pair(sender, recipient)
    conversation = Conversation(member_low_id=low, member_high_id=high, started_by_id=sender.id)
    db.session.add(conversation)
    db.session.flush()
    return _add_message(sender, conversation, body, recipient)


def reply(sender: User, conversation: Conversation, body: str) -> PrivateMessage:
    """Add a message to a conversation the sender belongs to.

    Raises MayNotWrite when the other member has blocked the sender or left the network (their
    setting of who may start conversations does not close one already going).
    """
    lock_row(User, sender.id)
    other = conversation.other(sender)
    if has_blocked(other, sender) or not other.is_active:  # is_active: not suspended, not erased
        raise MayNotWrite(other.id)
    return _add_message(sender, conversation, body, other)


def _recent_duplicate(sender: User, conversation: Conversation, body: str) -> PrivateMessage | None:
    """The same sender's identical message in the conversation a moment ago (a double submit); the
    caller holds the sender's row lock, as the forum's duplicate guard does."""
    return db.session.scalar(select(PrivateMessage).where(
        PrivateMessage.conversation_id == conversation.id, PrivateMessage.sender_id == sender.id,
        PrivateMessage.body_source == body, PrivateMessage.created_at >= utcnow() - DUPLICATE_WINDOW,
    ).limit(1))


def _add_message(sender: User, conversation: Conversation, body: str, recipient: User) -> PrivateMessage:
    duplicate = _recent_duplicate(sender, conversation, body)
    if duplicate is not None:
        duplicate.resubmitted = True
        return duplicate
    message = PrivateMessage(conversation_id=conversation.id, sender_id=sender.id, body_source=body,
                             body_html=render_markdown(body), created_at=utcnow())
    db.session.add(message)
    db.session.flush()
    conversation.last_message_at = message.created_at
    mark_read(sender, conversation, [message])
    notifications.notify([recipient], NotificationKind.MESSAGE, conversation_id=conversation.id)
    return message


# Blocking -----------------------------------------------------------------------------------------

def block(blocker: User, blocked: User) -> None:
    """``blocker`` takes no more messages from ``blocked`` (who is not told)."""
    if blocker.id != blocked.id and not has_blocked(blocker, blocked):
        db.session.add(MessageBlock(blocker_id=blocker.id, blocked_id=blocked.id))
        db.session.flush()


def unblock(blocker: User, blocked: User) -> None:
    """``blocker`` takes messages from ``blocked`` again."""
    found = db.session.get(MessageBlock, (blocker.id, blocked.id))
    if found is not None:
        db.session.delete(found)
        db.session.flush()


def blocked_members(blocker: User) -> list[User]:
    """The members ``blocker`` has blocked, by name."""
    return list(db.session.scalars(
        select(User).join(MessageBlock, MessageBlock.blocked_id == User.id)
        .where(MessageBlock.blocker_id == blocker.id).order_by(User.name)
    ))


def has_blocked(blocker: User, other: User) -> bool:
    """Whether ``blocker`` has blocked ``other``."""
    return db.session.get(MessageBlock, (blocker.id, other.id)) is not None


# Reports -------------------------------------------------------------------------------------------

def member_message(viewer: User, message_id: int) -> PrivateMessage | None:
    """A message of one of the viewer's conversations, written by the other member; None otherwise."""
    return db.session.scalar(
        select(PrivateMessage).join(PrivateMessage.conversation)
        .where(PrivateMessage.id == message_id, PrivateMessage.sender_id != viewer.id, _involving(viewer),
               PrivateMessage.removed_at.is_(None))
    )


def report(reporter: User, message: PrivateMessage, reason: str) -> MessageReport:
    """Report a message to the moderators; a member's second open report of it returns the first."""
    lock_row(User, reporter.id)
    found = db.session.scalar(select(MessageReport).where(
        MessageReport.message_id == message.id, MessageReport.reporter_id == reporter.id,
        MessageReport.resolved_at.is_(None)))
    if found is None:
        found = MessageReport(message_id=message.id, reporter_id=reporter.id, reason=reason.strip())
        db.session.add(found)
        db.session.flush()
    return found


def open_reports() -> list[MessageReport]:
    """Reports waiting for a moderator, oldest first, each with its one message, sender and reporter."""
    return list(db.session.scalars(
        select(MessageReport).where(MessageReport.resolved_at.is_(None))
        .options(joinedload(MessageReport.message).joinedload(PrivateMessage.sender),
                 joinedload(MessageReport.reporter))
        .order_by(MessageReport.created_at, MessageReport.id)
    ))


def open_report(report_id: int) -> MessageReport | None:
    """An open report by id."""
    return db.session.scalar(select(MessageReport).where(MessageReport.id == report_id,
                                                         MessageReport.resolved_at.is_(None))
                             .options(selectinload(MessageReport.message)))


def resolve(moderator: User, report: MessageReport, remove: bool) -> None:
    """Dismiss the report, or remove its message's text; every open report of the message closes.
    The moderation log records it, naming the sender (never the text or the conversation)."""
    now = utcnow()
    message = report.message
    if remove:
        message.removed_at, message.body_source, message.body_html = now, "", REMOVED_HTML
    moderation.record(moderator, ActionKind.REMOVE_MESSAGE if remove else ActionKind.DISMISS_MESSAGE_REPORT,
                      member=message.sender)
    db.session.execute(
        update(MessageReport).where(MessageReport.message_id == message.id, MessageReport.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=moderator.id,
                resolution=(ReportResolution.REMOVED if remove else ReportResolution.DISMISSED).value)
    )
    db.session.flush()
