"""Private-message forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from network.forms import Form
from network.messages.models import WhoMayWrite
from network.messages.services import MAX_MESSAGE_LENGTH

BODY_HINT = _l("Markdown works: **bold**, *italic*, lists, > quotes and links. At most 20,000 characters. "
               "Only the two of you can read the conversation.")


class MessageForm(Form):
    body = TextAreaField(
        _l("Your message"), description=BODY_HINT,
        validators=[DataRequired(message=_l("Write something before you send.")),
                    Length(max=MAX_MESSAGE_LENGTH, message=_l("A message may have at most %(max)d characters."))],
        render_kw={"rows": 6},
    )


class WhoMayWriteForm(Form):
    who_may_write = RadioField(_l("Who may start a conversation with me"), choices=[
        SelectChoice(WhoMayWrite.COHORTS.value, _l("Members of my cohorts")),
        SelectChoice(WhoMayWrite.NETWORK.value, _l("The whole network")),
        SelectChoice(WhoMayWrite.NOBODY.value, _l("Nobody")),
    ])


class ReportForm(Form):
    reason = TextAreaField(
        _l("Why should the moderators look at this message?"),
        description=_l("The moderators see this message and your reason, never the rest of the conversation."),
        validators=[DataRequired(message=_l("Tell the moderators why.")), Length(max=2000)],
        render_kw={"rows": 4},
    )
