"""Erasure forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from network.forms import Form

POST_CHOICES = [
    SelectChoice("delete", _l("Delete my posts (each is left as “removed by its author”)")),
    SelectChoice("keep", _l("Keep my posts, shown as written by a former member")),
]
ADMIN_POST_CHOICES = [
    SelectChoice("delete", _l("Delete the member's posts")),
    SelectChoice("keep", _l("Keep the posts, shown as written by a former member")),
]


def posts_field(label, choices) -> RadioField:
    return RadioField(label, choices=choices,
                      validators=[InputRequired(message=_l("Choose what happens to the posts."))])


class DeleteAccountForm(Form):
    posts = posts_field(_l("Your posts in the discussions"), POST_CHOICES)
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
        description=_l("Enter your password to confirm that you want to delete your account."),
    )


class AdminEraseForm(Form):
    posts = posts_field(_l("The member's posts in the discussions"), ADMIN_POST_CHOICES)
    reason = TextAreaField(
        _l("Reason"), validators=[DataRequired(), Length(max=2000)], render_kw={"rows": 3},
        description=_l("For example: the member asked by letter to have their account deleted. It is kept in the moderation log."),
    )
    confirm = BooleanField(_l("I understand that the account and its data cannot be restored"),
                           validators=[DataRequired(message=_l("Confirm that the erasure cannot be undone."))])
