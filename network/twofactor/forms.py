"""Two-factor forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from network.forms import Form


def code_field(label=None, description=None) -> StringField:
    return StringField(
        label or _l("Code"), validators=[DataRequired(message=_l("Enter the code.")), Length(max=32)],
        description=description,
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "off",
                   "spellcheck": "false"},
    )


def password_field() -> PasswordField:
    return PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=1024)],
                         render_kw={"autocomplete": "current-password"})


class LoginCodeForm(Form):
    code = code_field(
        description=_l("The six digits your authenticator app shows now, or one of your recovery codes."))


class ConfirmForm(Form):
    code = code_field(_l("Code from the app"), _l("Enter the six digits the app shows for Växthuset Network."))


class RecoveryCodesForm(Form):
    password = password_field()


class DisableForm(Form):
    password = password_field()
    code = code_field(_l("Code from the app"), _l("The six digits your authenticator app shows now."))


class ResetForm(Form):
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(message=_l("Say why.")), Length(max=2000)],
        description=_l("Recorded in the moderation log. For example: the member lost their phone."),
        render_kw={"rows": 2},
    )
