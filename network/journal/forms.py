"""Journal forms: validation only; the views fill in the choices."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp, ValidationError

from network.journal.models import ProgrammeAim, PromptTiming
from network.journal.services import MAX_TAGS, invalid_tags, parse_tags
from network.labels import choices

BODY_MAX = 100_000


def valid_tags(form, field) -> None:
    """Short tags made of letters, digits, spaces and hyphens; at most MAX_TAGS."""
    tags = parse_tags(field.data)
    if len(tags) > MAX_TAGS:
        raise ValidationError(_l("Use at most %(n)d tags.", n=MAX_TAGS))
    bad = invalid_tags(tags)
    if bad:
        raise ValidationError(_l("Tags may hold letters, digits, spaces and hyphens, at most 40 characters: %(tags)s",
                                 tags=", ".join(bad)))


class EntryForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    entry_date = DateField(_l("Date"), validators=[DataRequired()])
    body = TextAreaField(
        _l("Entry"), validators=[DataRequired(message=_l("Write something in the entry.")), Length(max=BODY_MAX)],
        description=_l("Markdown is allowed. Only you can read your journal."),
        render_kw={"rows": 14},
    )
    tags = StringField(_l("Tags"), validators=[Optional(), valid_tags],
                       description=_l("Separate tags with commas, e.g. staff, budget, conference."))
    event_id = SelectField(_l("Programme event"), coerce=int, choices=[])
    # Links to discussion themes join here (a multiple select of themes) once the forum lands.
    prompt = HiddenField()
    is_draft = BooleanField(_l("Save as draft"))


class PromptForm(FlaskForm):
    cohort_id = SelectField(_l("Cohort"), coerce=int, choices=[])
    event_id = SelectField(_l("Programme event"), coerce=int, choices=[],
                           description=_l("Leave empty to offer the prompt all year."))
    timing = SelectField(_l("When"), choices=[])
    aim = SelectField(_l("Programme aim"), choices=[])
    text_sv = TextAreaField(_l("Prompt in Swedish"), validators=[DataRequired(), Length(max=1000)], render_kw={"rows": 3})
    text_en = TextAreaField(_l("Prompt in English"), validators=[Optional(), Length(max=1000)], render_kw={"rows": 3},
                            description=_l("Optional; members who use English see the Swedish text otherwise."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        empty = SelectChoice("", _l("Any"))
        self.timing.choices = [empty] + choices(PromptTiming)
        self.aim.choices = [empty] + choices(ProgrammeAim)


class FilterForm(FlaskForm):
    """Search words and filters, sent by POST so they never appear in a URL or an access log."""

    q = StringField(validators=[Optional(), Length(max=200)])
    tag = StringField(validators=[Optional(), Length(max=40)])
    event = IntegerField(validators=[Optional()])
    month = StringField(validators=[Optional(), Regexp(r"^\d{4}-(0[1-9]|1[0-2])$")])
