"""Moderation forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from network.forms import Form
from network.forum.forms import body_field
from network.moderation.models import ActionKind, FlagReason

FLAG_REASONS = {
    FlagReason.OFF_TOPIC: _l("Off-topic"),
    FlagReason.OFFENSIVE: _l("Offensive"),
    FlagReason.PERSONAL_DATA: _l("Personal data shared"),
    FlagReason.CONFIDENTIAL: _l("Confidential business information shared"),
    FlagReason.SPAM: _l("Spam"),
    FlagReason.OTHER: _l("Other"),
}

ACTION_LABELS = {
    ActionKind.DISMISS_FLAGS: _l("Dismissed flags"),
    ActionKind.HIDE_POST: _l("Hid a post"),
    ActionKind.AUTO_HIDE_POST: _l("Post hidden automatically by flags"),
    ActionKind.RESTORE_POST: _l("Restored a post"),
    ActionKind.APPROVE_POST: _l("Approved a post"),
    ActionKind.EDIT_POST: _l("Edited a post"),
    ActionKind.LOCK_THREAD: _l("Locked a thread"),
    ActionKind.UNLOCK_THREAD: _l("Unlocked a thread"),
    ActionKind.PIN_THREAD: _l("Pinned a thread"),
    ActionKind.UNPIN_THREAD: _l("Unpinned a thread"),
    ActionKind.MOVE_THREAD: _l("Moved a thread"),
    ActionKind.SUSPEND_MEMBER: _l("Suspended a member"),
    ActionKind.REACTIVATE_MEMBER: _l("Reactivated a member"),
    ActionKind.NOTE_AUTHOR: _l("Sent the author a note"),
    ActionKind.REQUIRE_APPROVAL: _l("Required approval in a theme"),
    ActionKind.END_APPROVAL: _l("Stopped requiring approval in a theme"),
    ActionKind.DISMISS_MESSAGE_REPORT: _l("Dismissed a report of a private message"),
    ActionKind.REMOVE_MESSAGE: _l("Removed a reported private message"),
    ActionKind.RESET_SECOND_FACTOR: _l("Reset a member's two-factor log-in"),
    ActionKind.ERASE_MEMBER: _l("Erased a member's account"),
}

MAX_REASON = 2000


class FlagForm(Form):
    reason = RadioField(_l("Why should a moderator look at this post?"),
                        choices=[SelectChoice(k.value, v) for k, v in FLAG_REASONS.items()],
                        validators=[DataRequired(message=_l("Choose a reason."))])
    details = TextAreaField(_l("Tell the moderators more"), validators=[Length(max=MAX_REASON)],
                            description=_l("Required when you choose “Other”. Only moderators see it."),
                            render_kw={"rows": 3})

    def validate_details(self, field):
        if self.reason.data == FlagReason.OTHER.value and not (field.data or "").strip():
            raise ValidationError(_l("Describe the problem when you choose “Other”."))


class ReasonForm(Form):
    """An action that may carry a reason (dismiss, restore, approve, lock, pin)."""

    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=MAX_REASON)],
                           render_kw={"rows": 2})


class RequiredReasonForm(Form):
    """An action that needs a reason (hide, suspend, reactivate)."""

    reason = TextAreaField(_l("Reason"), validators=[DataRequired(message=_l("Give a reason.")),
                                                     Length(max=MAX_REASON)],
                           render_kw={"rows": 2})


class NoteForm(Form):
    message = TextAreaField(_l("Note to the author"), validators=[DataRequired(message=_l("Write the note.")),
                                                                Length(max=MAX_REASON)],
                            render_kw={"rows": 3})


class MoveForm(Form):
    theme = SelectField(_l("Move to theme"), choices=[], validators=[DataRequired()])
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=MAX_REASON)],
                           render_kw={"rows": 2})


class ModeratorEditForm(Form):
    body = body_field(_l("Text"))
    reason = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=MAX_REASON)],
                           render_kw={"rows": 2})


class LogFilterForm(Form):
    moderator = SelectField(_l("Moderator"), choices=[], validators=[Optional()])
    action = SelectField(_l("Action"), choices=[], validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
