"""Discussion forms: validation only, no saving."""
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from network.forms import Form
from network.forum.services import MAX_POST_LENGTH

BODY_HINT = _l("Markdown works: **bold**, *italic*, lists, > quotes and links. Mention a member with @handle. "
               "At most 20,000 characters.")


def body_field(label):
    return TextAreaField(
        label, description=BODY_HINT,
        validators=[DataRequired(message=_l("Write something before you send.")),
                    Length(max=MAX_POST_LENGTH, message=_l("A post may have at most %(max)d characters."))],
        render_kw={"rows": 8},
    )


class ThreadForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(min=3, max=200)])
    body = body_field(_l("Your post"))
    scope = SelectField(_l("Who may read it"), choices=[], default="network")


class ReplyForm(Form):
    body = body_field(_l("Your reply"))


class EditPostForm(Form):
    body = body_field(_l("Text"))


class ThemeForm(Form):
    name_sv = StringField(_l("Name in Swedish"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name in English"), validators=[DataRequired(), Length(max=120)])
    description_sv = TextAreaField(_l("Description in Swedish"), validators=[Optional(), Length(max=2000)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=2000)])


class SearchForm(Form):
    class Meta:
        csrf = False  # a GET form: nothing changes

    q = StringField(_l("Search for"), validators=[Optional(), Length(max=200)])
    theme = SelectField(_l("Theme"), choices=[], validators=[Optional()])
    author = StringField(_l("Author (handle)"), validators=[Optional(), Length(max=64)])
    date_from = DateField(_l("From date"), validators=[Optional()])
    date_to = DateField(_l("To date"), validators=[Optional()])
