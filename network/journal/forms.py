"""Journal forms: validation only; the views fill in the choices."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from network.forms import Form
from network.forum.services import MAX_POST_LENGTH
from network.inputs import parse_date
from network.journal.models import ProgrammeAim, PromptTiming
from network.journal.services import MAX_TAGS, invalid_tags, parse_tags
from network.labels import choices
from network.people.forms import CheckboxesField

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


def valid_month(form, field) -> None:
    """A month as YYYY-MM, within the dates the site handles."""
    if parse_date(f"{field.data}-01") is None:
        raise ValidationError(_l("Choose a month from the list."))


def theme_id(value) -> int:
    """A submitted theme id; anything else becomes 0, which no theme has (and ``offered_themes`` refuses)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def offered_themes(form, field) -> None:
    """Only the themes the view offered: open ones, and archived ones the entry is already linked to."""
    offered = {choice.value for choice in field.choices}
    if any(value not in offered for value in field.data or []):
        raise ValidationError(_l("Choose among the discussion themes listed. Archived themes cannot be linked anew."))


class EntryForm(Form):
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
    themes = CheckboxesField(_l("Discussion themes"), coerce=theme_id, choices=[], validate_choice=False,
                             validators=[offered_themes],
                             description=_l("Link the entry to themes of the forum. The links are private like the entry."))
    prompt = HiddenField()
    is_draft = BooleanField(_l("Save as draft"))


class PromptForm(Form):
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


class FilterForm(Form):
    """Search words and filters, sent by POST so they never appear in a URL or an access log."""

    q = StringField(validators=[Optional(), Length(max=200)])
    tag = StringField(validators=[Optional(), Length(max=40)])
    event = IntegerField(validators=[Optional()])
    theme = IntegerField(validators=[Optional()])
    month = StringField(validators=[Optional(), valid_month])


class ShareForm(Form):
    """An excerpt of an entry to publish in the forum: previewed first, then confirmed."""

    excerpt = TextAreaField(
        _l("The passage to share"), render_kw={"rows": 12},
        validators=[DataRequired(message=_l("Keep the passage you want to share.")),
                    Length(max=MAX_POST_LENGTH, message=_l("A post may have at most %(max)d characters."))],
        description=_l("Delete everything you want to keep private. Only this text is published, in your name."),
    )
    target = RadioField(_l("Publish as"), default="thread", choices=[
        SelectChoice("thread", _l("A new thread in a theme")),
        SelectChoice("reply", _l("A reply in an existing thread")),
    ])
    theme = SelectField(_l("Theme of the new thread"), coerce=int, choices=[], validate_choice=False)
    title = StringField(_l("Title of the new thread"), validators=[Length(max=200)])
    scope = SelectField(_l("Who may read the new thread"), choices=[], default="network")
    thread = SelectField(_l("Thread to reply in"), coerce=int, choices=[], validate_choice=False)
    confirmed = HiddenField()

    def validate_title(self, field) -> None:
        if self.target.data == "thread" and len((field.data or "").strip()) < 3:
            raise ValidationError(_l("Give the new thread a title of at least three characters."))

    def validate_thread(self, field) -> None:
        if self.target.data == "reply" and not field.data:
            raise ValidationError(_l("Choose the thread to reply in."))
