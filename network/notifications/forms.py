"""Notification forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Optional

from network.forms import Form
from network.notifications.models import EmailFrequency

FREQUENCY_CHOICES = [
    SelectChoice(EmailFrequency.IMMEDIATE.value, _l("At once, one email per notification")),
    SelectChoice(EmailFrequency.DAILY.value, _l("A daily digest")),
    SelectChoice(EmailFrequency.WEEKLY.value, _l("A weekly digest")),
    SelectChoice(EmailFrequency.NONE.value, _l("No emails")),
]


class EmailPreferenceForm(Form):
    frequency = SelectField(_l("Email me about notifications"), choices=FREQUENCY_CHOICES)


class UnsubscribeForm(Form):
    """One-click unsubscribe (RFC 8058): the body a mail client posts, and what the confirmation page's
    button sends. A post without it still unsubscribes; a garbled one is refused."""

    class Meta:
        csrf = False  # mail clients post with no session and no token: the signed token in the address is the secret

    one_click = HiddenField(name="List-Unsubscribe", default="One-Click", validators=[Optional(), AnyOf(["One-Click"])])
